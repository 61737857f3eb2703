"""Saved scenarios: one SQLite file, every save a new version of its name, so a founder can
reopen any of them and compare two. Each save is one transaction: a failed save leaves the
file as it was."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel

from costline.errors import InputError

SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    saved_at TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    yaml TEXT NOT NULL,
    PRIMARY KEY (name, version)
);
"""


class SavedVersion(BaseModel):
    """One save of a named scenario; `yaml` is left out of listings."""

    name: str
    version: int
    saved_at: str
    """UTC, ISO 8601."""
    note: str = ""
    yaml: str | None = None


class SavedScenario(BaseModel):
    """A name and its saves, newest first."""

    name: str
    versions: list[SavedVersion]


def default_path() -> Path:
    """scenarios.sqlite in the user's data folder (platformdirs)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("costline", appauthor=False)) / "scenarios.sqlite"


class ScenarioStore:
    """Named scenarios with their history, in the SQLite file `path` (made on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise InputError(f"{self.path}: cannot open the saved scenarios ({exc})") from None
        try:
            db.execute(SCHEMA)
            yield db
        except sqlite3.DatabaseError as exc:
            raise InputError(f"{self.path}: the saved scenarios cannot be read ({exc})") from None
        finally:
            db.close()

    def save(self, name: str, yaml: str, note: str = "") -> SavedVersion:
        """Keep `yaml` as the next version of `name`; earlier versions stay."""
        saved_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        with self._db() as db:
            try:
                db.execute("BEGIN IMMEDIATE")
                (last,) = db.execute(
                    "SELECT COALESCE(MAX(version), 0) FROM versions WHERE name = ?", (name,)
                ).fetchone()
                db.execute(
                    "INSERT INTO versions (name, version, saved_at, note, yaml) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (name, last + 1, saved_at, note, yaml),
                )
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        return SavedVersion(name=name, version=last + 1, saved_at=saved_at, note=note)

    def list(self) -> list[SavedScenario]:
        """Every saved name (alphabetical) with its versions, newest first."""
        with self._db() as db:
            rows = db.execute(
                "SELECT name, version, saved_at, note FROM versions ORDER BY name, version DESC"
            ).fetchall()
        out: dict[str, list[SavedVersion]] = {}
        for name, version, saved_at, note in rows:
            out.setdefault(name, []).append(
                SavedVersion(name=name, version=version, saved_at=saved_at, note=note)
            )
        return [SavedScenario(name=n, versions=v) for n, v in out.items()]

    def get(self, name: str, version: int | None = None) -> SavedVersion:
        """One save of `name` with its YAML: `version`, or the latest."""
        with self._db() as db:
            if version is None:
                row = db.execute(
                    "SELECT name, version, saved_at, note, yaml FROM versions WHERE name = ? "
                    "ORDER BY version DESC LIMIT 1",
                    (name,),
                ).fetchone()
            else:
                row = db.execute(
                    "SELECT name, version, saved_at, note, yaml FROM versions "
                    "WHERE name = ? AND version = ?",
                    (name, version),
                ).fetchone()
        if row is None:
            which = f"{name!r}" if version is None else f"{name!r} version {version}"
            raise LookupError(f"no saved scenario {which}")
        return SavedVersion(name=row[0], version=row[1], saved_at=row[2], note=row[3], yaml=row[4])

    def delete(self, name: str) -> int:
        """Forget `name` and every version of it; how many versions went."""
        with self._db() as db:
            gone = db.execute("DELETE FROM versions WHERE name = ?", (name,)).rowcount
        if not gone:
            raise LookupError(f"no saved scenario {name!r}")
        return int(gone)
