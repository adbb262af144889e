"""`sprec recommend --hybrid`: a finished run's two-stage system for any rows or a new user's history: the run's
retriever proposes its candidates, the given model scores them, and the two are fused with the LLM score variant
and the weight the run chose on its validation split (predictions/RETRIEVER-MODEL.json)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sprec.config import RunConfig, from_dict
from sprec.data.dataset import Dataset, Example
from sprec.errors import DataError
from sprec.experiment.pool import candidate_source
from sprec.io import read_json
from sprec.llm.model import load_model
from sprec.llm.prompts import Prompter
from sprec.llm.scoring import candidate_logps, prior_logps
from sprec.names import hybrid_stem, llm_score_variant, model_dir, row_of_model_dir
from sprec.ranking.fusion import fuse_scored, llm_scores, per_candidate
from sprec.train.sft import trained_model_info


def run_folder_of(model_dir: str | Path) -> Path:
    """The `sprec run` folder a model folder (RUN/models/...) lies in."""
    run_dir = next((d for d in (Path(model_dir), *Path(model_dir).resolve().parents) if (d / "run.json").exists()),
                   None)  # fmt: skip
    if run_dir is None:
        raise DataError("--hybrid needs a model folder inside a `sprec run` folder (RUN/models/...)", model_dir)
    return run_dir


def run_config(run_dir: Path) -> RunConfig:
    return from_dict(RunConfig, read_json(run_dir / "run.json")["config"], str(run_dir / "run.json"))


def hybrid_choice(run_dir: Path, cfg: RunConfig, name: str) -> dict:
    """What the run chose for the two-stage row of model `name` (its predictions file: weight, LLM score)."""
    chosen = run_dir / "predictions" / f"{hybrid_stem(cfg.hybrid.pool, name)}.json"
    if not chosen.exists():
        if "hybrid" in cfg.methods and cfg.hybrid.models is not None and name not in cfg.hybrid.models:
            raise DataError(f"the run's hybrid.models {cfg.hybrid.models} leaves out {name!r}: add it there and rerun "
                            "the run", chosen)  # fmt: skip
        raise DataError(f"the run has no hybrid row for {name!r}; add `hybrid` to its methods and rerun", chosen)
    return read_json(chosen)


class CandidateSources:
    """A run's retriever (or pool) candidates for any rows, in either history mode, each source built once."""

    def __init__(self, ds: Dataset, cfg: RunConfig, run_dir: Path):
        self.ds, self.cfg, self.run_dir, self._by_mode = ds, cfg, run_dir, {}

    def __call__(self, rows: list[Example], exclude_history: bool):
        if exclude_history not in self._by_mode:
            self._by_mode[exclude_history] = candidate_source(self.ds, self.cfg, self.run_dir, exclude_history)
        return self._by_mode[exclude_history](rows)


class TwoStageRanker:
    """A finished run's two-stage system for one of its LLM models, loaded once (data, retrievers, LLM), then
    asked for any rows: the retriever (or pool) proposes candidates, the LLM scores them, and the two are fused
    with the LLM score variant and the weight the run chose on its validation split."""

    def __init__(self, model_dir: str | Path, ds: Dataset | None = None, sources: CandidateSources | None = None):
        """`ds` and `sources` may be shared by several rankers of one run."""
        model_cfg, adapter, _ = trained_model_info(model_dir)
        self.run_dir = run_folder_of(model_dir)
        self.cfg = run_config(self.run_dir)
        self.name = row_of_model_dir(model_dir, self.run_dir / "models")
        meta = hybrid_choice(self.run_dir, self.cfg, self.name)
        self.ds = ds or Dataset.load(self.run_dir / "data")
        self.sources = sources or CandidateSources(self.ds, self.cfg, self.run_dir)
        self.model, tok = load_model(model_cfg, adapter)
        self.prompter = Prompter.for_run(tok, self.ds, model_cfg)
        self.variant, self.weight = meta.get("llm_score", "sum"), meta["weight"]
        self._prior: dict[int, float] = {}  # item -> its prior log-probability (calibrated variants)
        self.prior_of = meta.get("prior_of", self.name)  # whose prior the run subtracted (hybrid.prior)
        self._prior_scorer = None if self.prior_of != self.name else (self.model, self.prompter)
        self.used = {"retriever": self.cfg.hybrid.pool, "weight": self.weight, "llm_score": self.variant}

    def _priors(self, items: np.ndarray) -> np.ndarray:
        """prior_logps of `items`, each item's computed once per ranker: it does not depend on the rows, and a
        served ranker is asked about the same popular candidates request after request."""
        missing = np.array([i for i in items.tolist() if i not in self._prior], dtype=np.int64)
        if len(missing):
            if self._prior_scorer is None:  # a self-play model's row: the prior of the model it started from
                model_cfg, adapter, _ = trained_model_info(model_dir(self.run_dir / "models", self.prior_of))
                model, tok = load_model(model_cfg, adapter)
                self._prior_scorer = model, Prompter.for_run(tok, self.ds, model_cfg)
            logps = prior_logps(*self._prior_scorer, missing)
            self._prior.update(zip(missing.tolist(), logps.tolist(), strict=True))
        return np.array([self._prior[i] for i in items.tolist()])

    def rank(self, rows: list[Example], k: int, exclude_history: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(N, k) item ids, best first, and their fused scores."""
        cands = self.sources(rows, exclude_history)
        logps, lengths = candidate_logps(self.model, self.prompter, rows, cands.ids)
        per_token, calibrated = llm_score_variant(self.variant)
        prior = None
        if calibrated:
            items = np.unique(cands.ids)
            prior = per_candidate(items, self._priors(items), cands.ids)
        ids, fused = fuse_scored(cands, llm_scores(logps, lengths, per_token, prior), self.weight)
        return ids[:, :k], fused[:, :k]


def hybrid_recommend(model_dir: str | Path, rows: list[Example], k: int, exclude_history: bool = True,
                     on_prompter=None):  # fmt: skip
    """(N, k) item ids of the run's hybrid for `rows`, and the settings used (retriever, weight, LLM score).
    `on_prompter(prompter, history)`, when given, is called with the first row's history once the prompter exists
    (the CLI says there how much of a long history the prompt holds)."""
    ranker = TwoStageRanker(model_dir)
    if on_prompter is not None and rows:
        on_prompter(ranker.prompter, list(rows[0].history))
    return ranker.rank(rows, k, exclude_history)[0], ranker.used
