"""A retriever's candidates: each row's top-N item ids and their scores (what the two-stage system ranks), or a
pool of several retrievers' candidates with every retriever's score of each."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sprec.io import write_npz
from sprec.ranking.topk import top_k


@dataclass
class Candidates:
    ids: np.ndarray  # (N, C) item ids in the retriever's order, best first
    scores: np.ndarray  # (N, C) the retriever's scores of those items (higher is better); (N, C, R) for a pool

    @property
    def parts(self) -> np.ndarray:
        """(N, C, R): each retriever's scores (R = 1 for a single retriever)."""
        return self.scores if self.scores.ndim == 3 else self.scores[:, :, None]

    def save(self, path: str | Path) -> Path:
        return write_npz(path, ids=self.ids, scores=self.scores)

    @classmethod
    def load(cls, path: str | Path) -> Candidates:
        with np.load(path) as f:
            return cls(f["ids"], f["scores"])


def top_candidates(scores: np.ndarray, n: int, excluded: list[list[int]] | None = None) -> Candidates:
    """The n best items of each row of an (N, n_items) score matrix (ties: smaller id first), never an id of
    `excluded[row]` (n shrinks to what every row has left: top_k would fill a short row with them)."""
    if excluded:
        n = min(n, np.shape(scores)[1] - max(len(set(row)) for row in excluded))
    ids = top_k(scores, n, excluded)
    return Candidates(ids, np.take_along_axis(np.asarray(scores, dtype=np.float64), ids, axis=1))


def pooled_candidates(scores: list[np.ndarray], n: int, excluded: list[list[int]] | None = None) -> Candidates:
    """A pool of R retrievers' candidates from their (N, n_items) score matrices: taken in turns, each retriever
    adding its best item not yet in the pool, R * n items per row, so the pool holds every retriever's top-n (their
    union) and is filled from deeper in the rankings where they overlap. Scores (N, R * n, R): a retriever's own
    score of each candidate in its top R * n (all it could have proposed), its row minimum over those for the
    others: a retriever says nothing of items beyond (item-kNN's scores beyond its neighbours are zeros)."""
    own = [top_candidates(s, len(scores) * n, excluded) for s in scores]
    n_pool = min(len(scores) * n, own[0].ids.shape[1])
    ids = np.empty((len(own[0].ids), n_pool), dtype=np.int64)
    for row in range(len(ids)):
        pool: dict[int, None] = {}
        pointers = [0] * len(own)
        while len(pool) < n_pool:
            for r, c in enumerate(own):
                while pointers[r] < c.ids.shape[1] and int(c.ids[row, pointers[r]]) in pool:
                    pointers[r] += 1
                if pointers[r] < c.ids.shape[1] and len(pool) < n_pool:
                    pool[int(c.ids[row, pointers[r]])] = None
        ids[row] = list(pool)
    parts = np.empty(ids.shape + (len(scores),), dtype=np.float64)
    for r, c in enumerate(own):
        proposed, values = c.ids, c.scores
        floor = values.min(axis=1, keepdims=True)
        hit = ids[:, :, None] == proposed[:, None, :]  # (N, P, R * n)
        parts[:, :, r] = np.where(hit.any(axis=2), (hit * values[:, None, :]).sum(axis=2), floor)
    return Candidates(ids, parts)
