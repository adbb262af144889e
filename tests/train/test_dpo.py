"""DPO / S-DPO on the tiny model: pairs never reward the target as negative, the chosen answer gains on the
rejected ones, TRL's engine runs the same pairs, a resumed run matches."""

import shutil

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from sprec.config import DPOSettings
from sprec.llm.logprobs import shared_prompt_logps
from sprec.llm.model import add_lora, load_model, save_adapter
from sprec.llm.prompts import Prompter
from sprec.train.dpo import _records, dpo_summary, random_negative_pairs, train_dpo


@pytest.fixture(scope="module")
def start_adapter(tiny_cfg, tmp_path_factory):
    model, _ = load_model(tiny_cfg)
    out = tmp_path_factory.mktemp("start")
    return save_adapter(add_lora(model, tiny_cfg.lora), out / "adapter", tiny_cfg)


def test_random_negatives(goodreads_dataset):
    rows = goodreads_dataset.splits["train"][:50]
    pairs = random_negative_pairs(rows, len(goodreads_dataset.catalog), 3, seed=0)
    assert pairs == random_negative_pairs(rows, len(goodreads_dataset.catalog), 3, seed=0)
    assert all(p.chosen not in p.rejected and len(set(p.rejected)) == 3 for p in pairs)


def _margins(cfg, adapter, dataset, pairs):
    model, tok = load_model(cfg, adapter)
    model.eval()
    records = _records(Prompter(tok, dataset.catalog, dataset.item_noun), pairs)
    with torch.no_grad():
        logps = shared_prompt_logps(model, [r["prompt_ids"] for r in records], [r["answer_ids"] for r in records],
                                    tok.pad_token_id)  # fmt: skip
    return logps[:, 0] - logps[:, 1:].mean(1)


@pytest.mark.parametrize(("negatives", "loss"), [(1, "sdpo"), (2, "sdpo"), (2, "dmpo")])
def test_chosen_gains_on_rejected(tiny_cfg, goodreads_dataset, start_adapter, tmp_path, negatives, loss):
    pairs = random_negative_pairs(goodreads_dataset.splits["train"][:8], len(goodreads_dataset.catalog), negatives, 0)
    s = DPOSettings(negatives=negatives, learning_rate=5e-3, epochs=3, batch_size=4, grad_accum=1, save_every=2,
                    loss=loss)  # fmt: skip
    adapter = train_dpo(goodreads_dataset, tiny_cfg, s, pairs, tmp_path / "dpo", start_adapter)
    before = _margins(tiny_cfg, start_adapter, goodreads_dataset, pairs)
    after = _margins(tiny_cfg, adapter, goodreads_dataset, pairs)
    assert after.mean() > before.mean() + 0.1
    assert dpo_summary(tmp_path / "dpo")["pairs"] == 8
    if negatives == 1:  # resume: kill after step 2 (checkpoint-2 kept), rerun, same adapter
        part = tmp_path / "part"
        shutil.copytree(tmp_path / "dpo", part)
        for name in ("adapter", "checkpoints/checkpoint-6"):
            shutil.rmtree(part / name)
        (part / "dpo_done.json").unlink()
        train_dpo(goodreads_dataset, tiny_cfg, s, pairs, part, start_adapter)
        a, b = (load_file(d / "adapter" / "adapter_model.safetensors") for d in (tmp_path / "dpo", part))
        assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)


def test_trl_engine_runs_the_same_pairs(tiny_cfg, goodreads_dataset, start_adapter, tmp_path):
    pairs = random_negative_pairs(goodreads_dataset.splits["train"][:4], len(goodreads_dataset.catalog), 1, 0)
    s = DPOSettings(engine="trl", learning_rate=5e-3, epochs=1, batch_size=4, grad_accum=1)
    adapter = train_dpo(goodreads_dataset, tiny_cfg, s, pairs, tmp_path / "trl", start_adapter)
    assert (adapter / "adapter_model.safetensors").exists()
    assert dpo_summary(tmp_path / "trl")["engine"] == "trl"


def test_semantic_negatives_are_the_nearest_title_never_the_target_or_history():
    from sprec.data.dataset import Example
    from sprec.train.dpo import semantic_negative_pairs

    # item 0 points along x; 3 is nearest (in the history), then 1; 2 is orthogonal
    vectors = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.95, 0.05]])
    pairs = semantic_negative_pairs([Example((3,), 0), Example((2,), 3), Example((0,), None)], vectors)
    assert [(p.chosen, p.rejected) for p in pairs] == [(0, (1,)), (3, (0,))]  # a row without a target: no pair
