"""Cost lines from a bill (a CSV export, or plain lines on stdin) and the learned backup
that helps sort them: the file side of `costline classify`."""

from __future__ import annotations

import csv
import io
import math
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from costline.catalog.types import BUCKETS
from costline.errors import InputError, option

TOTAL_ROW = re.compile(
    r"\s*((grand|sub-?)\s*)?totals?(\s+(amount|cost|due|usd|eur))?\s*:?\s*"
    r"|\s*(summe|gesamt(summe)?|total g[ée]n[ée]ral|totaal)\s*:?\s*",
    re.IGNORECASE,
)
"""A description that is only a total ("Total", "Subtotal:", "Grand total", "Summe")."""

AMOUNT_COLUMNS = ("amount", "cost", "unblended_cost", "line_item_unblended_cost", "cost_usd", "usd")
"""Amount columns found without --amount-column (case-insensitive)."""


def _bare(text: str) -> str:
    return text.strip().replace("$", "").replace("USD", "").replace(" ", "").strip("()")


def decimal_comma(amounts: list[str], delimiter: str) -> bool:
    """Whether a bill writes a decimal comma (1.234,56) rather than a point (1,234.56),
    decided once for the whole file: 37.688 and 1,234 mean different things in each."""
    comma = point = 0
    for text in amounts:
        value = _bare(text)
        if re.search(r",\d{1,2}$|\.\d{3},", value):
            comma += 1
        elif re.search(r"\.\d{1,2}$|,\d{3}\.|\.\d{4,}$", value):
            point += 1
    if comma != point:
        return comma > point
    return delimiter == ";"  # no evidence either way: a semicolon file is European


def parse_amount(text: str, comma: bool | None = None) -> float:
    """An amount as bills write it: $1,234.56, 1.234,56, (123.45) for a credit. `comma`
    says the file writes a decimal comma; None decides from this amount alone."""
    value = _bare(text)
    negative = text.strip().startswith("(") and text.strip().endswith(")")
    if comma is None:
        comma = decimal_comma([text], ",")
    # the thousands separator goes, the decimal mark becomes a point
    value = value.replace(".", "").replace(",", ".") if comma else value.replace(",", "")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(text)
    return -number if negative else number


def decode(raw: bytes, name: str) -> tuple[str, str | None]:
    """Text of a file, UTF-8 (with or without BOM) or else Windows-1252, and a note."""
    if b"\x00" in raw[:4096]:
        raise InputError(f"{name}: is a binary file, not a CSV")
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        return raw.decode("cp1252"), f"not UTF-8 (from line {line}): read as Windows-1252"


class BillLine(NamedTuple):
    """One readable row of a bill."""

    line: int
    """Its line number in the file (the first line of a row over several)."""
    text: str
    amount: float | None
    """USD, when the bill has an amount column and the row a number in it."""
    label: str | None = None
    """The bucket the user expects (training, inference or other), from --labels."""


def read_lines(
    file: str, columns: list[str], amount_column: str | None, label_column: str | None = None
) -> tuple[list[BillLine], list[tuple[int, str]]]:
    """Each readable row, and the rows that had a problem (line number, what). Several text
    columns are joined (a GCP service and its SKU)."""
    if file == "-":
        text, note = sys.stdin.read(), None
        first = text.splitlines()[0] if text.strip() else ""
        header_like = any(c.lower() in first.lower().split(",") for c in columns)
        if not header_like:  # plain lines: one cost line each, no amounts
            if label_column is not None:
                raise InputError(
                    f"standard input has no header, so no {label_column!r}", field="labels"
                )
            rows = [BillLine(n, line.strip(), None) for n, line in enumerate(text.splitlines(), 1)]
            rows = [r for r in rows if r.text]
            if not rows:
                raise InputError("-: no line on standard input")
            return rows, []
    else:
        path = Path(file)
        try:
            text, note = decode(path.read_bytes(), file)
        except FileNotFoundError:
            raise InputError(f"{file}: no such file") from None
        except IsADirectoryError:
            raise InputError(f"{file}: is a folder, not a CSV") from None
    if not text.strip():
        raise InputError(f"{file}: the file is empty; expected a CSV with a {columns[0]!r} column")
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    header = next(csv.reader(io.StringIO(text.splitlines()[0]), delimiter=delimiter), [])
    by_name = {h.strip().lower(): i for i, h in enumerate(header)}

    def column_index(name: str, option: str) -> int:
        # `option` is the input that names the column: columns, amount_column or labels
        if name.strip().lower() not in by_name:
            listed = ", ".join(h.strip() for h in header)
            hint = ""
            if option == "columns":
                texts = [
                    h.strip()
                    for h in header
                    if re.search(
                        r"desc|merchant|memo|sku|item|name|service|libell|concepto|text|beschreib",
                        h,
                        re.I,
                    )
                ]
                # a description says the most: "line_item_description" before "..._code"
                texts.sort(key=lambda h: not re.search(r"desc|beschreib|libell|concepto", h, re.I))
                if texts:
                    hint = "; try " + " or ".join(repr(t) for t in texts[:3])
                raise InputError(
                    f"{file}: no column {name!r}; the columns are {listed}{hint}", field=option
                )
            raise InputError(
                f"{file} has no column {name!r}; the columns are {listed}", field=option
            )
        return by_name[name.strip().lower()]

    text_columns = [column_index(c, "columns") for c in columns]
    amount_index = None
    if amount_column is not None:
        amount_index = column_index(amount_column, "amount_column")
    else:
        amount_index = next((by_name[a] for a in AMOUNT_COLUMNS if a in by_name), None)
    problems: list[tuple[int, str]] = [] if note is None else [(1, note)]
    if amount_index is None and amount_column is None:
        # "Cost ($)", "Amount (USD)", "Betrag": one column that reads as money is the amount
        money = [
            i
            for i, h in enumerate(header)
            if re.search(r"cost|amount|betrag|montant|importe|bedrag|usd|eur\b", h, re.I)
        ]
        if len(money) == 1:
            amount_index = money[0]
            problems.append((1, f"amounts read from column {header[money[0]].strip()!r}"))
        elif money:
            names = ", ".join(repr(header[i].strip()) for i in money)
            problems.append(
                (
                    1,
                    f"no amounts: several columns could be the amount ({names}); "
                    f"pick one with {option('amount_column', 'amount_column=')}",
                )
            )
    label_index = None if label_column is None else column_index(label_column, "labels")
    out: list[BillLine] = []
    parsed = list(_rows(text, delimiter, len(header)))
    comma = None
    if amount_index is not None:
        comma = decimal_comma(
            [f[amount_index] for _, f, _ in parsed if amount_index < len(f)], delimiter
        )
    for n, fields, problem in parsed:
        if problem:
            problems.append((n, problem))
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            problems.append(
                (
                    n,
                    f"{len(fields)} field{'' if len(fields) == 1 else 's'} where the header has "
                    f"{len(header)}: read as far as they go",
                )
            )
        # a quoted field may hold line breaks: a description reads as one line
        parts = [" ".join(fields[i].split()) for i in text_columns if i < len(fields)]
        parts = [p for p in parts if p]
        if not parts:
            problems.append((n, f"empty {' / '.join(columns)!r}: not classified"))
            continue
        if TOTAL_ROW.fullmatch(" ".join(parts)):
            # a bill's own total would count every line twice
            problems.append((n, f"{' '.join(parts)!r} reads as the bill's total: left out"))
            continue
        value: float | None = None
        if amount_index is not None:
            raw = fields[amount_index].strip() if amount_index < len(fields) else ""
            if not raw:
                problems.append((n, "no amount: classified, no amount"))
            else:
                try:
                    value = parse_amount(raw, comma)
                except ValueError:
                    problems.append((n, f"amount {raw!r} is not a number: classified, no amount"))
        label = None
        if label_index is not None:
            given = fields[label_index].strip() if label_index < len(fields) else ""
            if given.lower() in BUCKETS:
                label = given.lower()
            else:
                what = f"label {given!r} is not" if given else "no label: expected"
                problems.append((n, f"{what} training, inference or other: not scored"))
        out.append(BillLine(n, " - ".join(parts), value, label))
    if not out:
        raise InputError(f"{file}: no row with a {columns[0]!r} to classify")
    return out, problems


def _rows(text: str, delimiter: str, width: int) -> Iterator[tuple[int, list[str], str | None]]:
    """(first line number, fields, problem) of each row after the header. A quote that is
    never closed would swallow the rest of the file into one field: that row is read again
    without quotes, reported, and reading goes on from the next line."""
    lines = text.splitlines(keepends=True)
    start = 2  # the first line after the header, counting from 1
    while start <= len(lines):
        reader = csv.reader(io.StringIO("".join(lines[start - 1 :])), delimiter=delimiter)
        done = 0
        for fields in reader:
            n, done = start + done, reader.line_num
            spans = reader.line_num - (n - start) > 1
            if spans and len(fields) != width and any("\n" in f or "\r" in f for f in fields):
                bare = csv.reader([lines[n - 1]], delimiter=delimiter, quoting=csv.QUOTE_NONE)
                fields = [f.strip('"') for f in next(bare)]
                yield n, fields, "a quote opened here is never closed: read without quotes"
                start = n + 1
                break
            last = start + reader.line_num - 1
            # a legal multi-line field, or a stray quote closed by a later one: say which
            spread = f"one row over lines {n}-{last}: a quoted field holds line breaks"
            yield n, fields, spread if spans else None
        else:
            return
