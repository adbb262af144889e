"""Parsing helpers every raw reader shares: numbers, separated fields, CSV records and genre lists, each error
naming the file and row."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from sprec.errors import DataError
from sprec.io import read_text


def number(value: str, path: Path, row: int, what: str) -> float:
    """A finite number from a text field; anything else (including nan and inf) names the file and row."""
    try:
        x = float(value)
    except ValueError:
        raise DataError(f"{what} {value!r} is not a number", path, row) from None
    if not math.isfinite(x):
        raise DataError(f"{what} {value!r} is not a finite number", path, row)
    return x


# unix seconds of the years 1 to 9999 (what a datetime holds): anything beyond is a broken field, not a time
TIME_RANGE = (-62135596800, 253402300799)


def timestamp(value: str | float, path: Path, row: int, what: str = "timestamp") -> int:
    """Unix seconds from a number field (or a number), within the years 1 to 9999; the file and row otherwise."""
    x = number(value, path, row, what) if isinstance(value, str) else float(value)
    if not TIME_RANGE[0] <= x <= TIME_RANGE[1]:
        raise DataError(f"{what} {value!r} is not a unix time (seconds of the years 1 to 9999)", path, row)
    return int(x)


def fields(line: str, sep: str, n: int, path: Path, row: int, exact: bool = False) -> list[str]:
    """The fields of a line: at least n (exactly n with `exact`: a separator inside a value shifts columns)."""
    parts = line.split(sep)
    if len(parts) < n or (exact and len(parts) != n):
        hint = f"; is there a {sep!r} inside a value?" if len(parts) > n else ""
        raise DataError(f"expected {n} {sep!r}-separated fields, found {len(parts)}{hint}", path, row)
    return parts


def pipe_genres(field: str) -> tuple[str, ...]:
    """Genres of a `|`-separated field (MovieLens' CSV and .dat files, the `csv` source)."""
    names = (g.strip() for g in field.split("|"))
    return tuple(g for g in names if g and g != "(no genres listed)")


def csv_rows(path: Path, required: list[str]):
    """(line number, record) of a CSV file with a header that has every `required` column."""
    reader = csv.DictReader(io.StringIO(read_text(path).removeprefix("\ufeff")))  # spreadsheets write a BOM
    try:
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(f"missing column(s) {missing}; found {reader.fieldnames}", path, 1)
        for rec in reader:
            if any(rec.get(c) is None for c in required):
                raise DataError(f"row has fewer fields than the header {reader.fieldnames}", path, reader.line_num)
            yield reader.line_num, rec
    except csv.Error as e:  # e.g. a line break inside an unquoted field
        raise DataError(f"not a readable CSV row ({e})", path, reader.line_num) from None
