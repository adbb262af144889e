"""Where a run keeps what: the run folder's parts that more than one stage or analysis reads."""

from __future__ import annotations

from pathlib import Path

from sprec.baselines.scorers import Scorer, classical_scorer
from sprec.config import RunConfig
from sprec.data.dataset import Dataset


def run_scorer(method: str, ds: Dataset, cfg: RunConfig, run_dir: str | Path) -> Scorer:
    """A run's classical model as a scorer, with the run's own settings: SASRec trained into (and then loaded
    from) run_dir/models/sasrec, validated in the run's first history mode."""
    settings = {"sasrec": cfg.sasrec, "itemknn": cfg.itemknn}.get(method)
    return classical_scorer(method, ds, settings, Path(run_dir) / "models" / method, cfg.eval.modes[0])
