"""Pipeline stages that need the LLM (imported only when a config names an LLM method, so that the data and
evaluation stages run without torch)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sprec.config import RunConfig
from sprec.data.dataset import Dataset
from sprec.evaluate import save_predictions
from sprec.io import write_jsonl
from sprec.llm.model import load_model
from sprec.prompts import Prompter
from sprec.recommend import recommend
from sprec.train.sft import sft_summary, train_sft


def train_method(method: str, ds: Dataset, cfg: RunConfig, run_dir: Path) -> tuple[Path, dict]:
    """Train (or resume) `method`; returns its adapter folder and its training summary."""
    out = run_dir / "models" / method
    adapter = train_sft(ds, cfg.model, cfg.sft, out)
    return adapter, sft_summary(out)


def predict_llm(name: str, adapter: Path, ds: Dataset, cfg: RunConfig, grounding: str, path: Path) -> None:
    """Recommend for the test rows with one grounding mode; writes predictions and the raw generations."""
    if path.exists():
        return
    model, tok = load_model(cfg.model, adapter)
    m = cfg.model
    prompter = Prompter(tok, ds.catalog, ds.item_noun, m.system_prompt, m.max_prompt_tokens)
    s = dataclasses.replace(
        cfg.recommend, grounding=grounding, k=max(cfg.eval.ks), exclude_history=cfg.eval.exclude_history
    )
    test = ds.splits["test"]
    rec = recommend(model, tok, prompter, test, s, cache_dir=path.parent)
    write_jsonl(path.with_suffix(".generations.jsonl"), ({"row": i, "generated": g, "topk": t}
                for i, (g, t) in enumerate(zip(rec.generations, rec.topk, strict=True))))  # fmt: skip
    save_predictions(path, rec.topk, method=name, dataset=ds.name, split="test", grounding=grounding,
                     exclude_history=s.exclude_history, stats={**rec.stats, **prompter.stats})  # fmt: skip
