"""Month-by-month users, price trajectory and fixed / amortised cost rows."""

from __future__ import annotations

import datetime as dt

import numpy as np

from costline.scenario.models import MonthlyRow, Scenario, Users, add_months, parse_year_month


def users_by_month(users: Users, months: int) -> np.ndarray:
    """Monthly active users for each of `months` months."""
    if users.by_month is not None:
        values = list(users.by_month[:months])
        values += [values[-1]] * (months - len(values))
        return np.asarray(values, dtype=float)
    assert users.start is not None
    out = users.start * (1 + users.monthly_growth) ** np.arange(months, dtype=float)
    if users.cap is not None:
        out = np.minimum(out, users.cap)
    return out


def months_between(earlier: dt.date, later: dt.date) -> int:
    """Whole calendar months from `earlier`'s month to `later`'s month."""
    return (later.year - earlier.year) * 12 + (later.month - earlier.month)


def price_factor(annual_change: float, as_of: dt.date, day: dt.date) -> float:
    """Multiplier on catalog prices in the month of `day`: 1 up to the as-of month, then
    compounding monthly at `annual_change` a year (-0.3 = 30% cheaper a year)."""
    months = months_between(as_of, day)
    if months <= 0 or annual_change == 0:
        return 1.0
    return (1 + annual_change) ** (months / 12)


def _active(row: MonthlyRow, months: list[dt.date]) -> np.ndarray:
    first = parse_year_month(row.start) if row.start else months[0]
    last = parse_year_month(row.end) if row.end else months[-1]
    return np.array([first <= m <= last for m in months])


def fixed_costs(scenario: Scenario) -> np.ndarray:
    """USD of the monthly rows' fixed part (`usd_per_month`) in each month of the horizon."""
    months = scenario.month_dates()
    out = np.zeros(len(months))
    for row in scenario.monthly:
        out += np.where(_active(row, months), row.usd_per_month, 0.0)
    return out


def paying_share(scenario: Scenario) -> float:
    """The share of users on a plan that charges (price above 0)."""
    return float(sum(p.share for p in scenario.plans if p.price_usd_per_month > 0))


def variable_costs(scenario: Scenario, users: np.ndarray, revenue: np.ndarray) -> np.ndarray:
    """USD of the monthly rows' parts that grow with the business in each month: per user,
    per paying user and as a share of revenue (`users` and `revenue` by month)."""
    months = scenario.month_dates()
    paying = paying_share(scenario)
    out = np.zeros(len(months))
    for row in scenario.monthly:
        amount = (
            row.usd_per_user * users
            + row.usd_per_paying_user * paying * users
            + row.share_of_revenue * revenue
        )
        out += np.where(_active(row, months), amount, 0.0)
    return out


def one_time_costs(scenario: Scenario, amounts: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """(amortised USD, cash spent USD) of one-time rows in each month of the horizon.

    `amounts[i]` is the USD of `scenario.one_time[i]`, spread straight-line over its
    `amortise_months` from its month on.
    """
    months = scenario.month_dates()
    amortised = np.zeros(len(months))
    spent = np.zeros(len(months))
    for row, amount in zip(scenario.one_time, amounts, strict=True):
        first = parse_year_month(row.month) if row.month else months[0]
        end = add_months(first, row.amortise_months)
        for i, month in enumerate(months):
            if first <= month < end:
                amortised[i] += amount / row.amortise_months
            if month == first:
                spent[i] += amount
    return amortised, spent


def plan_variable_cost(scenario: Scenario, price_usd_per_month: float) -> float:
    """USD a month the monthly rows active in the first month charge one user of a plan
    priced `price_usd_per_month`: per user, per paying user (price above 0) and the
    revenue share of the price."""
    first = scenario.month_dates()[0]
    total = 0.0
    for row in scenario.monthly:
        if not _active(row, [first])[0]:
            continue
        total += row.usd_per_user + row.share_of_revenue * price_usd_per_month
        if price_usd_per_month > 0:
            total += row.usd_per_paying_user
    return total
