"""Evaluate top-K predictions against a dataset's test rows: the six paper metrics plus coverage,
Gini of exposure, novelty and intra-list diversity."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sprec.config import EvalConfig
from sprec.data.dataset import Catalog, Example
from sprec.errors import DataError
from sprec.evaluation import metrics as M
from sprec.io import read_json, write_json

PAPER_METRICS = ("HR", "NDCG", "DivRatio", "ORRatio", "MGU", "DGU")
# the diversity / fairness measures set against NDCG (frontier, seeds plot), and which way is better
DIVERSITY_MEASURES = {"DivRatio": "higher", "ORRatio": "lower", "MGU": "lower"}
EXTRA_METRICS = ("Coverage", "Gini", "Novelty", "ILD")
# accuracy by the target's training popularity (metrics.popularity_buckets): head, tail and cold targets
BUCKETS = ("head", "tail", "cold")
BUCKET_METRICS = tuple(f"{m}_{b}" for b in BUCKETS for m in ("HR", "NDCG", "rows"))
# raised whenever what evaluate_topk computes changes, so metrics an older sprec cached are computed again
EVALUATION_VERSION = 2  # 2: accuracy by popularity bucket


HISTORY_MODES = {False: "history allowed", True: "history excluded"}  # eval.exclude_history -> report label


@dataclass
class Predictions:
    topk: list[list[int]]  # per test row, catalog item ids, best first
    # method, dataset, split; exclude_history: the mode the lists were made in; history_filterable: the lists
    # are rankings long enough (K + history length) to drop the history afterwards
    meta: dict


def save_predictions(path: str | Path, topk, **meta) -> Path:
    """Lists of catalog ids (ints), or of the raw data's own ids (strings, with meta ids="source")."""
    return write_json(path, {**meta, "topk": [[i if isinstance(i, str) else int(i) for i in row] for row in topk]})


def as_source_ids(topk, catalog: Catalog) -> list[list[str]]:
    """Lists of catalog ids in the raw data's own item ids (what a system outside sprec knows them by)."""
    return [[catalog.items[int(i)].source_id for i in row] for row in topk]


def load_predictions(path: str | Path) -> Predictions:
    obj = read_json(path)
    topk = obj.get("topk") if isinstance(obj, dict) else obj
    if not isinstance(topk, list):
        raise DataError("expected a JSON list of ranked id lists (or an object with a 'topk' list)", path)
    meta = {k: v for k, v in obj.items() if k != "topk"} if isinstance(obj, dict) else {}
    return Predictions(topk, meta)


def check_made_for(preds: Predictions, dataset: str, split: str, path) -> None:
    """Predictions whose file names another dataset or split (when it names one) are refused."""
    for key, mine in (("dataset", dataset), ("split", split)):
        theirs = preds.meta.get(key)
        if theirs is not None and theirs != mine:
            raise DataError(f"holds predictions for {key} {theirs!r}, not {mine!r}; evaluate them against their "
                            f"own {key}", path)  # fmt: skip


def id_map_for(preds: Predictions, catalog: Catalog, path):
    """How a predictions file's ids read: the prepared catalog's (items.jsonl, the default) or, with
    `"ids": "source"`, the raw data's own item ids (merged duplicates' ids included), for lists made by a system
    that never saw the prepared ids. An id outside the prepared catalog stays an error naming the row."""
    kind = preds.meta.get("ids", "catalog")
    if kind == "catalog":
        return None
    if kind != "source":
        raise DataError(f'"ids" must be "catalog" (ids of the prepared items.jsonl) or "source" (the raw data\'s '
                        f"item ids), got {kind!r}", path)  # fmt: skip
    return catalog.id_of_source


def catalog_lists(preds: Predictions, catalog: Catalog, n_rows: int, k: int, path) -> list[list[int]]:
    """A file's lists in catalog ids, checked (one per row, at least K, known ids, no repeats; errors name the
    row) and kept whole up to the shortest row's length: a long ranking can still drop the history later."""
    rows = preds.topk
    width = min((len(r) for r in rows if isinstance(r, list)), default=0)
    return check_topk(rows, n_rows, len(catalog), max(k, width), path, id_map_for(preds, catalog, path)).tolist()


def list_length(ev: EvalConfig, test: list[Example], n_items: int) -> int:
    """Length of the lists a run stores: the largest K, plus the longest test history when both history modes
    are evaluated (the lists are then made with the history allowed and filtered afterwards); at most the
    catalog."""
    extra = max((len(e.history) for e in test), default=0) if len(ev.modes) > 1 else 0
    return min(max(ev.ks) + extra, n_items)


def prediction_meta(name: str, dataset: str, ev: EvalConfig, filterable: bool = True, **extra) -> dict:
    """What a predictions file records beside its lists (see Predictions.meta)."""
    return {"method": name, "dataset": dataset, "split": "test", "exclude_history": ev.generate_excluding,
            "history_filterable": filterable, **extra}  # fmt: skip


def without_history(topk: list[list[int]], examples: list[Example], k: int, path=None) -> list[list[int]]:
    """Each ranked list minus its row's own history items, cut to k: excluding the history after the fact,
    which equals excluding it while ranking for any method that scores items independently."""
    out = []
    for r, (row, e) in enumerate(zip(topk, examples, strict=True)):
        seen = set(e.history)
        kept = [i for i in row if i not in seen][:k]
        if len(kept) < k:
            raise DataError(f"{len(kept)} items left once the history is dropped; the list needs K + history "
                            f"length = {k + len(seen)} items", path, r + 1)  # fmt: skip
        out.append(kept)
    return out


def lists_for_mode(preds: Predictions, examples: list[Example], exclude_history: bool, k: int,
                   path=None) -> list[list[int]] | None:  # fmt: skip
    """The lists as evaluated with history items allowed or excluded; None when the file cannot give that
    mode (lists made with the history excluded, or trie-decoded lists, which are not rankings to filter)."""
    made_excluding = bool(preds.meta.get("exclude_history", False))
    if made_excluding == exclude_history:
        return preds.topk
    if exclude_history and preds.meta.get("history_filterable"):
        return without_history(preds.topk, examples, k, path)
    return None


def check_topk(topk: list, n_rows: int, n_items: int, k: int, path, id_map=None) -> np.ndarray:
    """Validate predictions (a list of lists, as in a predictions file, or the (N, >= k) array a recommender of
    the Python API returns) and return an (N, k) int array; errors name the file and the row."""
    if isinstance(topk, np.ndarray):
        topk = topk.tolist()
    if k > n_items:
        raise DataError(f"K = {k} is larger than the catalog ({n_items} items)", path)
    if len(topk) != n_rows:
        raise DataError(f"{len(topk)} prediction rows for {n_rows} test rows; they must match one to one", path)
    out = np.empty((n_rows, k), dtype=np.int64)
    for r, row in enumerate(topk):
        row = row.tolist() if isinstance(row, np.ndarray) else row
        if not isinstance(row, list | tuple) or len(row) < k:
            got = len(row) if isinstance(row, list | tuple) else type(row).__name__
            raise DataError(f"needs a list of at least K = {k} item ids, got {got}", path, r + 1)
        for j, i in enumerate(row[:k]):
            mapped = id_map(i) if id_map else i
            if not isinstance(mapped, int | np.integer) or isinstance(mapped, bool) or not 0 <= mapped < n_items:
                raise DataError(f"item id {i!r} is not in the catalog", path, r + 1)
            out[r, j] = mapped
    s = np.sort(out, axis=1)
    dup = np.flatnonzero((s[:, 1:] == s[:, :-1]).any(axis=1))
    if len(dup):
        raise DataError("a top-K list repeats an item", path, int(dup[0]) + 1)
    return out


def evaluate_topk(topk: np.ndarray, examples: list[Example], catalog: Catalog, ks: list[int]) -> dict[str, dict]:
    """Metrics for each K (as a string key), from an (N, max K) array of ranked item ids."""
    n_items = len(catalog)
    targets = np.fromiter((-1 if e.target is None else e.target for e in examples), np.int64, len(examples))
    history = np.fromiter(itertools.chain.from_iterable(e.history for e in examples), np.int64)
    gh = M.genre_distribution(np.bincount(history, minlength=n_items), catalog.genre_weights)
    positions = M.hit_positions(topk, targets)
    buckets = M.popularity_buckets(catalog.popularity)
    in_u = targets >= 0
    out = {}
    for k in ks:
        lists = topk[in_u, :k]
        counts = M.exposure(lists, n_items)
        gp = M.genre_distribution(counts, catalog.genre_weights)
        out[str(k)] = {
            "HR": M.hit_ratio(positions, k),
            "NDCG": M.ndcg(positions, k),
            "DivRatio": M.div_ratio(lists, n_items),
            "ORRatio": M.or_ratio(lists, n_items),
            "MGU": M.mgu(gp, gh),
            "DGU": M.dgu(gp, gh),
            "distinct_items": int(np.count_nonzero(counts)),
            "Coverage": M.coverage(lists, n_items),
            "Gini": M.gini(counts),
            "Novelty": M.novelty(lists, catalog.popularity),
            "ILD": M.intra_list_diversity(lists, catalog.genre_sets),
            **M.bucket_accuracy(positions, targets, buckets, k),
        }
    return out


def evaluate_predictions(examples: list[Example], catalog: Catalog, topk: list, ks: list[int],
                         path=None, id_map=None) -> dict[str, dict]:  # fmt: skip
    ks = sorted(set(ks))
    if not ks or ks[0] < 1:
        raise DataError(f"K must be a positive integer, got {ks}")
    arr = check_topk(topk, len(examples), len(catalog), ks[-1], path, id_map)
    return evaluate_topk(arr, examples, catalog, ks)


def format_table(results: dict[str, dict], title: str | None = None) -> str:
    """A markdown table: one row per K."""
    cols = [*PAPER_METRICS, *EXTRA_METRICS]
    lines = [f"### {title}", ""] if title else []
    lines += ["| K | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for k, m in results.items():
        cells = ["-" if m.get(c) is None else f"{m[c]:.4f}" for c in cols]
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def save_results(path: str | Path, results: dict[str, dict], inputs: dict | None = None) -> Path:
    """{K: metrics}, with `inputs` (what they were computed from, see cached_results) beside them when given."""
    return write_json(path, {**results, **({"inputs": inputs} if inputs else {})})


def load_results(path: str | Path) -> dict:
    """{K: metrics} of a results file."""
    return {k: v for k, v in read_json(path).items() if k != "inputs"}


def cached_results(path: Path, inputs: dict) -> dict | None:
    """The metrics stored at `path` if they were computed from exactly `inputs` (digests of the predictions
    and data files, the Ks, EVALUATION_VERSION), else None: metrics never outlive the files they came from."""
    if path.exists() and read_json(path).get("inputs") == inputs:
        return load_results(path)
    return None


def evaluate_sprec_files(test: str | Path, catalog_dir: str | Path, predictions: str | Path,
                         ks: list[int]) -> dict[str, dict]:  # fmt: skip
    """Evaluate SPRec-format inputs directly: prompt JSON test rows, SPRec's catalog folder, and a JSON list
    of ranked SPRec item ids per row (as the official code produces), with the same metric code path."""
    from sprec.data.sprec_json import read_sprec_catalog, read_sprec_examples

    catalog, _ = read_sprec_catalog(catalog_dir)
    examples, _, _ = read_sprec_examples(test, catalog, keep_unknown_target=True, strict=True)
    preds = load_predictions(predictions)

    def to_catalog_id(i):
        return catalog.id_of_source(str(i)) if isinstance(i, int) and not isinstance(i, bool) else None

    return evaluate_predictions(examples, catalog, preds.topk, ks, predictions, to_catalog_id)
