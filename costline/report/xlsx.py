"""The founder's spreadsheet: every assumption a labelled cell, every figure a formula.

Sheets: Assumptions (inputs, prices per 1M tokens in each month, the price trajectory),
Per query (each feature's cost per query in each month), Monthly (users, queries, costs,
revenue, margin), One-time (rows and their amortisation), Scale (1x, 10x, 100x), Summary
(headline figures, Monte Carlo values, warnings) and a chart of revenue against COGS.

Change a price, the growth rate or a plan price in Assumptions and every sheet follows in
Excel or LibreOffice. Figures from the Monte Carlo (mean tokens per query, p95s) are
values, marked as such. Text a user typed is always written as text, never a formula.

`write_workbook` returns, for every formula cell, the engine's figure it must equal: the
tests recalculate the workbook and compare.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from costline.engine.result import FeatureResult, Result
from costline.scenario.models import Scenario

LLM_LINES = ("input", "cached_input", "cache_write", "output", "requests")
MC = "Monte Carlo mean (value)"


def _cell(row: int, col: int, absolute: bool = False) -> str:
    return xl_rowcol_to_cell(row, col, row_abs=absolute, col_abs=absolute)


class _Book:
    """A workbook with the formats and the formula-to-engine map."""

    def __init__(self, path: str) -> None:
        self.wb = xlsxwriter.Workbook(path, {"strings_to_formulas": False})
        self.expected: dict[str, float] = {}
        self.unchecked: set[str] = set()
        self.bold = self.wb.add_format({"bold": True})
        self.title = self.wb.add_format({"bold": True, "font_size": 13})
        self.money = self.wb.add_format({"num_format": "$#,##0.00"})
        self.small_money = self.wb.add_format({"num_format": "$0.000000"})
        self.pct = self.wb.add_format({"num_format": "0.0%"})
        self.month = self.wb.add_format({"num_format": "yyyy-mm"})
        self.date = self.wb.add_format({"num_format": "yyyy-mm-dd"})
        self.number = self.wb.add_format({"num_format": "#,##0.00"})
        self.whole = self.wb.add_format({"num_format": "#,##0"})
        blue = {"font_color": "#0000FF"}
        self.in_money = self.wb.add_format({**blue, "num_format": "$#,##0.00"})
        self.in_pct = self.wb.add_format({**blue, "num_format": "0.0%"})
        self.in_date = self.wb.add_format({**blue, "num_format": "yyyy-mm-dd"})
        self.in_month = self.wb.add_format({**blue, "num_format": "yyyy-mm"})
        self.in_number = self.wb.add_format({**blue, "num_format": "#,##0.00"})
        self.in_whole = self.wb.add_format({**blue, "num_format": "#,##0"})
        self.in_price = self.wb.add_format({**blue, "num_format": "0.000##"})
        self.in_plain = self.wb.add_format(blue)
        self.note = self.wb.add_format({"italic": True, "font_color": "#666666"})
        # inputs are blue (the finance convention); simulated values grey, not to edit
        self.value = self.wb.add_format({"font_color": "#7F7F7F", "italic": True})
        self.input: dict[str, Any] = {}

    def text(self, sheet: Any, row: int, col: int, value: str, fmt: Any = None) -> None:
        # strings stay strings: a name like "=HYPERLINK(...)" must not become a formula
        sheet.write_string(row, col, str(value), fmt)

    def header(self, sheet: Any, row: int, first_col: int, names: Any) -> None:
        """Bold column names from `first_col` along `row`."""
        for col, name in enumerate(names, first_col):
            self.text(sheet, row, col, name, self.bold)

    def formula(
        self, sheet: Any, row: int, col: int, formula: str, expected: float | None, fmt: Any = None
    ) -> None:
        value = 0.0 if expected is None else expected
        sheet.write_formula(row, col, formula, fmt, value)
        where = f"{sheet.name}!{_cell(row, col)}"
        if expected is not None:
            self.expected[where] = float(expected)
        else:
            self.unchecked.add(where)


def write_workbook(
    path: str, scenario: Scenario, result: Result
) -> tuple[dict[str, float], set[str]]:
    """Write the workbook to `path`. Returns the engine's figure of every formula cell that
    has one, and the formula cells that have none (a fleet's cost per query in a month
    with no query)."""
    book = _Book(path)
    wb = book.wb
    months = scenario.month_dates()
    n = len(months)
    change = scenario.price_trajectory.annual_change

    # ---- Assumptions -------------------------------------------------------------------
    # tabs in reading order: the headline first; formulas may name a sheet filled later
    su = wb.add_worksheet("Summary")
    a = wb.add_worksheet("Assumptions")
    pq = wb.add_worksheet("Per query")
    mo = wb.add_worksheet("Monthly")
    sc = wb.add_worksheet("Scale")
    ot = wb.add_worksheet("One-time")
    su.activate()
    a.set_column(0, 0, 34)
    a.set_column(1, 3, 16)
    book.text(a, 0, 0, f"Assumptions: {scenario.name or 'scenario'}", book.title)
    book.text(
        a,
        1,
        0,
        "Blue cells are inputs: change them and every sheet follows. Grey italic cells come "
        "from the simulation (re-export to change them). "
        f"Priced with {result.catalog.source}, as of {result.catalog.as_of}.",
        book.note,
    )
    row = 3
    inputs: list[tuple[str, str, dt.date | float, Any]] = [
        (
            "as_of",
            "As-of date (prices up to it, trajectory after)",
            result.catalog.as_of,
            book.date,
        ),
        ("annual_change", "Model prices change a year", change, book.pct),
        ("users_start", "Monthly active users, first month", scenario.users.start or 0, None),
        ("monthly_growth", "User growth a month", scenario.users.monthly_growth, book.pct),
    ]
    for name, label, value, fmt in inputs:
        book.text(a, row, 0, label)
        if isinstance(value, dt.date):
            a.write_datetime(row, 1, dt.datetime.combine(value, dt.time()), fmt)
        else:
            a.write_number(row, 1, float(value), fmt)
        wb.define_name(name, f"=Assumptions!{_cell(row, 1, True)}")
        row += 1
    book.text(a, row, 0, "User cap (blank: none)")
    if scenario.users.cap is not None:
        a.write_number(row, 1, scenario.users.cap, book.in_whole)
    wb.define_name("users_cap", f"=Assumptions!{_cell(row, 1, True)}")
    row += 2

    # plans
    book.text(a, row, 0, "Plans", book.bold)
    book.header(a, row, 1, ("price USD/month", "share of users"))
    row += 1
    plan_first = row
    for k, plan in enumerate(scenario.plans, start=1):
        book.text(a, row, 0, plan.name)
        a.write_number(row, 1, plan.price_usd_per_month, book.in_money)
        a.write_number(row, 2, plan.share, book.in_pct)
        # plan names are the user's text: the cells are named by position
        wb.define_name(f"plan_{k}_price", f"=Assumptions!{_cell(row, 1, True)}")
        wb.define_name(f"plan_{k}_share", f"=Assumptions!{_cell(row, 2, True)}")
        row += 1
    plan_last = row - 1
    book.text(a, row, 0, "ARPU (USD a user a month)", book.bold)
    book.formula(
        a,
        row,
        1,
        f"=SUMPRODUCT(B{plan_first + 1}:B{plan_last + 1},C{plan_first + 1}:C{plan_last + 1})",
        result.blended.arpu_usd,
        book.money,
    )
    wb.define_name("arpu", f"=Assumptions!{_cell(row, 1, True)}")
    row += 1
    book.text(a, row, 0, "Share of users on a paid plan", book.bold)
    book.formula(
        a,
        row,
        1,
        f"=SUMPRODUCT((B{plan_first + 1}:B{plan_last + 1}>0)*C{plan_first + 1}:C{plan_last + 1})",
        result.blended.paying_share,
        book.pct,
    )
    wb.define_name("paying_share", f"=Assumptions!{_cell(row, 1, True)}")
    row += 2

    # features
    book.text(a, row, 0, "Features", book.bold)
    heads: Sequence[str] = (
        "queries a user a month",
        "overhead on model spend",
        "fixed USD a query",
        "billing",
    )
    book.header(a, row, 1, heads)
    row += 1
    feature_row: dict[str, int] = {}
    users0 = result.timeline[0].users
    plan_names = [p.name for p in scenario.plans]
    first_plan_col = 5
    for j, name in enumerate(plan_names):
        book.text(a, row - 1, first_plan_col + j, f"queries a {name} user a month", book.bold)
    for k, f in enumerate(result.features, start=1):
        feature_row[f.name] = row
        wb.define_name(f"feature_{k}_queries", f"=Assumptions!{_cell(row, 1, True)}")
        book.text(a, row, 0, f.name)
        # the plan mix drives the blend: each plan's share times its users' queries
        for j, name in enumerate(plan_names):
            a.write_number(
                row, first_plan_col + j, f.queries_per_user_by_plan.get(name, 0.0), book.in_number
            )
        blend = "+".join(
            f"$C${plan_first + 1 + j}*{_cell(row, first_plan_col + j)}"
            for j in range(len(plan_names))
        )
        book.formula(
            a,
            row,
            1,
            f"={blend}",
            f.queries_by_month[0] / users0 if users0 else 0.0,
            book.number,
        )
        a.write_number(row, 2, f.overhead_share, book.in_pct)
        a.write_number(row, 3, f.fixed_usd_per_query, book.value)
        book.text(a, row, 4, _billing(f))
        row += 1
    book.text(
        a,
        row,
        0,
        "Queries a user a month: the plan mix times each plan's users' queries (the triggers' "
        f"expectation, quotas by simulation); fixed USD a query: tools, infrastructure and lever "
        f"costs, {MC}.",
        book.note,
    )
    row += 2

    # levers: what the scenario sets; their effect is in the units a query (simulated)
    with_levers = [f for f in scenario.features if f.levers is not None]
    if with_levers:
        book.text(a, row, 0, "Levers (their effect is in the units a query below)", book.bold)
        row += 1
        for feature in with_levers:
            assert feature.levers is not None
            for kind in feature.levers.kinds():
                lever = getattr(feature.levers, kind)
                settings = ", ".join(
                    f"{k}: {v['name'] if isinstance(v, dict) and 'name' in v else v}"
                    for k, v in lever.model_dump(exclude_none=True).items()
                )
                book.text(a, row, 0, f"{feature.name}: {kind}")
                book.text(a, row, 1, settings)
                row += 1
        row += 1

    # fleets
    fleet_row: dict[str, int] = {}
    if any(f.fleet for f in result.features):
        book.text(a, row, 0, "Self-hosted fleets", book.bold)
        book.header(a, row, 1, ("queries a replica-month", "USD a replica-month", "minimum"))
        row += 1
        for f in result.features:
            if f.fleet is None:
                continue
            fleet_row[f.name] = row
            book.text(a, row, 0, f.name)
            a.write_number(row, 1, f.fleet.capacity_queries_per_month, book.in_number)
            a.write_number(row, 2, f.fleet.replica_usd_per_month, book.in_money)
            a.write_number(row, 3, f.fleet.min_replicas, book.in_plain)
            row += 1
        row += 1

    # monthly rows (staff of fleets included, as the engine bills it)
    book.text(a, row, 0, "Monthly rows", book.bold)
    book.header(
        a,
        row,
        1,
        (
            "USD a month",
            "first month",
            "last month",
            "USD a user",
            "USD a paying user",
            "share of revenue",
        ),
    )
    row += 1
    fixed_first = row
    start_date, end_date = months[0], months[-1]
    for row_in in scenario.monthly:
        first_day = dt.date.fromisoformat(f"{row_in.start}-01") if row_in.start else start_date
        last = dt.date.fromisoformat(f"{row_in.end}-01") if row_in.end else end_date
        book.text(a, row, 0, row_in.name)
        a.write_number(row, 1, row_in.usd_per_month, book.in_money)
        a.write_datetime(row, 2, dt.datetime.combine(first_day, dt.time()), book.in_month)
        a.write_datetime(row, 3, dt.datetime.combine(last, dt.time()), book.in_month)
        a.write_number(row, 4, row_in.usd_per_user, book.in_money)
        a.write_number(row, 5, row_in.usd_per_paying_user, book.in_money)
        a.write_number(row, 6, row_in.share_of_revenue, book.in_pct)
        row += 1
    for feature in scenario.features:
        if feature.deployment is not None and feature.deployment.staff_usd_per_month:
            book.text(a, row, 0, f"{feature.name}: ML-ops staff")
            a.write_number(row, 1, feature.deployment.staff_usd_per_month, book.in_money)
            a.write_datetime(row, 2, dt.datetime.combine(start_date, dt.time()), book.in_month)
            a.write_datetime(row, 3, dt.datetime.combine(end_date, dt.time()), book.in_month)
            for col in (4, 5, 6):
                a.write_number(row, col, 0, book.in_money)
            row += 1
    fixed_last = max(row - 1, fixed_first)
    row += 1

    # prices: one row a cost term, one column a month
    book.text(a, row, 0, "Prices (catalog USD per the row's 'per' units)", book.bold)
    row += 1
    price_head = row
    heads = ["feature", "model", "line", "tier above", "units a query", "per", "trajectory from"]
    book.header(a, row, 0, heads)
    first_month_col = len(heads)
    for j, month in enumerate(months):
        a.write_datetime(
            row, first_month_col + j, dt.datetime.combine(month, dt.time()), book.month
        )
    row += 1
    term_rows: list[tuple[FeatureResult, int, Any]] = []
    for f in result.features:
        for term in f.cost_terms:
            if f.fleet is not None and term.line in LLM_LINES:
                continue  # the fleet's rent replaces what its own calls would cost per token
            book.text(a, row, 0, f.name)
            book.text(a, row, 1, term.model)
            book.text(a, row, 2, term.line)
            a.write_number(row, 3, term.tier_above)
            a.write_number(row, 4, term.units_per_query, book.value)
            a.write_number(row, 5, term.per)
            start = f.trajectory_start_by_key.get(term.key)
            if start is not None:
                a.write_datetime(
                    row,
                    6,
                    dt.datetime.combine(dt.date.fromisoformat(start), dt.time()),
                    book.in_date,
                )
            for j, price in enumerate(term.usd_per_mtok_by_month):
                a.write_number(row, first_month_col + j, price, book.in_price)
            term_rows.append((f, row, term))
            row += 1
    book.text(
        a,
        row,
        0,
        f"Units a query: {MC} over the simulated queries (levers applied). Trajectory from: "
        "blank for a fixed price.",
        book.note,
    )
    row += 2

    # the trajectory factor of each price row in each month
    book.text(a, row, 0, "Price trajectory factor", book.bold)
    row += 1
    factor_of: dict[int, int] = {}
    for f, price_row, term in term_rows:
        factor_of[price_row] = row
        book.text(a, row, 0, f"{f.name}: {term.model} {term.line}")
        factors = f.trajectory_factor_by_key.get(term.key, [1.0] * n)
        for j in range(n):
            col = first_month_col + j
            head = _cell(price_head, col, absolute=True)
            start_cell = f"$G${price_row + 1}"
            months_after = (
                f"((YEAR({head})-YEAR({start_cell}))*12+MONTH({head})-MONTH({start_cell}))"
            )
            book.formula(
                a,
                row,
                col,
                f'=IF(OR({start_cell}="",{months_after}<=0,annual_change=0),1,'
                f"(1+annual_change)^({months_after}/12))",
                factors[j],
            )
        row += 1

    # ---- Per query ----------------------------------------------------------------------
    pq.set_column(0, 0, 28)
    book.text(pq, 0, 0, "Cost per query (USD), mean, each month", book.title)
    pq.freeze_panes(2, 1)
    book.text(pq, 1, 0, "feature", book.bold)
    for j, month in enumerate(months):
        pq.write_datetime(1, 1 + j, dt.datetime.combine(month, dt.time()), book.month)
    per_query_row: dict[str, int] = {}
    for i, f in enumerate(result.features):
        r = 2 + i
        per_query_row[f.name] = r
        book.text(pq, r, 0, f.name)
        fr = feature_row[f.name] + 1
        rows_of = [(pr, term) for g, pr, term in term_rows if g.name == f.name]
        for j in range(n):
            col = first_month_col + j
            letter = xl_col_to_name(col)
            parts = [
                f"Assumptions!$E${pr + 1}*Assumptions!{letter}{pr + 1}*"
                f"Assumptions!{letter}{factor_of[pr] + 1}/Assumptions!$F${pr + 1}"
                for pr, _ in rows_of
            ]
            per_token = "+".join(parts) or "0"
            variable = f"({per_token})*(1+Assumptions!$C${fr})+Assumptions!$D${fr}"
            if f.fleet is None:
                book.formula(
                    pq, r, 1 + j, f"={variable}", f.cost_per_query_by_month[j], book.small_money
                )
            else:
                # the fleet's rent spread over the month's queries, then the rest per query
                queries = f"Monthly!$C${3 + j}*Assumptions!$B${fr}"
                rent = _rent(fleet_row[f.name], queries)
                book.formula(
                    pq,
                    r,
                    1 + j,
                    f"=IF({queries}>0,{rent}/({queries}),0)+{variable}",
                    f.cost_per_query_by_month[j] if f.queries_by_month[j] > 0 else None,
                    book.small_money,
                )

    # ---- One-time -----------------------------------------------------------------------
    ot.set_column(0, 0, 34)
    book.text(ot, 0, 0, "One-time rows (CapEx-like), amortised straight-line", book.title)
    heads = ("row", "kind", "USD", "month", "amortised over months", "USD a month")
    book.header(ot, 1, 0, heads)
    for i, o in enumerate(result.one_time):
        r = 2 + i
        book.text(ot, r, 0, o.name)
        book.text(ot, r, 1, o.kind)
        ot.write_number(r, 2, o.amount_usd, book.money)
        ot.write_datetime(
            r, 3, dt.datetime.combine(dt.date.fromisoformat(f"{o.month}-01"), dt.time()), book.month
        )
        ot.write_number(r, 4, o.amortise_months)
        book.formula(ot, r, 5, f"=C{r + 1}/E{r + 1}", o.usd_per_month, book.money)
    ot_last = max(2 + len(result.one_time) - 1, 2)

    # ---- Monthly ------------------------------------------------------------------------
    mo.set_column(0, 12, 15)
    book.text(mo, 0, 0, "Monthly (USD)", book.title)
    mo.freeze_panes(2, 1)
    heads = [
        "month",
        "users",
        "users (formula base)",
        "queries",
        "inference",
        "fixed monthly",
        "amortised one-time",
        "one-time spend",
        "COGS",
        "revenue",
        "gross margin",
        "inference / revenue",
        "per user and revenue share",
    ]
    book.header(mo, 1, 0, heads)
    by_month_users = scenario.users.by_month is not None
    for j, (month, m) in enumerate(zip(months, result.timeline, strict=True)):
        r = 2 + j
        excel_row = r + 1
        mo.write_datetime(r, 0, dt.datetime.combine(month, dt.time()), book.month)
        if by_month_users:
            mo.write_number(r, 1, m.users)  # the scenario lists its users month by month
        else:
            book.formula(
                mo,
                r,
                1,
                f'=IF(users_cap="",users_start*(1+monthly_growth)^{j},'
                f"MIN(users_cap,users_start*(1+monthly_growth)^{j}))",
                m.users,
                book.number,
            )
        book.formula(mo, r, 2, f"=B{excel_row}", m.users, book.number)
        queries_terms = "+".join(
            f"Assumptions!$B${feature_row[f.name] + 1}" for f in result.features
        )
        book.formula(mo, r, 3, f"=C{excel_row}*({queries_terms})", m.queries, book.number)
        inference_parts = []
        for f in result.features:
            fr = feature_row[f.name] + 1
            pqc = f"'Per query'!{xl_col_to_name(1 + j)}{per_query_row[f.name] + 1}"
            queries = f"C{excel_row}*Assumptions!$B${fr}"
            if f.fleet is None or f.queries_by_month[j] > 0:
                inference_parts.append(f"{queries}*{pqc}")
            else:
                inference_parts.append(_rent(fleet_row[f.name], queries))
        book.formula(mo, r, 4, "=" + "+".join(inference_parts), m.inference_cost_usd, book.money)
        book.formula(
            mo,
            r,
            5,
            f"=SUMPRODUCT(Assumptions!$B${fixed_first + 1}:$B${fixed_last + 1},"
            f"(Assumptions!$C${fixed_first + 1}:$C${fixed_last + 1}<=A{excel_row})*"
            f"(Assumptions!$D${fixed_first + 1}:$D${fixed_last + 1}>=A{excel_row}))",
            m.fixed_cost_usd,
            book.money,
        )
        months_since = (
            f"((YEAR(A{excel_row})-YEAR('One-time'!$D$3:$D${ot_last + 1}))*12"
            f"+MONTH(A{excel_row})-MONTH('One-time'!$D$3:$D${ot_last + 1}))"
        )
        book.formula(
            mo,
            r,
            6,
            f"=SUMPRODUCT('One-time'!$C$3:$C${ot_last + 1}/'One-time'!$E$3:$E${ot_last + 1},"
            f"({months_since}>=0)*({months_since}<'One-time'!$E$3:$E${ot_last + 1}))"
            if result.one_time
            else "=0",
            m.amortised_one_time_usd,
            book.money,
        )
        book.formula(
            mo,
            r,
            7,
            f"=SUMPRODUCT('One-time'!$C$3:$C${ot_last + 1},({months_since}=0)*1)"
            if result.one_time
            else "=0",
            m.one_time_spend_usd,
            book.money,
        )
        span = f"{fixed_first + 1}:${{c}}${fixed_last + 1}"
        in_rows = {c: f"Assumptions!${c}${span.format(c=c)}" for c in "BCDEFG"}
        active = f"({in_rows['C']}<=A{excel_row})*({in_rows['D']}>=A{excel_row})"
        book.formula(
            mo,
            r,
            12,
            f"=SUMPRODUCT(({in_rows['E']}+{in_rows['F']}*paying_share)*B{excel_row}"
            f"+{in_rows['G']}*J{excel_row},{active})",
            m.variable_cost_usd,
            book.money,
        )
        book.formula(
            mo,
            r,
            8,
            f"=E{excel_row}+F{excel_row}+G{excel_row}+M{excel_row}",
            m.cogs_usd,
            book.money,
        )
        book.formula(mo, r, 9, f"=C{excel_row}*arpu", m.revenue_usd, book.money)
        book.formula(
            mo,
            r,
            10,
            f'=IF(J{excel_row}>0,(J{excel_row}-I{excel_row})/J{excel_row},"")',
            m.gross_margin,
            book.pct,
        )
        book.formula(
            mo,
            r,
            11,
            f'=IF(J{excel_row}>0,E{excel_row}/J{excel_row},"")',
            m.cogs_share_of_arpu,
            book.pct,
        )
    last_row = 2 + n

    # ---- Scale --------------------------------------------------------------------------
    sc.set_column(0, 8, 16)
    book.text(
        sc, 0, 0, "The first month at a multiple of its users, first-month prices", book.title
    )
    heads = [
        "multiple",
        "users",
        "queries",
        "inference",
        "fixed",
        "amortised",
        "revenue",
        "cost per user",
        "gross margin",
        "inference / revenue",
        "per user and revenue share",
    ]
    book.header(sc, 1, 0, heads)
    for i, point in enumerate(result.scale):
        r = 2 + i
        x = r + 1
        sc.write_number(r, 0, point.multiple)
        book.formula(sc, r, 1, f"=Monthly!$C$3*A{x}", point.users, book.number)
        book.formula(sc, r, 2, f"=Monthly!$D$3*A{x}", point.queries, book.number)
        parts = []
        for f in result.features:
            fr = feature_row[f.name] + 1
            queries = f"B{x}*Assumptions!$B${fr}"
            pqc = f"'Per query'!$B${per_query_row[f.name] + 1}"
            if f.fleet is None:
                parts.append(f"{queries}*{pqc}")
            else:
                # a fleet is re-sized for the new volume: its rent, then the rest per query
                first_queries = f"Monthly!$C$3*Assumptions!$B${fr}"
                rent0 = _rent(fleet_row[f.name], first_queries)
                rest = f"({pqc}-IF({first_queries}>0,{rent0}/({first_queries}),0))"
                parts.append(f"{_rent(fleet_row[f.name], queries)}+{queries}*{rest}")
        book.formula(sc, r, 3, "=" + "+".join(parts), point.inference_cost_usd, book.money)
        book.formula(sc, r, 4, "=Monthly!$F$3", point.fixed_cost_usd, book.money)
        book.formula(sc, r, 5, "=Monthly!$G$3", point.amortised_one_time_usd, book.money)
        book.formula(sc, r, 6, f"=Monthly!$J$3*A{x}", point.revenue_usd, book.money)
        book.formula(sc, r, 10, f"=Monthly!$M$3*A{x}", point.variable_cost_usd, book.money)
        book.formula(
            sc,
            r,
            7,
            f"=IF(B{x}>0,(D{x}+E{x}+F{x}+K{x})/B{x},0)",
            point.cost_per_user_usd,
            book.money,
        )
        book.formula(
            sc,
            r,
            8,
            f'=IF(G{x}>0,(G{x}-D{x}-E{x}-F{x}-K{x})/G{x},"")',
            point.gross_margin,
            book.pct,
        )
        book.formula(sc, r, 9, f'=IF(G{x}>0,D{x}/G{x},"")', point.cogs_share_of_arpu, book.pct)

    # ---- Summary ------------------------------------------------------------------------
    su.set_column(0, 0, 44)
    su.set_column(1, 2, 18)
    book.text(
        su, 0, 0, f"Summary: {scenario.name or 'scenario'}, {result.blended.month}", book.title
    )
    b = result.blended
    lines: list[tuple[str, str, float | None, Any]] = [
        ("Monthly active users", "=Monthly!B3", b.users, book.number),
        ("Revenue", "=Monthly!J3", b.revenue_usd, book.money),
        ("Inference cost", "=Monthly!E3", b.inference_cost_usd, book.money),
        (
            "COGS (inference + fixed + fees and seats + amortised)",
            "=Monthly!I3",
            b.cogs_usd,
            book.money,
        ),
        ("Gross margin", "=Monthly!K3", b.gross_margin, book.pct),
        ("Inference COGS / ARPU", "=Monthly!L3", b.cogs_share_of_arpu, book.pct),
    ]
    for i, (label, formula, figure, fmt) in enumerate(lines):
        book.text(su, 2 + i, 0, label)
        book.formula(su, 2 + i, 1, formula, figure, fmt)
    r = 2 + len(lines) + 1
    book.text(su, r, 0, f"From the Monte Carlo (values, seed {result.simulation.seed})", book.bold)
    r += 1
    for f in result.features:
        book.text(su, r, 0, f"{f.name}: cost per query median / p95")
        su.write_number(r, 1, f.cost_per_query.median, book.small_money)
        su.write_number(r, 2, f.cost_per_query.p95, book.small_money)
        r += 1
    for p in result.plans:
        book.text(su, r, 0, f"{p.name}: cost per user a month median / p95")
        su.write_number(r, 1, p.cost_per_user.median, book.money)
        su.write_number(r, 2, p.cost_per_user.p95, book.money)
        r += 1
    for action in result.actions:
        book.text(su, r, 0, f"{action.name} (an action): cost per action median / p95")
        su.write_number(r, 1, action.cost_per_action.median, book.small_money)
        su.write_number(r, 2, action.cost_per_action.p95, book.small_money)
        r += 1
    r += 1
    book.text(su, r, 0, "Warnings", book.bold)
    for w in result.warnings:
        r += 1
        book.text(su, r, 0, f"{w.code}: {w.message}")
    if not result.warnings:
        book.text(su, r + 1, 0, "none")

    chart = wb.add_chart({"type": "line"})
    for col, name in ((9, "Revenue"), (8, "COGS")):
        chart.add_series(
            {
                "name": name,
                "categories": ["Monthly", 2, 0, last_row - 1, 0],
                "values": ["Monthly", 2, col, last_row - 1, col],
            }
        )
    chart.set_title({"name": "Monthly revenue vs COGS (USD)"})
    chart.set_x_axis({"date_axis": True, "num_format": "yyyy-mm"})
    su.insert_chart(2, 4, chart, {"x_scale": 1.4, "y_scale": 1.2})
    wb.close()
    return book.expected, book.unchecked


def _rent(fleet_row: int, queries: str) -> str:
    """A fleet's monthly rent for `queries` queries: replicas for the busiest hour."""
    f = fleet_row + 1
    return (
        f"MAX(Assumptions!$D${f},CEILING(({queries})/Assumptions!$B${f}-0.000000001,1))"
        f"*Assumptions!$C${f}"
    )


def _billing(f: FeatureResult) -> str:
    """How the feature's calls are billed, as its result says: `per token`, `per input
    audio minute`, both, or a fleet's rent."""
    if f.fleet:
        return "fleet of GPUs"
    ways = ["per token"] if f.input_tokens_per_call or f.output_tokens_per_call else []
    for m in f.models:
        for price in m.unit_prices:
            way = price.label.removeprefix("USD ")
            if way not in ways:
                ways.append(way)
    return " + ".join(ways) or "per token"
