"""A finished run's recommenders, loaded once and asked for any history: its classical rows (popularity,
item-kNN, SASRec, the retrievers' pool) and its two-stage rows (the pool's candidates ranked with an LLM model
at the weight the run chose). The generate-then-ground LLM rows are not served: one list takes a beam search of
several seconds on a CPU; `sprec recommend --model` answers those."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sprec.analysis.two_stage import CandidateSources, TwoStageRanker, run_config
from sprec.config import CLASSICAL
from sprec.data.dataset import Dataset, Example
from sprec.data.titles import latest_histories
from sprec.errors import DataError
from sprec.experiment.layout import run_scorer
from sprec.io import read_json
from sprec.names import hybrid_parts, model_dir
from sprec.ranking.topk import top_k


@dataclass(frozen=True)
class Recommended:
    item: int
    score: float


def finished_models(run_dir: Path) -> dict[str, str]:
    """{row: "classical" | "two-stage"} of the rows a run finished that can be served (their predictions file
    exists, and for a two-stage row its LLM model folder)."""
    cfg = run_config(run_dir)
    found = {}
    for path in sorted((run_dir / "predictions").glob("*.json")):
        method = read_json(path).get("method", "")
        parts = hybrid_parts(method)
        if parts and parts[0] == cfg.hybrid.pool and model_dir(run_dir / "models", parts[1]).is_dir():
            found[method] = "two-stage"
        elif method in CLASSICAL or method == cfg.hybrid.pool and len(cfg.hybrid.retrievers) > 1:
            found[method] = "classical"
    return dict(sorted(found.items(), key=lambda kv: (kv[1] != "classical", kv[0])))


class RunSystem:
    """The run's servable rows (all, or those named), each loaded once."""

    def __init__(self, run_dir: str | Path, models: list[str] | None = None):
        self.run_dir = Path(run_dir).resolve()
        if not (self.run_dir / "run.json").is_file():
            raise DataError("not a `sprec run` folder (no run.json): give the folder a run wrote", self.run_dir)
        self.cfg = run_config(self.run_dir)
        self.ds = Dataset.load(self.run_dir / "data")
        available = finished_models(self.run_dir)
        if not available:
            raise DataError("the run has no finished model to serve (no predictions/ file of a classical or "
                            "two-stage row): finish it with `sprec run`", self.run_dir)  # fmt: skip
        for name in models or []:
            if name not in available:
                raise DataError(self._not_served(name, available), self.run_dir)
        self.kinds = {m: available[m] for m in (models or available)}
        self._sources = CandidateSources(self.ds, self.cfg, self.run_dir)
        self._scorers = {m: run_scorer(m, self.ds, self.cfg, self.run_dir)
                         for m in self.kinds if m in CLASSICAL}  # fmt: skip
        models_dir = self.run_dir / "models"
        self._rankers = {m: TwoStageRanker(model_dir(models_dir, hybrid_parts(m)[1]), self.ds, self._sources)
                         for m, kind in self.kinds.items() if kind == "two-stage"}  # fmt: skip
        pop = self.ds.catalog.popularity
        # share of the catalog at or below each item's training popularity, in percent
        self.popularity_percentile = 100.0 * np.searchsorted(np.sort(pop), pop, side="right") / len(pop)

    def _not_served(self, name: str, available: dict[str, str]) -> str:
        folder = model_dir(self.run_dir / "models", name)
        if hybrid_parts(name) is None and name not in CLASSICAL and folder.is_dir():
            ranked = [m for m in available if hybrid_parts(m) and hybrid_parts(m)[1] == name]
            return (f"model {name!r} generates titles (a beam search of seconds per list): not served; "
                    + (f"serve its two-stage row {ranked[0]!r}, or " if ranked else "")
                    + f"use `sprec recommend --model {folder}`")  # fmt: skip
        return f"model {name!r} is not finished in this run; finished: {', '.join(available)}"

    @functools.cached_property
    def latest(self) -> dict[str, tuple[list[int], int | None]]:
        """Each user's latest history in the prepared data (computed once: a pass over every split)."""
        return latest_histories(self.ds)

    @property
    def models(self) -> list[str]:
        return list(self.kinds)

    def recommend(self, histories: list[list[int]], k: int, model: str,
                  exclude_history: bool = True) -> list[list[Recommended]]:  # fmt: skip
        """Each history's top-k of `model`, best first, with the model's score of each item."""
        if model not in self.kinds:
            raise DataError(f"model {model!r} is not served; served: {', '.join(self.kinds)}", self.run_dir)
        if not 1 <= k <= len(self.ds.catalog):
            raise DataError(f"k {k}: a list holds 1 to {len(self.ds.catalog)} items", self.run_dir)
        rows = [Example(tuple(h), None) for h in histories]
        if model in self._rankers:
            ids, scores = self._rankers[model].rank(rows, k, exclude_history)
        elif model in self._scorers:
            all_scores = np.asarray(self._scorers[model](rows), dtype=np.float64)
            ids = top_k(all_scores, k, [list(h) for h in histories] if exclude_history else None)
            scores = np.take_along_axis(all_scores, ids, axis=1)
        else:  # the pool of retrievers: its candidates in the mixed score's order
            cands = self._sources(rows, exclude_history)
            ids, scores = cands.ids[:, :k], cands.scores[:, :k]
        pairs = zip(ids, scores, strict=True)
        return [[Recommended(int(i), float(s)) for i, s in zip(r, sc, strict=True)] for r, sc in pairs]
