"""Would int8 weights make the LLM ranker fast enough to matter? The model's float32 weights against the same model
with every linear layer of its body dynamically quantized to int8 (torch.ao quantize_dynamic; the tied output head
stays float32), side by side in one run on the same rows and candidates: seconds per row, their ratio, and what
the quantization does to the ranking (mean and largest log-prob change, Spearman correlation of each row's
candidate order, share of rows whose top candidate is unchanged).

SmolLM2-135M-Instruct without an adapter, Goodreads test rows, each with item-kNN's top-20 candidates (the
hybrid's size). sprec does not quantize: this records why (docs/results/benchmarks/bench_quant.txt).

Run: python benchmarks/bench_quant.py [--rows 12] [--candidates 20]     (about 2 minutes on 2 cores)
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import torch
from bench_rank import alternating, ranking_setup  # the same Goodreads rows, item-kNN candidates, timing
from scipy.stats import spearmanr


def main():
    a, rows, ids, cfg, model, prompter = ranking_setup(12)
    model.eval()
    quantized = copy.deepcopy(model)
    with warnings.catch_warnings():  # torch.ao's quantization API is deprecated in favour of torchao
        warnings.simplefilter("ignore")
        quantized.model = torch.ao.quantization.quantize_dynamic(quantized.model, {torch.nn.Linear}, torch.qint8)
    logps, seconds = alternating({"float32": model, "int8": quantized}, prompter, rows, ids)
    change = np.abs(logps["float32"] - logps["int8"])
    rho = np.mean([spearmanr(f, q)[0] for f, q in zip(logps["float32"], logps["int8"], strict=True)])
    same_top = np.mean(logps["float32"].argmax(1) == logps["int8"].argmax(1))
    print(f"{len(rows)} Goodreads test rows x {a.candidates} item-kNN candidates, SmolLM2-135M, "
          f"{torch.get_num_threads()} threads")  # fmt: skip
    print(f"float32 weights:     {seconds['float32']:.3f} s per row")
    print(f"int8 body (dynamic): {seconds['int8']:.3f} s per row   ratio {seconds['float32'] / seconds['int8']:.2f}x")
    print(f"log-prob change: mean {change.mean():.2f}, largest {change.max():.2f}; candidate order Spearman "
          f"{rho:.3f}; top candidate unchanged in {same_top:.0%} of rows")  # fmt: skip


if __name__ == "__main__":
    main()
