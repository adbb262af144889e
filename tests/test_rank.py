"""LLM scores of candidates: one prompt prefill shared by all candidates gives the log-probs of separate
whole-sequence passes."""

import numpy as np
import torch

from sprec.llm.logprobs import separate_logps
from sprec.llm.model import load_model
from sprec.prompts import Prompter
from sprec.rank import candidate_logps


def test_shared_prefill_scores_equal_separate_passes(tiny_cfg, goodreads_dataset):
    ds = goodreads_dataset
    model, tok = load_model(tiny_cfg)
    prompter = Prompter.for_run(tok, ds, tiny_cfg)
    rows = ds.splits["test"][:3]
    ids = np.array([[5, 17, 2000, 40], [1, 2, 3, 4], [4000, 9, 77, 5]])
    logps, lengths = candidate_logps(model, prompter, rows, ids, rows_per_batch=2)
    answers = [[prompter.answer_ids(int(i)) for i in row] for row in ids]
    with torch.no_grad():
        ref = separate_logps(model, [prompter.prompt_ids(e.history) for e in rows], answers, tok.pad_token_id)
    assert np.abs(logps - ref.double().numpy()).max() < 1e-4
    assert lengths.tolist() == [[len(a) for a in row] for row in answers]
    assert (logps < 0).all()
