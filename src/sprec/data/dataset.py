"""The contract between stages: a Catalog of items and Examples (history ids -> target id).

Items are ids everywhere (0..n-1, contiguous); titles appear only in prompts and reports.
A prepared dataset on disk (see README "Prepared dataset layout"):
  meta.json      name, item noun, source, settings, genre groups, statistics
  items.jsonl    one item per line: id, title, genres, popularity, source_id, aliases
  train.jsonl / valid.jsonl / test.jsonl   one example per line: user_id, history, target, timestamp
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from sprec.errors import DataError
from sprec.io import read_json, read_jsonl, write_json, write_jsonl

SPLITS = ("train", "valid", "test")


@dataclass(frozen=True)
class Item:
    id: int
    title: str
    genres: tuple[str, ...] = ()
    popularity: int = 0  # times the item is a target in the training split
    source_id: str | None = None  # the id the raw data used
    aliases: tuple[str, ...] = ()  # source ids merged into this item because they share its title


@dataclass(frozen=True)
class Example:
    history: tuple[int, ...]  # item ids, oldest first
    target: int | None  # None: the target is not in the catalog (kept in test, counts as a miss)
    user_id: str | None = None
    timestamp: int | None = None  # of the target interaction
    target_text: str | None = None  # the raw target title, only when target is None


def histories(rows: Sequence[Example], when: bool = True) -> list[list[int]] | None:
    """Each row's history items, as the lists a top-K must leave out; None when `when` is false (nothing left
    out), so that callers pass `histories(rows, exclude_history)` straight on."""
    return [list(e.history) for e in rows] if when else None


class Catalog:
    """Items by id and by title, their genres and training popularity, and the dataset's genre groups."""

    def __init__(self, items: Sequence[Item], genre_groups: Sequence[str], path: str | Path | None = None):
        if not items:
            raise DataError("the catalog is empty", path)
        self.items = list(items)
        self.genre_groups = list(genre_groups)
        self._by_title: dict[str, int] = {}
        for i, item in enumerate(self.items):
            if item.id != i:
                raise DataError(f"item ids must be 0..n-1 in order; found id {item.id} at position {i}", path, i + 1)
            if not item.title.strip():
                raise DataError(f"item {item.id} has an empty title", path, i + 1)
            if item.title in self._by_title:
                raise DataError(
                    f"duplicate title {item.title!r} (items {self._by_title[item.title]} and {item.id}); "
                    "a generative recommender cannot tell them apart, merge them",
                    path,
                    i + 1,
                )
            self._by_title[item.title] = item.id
        known = {g for item in self.items for g in item.genres}
        for g in self.genre_groups:
            if g not in known:
                raise DataError(f"genre group {g!r} is not a genre of any item (known: {sorted(known)})", path)
        self._by_source: dict[str, int] | None = None

    def __len__(self) -> int:
        return len(self.items)

    def title(self, item_id: int) -> str:
        return self.items[item_id].title

    def id_of(self, title: str) -> int | None:
        return self._by_title.get(title)

    def id_of_source(self, source_id: str) -> int | None:
        """Map an id of the raw data (or an alias merged into an item) to the catalog id."""
        if self._by_source is None:
            self._by_source = {}
            for item in self.items:
                for sid in (item.source_id, *item.aliases):
                    if sid is not None:
                        self._by_source[sid] = item.id
        return self._by_source.get(str(source_id))

    @functools.cached_property
    def genre_weights(self) -> np.ndarray:
        """(n_items, n_groups): item i adds 1/|S| to each group of S = genres(i) ∩ groups (METRICS.md)."""
        col = {g: j for j, g in enumerate(self.genre_groups)}
        w = np.zeros((len(self.items), len(self.genre_groups)))
        for item in self.items:
            s = {col[g] for g in item.genres if g in col}
            for j in s:
                w[item.id, j] = 1.0 / len(s)
        return w

    @functools.cached_property
    def genre_sets(self) -> np.ndarray:
        """(n_items, n_labels) 0/1: every genre label of each item (not only the groups), for ILD."""
        labels = {g: j for j, g in enumerate(sorted({g for it in self.items for g in it.genres}))}
        sets = np.zeros((len(self.items), max(len(labels), 1)), dtype=bool)
        for item in self.items:
            sets[item.id, [labels[g] for g in item.genres]] = True
        return sets

    @functools.cached_property
    def popularity(self) -> np.ndarray:
        return np.array([it.popularity for it in self.items], dtype=np.int64)

    def with_popularity(self, counts: np.ndarray) -> Catalog:
        items = [Item(**{**asdict(it), "popularity": int(c)}) for it, c in zip(self.items, counts, strict=True)]
        return Catalog(items, self.genre_groups)


@dataclass
class Dataset:
    name: str
    catalog: Catalog
    splits: dict[str, list[Example]]
    meta: dict = field(default_factory=dict)
    path: Path | None = None  # the folder it was saved to or loaded from

    @property
    def item_noun(self) -> str:
        return self.meta.get("item_noun", "item")

    def save(self, out_dir: str | Path) -> Path:
        out = Path(out_dir)
        for split, rows in self.splits.items():
            write_jsonl(out / f"{split}.jsonl", (_example_row(e) for e in rows))
        write_jsonl(out / "items.jsonl", (_item_row(it) for it in self.catalog.items))
        # meta last: its presence marks a complete dataset folder
        write_json(out / "meta.json", {**self.meta, "name": self.name, "genre_groups": self.catalog.genre_groups})
        self.path = out.resolve()
        return out

    @classmethod
    def load(cls, path: str | Path) -> Dataset:
        path = Path(path)
        if not (path / "meta.json").is_file():
            raise DataError("not a prepared dataset (no meta.json); run `sprec data prepare` first", path)
        meta = read_json(path / "meta.json")
        catalog = _load_catalog(path / "items.jsonl", meta.get("genre_groups", []))
        splits = {s: _load_examples(path / f"{s}.jsonl", catalog) for s in SPLITS if (path / f"{s}.jsonl").exists()}
        return cls(meta.get("name", path.name), catalog, splits, meta, path.resolve())


def _item_row(it: Item) -> dict:
    row = {"id": it.id, "title": it.title, "genres": list(it.genres), "popularity": it.popularity}
    row["source_id"] = it.source_id
    if it.aliases:
        row["aliases"] = list(it.aliases)
    return row


def _example_row(e: Example) -> dict:
    row = {"user_id": e.user_id, "history": list(e.history), "target": e.target, "timestamp": e.timestamp}
    if e.target is None:
        row["target_text"] = e.target_text
    return row


def _load_catalog(path: Path, genre_groups: list[str]) -> Catalog:
    items = []
    for lineno, row in read_jsonl(path):
        try:
            items.append(
                Item(
                    id=int(row["id"]),
                    title=str(row["title"]),
                    genres=tuple(row.get("genres", ())),
                    popularity=int(row.get("popularity", 0)),
                    source_id=row.get("source_id"),
                    aliases=tuple(row.get("aliases", ())),
                )
            )
        except (KeyError, TypeError, ValueError) as e:
            raise DataError(f"bad item ({type(e).__name__}: {e})", path, lineno) from None
    return Catalog(items, genre_groups, path)


def _load_examples(path: Path, catalog: Catalog) -> list[Example]:
    n = len(catalog)
    rows = []
    for lineno, row in read_jsonl(path):
        history, target = row.get("history"), row.get("target")
        if not isinstance(history, list) or not history:
            raise DataError("history must be a non-empty list of item ids", path, lineno)
        for i in [*history, *([] if target is None else [target])]:
            if not isinstance(i, int) or not 0 <= i < n:
                raise DataError(f"item id {i!r} is not in the catalog (0..{n - 1})", path, lineno)
        rows.append(Example(tuple(history), target, row.get("user_id"), row.get("timestamp"), row.get("target_text")))
    return rows
