"""From scores over the catalog to top-K item lists (the paper grounds a generated title to its K nearest
catalog titles by L2 distance; SPREC.md section 3)."""

from __future__ import annotations

import numpy as np


def nearest_items(distances: np.ndarray, k: int, exclude: list[list[int]] | None = None) -> np.ndarray:
    """(N, k) ids of the k smallest distances per row, nearest first, ties to the smaller id: exactly the
    first k columns of a stable argsort, without sorting the catalog. Optionally never `exclude[row]`'s ids."""
    d = np.array(distances, dtype=np.float64, copy=exclude is not None)
    if exclude is not None:
        for row, ids in enumerate(exclude):
            d[row, list(ids)] = np.inf
    if k >= d.shape[1]:
        return np.argsort(d, axis=1, kind="stable")[:, :k]
    part = np.argpartition(d, k - 1, axis=1)[:, :k]
    values = np.take_along_axis(d, part, axis=1)
    out = np.take_along_axis(part, np.lexsort((part, values), axis=1), axis=1)
    # a tie at the k-th value could keep an equal item with a larger id: redo those rows with a stable sort
    ties = np.flatnonzero((d <= values.max(axis=1, keepdims=True)).sum(axis=1) > k)
    if len(ties):
        out[ties] = np.argsort(d[ties], axis=1, kind="stable")[:, :k]
    return out
