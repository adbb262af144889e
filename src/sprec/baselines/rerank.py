"""Diversity re-ranking of the SFT model's candidates (SPREC.md section 5): the classical answer to the
relevance / diversity trade-off, which SPRec has to beat. The candidates of a row are the `candidates`
catalog items nearest to the SFT model's generated title (the paper's embedding grounding) and their
relevance is minus that distance, rescaled to [0, 1] within the row.

- popularity-penalised: score = (1 - w) * relevance - w * log(1 + popularity) / log(1 + max popularity)
- MMR (maximal marginal relevance): picks greedily the candidate maximising
  (1 - w) * relevance - w * (largest cosine similarity to the items already picked).
"""

from __future__ import annotations

import numpy as np

from sprec.grounding import nearest_items


def relevance(distances: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Minus each candidate's distance, min-max scaled per row to [0, 1] (a row of equal distances: all 1)."""
    rel = -np.take_along_axis(np.asarray(distances, dtype=np.float64), candidates, axis=1)
    low, span = rel.min(1, keepdims=True), np.ptp(rel, axis=1, keepdims=True)
    return np.where(span > 0, (rel - low) / np.where(span > 0, span, 1.0), 1.0)


def popularity_penalised(distances: np.ndarray, popularity: np.ndarray, k: int, weight: float, candidates: int,
                         exclude: list[list[int]] | None = None) -> np.ndarray:  # fmt: skip
    """(N, k) item ids re-ranked by relevance minus a log-popularity penalty; ties keep the nearer item."""
    cand = nearest_items(distances, max(candidates, k), exclude)
    pop = np.log1p(np.asarray(popularity, dtype=np.float64))
    pop = pop / pop.max() if pop.max() > 0 else pop
    score = (1 - weight) * relevance(distances, cand) - weight * pop[cand]
    order = np.argsort(-score, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(cand, order, axis=1)


def mmr(distances: np.ndarray, item_vectors: np.ndarray, k: int, weight: float, candidates: int,
        exclude: list[list[int]] | None = None) -> np.ndarray:  # fmt: skip
    """(N, k) item ids chosen by maximal marginal relevance over cosine similarity of `item_vectors`."""
    cand = nearest_items(distances, max(candidates, k), exclude)
    rel = relevance(distances, cand)
    unit = item_vectors / np.maximum(np.linalg.norm(item_vectors, axis=1, keepdims=True), 1e-12)
    out = np.empty((len(cand), k), dtype=np.int64)
    for row, (ids, r) in enumerate(zip(cand, rel, strict=True)):
        sim = unit[ids] @ unit[ids].T
        closest = np.full(len(ids), -np.inf)  # largest similarity to a picked item (none picked yet)
        free = np.ones(len(ids), dtype=bool)
        for slot in range(k):
            redundancy = np.where(np.isfinite(closest), closest, 0.0)
            score = np.where(free, (1 - weight) * r - weight * redundancy, -np.inf)
            pick = int(np.argmax(score))  # first maximum: the nearer candidate wins a tie
            out[row, slot], free[pick] = ids[pick], False
            closest = np.maximum(closest, sim[pick])
    return out
