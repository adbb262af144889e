"""Recommendation metrics as formulas on arrays (definitions: shared/docs/METRICS.md).

Notation: `topk` is an (N, K) int array of item ids, best first; `targets` an (N,) int array with -1 where
the target is not in the catalog; U = rows with a target in the catalog. HR and NDCG divide by N; the list
metrics (DivRatio, ORRatio, genre metrics, coverage, Gini, novelty, ILD) are computed over the lists of U.
"""

from __future__ import annotations

import numpy as np


def hit_positions(topk: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """0-based position of each row's target in its list, -1 when absent (or the target is unknown)."""
    match = (topk == targets[:, None]) & (targets[:, None] >= 0)
    return np.where(match.any(axis=1), match.argmax(axis=1), -1)


def hit_ratio(positions: np.ndarray, k: int) -> float:
    """HR@K = (1/N) #{u in U : rank_u < K}."""
    return float(((positions >= 0) & (positions < k)).sum() / len(positions))


def ndcg(positions: np.ndarray, k: int) -> float:
    """NDCG@K = (1/N) sum_{u in U, rank_u < K} 1/log2(rank_u + 2); one relevant item, so IDCG = 1."""
    hit = (positions >= 0) & (positions < k)
    return float((1.0 / np.log2(positions[hit] + 2)).sum() / len(positions))


def exposure(lists: np.ndarray, n_items: int) -> np.ndarray:
    """How often each catalog item appears in the lists."""
    return np.bincount(lists.ravel(), minlength=n_items)


def div_ratio(lists: np.ndarray, n_items: int) -> float:
    """DivRatio@K = #distinct items over all lists / (K |U|)."""
    return float(np.count_nonzero(exposure(lists, n_items)) / lists.size)


def or_ratio(lists: np.ndarray, n_items: int) -> float:
    """ORRatio@K = (counts of the 3 most recommended items) / (K |U|); always the top 3."""
    return float(np.sort(exposure(lists, n_items))[-3:].sum() / lists.size)


def genre_distribution(item_counts: np.ndarray, genre_weights: np.ndarray) -> np.ndarray:
    """Each item occurrence adds 1/|S| to each genre group of S = genres(i) ∩ G; normalised to sum 1."""
    mass = item_counts @ genre_weights
    total = mass.sum()
    return mass / total if total > 0 else mass


def mgu(gp: np.ndarray, gh: np.ndarray) -> float:
    """MGU@K = (1/|G|) sum_g |GP_g - GH_g|."""
    return float(np.abs(gp - gh).mean())


def dgu(gp: np.ndarray, gh: np.ndarray) -> float:
    """DGU@K = max_g (GP_g - GH_g) - min_g (GP_g - GH_g)."""
    d = gp - gh
    return float(d.max() - d.min())


def coverage(lists: np.ndarray, n_items: int) -> float:
    """Share of the catalog recommended at least once."""
    return float(np.count_nonzero(exposure(lists, n_items)) / n_items)


def gini(counts: np.ndarray) -> float:
    """Gini coefficient of exposure over all catalog items (0: equal exposure, ->1: all on one item)."""
    x = np.sort(np.asarray(counts, dtype=float))
    n, total = len(x), x.sum()
    if total == 0:
        return 0.0
    return float(((2 * np.arange(1, n + 1) - n - 1) * x).sum() / (n * total))


def novelty(lists: np.ndarray, popularity: np.ndarray) -> float:
    """Mean -log2 of the recommended items' training popularity share, add-one smoothed so that items
    never seen in training have a finite share: (pop + 1) / (sum(pop) + n_items)."""
    share = (popularity + 1.0) / (popularity.sum() + len(popularity))
    return float(-np.log2(share[lists]).mean())


def intra_list_diversity(lists: np.ndarray, genre_sets: np.ndarray) -> float | None:
    """Mean over lists of the mean pairwise Jaccard distance between item genre sets (None for K = 1).
    genre_sets: (n_items, n_genres) 0/1 matrix over every genre label."""
    k = lists.shape[1]
    if k < 2:
        return None
    g = genre_sets[lists].astype(np.float32)  # (U, K, n_genres)
    inter = g @ g.transpose(0, 2, 1)  # (U, K, K) shared genres
    size = g.sum(axis=2)
    union = size[:, :, None] + size[:, None, :] - inter
    dist = np.where(union > 0, 1.0 - inter / np.maximum(union, 1), 0.0)
    upper = np.triu_indices(k, 1)
    return float(dist[:, upper[0], upper[1]].mean())


def popularity_buckets(popularity: np.ndarray, head_share: float = 0.2, cold_below: int = 5) -> dict[str, np.ndarray]:
    """Boolean item masks by training popularity: head = the most popular items (ties: smaller id first), taken
    until together they hold `head_share` of the training interactions; tail = every other item; cold = the
    tail items with fewer than `cold_below` interactions (a part of the tail)."""
    pop = np.asarray(popularity, dtype=np.int64)
    order = np.lexsort((np.arange(len(pop)), -pop))
    held = np.cumsum(pop[order])
    n_head = int(np.searchsorted(held, head_share * held[-1])) + 1 if len(pop) and held[-1] > 0 else 0
    head = np.zeros(len(pop), dtype=bool)
    head[order[:n_head]] = True
    return {"head": head, "tail": ~head, "cold": ~head & (pop < cold_below)}


def bucket_accuracy(positions: np.ndarray, targets: np.ndarray, buckets: dict[str, np.ndarray],
                    k: int) -> dict[str, float | int | None]:  # fmt: skip
    """HR@K and NDCG@K over the rows whose target is in each bucket (`rows_<bucket>` of them; None for a bucket
    no row falls in): keys HR_head, NDCG_head, rows_head, ..."""
    out: dict[str, float | int | None] = {}
    known = targets >= 0
    for name, mask in buckets.items():
        rows = known & mask[np.where(known, targets, 0)]
        out[f"rows_{name}"] = int(rows.sum())
        out[f"HR_{name}"] = hit_ratio(positions[rows], k) if rows.any() else None
        out[f"NDCG_{name}"] = ndcg(positions[rows], k) if rows.any() else None
    return out
