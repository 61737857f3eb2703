"""What costline derives from its shipped data, kept in the user's cache folder so a
process does not derive it again: the bill classifier's text model, the Vega bundle of
HTML reports.

An entry's name holds costline's version and a digest of what it is derived from, so a
new release or edited data makes a new entry. `COSTLINE_CACHE_DIR` moves the folder
(default: $XDG_CACHE_HOME/costline or ~/.cache/costline); where it cannot be written, the
value is derived each time and nothing fails."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from costline._version import __version__


def cache_dir() -> Path:
    """The folder of costline's cache entries (not created here)."""
    given = os.environ.get("COSTLINE_CACHE_DIR")
    if given:
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "costline"


def entry(name: str, *sources: str | bytes) -> Path:
    """The path of the cache entry `name` derived from `sources`."""
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.encode() if isinstance(source, str) else source)
        digest.update(b"\0")
    stem, dot, suffix = name.partition(".")
    return cache_dir() / f"{stem}-{__version__}-{digest.hexdigest()[:16]}{dot}{suffix}"


def cached_bytes(path: Path, build: Callable[[], bytes]) -> bytes:
    """The bytes at `path`, built and stored there (atomically) when absent."""
    try:
        return path.read_bytes()
    except OSError:
        pass
    data = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home: derived again next time
    return data
