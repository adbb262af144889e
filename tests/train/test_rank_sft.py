"""rank-sft on the tiny model: training rows always hold the true item, the loss on them falls, a run makes
hybrid rows only."""

import numpy as np
import pytest
import torch

from sprec.config import RankSFTSettings
from sprec.data.dataset import Example
from sprec.errors import DataError
from sprec.llm.model import add_lora, load_model, save_adapter, training_config
from sprec.llm.prompts import Prompter
from sprec.llm.scoring import prior_logps
from sprec.llm.trie_logps import trie_logps
from sprec.ranking.candidates import Candidates
from sprec.train.losses import candidate_softmax_loss
from sprec.train.rank_sft import rank_sft_summary, ranking_rows, train_rank_sft


def test_ranking_rows_put_a_missed_target_in_place_of_the_last_candidate():
    rows = [Example(history=(1, 2), target=5), Example(history=(3,), target=9)]
    cands = Candidates(np.array([[4, 5, 6], [7, 8, 6]]), np.zeros((2, 3)))
    ranking, missed = ranking_rows(rows, cands)
    assert [(ids, t) for _, ids, t in ranking] == [([4, 5, 6], 1), ([7, 8, 9], 2)] and missed == 1
    with pytest.raises(DataError, match="hold the true next item in none of the 1 training rows"):
        ranking_rows(rows[1:], Candidates(cands.ids[1:], cands.scores[1:]))


def _mean_loss(cfg, adapter, ds, ranking, prior: dict | None = None):
    model, tok = load_model(cfg, adapter)
    prompter = Prompter(tok, ds.catalog, ds.item_noun)
    answers = prompter.all_answer_ids()
    with torch.no_grad():
        return float(np.mean([candidate_softmax_loss(trie_logps(model, prompter.prompt_ids(e.history),
                                                                [answers[i] for i in ids]), t,
                                                     prior=_of(prior, ids)).item()
                              for e, ids, t in ranking]))  # fmt: skip


def _of(prior: dict | None, ids: list[int]) -> torch.Tensor | None:
    return torch.tensor([prior[i] for i in ids]) if prior else None


def _start_priors(cfg, adapter, ds, items: list[int]) -> dict:
    model, tok = load_model(training_config(cfg), adapter)  # rank-sft trains (and so calibrates) in float32
    with torch.no_grad():
        logps = prior_logps(model, Prompter.for_run(tok, ds, cfg), np.array(items))
    return dict(zip(items, logps, strict=True))


@pytest.mark.parametrize(("calibrated", "prompt_grad"), [(False, True), (True, True), (False, False)])
def test_training_lowers_the_ranking_loss_and_resumes_done(tiny_cfg, goodreads_dataset, tmp_path, calibrated,
                                                           prompt_grad):  # fmt: skip
    ds = goodreads_dataset
    rows = [e for e in ds.splits["train"][:8] if e.target is not None]
    rng = np.random.default_rng(0)
    ids = np.array([[e.target, *rng.choice([i for i in range(50) if i != e.target], 4, replace=False)]
                    for e in rows])  # fmt: skip
    ranking, _ = ranking_rows(rows, Candidates(ids, np.zeros(ids.shape)))
    model, _ = load_model(tiny_cfg)
    start = save_adapter(add_lora(model, tiny_cfg.lora), tmp_path / "start", tiny_cfg)
    # calibrated: the softmax subtracts each candidate's prior under the starting model, a constant kept beside
    prior = _start_priors(tiny_cfg, start, ds, sorted(set(ids.ravel().tolist()))) if calibrated else None
    before = _mean_loss(tiny_cfg, start, ds, ranking, prior)
    s = RankSFTSettings(epochs=4, batch_size=2, learning_rate=3e-3, calibrated=calibrated, prompt_grad=prompt_grad)
    adapter = train_rank_sft(ds, tiny_cfg, s, ranking, tmp_path / "rank", start)
    after = _mean_loss(tiny_cfg, adapter, ds, ranking, prior)
    assert after < before - 0.1, (before, after)
    summary = rank_sft_summary(tmp_path / "rank")
    assert summary["calibrated"] == calibrated and (tmp_path / "rank/priors.npz").exists() == calibrated
    assert summary["prompt_grad"] == prompt_grad
    if calibrated:
        with np.load(tmp_path / "rank/priors.npz") as f:
            assert dict(zip(f["items"].tolist(), f["logps"].tolist(), strict=True)) == pytest.approx(prior, abs=1e-4)
    assert summary["rows"] == len(rows) and summary["candidates"] == 5
    assert summary["chance_loss"] == pytest.approx(np.log(5), abs=1e-4)
    assert train_rank_sft(ds, tiny_cfg, s, ranking, tmp_path / "rank", start) == adapter  # done: not trained again
