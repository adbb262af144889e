"""The LLM as a ranker: the exact log-probability of each candidate item's answer tokens under a row's prompt
(the same tokens SFT and DPO train on). Each prompt runs through the model once and the candidates' answers run
on its key/value cache packed as a prefix tree (sprec.llm.trie_logps), so scoring C candidates costs one prompt
pass plus one pass over their distinct answer prefixes instead of C whole sequences (benchmarks/bench_rank.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from sprec.data.dataset import Example
from sprec.distributed import gathered, is_distributed, is_main_process, share
from sprec.io import write_npz
from sprec.llm.prompts import Prompter
from sprec.llm.trie_logps import trie_logps


@torch.no_grad()
def candidate_logps(model, prompter: Prompter, examples: list[Example], ids: np.ndarray,
                    desc: str = "LLM scores of candidates", partial: Path | None = None,
                    save_every: int = 25) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(log pi(answer | prompt) summed over each candidate's answer tokens, number of answer tokens), both
    (N, C) for the (N, C) candidate item ids `ids`. With `partial`, the rows scored so far are saved there every
    `save_every` rows and a rerun continues after them (scoring 1,000 rows takes tens of minutes on a CPU)."""
    model.eval()
    answers = prompter.all_answer_ids()
    lengths = np.array([[len(answers[i]) for i in row] for row in ids], dtype=np.int64).reshape(ids.shape)
    logps, done = np.zeros(ids.shape, dtype=np.float64), 0
    if partial is not None and Path(partial).exists():
        with np.load(partial) as f:
            if np.array_equal(f["ids"], ids):  # scores of other candidates are not reused
                logps, done = f["logps"].copy(), int(f["done"])
    for r in tqdm(range(done, len(examples)), desc=desc, unit="row", leave=False, disable=len(examples) - done < 2):
        prompt = prompter.prompt_ids(examples[r].history)
        logps[r] = trie_logps(model, prompt, [answers[i] for i in ids[r]]).double().cpu().numpy()
        if partial is not None and ((r + 1) % save_every == 0 or r + 1 == len(examples)):
            write_npz(partial, ids=ids, logps=logps, done=np.array(r + 1))
    return logps, lengths


def shared_candidate_logps(model, prompter: Prompter, rows: list[Example], ids: np.ndarray, cache: Path,
                           desc: str) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """candidate_logps of every row, cached in `cache` (kept only for these candidate ids): under accelerate each
    process scores its share of the rows (resumable in a partial file of its own) and every process gets them all."""
    if cache.exists():
        with np.load(cache) as f:
            if "ids" not in f or np.array_equal(f["ids"], ids):  # scores of other candidates are not reused
                return f["logps"], f["lengths"]
    part = share(len(rows))
    partial = cache.with_suffix(f".partial{part.start}.npz" if is_distributed() else ".partial.npz")
    logps, lengths = candidate_logps(model, prompter, rows[part], ids[part], desc=desc, partial=partial)
    logps, lengths = np.array(gathered(list(logps))), np.array(gathered(list(lengths)))
    if is_main_process():
        write_npz(cache, logps=logps, lengths=lengths, ids=ids)
    partial.unlink(missing_ok=True)
    return logps, lengths


@torch.no_grad()
def prior_logps(model, prompter: Prompter, items: np.ndarray, answers_per_pass: int = 50) -> np.ndarray:
    """log pi(answer | a prompt with an empty history) of each item of `items`: what the model would say of the
    item knowing nothing of the user (its popularity and language prior, as in contextual calibration, Zhao et
    al. 2021). Subtracting it leaves how much the user's history raises the item."""
    model.eval()
    answers, prompt = prompter.all_answer_ids(), prompter.prompt_ids([])
    out = np.zeros(len(items), dtype=np.float64)
    for start in tqdm(range(0, len(items), answers_per_pass), desc="LLM prior of candidates", leave=False):
        chunk = [answers[i] for i in items[start : start + answers_per_pass]]
        out[start : start + len(chunk)] = trie_logps(model, prompt, chunk).double().cpu().numpy()
    return out


def cached_prior_logps(path: Path, items: np.ndarray, scorer) -> tuple[np.ndarray, np.ndarray]:
    """(items, prior_logps), sorted by item, kept at `path`: the items it lacks of `items` are computed and added
    (the cache only grows, so rows over other candidates share it); `scorer()` gives the (model, prompter) to
    compute them with, called only then (it may load a model)."""
    known, logps = np.zeros(0, dtype=np.int64), np.zeros(0)
    if path.exists():
        with np.load(path) as f:
            known, logps = f["items"], f["logps"]
    missing = np.setdiff1d(items, known)
    if len(missing):
        known, logps = np.concatenate([known, missing]), np.concatenate([logps, prior_logps(*scorer(), missing)])
        order = np.argsort(known, kind="stable")
        known, logps = known[order], logps[order]
        write_npz(path, items=known, logps=logps)
    return known, logps
