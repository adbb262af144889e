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
from sprec.names import hybrid_stem, llm_score_variant, row_of_model_dir
from sprec.ranking.fusion import fuse, llm_scores, per_candidate
from sprec.train.sft import trained_model_info


def hybrid_recommend(model_dir: str | Path, rows: list[Example], k: int, exclude_history: bool = True,
                     on_prompter=None):  # fmt: skip
    """(N, k) item ids of the run's hybrid for `rows`, and the settings used (retriever, weight, LLM score).
    `on_prompter(prompter, history)`, when given, is called with the first row's history once the prompter exists
    (the CLI says there how much of a long history the prompt holds)."""
    model_cfg, adapter, data_dir = trained_model_info(model_dir)
    run_dir = next((d for d in (Path(model_dir), *Path(model_dir).resolve().parents) if (d / "run.json").exists()),
                   None)  # fmt: skip
    if run_dir is None:
        raise DataError("--hybrid needs a model folder inside a `sprec run` folder (RUN/models/...)", model_dir)
    cfg = from_dict(RunConfig, read_json(run_dir / "run.json")["config"], str(run_dir / "run.json"))
    name = row_of_model_dir(model_dir, run_dir / "models")
    chosen = run_dir / "predictions" / f"{hybrid_stem(cfg.hybrid.pool, name)}.json"
    if not chosen.exists():
        if "hybrid" in cfg.methods and cfg.hybrid.models is not None and name not in cfg.hybrid.models:
            raise DataError(f"the run's hybrid.models {cfg.hybrid.models} leaves out {name!r}: add it there and rerun "
                            "the run", chosen)  # fmt: skip
        raise DataError(f"the run has no hybrid row for {name!r}; add `hybrid` to its methods and rerun", chosen)
    meta = read_json(chosen)
    ds = Dataset.load(run_dir / "data")
    cands = candidate_source(ds, cfg, run_dir, exclude_history)(rows)
    model, tok = load_model(model_cfg, adapter)
    prompter = Prompter.for_run(tok, ds, model_cfg)
    if on_prompter is not None and rows:
        on_prompter(prompter, list(rows[0].history))
    logps, lengths = candidate_logps(model, prompter, rows, cands.ids)
    variant = meta.get("llm_score", "sum")
    per_token, calibrated = llm_score_variant(variant)
    prior = None
    if calibrated:
        items = np.unique(cands.ids)
        prior = per_candidate(items, prior_logps(model, prompter, items), cands.ids)
    scores = llm_scores(logps, lengths, per_token, prior)
    used = {"retriever": cfg.hybrid.pool, "weight": meta["weight"], "llm_score": variant}
    return fuse(cands, scores, meta["weight"])[:, :k], used
