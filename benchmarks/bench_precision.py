"""float32 against bfloat16 on this machine, side by side in one run: what `model.dtype: auto` buys here.

- candidate scoring (sprec.llm.scoring): Goodreads test rows x item-kNN's top 20, the two models taking turns row
  by row: seconds per row, their ratio, candidate order Spearman, share of rows whose top candidate is unchanged;
- greedy generation (sprec.llm.generate.generate): the same prompts, batches alternating: seconds per prompt and
  the share of identical outputs;
- SFT steps and DPO steps (sprec's fast engine, LoRA r16): the same examples and pairs, float32 weights vs
  bfloat16 weights with bf16 autocast (LoRA weights and optimizer state float32): seconds per example / pair
  and the training loss after the same steps;
- the matmul peak at SmolLM2's shapes in each dtype.
The first line names the CPU's instruction set: on AVX2-only CPUs bfloat16 is emulated and slower.

Run: python benchmarks/bench_precision.py [--rows 12] [--prompts 32] [--examples 32] [--pairs 16]  (~10 min)
"""

from __future__ import annotations

import argparse
import copy
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from bench_rank import alternating, knn_candidates  # the same Goodreads rows and item-kNN candidates
from bench_train import matmul_peak
from scipy.stats import spearmanr

from sprec.config import DPOSettings, ModelConfig, SFTSettings
from sprec.llm.generate import generate
from sprec.llm.model import add_lora, load_model, save_adapter
from sprec.llm.precision import resolve
from sprec.llm.prompts import Prompter
from sprec.train.dpo import dpo_summary, random_negative_pairs, train_dpo
from sprec.train.sft import sft_summary, train_sft, training_subset

DTYPES = ("float32", "bfloat16")


def scoring(models: dict, prompter, rows, ids) -> dict:
    logps, seconds = alternating(models, prompter, rows, ids)
    f, b = logps["float32"], logps["bfloat16"]
    rho = np.mean([spearmanr(x, y)[0] for x, y in zip(f, b, strict=True)])
    return {"seconds": seconds, "spearman": rho, "same_top": np.mean(f.argmax(1) == b.argmax(1)),
            "mean_change": np.abs(f - b).mean()}  # fmt: skip


def generation(models: dict, tok, prompts: list[list[int]], batch: int = 8) -> dict:
    outputs, seconds = {n: [] for n in models}, dict.fromkeys(models, 0.0)
    for start in range(0, len(prompts), batch):
        for name, model in models.items():
            t = time.perf_counter()
            outputs[name] += generate(model, tok, prompts[start : start + batch], batch_size=batch, max_new_tokens=32)
            seconds[name] += time.perf_counter() - t
    same = np.mean([a == b for a, b in zip(outputs["float32"], outputs["bfloat16"], strict=True)])
    return {"seconds": {n: s / len(prompts) for n, s in seconds.items()}, "identical": same}


def training(ds, n_examples: int, n_pairs: int, tmp: Path) -> dict:
    out = {}
    for dtype in DTYPES:
        cfg = ModelConfig(dtype=dtype)
        s = SFTSettings(examples=n_examples, batch_size=4, eval_examples=0, save_every=10_000)
        train_sft(ds, cfg, s, tmp / f"sft-{dtype}")
        sft = sft_summary(tmp / f"sft-{dtype}")
        model, _ = load_model(ModelConfig(dtype="float32"))
        start = save_adapter(add_lora(model, cfg.lora), tmp / f"start-{dtype}", cfg)
        pairs = random_negative_pairs(training_subset(ds.splits["train"], n_pairs, 1), len(ds.catalog), 1, 0)
        train_dpo(ds, cfg, DPOSettings(batch_size=4, grad_accum=1, save_every=10_000), pairs, tmp / f"dpo-{dtype}",
                  start)  # fmt: skip
        dpo = dpo_summary(tmp / f"dpo-{dtype}")
        out[dtype] = {"sft": (sft["seconds"] / n_examples, sft["train_loss"]),
                      "dpo": (dpo["seconds"] / n_pairs, dpo["train_loss"])}  # fmt: skip
    return out


def main():
    p = argparse.ArgumentParser()
    for flag, default in (("--rows", 12), ("--prompts", 32), ("--examples", 32), ("--pairs", 16)):
        p.add_argument(flag, type=int, default=default)
    a = p.parse_args()
    auto = resolve("auto")
    print(f"machine: {auto.device}, {torch.get_num_threads()} threads; model.dtype auto -> {auto.dtype} ({auto.why})")
    peaks = {d: matmul_peak(d) for d in DTYPES}
    print(f"matmul peak (1024x576 @ 576x1536): float32 {peaks['float32']:.0f} GFLOP/s, bfloat16 "
          f"{peaks['bfloat16']:.0f} GFLOP/s ({peaks['bfloat16'] / peaks['float32']:.2f}x)\n")  # fmt: skip
    ds, rows, ids = knn_candidates(a.rows, 20)
    model, tok = load_model(ModelConfig(dtype="float32"))
    models = {"float32": model.eval(), "bfloat16": copy.deepcopy(model).to(torch.bfloat16).eval()}
    prompter = Prompter.for_run(tok, ds, ModelConfig())
    r = scoring(models, prompter, rows, ids)
    s = r["seconds"]
    print(f"scoring {len(rows)} rows x 20 candidates: float32 {s['float32']:.3f} s/row, bfloat16 {s['bfloat16']:.3f} "
          f"s/row ({s['float32'] / s['bfloat16']:.2f}x); Spearman {r['spearman']:.4f}, top candidate unchanged in "
          f"{r['same_top']:.0%} of rows, mean |log-prob change| {r['mean_change']:.3f} nats")  # fmt: skip
    prompts = [prompter.prompt_ids(e.history) for e in ds.splits["test"][: a.prompts]]
    g = generation(models, tok, prompts)
    s = g["seconds"]
    print(f"greedy generation of {len(prompts)} prompts: float32 {s['float32']:.3f} s/prompt, bfloat16 "
          f"{s['bfloat16']:.3f} s/prompt ({s['float32'] / s['bfloat16']:.2f}x); identical outputs "
          f"{g['identical']:.0%}")  # fmt: skip
    del models, model
    with tempfile.TemporaryDirectory() as tmp:
        t = training(ds, a.examples, a.pairs, Path(tmp))
    for kind, unit, n in (("sft", "example", a.examples), ("dpo", "pair", a.pairs)):
        (f_s, f_loss), (b_s, b_loss) = t["float32"][kind], t["bfloat16"][kind]
        print(f"{kind.upper()} ({n} {unit}s, fast engine): float32 {f_s:.2f} s/{unit} (loss {f_loss:.4f}), bfloat16 "
              f"{b_s:.2f} s/{unit} (loss {b_loss:.4f}) ({f_s / b_s:.2f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
