"""The classical methods as scorers: fit (or load) once, then score every catalog item for any rows. Their
top-K lists are the baseline rows of a run; their top-N candidates feed the two-stage system."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from sprec.config import ItemKNNSettings, SASRecSettings
from sprec.data.dataset import Dataset, Example

Scorer = Callable[[list[Example]], np.ndarray]  # rows -> (N, n_items) scores, higher is better


def classical_scorer(method: str, ds: Dataset, settings: SASRecSettings | ItemKNNSettings | None = None,
                     model_dir: str | Path | None = None, valid_excluding: bool = False) -> Scorer:  # fmt: skip
    """popularity (training-target counts), sasrec (trained once into `model_dir` with its `settings`, then
    loaded; validated with history excluded when `valid_excluding`) or itemknn (fitted in seconds)."""
    if method == "popularity":
        pop = ds.catalog.popularity.astype(np.float64)
        return lambda rows: np.broadcast_to(pop, (len(rows), len(pop)))
    if method == "sasrec":
        from sprec.baselines.sasrec import score_sasrec, train_sasrec

        if model_dir is None:
            raise ValueError("SASRec needs a model_dir to train into (or load from)")
        model = train_sasrec(ds, settings or SASRecSettings(), Path(model_dir), valid_excluding=valid_excluding)
        return lambda rows: score_sasrec(model, rows)
    if method == "itemknn":
        from sprec.baselines.itemknn import ItemKNN

        return ItemKNN.fit(ds.splits["train"], len(ds.catalog), settings or ItemKNNSettings()).score_matrix
    raise ValueError(f"{method!r} is not a classical method")
