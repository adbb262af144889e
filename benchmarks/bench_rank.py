"""Scoring candidates with the LLM: one prompt prefill per row with the candidates' answers on its shared KV
cache (sprec.rank.candidate_logps) vs every (prompt, candidate) pair as its own sequence (batched whole
sequences, the plain way), measured side by side in one run on the same rows and candidates.

SmolLM2-135M-Instruct, Goodreads test rows, each with item-kNN's top-50 candidates. Prints seconds per row
for both, their ratio (target >= 5x), the largest log-prob difference between them (must be < 1e-4), the
projected time for 1,000 rows x 50 candidates (target < 10 minutes), and the peak RSS.

Run: python benchmarks/bench_rank.py [--rows 16] [--candidates 50]     (about 3 minutes on 2 cores)
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from sprec.baselines.itemknn import ItemKNN
from sprec.config import ItemKNNSettings, ModelConfig, load_data_config
from sprec.data.readers import prepare_dataset
from sprec.hybrid import top_candidates
from sprec.llm.logprobs import separate_logps
from sprec.llm.model import load_model
from sprec.prompts import Prompter
from sprec.rank import candidate_logps

ROOT = Path(__file__).resolve().parents[1]


@torch.no_grad()
def separate(model, prompter, rows, ids, pairs_per_batch: int) -> np.ndarray:
    """Every (prompt, candidate) pair as its own whole sequence, `pairs_per_batch` sequences per forward."""
    out, pad = np.zeros(ids.shape), prompter.tokenizer.pad_token_id
    for r, e in enumerate(rows):
        prompt = prompter.prompt_ids(e.history)
        for start in range(0, ids.shape[1], pairs_per_batch):
            chunk = ids[r, start : start + pairs_per_batch]
            answers = [[prompter.answer_ids(int(i)) for i in chunk]]
            out[r, start : start + len(chunk)] = separate_logps(model, [prompt], answers, pad)[0].double().numpy()
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=16)
    p.add_argument("--candidates", type=int, default=50)
    p.add_argument("--pairs-per-batch", type=int, default=10, help="whole sequences per forward in the plain way")
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ds = prepare_dataset(load_data_config(ROOT / "configs/data/goodreads.yaml"), Path(tmp) / "data")
    rows = ds.splits["test"][: a.rows]
    knn = ItemKNN.fit(ds.splits["train"], len(ds.catalog), ItemKNNSettings())
    ids = top_candidates(knn.score_matrix(rows), a.candidates).ids
    cfg = ModelConfig()
    model, tok = load_model(cfg)
    prompter = Prompter.for_run(tok, ds, cfg)
    candidate_logps(model, prompter, rows[:1], ids[:1])  # warm-up
    t = time.perf_counter()
    shared, _ = candidate_logps(model, prompter, rows, ids)
    t_shared = (time.perf_counter() - t) / len(rows)
    t = time.perf_counter()
    plain = separate(model, prompter, rows, ids, a.pairs_per_batch)
    t_plain = (time.perf_counter() - t) / len(rows)
    diff = float(np.abs(shared - plain).max())
    print(f"{len(rows)} Goodreads test rows x {a.candidates} item-kNN candidates, SmolLM2-135M, "
          f"{torch.get_num_threads()} threads")  # fmt: skip
    print(f"shared prefill (sprec.rank): {t_shared:.3f} s per row")
    print(f"each pair its own sequence ({a.pairs_per_batch} per forward): {t_plain:.3f} s per row")
    print(f"ratio: {t_plain / t_shared:.1f}x faster (target >= 5x)")
    print(f"largest log-prob difference: {diff:.2e} ({'OK' if diff < 1e-4 else 'FAIL'}: must be < 1e-4)")
    print(f"projected 1,000 rows x {a.candidates} candidates: {t_shared * 1000 / 60:.1f} min (target < 10 min)")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.1f} GB")


if __name__ == "__main__":
    main()
