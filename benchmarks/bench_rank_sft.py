"""What a rank-sft training row costs against scoring the same row, side by side in one run (issue 28's target:
a training row at most 3x the forward scoring of that row).

The same Goodreads test rows, each with item-kNN's top-C candidates, SmolLM2-135M-Instruct + LoRA:
- scoring: the packed prefix-tree pass under no_grad, the model as a hybrid row scores (adapter merged, weights
  in model.dtype's precision: bfloat16 on AVX-512 BF16 / AMX, float32 otherwise);
- rank-sft as it trains: float32 weights, LoRA layers, bf16 autocast where the scoring is bf16, forward with
  gradients, backward of the softmax-over-candidates loss and an AdamW step over the LoRA weights;
- the same with the frozen base weights stored in the scoring precision (LoRA weights float32): what the training
  row would cost if the base were not kept in float32;
- the first with the prompt's pass under no_grad (`rank_sft.prompt_grad: false`): the backward runs through the
  answers' pass only.
Prints seconds per row, each training variant's ratio to scoring and its largest loss difference from the first.

Run: python benchmarks/bench_rank_sft.py [--rows 6] [--candidates 20]     (about 5 minutes on 2 cores)
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import time

import torch
from bench_rank import knn_candidates

from sprec.config import ModelConfig
from sprec.llm.model import add_lora, load_model, load_tokenizer
from sprec.llm.precision import resolve
from sprec.llm.prompts import Prompter
from sprec.llm.trie_logps import trie_logps
from sprec.train.losses import candidate_softmax_loss


def timed(fn, rows) -> tuple[float, list[float]]:
    """(seconds per row after one warm-up row, the value fn returned for each row)."""
    fn(rows[0])
    start, values = time.perf_counter(), [fn(r) for r in rows]
    return (time.perf_counter() - start) / len(rows), values


def scoring(cfg: ModelConfig, rows):
    model, _ = load_model(cfg)
    model.eval()

    @torch.no_grad()
    def one(row):
        prompt, answers, _ = row
        return float(trie_logps(model, prompt, answers).sum())

    return one


def training(cfg: ModelConfig, base_dtype: str, bf16: bool, prompt_grad: bool = True):
    """One rank-sft step per row: loss, backward, AdamW over the LoRA weights (float32)."""
    model, _ = load_model(dataclasses.replace(cfg, dtype=base_dtype))
    model = add_lora(model, cfg.lora)
    for p in model.parameters():
        if p.requires_grad:
            p.data = p.data.float()
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()

    def one(row):
        prompt, answers, target = row
        with autocast:
            loss = candidate_softmax_loss(trie_logps(model, prompt, answers, prompt_grad), target)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return float(loss.detach())

    return one


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=6)
    p.add_argument("--candidates", type=int, default=20)
    a = p.parse_args()
    torch.manual_seed(0)
    ds, examples, ids = knn_candidates(a.rows + 1, a.candidates)
    cfg = ModelConfig()  # dtype auto: what a run on this machine uses
    prompter = Prompter.for_run(load_tokenizer(cfg), ds, cfg)
    answers = prompter.all_answer_ids()
    rows = [(prompter.prompt_ids(e.history), [answers[i] for i in ids[r]], 0) for r, e in enumerate(examples)]
    precision = resolve(cfg.dtype)
    scored = "bfloat16" if precision.bf16 else "float32"
    base, _ = timed(scoring(cfg, rows), rows)
    print(f"{a.rows} Goodreads test rows x {a.candidates} item-kNN candidates, SmolLM2-135M, "
          f"{torch.get_num_threads()} threads; scoring precision {scored}")  # fmt: skip
    print(f"scoring (no_grad, merged, {scored}):                     {base:.3f} s per row")
    first = None
    for name, dtype, prompt_grad in (("rank-sft step (float32 base, LoRA, autocast)", "float32", True),
                                     (f"rank-sft step ({scored} base, float32 LoRA)", scored, True),
                                     ("rank-sft step, prompt pass without gradients", "float32", False)):  # fmt: skip
        torch.manual_seed(0)
        seconds, losses = timed(training(cfg, dtype, precision.bf16, prompt_grad), rows)
        first = first or losses
        drift = max(abs(x - y) for x, y in zip(losses, first, strict=True))
        print(f"{name:<55} {seconds:.3f} s per row   ratio {seconds / base:.2f}x (target <= 3x)   "
              f"largest loss difference from the first: {drift:.2e}")  # fmt: skip


if __name__ == "__main__":
    main()
