"""Most popular training items: the same ranked list for every row (optionally minus its history)."""

from __future__ import annotations

import numpy as np

from sprec.data.dataset import Catalog, Example
from sprec.errors import DataError


def popularity_ranking(catalog: Catalog) -> np.ndarray:
    """Item ids by training popularity, most popular first; ties by id (stable, so deterministic)."""
    return np.argsort(-catalog.popularity, kind="stable")


def recommend_popular(catalog: Catalog, examples: list[Example], k: int, exclude_history: bool = False):
    """Top-k popular items per row; with exclude_history, items in the row's own history are skipped."""
    if k > len(catalog):
        raise DataError(f"K = {k} is larger than the catalog ({len(catalog)} items)")
    ranking = popularity_ranking(catalog)
    if not exclude_history:
        top = ranking[:k].tolist()
        return [list(top) for _ in examples]
    out = []
    for e in examples:
        seen = set(e.history)
        head = ranking[: k + len(seen)]  # enough to fill k after removing the history
        row = [int(i) for i in head if int(i) not in seen][:k]
        if len(row) < k:
            raise DataError(f"only {len(row)} items left after excluding the history; lower K")
        out.append(row)
    return out
