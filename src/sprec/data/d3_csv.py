"""Reader for the D3 / BIGRec CSV layout used by several LLM-recommendation repositories.

Split files have the columns user_id, history_item_id, item_id, history_item_title, item_title,
history_timestamp, timestamp (list columns are Python list literals). The item info file has one
`title<TAB>item_id` line per item; an optional `name2genre.json` adds genres.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

from sprec.data.dataset import Catalog, Example, Item
from sprec.data.parsing import csv_rows, timestamp
from sprec.data.sources import SplitData, check_genre_table, derive_genre_groups, disambiguated, title_problem
from sprec.errors import DataError
from sprec.io import read_json, read_text

COLUMNS = ["user_id", "history_item_id", "item_id", "history_item_title", "item_title",
           "history_timestamp", "timestamp"]  # fmt: skip


def read_d3_catalog(info: Path, name2genre: Path | None, genre_groups: list[str] | None,
                    merge_titles: bool = True) -> tuple[Catalog, Counter, set[str]]:  # fmt: skip
    """(catalog, drops, source ids left out because their title is empty or web markup)."""
    genres = check_genre_table(read_json(name2genre), name2genre) if name2genre else {}
    rows: list[tuple[int, str]] = []
    left_out: set[str] = set()
    drops, items, first_id = Counter(), [], {}
    for n, line in enumerate(read_text(info).splitlines(), 1):
        if not line.strip():
            continue
        title, sep, sid = line.rpartition("\t")
        if not sep or not sid.strip().isdigit():
            raise DataError("expected 'title<TAB>item_id' with an integer id", info, n)
        if problem := title_problem(title):
            drops[f"item_{problem}"] += 1
            left_out.add(str(int(sid)))
            continue
        rows.append((int(sid), title.strip()))
    for sid, title in sorted(rows):
        genre_key = title
        if title in first_id and not merge_titles:
            title = disambiguated(title, str(sid))
        if title in first_id:  # same title under two ids: one item, the other id an alias
            drops["duplicate_title_merged"] += 1
            canonical = items[first_id[title]]
            items[first_id[title]] = Item(canonical.id, title, canonical.genres, source_id=canonical.source_id,
                                          aliases=(*canonical.aliases, str(sid)))  # fmt: skip
            continue
        first_id[title] = len(items)
        items.append(Item(len(items), title, tuple(genres.get(genre_key, ())), source_id=str(sid)))
    if genre_groups:
        return Catalog(items, genre_groups, info), drops, left_out
    groups, common = derive_genre_groups(it.genres for it in items)
    drops.update({f"genre_label_on_most_items_not_a_group:{label}": 1 for label in common})
    return Catalog(items, groups, info), drops, left_out


def _literal_list(value: str, path: Path, row: int, column: str) -> list:
    try:
        out = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        raise DataError(f"column {column} is not a Python list literal: {value[:60]!r}", path, row) from None
    if not isinstance(out, list):
        raise DataError(f"column {column} must be a list, got {type(out).__name__}", path, row)
    return out


def read_d3_split(path: Path, catalog: Catalog, drops: Counter, left_out: set[str] | None = None,
                  required: bool = True) -> list[Example]:  # fmt: skip
    """The examples of one split file; a `required` one (train, test) without a single row is an error."""
    left_out = left_out or set()
    examples, rows = [], 0
    for row, rec in csv_rows(path, ["user_id", "history_item_id", "item_id"]):
        rows += 1
        history_ids = _literal_list(rec["history_item_id"] or "", path, row, "history_item_id")
        if str(rec["item_id"]).strip() in left_out:
            drops["target_left_out_by_its_title"] += 1
            continue
        kept = [i for i in history_ids if str(i) not in left_out]
        drops["history_items_left_out_by_their_title"] += len(history_ids) - len(kept)
        history_ids = kept
        history = [catalog.id_of_source(str(i)) for i in history_ids]
        target = catalog.id_of_source(str(rec["item_id"]).strip())
        if not history:
            drops["empty_history"] += 1
            continue
        if None in history or target is None:
            bad = [i for i, h in zip(history_ids, history, strict=True) if h is None] or [rec["item_id"]]
            raise DataError(f"item id(s) {bad} not in the item info file", path, row)
        ts = timestamp(rec["timestamp"], path, row) if rec.get("timestamp") else None
        examples.append(Example(tuple(history), target, rec["user_id"], ts))
    if not rows and required:  # a header at most
        raise DataError("no rows: a split file needs at least one example", path)
    return examples


def read_d3(paths: dict[str, str | Path], genre_groups: list[str] | None = None,
            merge_titles: bool = True) -> SplitData:  # fmt: skip
    """paths: train, valid, test (CSV), items (info file), optional genres (name2genre.json)."""
    for key in ("train", "valid", "test", "items"):
        if key not in paths:
            raise DataError(f"the D3 CSV source needs a path for {key!r}")
    genres = Path(paths["genres"]) if paths.get("genres") else None
    catalog, drops, left_out = read_d3_catalog(Path(paths["items"]), genres, genre_groups, merge_titles)
    splits = {s: read_d3_split(Path(paths[s]), catalog, drops, left_out, required=s != "valid")
              for s in ("train", "valid", "test")}  # fmt: skip
    return SplitData("d3-csv", catalog, splits, drops=drops)
