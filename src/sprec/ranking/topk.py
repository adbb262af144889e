"""The k best items of each row of a score matrix: every list in sprec is cut from scores this way."""

from __future__ import annotations

import numpy as np


def top_k(scores: np.ndarray, k: int, exclude: list[list[int]] | None = None) -> np.ndarray:
    """(N, k) ids of the k highest scores per row, best first, ties to the smaller id: exactly the first k
    columns of a stable argsort of -scores, without sorting the catalog. Optionally never `exclude[row]`'s ids
    (a distance is ranked by its negation: top_k(-distances) are the nearest items)."""
    d = -np.asarray(scores, dtype=np.float64)  # smallest first from here on
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
