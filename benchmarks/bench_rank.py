"""Scoring candidates with the LLM, three ways side by side in one run on the same rows and candidates:
- sprec.llm.scoring.candidate_logps: one prompt prefill per row, the candidates' answers packed on its KV cache as a
  prefix tree (shared answer prefixes computed once, no padding);
- the prompt's KV cache repeated per candidate, the answers batched and padded on it (sprec's earlier way);
- every (prompt, candidate) pair as its own whole sequence, batched (the plain way).

SmolLM2-135M-Instruct, Goodreads test rows, each with item-kNN's top-50 candidates. Prints seconds per row,
the ratios (target >= 5x over the plain way), the largest log-prob difference (must be < 1e-4), the projected
time for 1,000 rows x 50 candidates (target < 10 minutes) beside the least time the token count allows at this
machine's measured matmul peak, and the peak RSS.

Run: python benchmarks/bench_rank.py [--rows 8] [--candidates 50]     (about 5 minutes on 2 cores)
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from bench_train import matmul_peak  # the same peak as the training benchmark (model-shaped matmuls)

from sprec.baselines.itemknn import ItemKNN
from sprec.config import ItemKNNSettings, ModelConfig, load_data_config
from sprec.data.readers import prepare_dataset
from sprec.llm.logprobs import separate_logps, shared_prompt_logps
from sprec.llm.model import load_model
from sprec.llm.prompts import Prompter
from sprec.llm.scoring import candidate_logps
from sprec.ranking.candidates import top_candidates

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


@torch.no_grad()
def repeated_cache(model, prompter, rows, ids) -> np.ndarray:
    """The prompt's KV cache repeated for each candidate, the answers padded and batched on it."""
    pad, answers = prompter.tokenizer.pad_token_id, prompter.all_answer_ids()
    return np.stack([shared_prompt_logps(model, [prompter.prompt_ids(e.history)], [[answers[i] for i in ids[r]]],
                                         pad)[0].double().numpy() for r, e in enumerate(rows)])  # fmt: skip


def knn_candidates(n_rows: int, n_candidates: int):
    """(the Goodreads dataset, its first `n_rows` test rows, item-kNN's top `n_candidates` item ids for each)."""
    with tempfile.TemporaryDirectory() as tmp:
        ds = prepare_dataset(load_data_config(ROOT / "configs/data/goodreads.yaml"), Path(tmp) / "data")
    rows = ds.splits["test"][:n_rows]
    knn = ItemKNN.fit(ds.splits["train"], len(ds.catalog), ItemKNNSettings())
    return ds, rows, top_candidates(knn.score_matrix(rows), n_candidates).ids


def ranking_setup(default_rows: int, default_candidates: int = 20):
    """The command line (--rows, --candidates) of a benchmark that scores item-kNN's candidates of Goodreads test
    rows with SmolLM2: (its arguments, the rows, their candidate ids, the model config, the base model, prompter)."""
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=default_rows)
    p.add_argument("--candidates", type=int, default=default_candidates)
    a = p.parse_args()
    ds, rows, ids = knn_candidates(a.rows, a.candidates)
    cfg = ModelConfig(dtype="float32")  # the float32 baseline these benchmarks measured (bench_precision: bf16)
    model, tok = load_model(cfg)
    return a, rows, ids, cfg, model, Prompter.for_run(tok, ds, cfg)


def alternating(models: dict, prompter, rows, ids) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Each model's candidate log-probs (N, C) and seconds per row, the models taking turns row by row (after one
    warm-up row each), so that a change in the machine's speed during the run hits them alike."""
    seconds, logps = dict.fromkeys(models, 0.0), {name: np.zeros(ids.shape) for name in models}
    for model in models.values():
        candidate_logps(model, prompter, rows[:1], ids[:1])
    for r in range(len(rows)):
        for name, model in models.items():
            t = time.perf_counter()
            logps[name][r] = candidate_logps(model, prompter, rows[r : r + 1], ids[r : r + 1])[0][0]
            seconds[name] += time.perf_counter() - t
    return logps, {name: s / len(rows) for name, s in seconds.items()}


def timed(fn, *args) -> tuple[np.ndarray, float]:
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=8)
    p.add_argument("--candidates", type=int, default=50)
    p.add_argument("--pairs-per-batch", type=int, default=10, help="whole sequences per forward in the plain way")
    a = p.parse_args()
    ds, rows, ids = knn_candidates(a.rows, a.candidates)
    cfg = ModelConfig(dtype="float32")  # the float32 baseline these benchmarks measured (bench_precision: bf16)
    model, tok = load_model(cfg)
    prompter = Prompter.for_run(tok, ds, cfg)
    candidate_logps(model, prompter, rows[:1], ids[:1])  # warm-up
    (packed, _), t_packed = timed(candidate_logps, model, prompter, rows, ids)
    repeated, t_repeated = timed(repeated_cache, model, prompter, rows, ids)
    plain, t_plain = timed(separate, model, prompter, rows, ids, a.pairs_per_batch)
    diff = max(float(np.abs(packed - other).max()) for other in (repeated, plain))
    n = len(rows)
    tokens = sum(len(prompter.prompt_ids(e.history)) + sum(len(prompter.answer_ids(int(i))) for i in ids[r])
                 for r, e in enumerate(rows)) / n  # fmt: skip
    params = sum(p.numel() for p in model.parameters())
    peak = matmul_peak("float32") * 1e9
    print(f"{n} Goodreads test rows x {a.candidates} item-kNN candidates, SmolLM2-135M, "
          f"{torch.get_num_threads()} threads")  # fmt: skip
    print(f"packed prefix tree (sprec.llm.scoring):          {t_packed / n:.3f} s per row")
    print(f"prompt cache repeated, answers padded:    {t_repeated / n:.3f} s per row   "
          f"ratio {t_repeated / t_packed:.2f}x")  # fmt: skip
    print(f"each pair its own sequence ({a.pairs_per_batch} per forward): {t_plain / n:.3f} s per row   "
          f"ratio {t_plain / t_packed:.1f}x (target >= 5x)")  # fmt: skip
    print(f"largest log-prob difference: {diff:.2e} ({'OK' if diff < 1e-4 else 'FAIL'}: must be < 1e-4)")
    print(f"projected 1,000 rows x {a.candidates} candidates: {t_packed * 1000 / n / 60:.1f} min (target < 10 min)")
    floor = 1000 * tokens * 2 * params / peak
    print(f"least possible here: {tokens:.0f} tokens per row x 2 x {params / 1e6:.0f}M parameters at the matmul "
          f"peak of {peak / 1e9:.0f} GFLOP/s = {floor / 60:.1f} min per 1,000 rows (prompt + every answer token once)")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.1f} GB")


if __name__ == "__main__":
    main()
