"""The LLM as a ranker: the exact log-probability of each candidate item's answer tokens under a row's prompt
(the same tokens SFT and DPO train on). Each prompt runs through the model once and the candidates' answers
are batched on its shared key/value cache, so scoring C candidates costs one prompt pass plus C short answer
passes instead of C whole sequences (benchmarks/bench_rank.py)."""

from __future__ import annotations

import numpy as np
import torch
from tqdm import tqdm

from sprec.data.dataset import Example
from sprec.llm.logprobs import shared_prompt_logps
from sprec.prompts import Prompter


@torch.no_grad()
def candidate_logps(model, prompter: Prompter, examples: list[Example], ids: np.ndarray, rows_per_batch: int = 1,
                    desc: str = "LLM scores of candidates") -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(log pi(answer | prompt) summed over each candidate's answer tokens, number of answer tokens), both
    (N, C) for the (N, C) candidate item ids `ids`."""
    model.eval()
    answers = prompter.all_answer_ids()
    lengths = np.array([[len(answers[i]) for i in row] for row in ids], dtype=np.int64).reshape(ids.shape)
    logps = np.zeros(ids.shape, dtype=np.float64)
    pad = prompter.tokenizer.pad_token_id
    for start in tqdm(range(0, len(examples), rows_per_batch), desc=desc, unit="batch", leave=False):
        rows = range(start, min(start + rows_per_batch, len(examples)))
        prompts = [prompter.prompt_ids(examples[r].history) for r in rows]
        batch = [[answers[i] for i in ids[r]] for r in rows]
        logps[start : rows.stop] = shared_prompt_logps(model, prompts, batch, pad).double().numpy()
    return logps, lengths
