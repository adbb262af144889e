"""Turn a reader's output into a prepared dataset: k-core, chronological windows, global split,
seeded subsampling, popularity, statistics (SPREC.md section 1)."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict

import numpy as np

from sprec.config.sections import PrepareSettings
from sprec.data.dataset import SPLITS, Catalog, Dataset, Example, Item
from sprec.data.sources import RawLog, SplitData, disambiguated, title_problem
from sprec.errors import ConfigError, DataError


def _sort_key(source_id: str):
    return (0, int(source_id), "") if source_id.isdigit() else (1, 0, source_id)


def _canonical_items(log: RawLog, s: PrepareSettings, drops: Counter) -> tuple[dict[str, str], dict[str, str]]:
    """(source id -> the source id of the item keeping its title (the smallest id of a duplicate title), source
    id -> title). Items whose title is empty or web markup are left out (their interactions are then counted as
    item_not_in_catalog)."""
    first: dict[str, str] = {}
    canon, titles = {}, {}
    for it in sorted(log.items, key=lambda it: _sort_key(it.source_id)):
        if it.source_id in canon:
            drops["duplicate_item_id_row"] += 1
            continue
        problem = title_problem(it.title)
        if problem:
            drops[f"item_{problem}"] += 1
            continue
        title = it.title if s.merge_titles or it.title not in first else disambiguated(it.title, it.source_id)
        if title in first:
            drops["duplicate_title_merged"] += 1
        canon[it.source_id], titles[it.source_id] = first.setdefault(title, it.source_id), title
    return canon, titles


def k_core(users: np.ndarray, items: np.ndarray, k: int) -> np.ndarray:
    """Boolean mask of interactions kept by iterative k-core filtering on users and items."""
    keep = np.ones(len(users), dtype=bool)
    while True:
        u_count = np.bincount(users[keep], minlength=users.max() + 1)
        i_count = np.bincount(items[keep], minlength=items.max() + 1)
        new = keep & (u_count[users] >= k) & (i_count[items] >= k)
        if new.sum() == keep.sum():
            return keep
        keep = new


def _interactions(log: RawLog, s: PrepareSettings, canon: dict[str, str], drops: Counter):
    rows, seen = [], set()
    for n, (u, i, t, r) in enumerate(zip(log.users, log.item_ids, log.timestamps, log.ratings, strict=True)):
        if i not in canon:
            drops["item_not_in_catalog"] += 1
        elif s.min_rating is not None and r is not None and r < s.min_rating:
            drops["below_min_rating"] += 1
        elif (u, canon[i]) in seen:  # after merging duplicate titles a user may have both ids
            drops["repeat_interaction"] += 1
        else:
            seen.add((u, canon[i]))
            rows.append((u, canon[i], t, n))
    if not log.users:
        raise DataError(f"{log.source}: the ratings file holds no interaction (is it empty?)")
    if not rows:
        raise ConfigError(f"{log.source}: no interaction left after filtering ({dict(drops)})")
    return rows


def _windows(users, items, times, order, s: PrepareSettings, drops: Counter) -> list[Example]:
    """Per user, chronologically: every interaction after the first `min_history` is a target."""
    idx = np.lexsort((order, times, users))
    examples = []
    bounds = np.flatnonzero(users[idx][1:] != users[idx][:-1]) + 1
    for seq in np.split(idx, bounds):
        drops["short_history"] += min(len(seq), s.min_history)
        for j in range(s.min_history, len(seq)):
            hist = tuple(int(items[h]) for h in seq[max(0, j - s.history_len) : j])
            examples.append(Example(hist, int(items[seq[j]]), str(users[seq[j]]), int(times[seq[j]])))
    return examples


def prepare_log(name: str, log: RawLog, s: PrepareSettings) -> Dataset:
    drops: Counter = Counter()
    canon, titles = _canonical_items(log, s, drops)
    rows = _interactions(log, s, canon, drops)
    users = np.array([r[0] for r in rows])
    source_items = np.array([r[1] for r in rows])
    times = np.array([r[2] for r in rows], dtype=np.int64)
    order = np.array([r[3] for r in rows], dtype=np.int64)
    _, u_codes = np.unique(users, return_inverse=True)
    item_names, i_codes = np.unique(source_items, return_inverse=True)
    keep = k_core(u_codes, i_codes, s.k_core)
    drops["k_core"] += int((~keep).sum())
    if not keep.any():
        before = f"{len(keep)} interactions, {u_codes.max() + 1} users, {i_codes.max() + 1} items"
        raise DataError(f"{log.source}: the {s.k_core}-core filter removed everything ({before} before it); lower "
                        "prepare.k_core")  # fmt: skip

    kept = sorted(set(source_items[keep].tolist()), key=_sort_key)
    new_id = {sid: j for j, sid in enumerate(kept)}
    raw: dict = {}
    for it in log.items:  # a repeated item id: its first row wins whole (title, genres), as in _canonical_items
        raw.setdefault(it.source_id, it)
    aliases: dict[str, list[str]] = {}
    for sid, c in canon.items():
        if sid != c and c in new_id:
            aliases.setdefault(c, []).append(sid)
    catalog_items = [Item(new_id[sid], titles[sid], raw[sid].genres, 0, sid, tuple(aliases.get(sid, ())))
                     for sid in kept]  # fmt: skip
    item_ids = np.array([new_id.get(sid, -1) for sid in item_names.tolist()])[i_codes]
    tie_order = item_ids if s.ties == "item" else order
    examples = _windows(users[keep], item_ids[keep], times[keep], tie_order[keep], s, drops)
    examples.sort(key=lambda e: e.timestamp)  # stable: equal times keep user order
    groups = log.genre_groups or _frequent_genres(catalog_items)
    catalog = Catalog(catalog_items, [g for g in groups if any(g in it.genres for it in catalog_items)])
    stats = {"users": int(len(set(users[keep].tolist()))), "items": len(catalog), "interactions": int(keep.sum())}
    return _finish(name, log.source, log.item_noun, catalog, _chronological_split(examples, s.split),
                   s, drops, stats, log.notes)  # fmt: skip


def prepare_split(name: str, data: SplitData, s: PrepareSettings) -> Dataset:
    """Already-split sources keep their splits; only the optional subsample sizes apply."""
    users = {e.user_id for rows in data.splits.values() for e in rows if e.user_id is not None}
    n_rows = sum(len(rows) for rows in data.splits.values())
    stats = {"users": len(users) if users else None, "items": len(data.catalog), "interactions": n_rows}
    ds = _finish(name, data.source, data.item_noun, data.catalog, data.splits, s, data.drops, stats, data.notes)
    # k-core, windows and the split were the source's own: record only the settings that applied here
    applied = ("train_size", "valid_size", "test_size", "seed") + (("merge_titles",) if data.source == "d3-csv" else ())
    ds.meta["settings"] = {k: v for k, v in ds.meta["settings"].items() if k in applied}
    return ds


def _frequent_genres(items: list[Item], n: int = 10) -> list[str]:
    counts = Counter(g for it in items for g in it.genres)
    return [g for g, _ in counts.most_common(n)]


def _chronological_split(examples: list[Example], fractions) -> dict[str, list[Example]]:
    n = len(examples)
    a = int(round(n * fractions[0]))
    b = int(round(n * (fractions[0] + fractions[1])))
    return {"train": examples[:a], "valid": examples[a:b], "test": examples[b:]}


def subsample(rows: list[Example], size: int | None, seed: int) -> list[Example]:
    """A fixed seeded subset, kept in its original (chronological) order."""
    if size is None or size >= len(rows):
        return list(rows)
    pick = np.sort(np.random.default_rng(seed).choice(len(rows), size=size, replace=False))
    return [rows[i] for i in pick]


def _finish(name, source, noun, catalog: Catalog, splits, s: PrepareSettings, drops, stats, notes) -> Dataset:
    popularity = np.zeros(len(catalog), dtype=np.int64)
    for e in splits["train"]:
        popularity[e.target] += 1  # training popularity: how often an item is the next item in train
    before = {k: len(v) for k, v in splits.items()}
    sizes = {"train": s.train_size, "valid": s.valid_size, "test": s.test_size}
    splits = {k: subsample(splits[k], sizes[k], s.seed + j) for j, k in enumerate(SPLITS)}
    lengths = [len(e.history) for rows in splits.values() for e in rows]
    if not splits["train"] or not splits["test"]:
        empty = [k for k in ("train", "test") if not splits[k]]
        raise DataError(f"{source}: no {' and no '.join(empty)} example left (rows dropped: {dict(drops)}); each "
                        f"example needs a history of {s.min_history} items or more (prepare.min_history)")  # fmt: skip
    stats = {
        **stats,
        "examples_per_split_before_subsampling": before,
        "examples_per_split": {k: len(v) for k, v in splits.items()},
        "distinct_targets_per_split": {k: len({e.target for e in v} - {None}) for k, v in splits.items()},
        "history_length": {"min": min(lengths), "mean": round(float(np.mean(lengths)), 3), "max": max(lengths)},
        "items_with_training_popularity": int((popularity > 0).sum()),
        "dropped": dict(sorted(drops.items())),
        "title_merges": merge_report(catalog, splits["test"]),
    }
    warnings = merge_warnings(stats["title_merges"])
    meta = {"source": source, "item_noun": noun, "settings": asdict(s), "stats": stats, "notes": notes,
            "warnings": warnings}  # fmt: skip
    return Dataset(name, catalog.with_popularity(popularity), splits, meta)


MERGE_WARNING_SHARE = 0.02  # merged items holding this share of the test targets or more get a warning


def merge_report(catalog: Catalog, test: list[Example], n: int = 5) -> dict:
    """How many items hold several source ids merged by title, the largest merges, and the share of test
    targets that merged items hold (a title such as "Greatest Hits" can stand for dozens of albums)."""
    merged = [it for it in catalog.items if it.aliases]
    targets = Counter(e.target for e in test if e.target is not None)
    total = max(sum(targets.values()), 1)
    largest = sorted(merged, key=lambda it: (-len(it.aliases), it.id))[:n]
    return {"items_merged": len(merged), "ids_merged": sum(len(it.aliases) + 1 for it in merged),
            "test_target_share": round(sum(targets[it.id] for it in merged) / total, 4),
            "largest": [{"title": it.title, "ids": len(it.aliases) + 1, "test_target_share":
                         round(targets[it.id] / total, 4)} for it in largest]}  # fmt: skip


def merge_warnings(report: dict) -> list[str]:
    if report["test_target_share"] < MERGE_WARNING_SHARE:
        return []
    top = "; ".join(f"{m['title'][:40]!r}: {m['ids']} ids, {m['test_target_share']:.1%} of test targets"
                    for m in report["largest"][:3])  # fmt: skip
    return [f"WARNING: {report['items_merged']} items merge {report['ids_merged']} ids of the same title and are "
            f"{report['test_target_share']:.1%} of the test targets (largest: {top}); check that one title is one "
            "item, or set prepare.merge_titles: false"]
