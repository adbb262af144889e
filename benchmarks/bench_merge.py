"""Scoring candidates with a trained LoRA adapter kept as PEFT layers against the same adapter merged into the
base weights (what sprec.llm.model.load_model does for every inference-only load), side by side in one run on
the same rows and candidates: seconds per row, their ratio, the largest log-prob difference (must be < 1e-3:
float32 rounding of log-probs summed over an answer's tokens, which differs from run to run with the threads' summation
order: 9.9e-5 and 1.7e-4 in two runs of the same rows).

The adapter is a fresh LoRA of the run's settings (r 16 on every projection) with its B matrices drawn at random,
so merging changes the weights as a trained adapter does. SmolLM2-135M-Instruct, Goodreads test rows, each with
item-kNN's top-20 candidates (the hybrid's size). The two ways alternate row by row, so a change in the
machine's speed during the run hits both alike.

Run: python benchmarks/bench_merge.py [--rows 16] [--candidates 20]     (about 2 minutes on 2 cores)
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from bench_rank import alternating, ranking_setup  # the same Goodreads rows, item-kNN candidates, timing

from sprec.llm.model import add_lora


def main():
    a, rows, ids, cfg, base, prompter = ranking_setup(16)
    peft = add_lora(base, cfg.lora)
    torch.manual_seed(0)
    with torch.no_grad():
        for name, weight in peft.named_parameters():
            if "lora_B" in name:
                weight.normal_(0, 0.02)
    peft.eval()
    merged = copy.deepcopy(peft).merge_and_unload()
    logps, seconds = alternating({"PEFT layers": peft, "merged": merged}, prompter, rows, ids)
    n, diff = len(rows), float(np.abs(logps["PEFT layers"] - logps["merged"]).max())
    print(f"{n} Goodreads test rows x {a.candidates} item-kNN candidates, SmolLM2-135M + LoRA r={cfg.lora.r}, "
          f"{torch.get_num_threads()} threads")  # fmt: skip
    print(f"adapter as PEFT layers: {seconds['PEFT layers']:.3f} s per row")
    print(f"adapter merged:         {seconds['merged']:.3f} s per row   "
          f"ratio {seconds['PEFT layers'] / seconds['merged']:.2f}x")  # fmt: skip
    print(f"largest log-prob difference: {diff:.2e} ({'OK' if diff < 1e-3 else 'FAIL'}: must be < 1e-3)")


if __name__ == "__main__":
    main()
