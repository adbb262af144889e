"""Reader for your own interaction log as two CSV files: interactions (user, item, time, optional rating) and
items (item, title, optional genres). Column names are configurable (`data.columns`); times are unix seconds
or ISO 8601 dates / date-times (UTC when no offset is given); genres are `|`-separated. The log then goes
through the same k-core, windows and chronological split as MovieLens."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

from sprec.data.parsing import csv_rows, number, pipe_genres, timestamp
from sprec.data.sources import RawItem, RawLog
from sprec.errors import DataError

COLUMNS = {"user": "user_id", "item": "item_id", "time": "timestamp", "rating": "rating", "title": "title",
           "genres": "genres"}  # fmt: skip  # role -> default header name (config.CSV_COLUMNS are the roles)


def unix_time(value: str, path: Path, row: int) -> int:
    """Unix seconds from a number or an ISO 8601 date / date-time; anything else names the file and row."""
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise DataError(f"time {value!r} is neither unix seconds nor an ISO 8601 date", path, row) from None
        return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())
    if not math.isfinite(seconds):
        raise DataError(f"time {value!r} is not a finite number", path, row)
    return timestamp(text, path, row, "time")


def read_interactions_csv(paths: dict[str, str], columns: dict[str, str] | None = None) -> RawLog:
    col = {**COLUMNS, **(columns or {})}
    items, inter = Path(paths["items"]), Path(paths["interactions"])
    log = RawLog(f"csv:{inter.name}", [])
    for _, rec in csv_rows(items, [col["item"], col["title"]]):
        genres = pipe_genres(rec.get(col["genres"]) or "")  # optional column
        log.items.append(RawItem(rec[col["item"]].strip(), rec[col["title"]].strip(), genres))
    for row, rec in csv_rows(inter, [col["user"], col["item"], col["time"]]):
        rating = rec.get(col["rating"])  # optional column; an empty cell is no rating
        rating = number(rating, inter, row, "rating") if rating and rating.strip() else None
        log.add(rec[col["user"]].strip(), rec[col["item"]].strip(), unix_time(rec[col["time"]], inter, row), rating)
    return log
