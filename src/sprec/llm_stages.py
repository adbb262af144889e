"""Pipeline stages that need the LLM (imported only when a config names an LLM method, so that the data and
evaluation stages run without torch)."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np

from sprec.baselines.rerank import mmr, popularity_penalised
from sprec.baselines.scorers import classical_scorer
from sprec.config import RunConfig
from sprec.data.dataset import Dataset
from sprec.evaluate import list_length, prediction_meta, save_predictions
from sprec.grounding import extract_title
from sprec.hybrid import Candidates, best_weight, fuse, llm_scores, top_candidates, validation_curve
from sprec.io import read_jsonl, write_jsonl, write_npz
from sprec.llm.model import load_model
from sprec.prompts import Prompter
from sprec.rank import candidate_logps
from sprec.recommend import recommend, title_distances
from sprec.train.dpo import dpo_summary, random_negative_pairs, train_dpo
from sprec.train.selfplay import iteration_seconds, run_selfplay, sample_prompts
from sprec.train.sft import sft_summary, train_sft


def train_method(method: str, ds: Dataset, cfg: RunConfig, run_dir: Path) -> list[tuple[str, Path, float]]:
    """Train (or resume) `method`; returns (row name, adapter folder, training seconds) for each model to
    evaluate: one for sft / dpo / sdpo, one per iteration for sprec and sprec-hybrid. Every method starts from
    the SFT model."""
    models = run_dir / "models"
    sft_adapter = train_sft(ds, cfg.model, cfg.sft, models / "sft")
    if method == "sft":
        return [("sft", sft_adapter, sft_summary(models / "sft")["seconds"])]
    if method in ("dpo", "sdpo"):  # random negatives on the same number of prompts as one SPRec iteration
        m = 1 if method == "dpo" else cfg.sdpo_negatives
        rows = sample_prompts(ds.splits["train"], cfg.selfplay.prompts, cfg.seed)
        pairs = random_negative_pairs(rows, len(ds.catalog), m, cfg.seed)
        settings = dataclasses.replace(cfg.dpo, negatives=m)
        adapter = train_dpo(ds, cfg.model, settings, pairs, models / method, init_adapter=sft_adapter)
        return [(method, adapter, dpo_summary(models / method)["seconds"])]
    # sprec-hybrid: the same loop with the two-stage system's top-1 as each prompt's rejected answer
    s = dataclasses.replace(cfg.selfplay, negatives="hybrid") if method == "sprec-hybrid" else cfg.selfplay
    candidates = candidate_source(ds, cfg, run_dir) if s.negatives == "hybrid" else None
    adapters = run_selfplay(ds, cfg.model, s, sft_adapter, models / method, cfg.seed, candidates)
    return [(f"{method} t={t + 1}", a, iteration_seconds(models / method, t + 1)) for t, a in enumerate(adapters)]


def predict_llm(name: str, adapter: Path, ds: Dataset, cfg: RunConfig, grounding: str, path: Path) -> None:
    """Recommend for the test rows with one grounding mode; writes predictions and the raw generations."""
    if path.exists():
        return
    model, tok = load_model(cfg.model, adapter)
    prompter = Prompter.for_run(tok, ds, cfg.model)
    # embedding lists are rankings (longer when the history is dropped afterwards); trie lists are K beams
    filterable = grounding == "embedding"
    k = list_length(cfg.eval, ds.splits["test"], len(ds.catalog)) if filterable else max(cfg.eval.ks)
    s = dataclasses.replace(cfg.recommend, grounding=grounding, k=k, exclude_history=cfg.eval.generate_excluding)
    test = ds.splits["test"]
    start = time.time()
    rec = recommend(model, tok, prompter, test, s, cache_dir=path.parent)
    write_jsonl(path.with_suffix(".generations.jsonl"), ({"row": i, "generated": g, "topk": t}
                for i, (g, t) in enumerate(zip(rec.generations, rec.topk, strict=True))))  # fmt: skip
    save_predictions(path, rec.topk, **prediction_meta(name, ds.name, cfg.eval, filterable, grounding=grounding,
                     stats={**rec.stats, **prompter.stats}, seconds=round(time.time() - start, 1)))  # fmt: skip


def rerank_sft(method: str, ds: Dataset, cfg: RunConfig, path: Path) -> None:
    """Re-rank the SFT model's embedding candidates for the test rows (rerank-pop / rerank-mmr); trains the
    SFT model and writes its embedding predictions first when the run has not yet."""
    if path.exists():
        return
    adapter = train_sft(ds, cfg.model, cfg.sft, path.parent.parent / "models" / "sft")
    sft_pred = path.parent / "sft-embedding.json"
    predict_llm("sft (embedding)", adapter, ds, cfg, "embedding", sft_pred)
    start = time.time()
    generated = [row["generated"][0] for _, row in read_jsonl(sft_pred.with_suffix(".generations.jsonl"))]
    titles = [extract_title(g) for g in generated]
    dist, items = title_distances(titles, ds.catalog, cfg.recommend.embedder, path.parent)
    test, r, k = ds.splits["test"], cfg.rerank, list_length(cfg.eval, ds.splits["test"], len(ds.catalog))
    excluded = [list(e.history) for e in test] if cfg.eval.generate_excluding else None
    if method == "rerank-pop":
        topk = popularity_penalised(dist, ds.catalog.popularity, k, r.popularity_weight, r.candidates, excluded)
    else:
        topk = mmr(dist, items, k, r.mmr_weight, r.candidates, excluded)
    save_predictions(path, topk, **prediction_meta(f"{method} (embedding)", ds.name, cfg.eval, grounding="embedding",
                     candidates_from=sft_pred.name, seconds=round(time.time() - start, 1)))  # fmt: skip


LLM_METHODS = ("sft", "dpo", "sdpo", "sprec", "sprec-hybrid")  # methods that train LLM models (one row or more)


def candidate_source(ds: Dataset, cfg: RunConfig, run_dir: Path, excluding: bool = False):
    """A function: rows -> the retriever's top-N candidates and scores (never a history item when `excluding`)."""
    scorer, n = classical_scorer(cfg.hybrid.retriever, ds, cfg, run_dir), min(cfg.hybrid.candidates, len(ds.catalog))

    def candidates(rows: list) -> Candidates:
        return top_candidates(scorer(rows), n, [list(e.history) for e in rows] if excluding else None)

    return candidates


def retriever_candidates(ds: Dataset, cfg: RunConfig, run_dir: Path, split: str) -> Candidates:
    """The retriever's candidates for a split (cached in run_dir/candidates/), with the history excluded when
    the run's lists are made that way."""
    path = run_dir / "candidates" / f"{cfg.hybrid.retriever}-{split}.npz"
    if not path.exists():
        candidate_source(ds, cfg, run_dir, cfg.eval.generate_excluding)(ds.splits[split]).save(path)
    return Candidates.load(path)


def hybrid_models(ds: Dataset, cfg: RunConfig, run_dir: Path) -> list[tuple[str, Path]]:
    """(row name, adapter) of every LLM model the run trains (the SFT model when it trains none)."""
    methods = [m for m in cfg.methods if m in LLM_METHODS] or ["sft"]
    return [(name, adapter) for m in methods for name, adapter, _ in train_method(m, ds, cfg, run_dir)]


def predict_hybrid(name: str, adapter: Path, ds: Dataset, cfg: RunConfig, run_dir: Path, path: Path) -> None:
    """The retriever's candidates ranked by fusing its scores with the LLM's (the weight chosen on the validation
    split unless the config fixes it); writes the full ranking of the candidates as predictions."""
    if path.exists():
        return
    start, h = time.time(), cfg.hybrid
    cands = {split: retriever_candidates(ds, cfg, run_dir, split) for split in ("valid", "test")}
    model, tok = load_model(cfg.model, adapter)
    prompter = Prompter.for_run(tok, ds, cfg.model)
    llm = {}
    for split, c in cands.items():
        cache = path.with_name(f"{path.stem}.{split}-logps.npz")
        if not cache.exists():
            logps, lengths = candidate_logps(model, prompter, ds.splits[split], c.ids, h.rows_per_batch,
                                             desc=f"{name}: LLM scores of {split} candidates")  # fmt: skip
            write_npz(cache, logps=logps, lengths=lengths)
        with np.load(cache) as f:
            llm[split] = llm_scores(f["logps"], f["lengths"], h.normalise)
    targets = np.array([-1 if e.target is None else e.target for e in ds.splits["valid"]])
    curve = validation_curve(cands["valid"], llm["valid"], targets)
    weight = h.weight if h.weight is not None else best_weight(curve)
    save_predictions(path, fuse(cands["test"], llm["test"], weight),
                     **prediction_meta(name, ds.name, cfg.eval, retriever=h.retriever, weight=weight,
                                       weight_from="config" if h.weight is not None else "validation NDCG@10",
                                       validation_ndcg_at_10={str(w): v for w, v in curve.items()},
                                       seconds=round(time.time() - start, 1)))  # fmt: skip
