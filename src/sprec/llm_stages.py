"""Pipeline stages that need the LLM (imported only when a config names an LLM method, so that the data and
evaluation stages run without torch)."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from sprec.baselines.rerank import mmr, popularity_penalised
from sprec.config import RunConfig
from sprec.data.dataset import Dataset
from sprec.evaluate import save_predictions
from sprec.grounding import extract_title
from sprec.io import read_jsonl, write_jsonl
from sprec.llm.model import load_model
from sprec.prompts import Prompter
from sprec.recommend import recommend, title_distances
from sprec.train.dpo import dpo_summary, random_negative_pairs, train_dpo
from sprec.train.selfplay import iteration_seconds, run_selfplay, sample_prompts
from sprec.train.sft import sft_summary, train_sft


def train_method(method: str, ds: Dataset, cfg: RunConfig, run_dir: Path) -> list[tuple[str, Path, float]]:
    """Train (or resume) `method`; returns (row name, adapter folder, training seconds) for each model to
    evaluate: one for sft / dpo / sdpo, one per iteration for sprec. Every method starts from the SFT model."""
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
    adapters = run_selfplay(ds, cfg.model, cfg.selfplay, sft_adapter, models / "sprec", cfg.seed)
    return [(f"sprec t={t + 1}", a, iteration_seconds(models / "sprec", t + 1)) for t, a in enumerate(adapters)]


def predict_llm(name: str, adapter: Path, ds: Dataset, cfg: RunConfig, grounding: str, path: Path) -> None:
    """Recommend for the test rows with one grounding mode; writes predictions and the raw generations."""
    if path.exists():
        return
    model, tok = load_model(cfg.model, adapter)
    prompter = Prompter.for_run(tok, ds, cfg.model)
    s = dataclasses.replace(
        cfg.recommend, grounding=grounding, k=max(cfg.eval.ks), exclude_history=cfg.eval.exclude_history
    )
    test = ds.splits["test"]
    start = time.time()
    rec = recommend(model, tok, prompter, test, s, cache_dir=path.parent)
    write_jsonl(path.with_suffix(".generations.jsonl"), ({"row": i, "generated": g, "topk": t}
                for i, (g, t) in enumerate(zip(rec.generations, rec.topk, strict=True))))  # fmt: skip
    save_predictions(path, rec.topk, method=name, dataset=ds.name, split="test", grounding=grounding,
                     exclude_history=s.exclude_history, stats={**rec.stats, **prompter.stats},
                     seconds=round(time.time() - start, 1))  # fmt: skip


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
    test, r, k = ds.splits["test"], cfg.rerank, max(cfg.eval.ks)
    excluded = [list(e.history) for e in test] if cfg.eval.exclude_history else None
    if method == "rerank-pop":
        topk = popularity_penalised(dist, ds.catalog.popularity, k, r.popularity_weight, r.candidates, excluded)
    else:
        topk = mmr(dist, items, k, r.mmr_weight, r.candidates, excluded)
    save_predictions(path, topk, method=f"{method} (embedding)", dataset=ds.name, split="test", grounding="embedding",
                     exclude_history=cfg.eval.exclude_history, candidates_from=sft_pred.name,
                     seconds=round(time.time() - start, 1))  # fmt: skip
