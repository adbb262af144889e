"""A retriever's candidates: each row's top-N item ids and their scores (what the two-stage system ranks)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sprec.io import write_npz
from sprec.ranking.topk import top_k


@dataclass
class Candidates:
    ids: np.ndarray  # (N, C) item ids in the retriever's order, best first
    scores: np.ndarray  # (N, C) the retriever's scores of those items (higher is better)

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
