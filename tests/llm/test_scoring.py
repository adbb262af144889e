"""LLM scores of candidates: one prompt prefill shared by all candidates gives the log-probs of separate
whole-sequence passes."""

import numpy as np
import torch

from sprec.llm.logprobs import separate_logps
from sprec.llm.model import load_model
from sprec.llm.prompts import Prompter
from sprec.llm.scoring import candidate_logps, prior_logps


def test_shared_prefill_scores_equal_separate_passes(tiny_cfg, goodreads_dataset):
    ds = goodreads_dataset
    model, tok = load_model(tiny_cfg)
    prompter = Prompter.for_run(tok, ds, tiny_cfg)
    rows = ds.splits["test"][:3]
    ids = np.array([[5, 17, 2000, 40], [1, 2, 3, 4], [4000, 9, 77, 5]])
    logps, lengths = candidate_logps(model, prompter, rows, ids)
    answers = [[prompter.answer_ids(int(i)) for i in row] for row in ids]
    with torch.no_grad():
        ref = separate_logps(model, [prompter.prompt_ids(e.history) for e in rows], answers, tok.pad_token_id)
    assert np.abs(logps - ref.double().numpy()).max() < 1e-4
    assert lengths.tolist() == [[len(a) for a in row] for row in answers]
    assert (logps < 0).all()


def test_scoring_resumes_after_the_rows_saved_and_the_prior_uses_an_empty_history(tiny_cfg, goodreads_dataset,
                                                                                     tmp_path):  # fmt: skip
    ds = goodreads_dataset
    model, tok = load_model(tiny_cfg)
    prompter = Prompter.for_run(tok, ds, tiny_cfg)
    rows, ids = ds.splits["test"][:3], np.array([[5, 17], [1, 2], [9, 77]])
    whole, _ = candidate_logps(model, prompter, rows, ids)
    partial = tmp_path / "scores.partial.npz"
    candidate_logps(model, prompter, rows[:2], ids[:2], partial=partial, save_every=1)  # "killed" after row 2
    with np.load(partial) as f:
        saved = {k: f[k] for k in f.files}
    np.savez(partial, ids=ids, logps=saved["logps"].tolist() + [[0.0, 0.0]], done=2)  # as if ids had 3 rows
    resumed, _ = candidate_logps(model, prompter, rows, ids, partial=partial)
    assert np.allclose(resumed, whole, atol=1e-4) and resumed[:2].tolist() == saved["logps"].tolist()
    prior = prior_logps(model, prompter, np.array([5, 17, 9]), answers_per_pass=2)
    answers = [[prompter.answer_ids(i) for i in (5, 17, 9)]]
    with torch.no_grad():
        ref = separate_logps(model, [prompter.prompt_ids([])], answers, tok.pad_token_id)[0]
    assert np.abs(prior - ref.double().numpy()).max() < 1e-4


def test_answer_trie_shares_prefixes_and_packed_scores_equal_separate_passes(tiny_cfg, goodreads_dataset):
    from sprec.llm.trie_logps import answer_trie, trie_logps

    tokens, parents, paths = answer_trie([[7, 8, 9], [7, 8, 4], [5], [7, 8, 9]])
    assert tokens == [7, 8, 9, 4, 5] and parents == [-1, 0, 1, 1, -1]
    assert paths == [[0, 1, 2], [0, 1, 3], [4], [0, 1, 2]]  # a repeated answer reuses its path
    model, tok = load_model(tiny_cfg)
    prompter = Prompter.for_run(tok, goodreads_dataset, tiny_cfg)
    prompt = prompter.prompt_ids(goodreads_dataset.splits["test"][0].history)
    answers = [prompter.answer_ids(i) for i in (5, 17, 2000)]
    answers += [answers[0][:3] + answers[1][3:], answers[2]]  # shares a 3-token prefix with the first; a repeat
    packed = trie_logps(model, prompt, answers)
    with torch.no_grad():
        ref = separate_logps(model, [prompt], [answers], tok.pad_token_id)[0]
    assert len(answer_trie(answers)[0]) < sum(map(len, answers)) - 3
    assert torch.allclose(packed, ref, atol=1e-4) and packed[2] == packed[4]


def test_the_prior_cache_grows_and_computes_only_the_items_it_lacks(tmp_path, monkeypatch):
    import sprec.llm.scoring as scoring

    computed = []

    def fake_prior(model, prompter, items):  # an item's "prior": minus its id
        computed.append(items.tolist())
        return -items.astype(np.float64)

    monkeypatch.setattr(scoring, "prior_logps", fake_prior)
    path, loads = tmp_path / "prior.npz", []

    def scorer():
        loads.append(1)
        return None, None

    items, logps = scoring.cached_prior_logps(path, np.array([9, 3]), scorer)
    assert items.tolist() == [3, 9] and logps.tolist() == [-3.0, -9.0]
    items, logps = scoring.cached_prior_logps(path, np.array([3, 5, 7]), scorer)  # 3 is kept, 5 and 7 added
    assert computed == [[3, 9], [5, 7]] and items.tolist() == [3, 5, 7, 9] and logps.tolist() == [-3, -5, -7, -9]
    scoring.cached_prior_logps(path, np.array([9, 5]), scorer)  # all known: no model loaded
    assert len(loads) == 2 and len(computed) == 2


def test_without_the_prompts_gradient_the_scores_are_the_same_and_only_the_answers_pass_learns(tiny_cfg,
                                                                                             goodreads_dataset):
    from sprec.llm.model import add_lora
    from sprec.llm.trie_logps import trie_logps

    model, tok = load_model(tiny_cfg)
    model = add_lora(model, tiny_cfg.lora)
    prompter = Prompter.for_run(tok, goodreads_dataset, tiny_cfg)
    prompt = prompter.prompt_ids(goodreads_dataset.splits["test"][0].history)
    answers = [prompter.answer_ids(5)[:1], prompter.answer_ids(17)]  # a one-token answer: predicted by the prompt
    full, answers_only = trie_logps(model, prompt, answers), trie_logps(model, prompt, answers, prompt_grad=False)
    assert torch.allclose(full, answers_only)

    def lora_gradient(logp: torch.Tensor) -> float:
        model.zero_grad()
        logp.backward(retain_graph=True)
        return sum(float(p.grad.abs().sum()) for p in model.parameters() if p.requires_grad and p.grad is not None)

    assert lora_gradient(full[0]) > 0 and lora_gradient(answers_only[0]) == 0  # its path runs through the prompt
    assert lora_gradient(answers_only[1]) > 0  # a longer answer's later tokens run through the answers' pass
