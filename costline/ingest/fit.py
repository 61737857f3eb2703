"""A scenario fitted to priced usage: one month of logs turned into the distributions a
scenario file holds, so `costline run` can project them to 10x and 100x.

For the month fitted (the latest in the logs unless named):

- users.start is the month's active users (distinct user ids);
- each feature (and each service tier it used, as its own feature) gets
  `trigger.user_share` (its users over all users), `trigger.queries_per_day` (each
  user's calls per day they used it) and `active_days_per_month`, both as empirical
  quantiles over its users (a query is one logged call; the scenario draws the two
  independently, so the self-check below shows what that costs);
- `usage.input_tokens` and `usage.output_tokens` are the empirical quantiles of its calls,
  `cached_input_share` the share of its input tokens read from a cache;
- the model mix is a routing split by share of calls (a single model is `model:`).

Quantiles are QUANTILE_POINTS mid-points (0.5%, 1.5%, ... 99.5%), whose mean is close to
the sample's, so the fitted scenario's cost at 1x is close to the observed cost.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import duckdb

from costline.catalog.prices import PriceCatalog
from costline.errors import InputError, UnknownModelError, option
from costline.ingest.session import sql_text

QUANTILE_POINTS = 100


def _quantiles(con: duckdb.DuckDBPyConnection, sql: str, column: str) -> list[float]:
    points = [(k + 0.5) / QUANTILE_POINTS for k in range(QUANTILE_POINTS)]
    listed = ", ".join(f"{p!r}" for p in points)
    row = con.execute(f"SELECT quantile_cont({column}, [{listed}]) FROM ({sql})").fetchone()
    assert row is not None
    return [round(float(v), 3) for v in row[0]]


def _quantity(values: list[float]) -> dict[str, Any]:
    if min(values) == max(values):
        return {"value": values[0]}
    return {"samples": values}


def choose_month(
    con: duckdb.DuckDBPyConnection, source: str, path: str, month: str | None, option: str
) -> tuple[list[str], str]:
    """The months a usage file covers and the one to use: `month`, or the latest; an
    error names the input field `option`."""
    if month is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise InputError(f"expected a month as YYYY-MM, got {month!r}", field=option)
    months = [
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT strftime(day, '%Y-%m') FROM {source} ORDER BY 1"
        ).fetchall()
    ]
    if not months:
        raise InputError(f"{path}: no priced rows")
    if month is None:
        # the latest month the logs cover from end to end; a month still being logged (or
        # one the export cut) would be fitted as if it were a whole month
        complete = [m for m in months if month_coverage(con, source, m).complete]
        chosen = complete[-1] if complete else months[-1]
    else:
        chosen = month
    if chosen not in months:
        raise InputError(
            f"{chosen} has no rows; months in {path}: {', '.join(months)}", field=option
        )
    return months, chosen


COMPLETE_SLACK_DAYS = 3
"""A month counts as complete when its logged days span all but this many of its days
(quiet days at either end of a real month are common; a cut-off export is not)."""
SMALL_SAMPLE_CALLS = 1_000
SMALL_SAMPLE_USERS = 30
"""Below either, quantiles and shares fitted from one month are mostly noise."""


@dataclass(frozen=True)
class Coverage:
    """What a usage file holds of one month."""

    first_day: dt.date
    last_day: dt.date
    days_in_month: int
    calls: int

    @property
    def span_days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def complete(self) -> bool:
        return self.span_days >= self.days_in_month - COMPLETE_SLACK_DAYS


def month_coverage(con: duckdb.DuckDBPyConnection, source: str, month: str) -> Coverage:
    """The first and last logged day of `month` (YYYY-MM) in `source`, and its calls."""
    row = con.execute(
        f"SELECT min(day), max(day), count(*) FROM {source} "
        f"WHERE strftime(day, '%Y-%m') = {sql_text(month)}"
    ).fetchone()
    assert row is not None
    year, number = (int(x) for x in month.split("-"))
    return Coverage(row[0], row[1], calendar.monthrange(year, number)[1], int(row[2]))


def sample_warnings(coverage: Coverage, users: int, month: str) -> list[str]:
    """Why a month's fit may not stand for the product: a partial month, a small sample."""
    out = []
    if not coverage.complete:
        out.append(
            f"{month} is a partial month: the logs run from {coverage.first_day} to "
            f"{coverage.last_day} ({coverage.span_days} of {coverage.days_in_month} days), so "
            "users and calls per user are a part-month's, not a month's"
        )
    if coverage.calls < SMALL_SAMPLE_CALLS or users < SMALL_SAMPLE_USERS:
        out.append(
            f"small sample: {coverage.calls:,} calls from {users:,} users in {month}; token "
            "quantiles, shares of users and the model mix are noisy (a close match to the "
            "observed cost proves little)"
        )
    return out


def catalog_prices_tier(catalog: PriceCatalog, ref: str, tier: str, day: dt.date) -> bool:
    """Whether `catalog` prices `ref`'s service `tier` on `day`."""
    try:
        since = catalog.resolve(ref, tier).tier_since
    except UnknownModelError:
        return False
    return since is None or since <= day


def fit(
    path: str,
    month: str | None = None,
    catalog: PriceCatalog | None = None,
) -> dict[str, Any]:
    """The scenario fitted to `path` (a usage Parquet file from `costline ingest`), and
    what was observed: {"scenario": ..., "observed": ...}.

    Calls on a service tier `catalog` (the shipped one when None) does not price were
    priced at the standard price, so they are fitted with the standard tier."""
    prices = catalog or PriceCatalog()
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        source = f"read_parquet({sql_text(path)})"
        months, chosen = choose_month(con, source, path, month, "month")
        rows = (
            f"SELECT *, catalog_provider || ':' || catalog_model AS ref, "
            f"coalesce(service_tier, 'default') AS tier_ FROM {source} "
            f"WHERE strftime(day, '%Y-%m') = {sql_text(chosen)}"
        )
        con.execute(f"CREATE TEMP TABLE raw_m AS {rows}")
        first_day = dt.date.fromisoformat(f"{chosen}-01")
        pairs = con.execute("SELECT DISTINCT ref, tier_ FROM raw_m").fetchall()
        con.execute("CREATE TEMP TABLE tiers (ref VARCHAR, tier_ VARCHAR, effective VARCHAR)")
        con.executemany(
            "INSERT INTO tiers VALUES (?, ?, ?)",
            [
                (
                    ref,
                    tier,
                    tier
                    if tier == "default" or catalog_prices_tier(prices, ref, tier, first_day)
                    else "default",
                )
                for ref, tier in pairs
            ],
        )
        con.execute(
            "CREATE TEMP TABLE m AS SELECT r.* REPLACE (t.effective AS tier_) FROM raw_m r "
            "JOIN tiers t ON t.ref IS NOT DISTINCT FROM r.ref AND t.tier_ = r.tier_"
        )
        users, observed, calls, named_users = con.execute(
            "SELECT count(DISTINCT user_id), sum(cost_usd), count(*), "
            "count(DISTINCT user_id) FILTER (WHERE user_id <> '(none)') FROM m"
        ).fetchone()  # type: ignore[misc]
        if named_users == 0:
            raise InputError(
                f"{path}: no row has a user id, so users and calls per user cannot be fitted; "
                "map one at ingest ("
                + option("fields", "fields={'user': COLUMN}", "--map user=COLUMN")
                + ")"
            )
        warnings = sample_warnings(month_coverage(con, source, chosen), int(users), chosen)
        features = []
        groups = con.execute(
            "SELECT feature, tier_, count(*) AS n FROM m GROUP BY 1, 2 ORDER BY 1, n DESC"
        ).fetchall()
        main_tier: dict[str, str] = {}
        for feature, tier, _ in groups:
            main_tier.setdefault(feature, tier)
        for feature, tier, _ in groups:
            name = feature if main_tier[feature] == tier else f"{feature} [{tier}]"
            where = f"feature = {sql_text(feature)} AND tier_ = {sql_text(tier)}"
            part = f"SELECT * FROM m WHERE {where}"
            per_user = (
                "SELECT user_id, count(*) / count(DISTINCT day) AS per_day, "
                f"count(DISTINCT day) AS days FROM m WHERE {where} GROUP BY 1"
            )
            f_users, cached_share = con.execute(
                f"SELECT count(DISTINCT user_id), sum(cache_read_tokens) / "
                f"nullif(sum(input_tokens), 0) FROM ({part})"
            ).fetchone()  # type: ignore[misc]
            mix = con.execute(
                f"SELECT ref, count(*) / sum(count(*)) OVER () FROM ({part}) GROUP BY 1 "
                "ORDER BY 2 DESC, 1"
            ).fetchall()
            entry: dict[str, Any] = {
                "name": name,
                "description": f"fitted from {f_users:,} users' calls to {feature} in {chosen}",
                "trigger": {
                    "user_share": round(f_users / users, 6),
                    "queries_per_day": _quantity(_quantiles(con, per_user, "per_day")),
                    "active_days_per_month": _quantity(_quantiles(con, per_user, "days")),
                },
                "usage": {
                    "input_tokens": _quantity(_quantiles(con, part, "input_tokens")),
                    "output_tokens": _quantity(_quantiles(con, part, "output_tokens")),
                    "cached_input_share": round(float(cached_share or 0.0), 6),
                },
            }
            if len(mix) == 1:
                entry["model"] = mix[0][0]
            else:
                shares = [round(float(share), 6) for _, share in mix]
                shares[0] = round(1 - sum(shares[1:]), 6)  # shares sum to 1 exactly
                entry["routing"] = [
                    {"model": ref, "share": share}
                    for (ref, _), share in zip(mix, shares, strict=True)
                ]
            if tier in ("batch", "flex", "priority"):
                entry["service_tier"] = tier
            features.append(entry)
    finally:
        con.close()
    return {
        "scenario": {
            "name": f"fitted from {path} ({chosen})",
            "start": chosen,
            "users": {"start": int(users)},
            "features": features,
        },
        "observed": {
            "month": chosen,
            "users": int(users),
            "calls": int(calls),
            "cost_usd": float(observed or 0.0),
            "months_in_file": months,
            "fitted_on": dt.date.today().isoformat(),
            "warnings": warnings,
        },
    }
