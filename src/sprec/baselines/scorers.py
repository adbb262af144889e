"""The classical methods as scorers: fit (or load) once, then score every catalog item for any rows. Their
top-K lists are the baseline rows of a run; their top-N candidates feed the hybrid (sprec.ranking.fusion)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from sprec.config import RunConfig
from sprec.data.dataset import Dataset, Example

Scorer = Callable[[list[Example]], np.ndarray]  # rows -> (N, n_items) scores, higher is better


def classical_scorer(method: str, ds: Dataset, cfg: RunConfig, run_dir: Path) -> Scorer:
    """popularity (training-target counts), sasrec (trained once into run_dir/models/sasrec, then loaded) or
    itemknn (fitted in seconds)."""
    if method == "popularity":
        pop = ds.catalog.popularity.astype(np.float64)
        return lambda rows: np.broadcast_to(pop, (len(rows), len(pop)))
    if method == "sasrec":
        from sprec.baselines.sasrec import score_sasrec, train_sasrec

        model = train_sasrec(ds, cfg.sasrec, Path(run_dir) / "models" / "sasrec", valid_excluding=cfg.eval.modes[0])
        return lambda rows: score_sasrec(model, rows)
    if method == "itemknn":
        from sprec.baselines.itemknn import ItemKNN

        return ItemKNN.fit(ds.splits["train"], len(ds.catalog), cfg.itemknn).score_matrix
    raise ValueError(f"{method!r} is not a classical method")
