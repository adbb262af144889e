"""The SPRec loop on the tiny model: seeded prompts, grounded negatives never equal to the positive,
one pair file per iteration, and a run stopped after iteration 1 resumes to the same final adapter."""

import shutil

import pytest
import torch
from safetensors.torch import load_file

from sprec.config import DPOSettings, SelfPlaySettings, SFTSettings
from sprec.llm.model import add_lora, load_model, save_adapter
from sprec.llm.prompts import Prompter
from sprec.train.selfplay import (
    iteration_seconds,
    iteration_stats,
    model_negatives,
    run_selfplay,
    sample_prompts,
    selfplay_iterations,
)


@pytest.fixture(scope="module")
def start(tiny_cfg, tmp_path_factory):
    model, _ = load_model(tiny_cfg)
    return save_adapter(add_lora(model, tiny_cfg.lora), tmp_path_factory.mktemp("sp") / "adapter", tiny_cfg)


def _settings(**kw):
    return SelfPlaySettings(iterations=2, prompts=4, batch_size=4,
                            sft=SFTSettings(examples=None, batch_size=4, eval_examples=0, learning_rate=1e-3),
                            dpo=DPOSettings(batch_size=4, grad_accum=1, learning_rate=1e-3), **kw)  # fmt: skip


def test_prompts_are_seeded(goodreads_dataset):
    rows = goodreads_dataset.splits["train"]
    assert sample_prompts(rows, 5, 1) == sample_prompts(rows, 5, 1) != sample_prompts(rows, 5, 2)


@pytest.mark.parametrize("mode", ["paper", "sampled"])
def test_negatives_are_catalog_items_other_than_the_target(tiny_cfg, start, goodreads_dataset, mode):
    model, tok = load_model(tiny_cfg, start)
    prompter = Prompter(tok, goodreads_dataset.catalog, goodreads_dataset.item_noun)
    rows = goodreads_dataset.splits["train"][:4]
    rows = [rows[0].__class__(rows[0].history, rows[0].history[-1]), *rows[1:]]  # a target the model may copy
    negatives, stats = model_negatives(model, tok, prompter, rows, _settings(negatives=mode, samples=3), seed=0)
    assert stats["negatives_outside_catalog"] == 0
    for e, negs in zip(rows, negatives, strict=True):
        assert e.target not in negs and all(0 <= i < len(goodreads_dataset.catalog) for i in negs)
        assert len(negs) <= (3 if mode == "sampled" else 1)


def test_loop_resumes_to_the_same_result(tiny_cfg, start, goodreads_dataset, tmp_path):
    s = _settings()
    full = run_selfplay(goodreads_dataset, tiny_cfg, s, start, tmp_path / "full")
    assert [p.parent.parent.name for p in full] == ["iteration-1", "iteration-2"]
    assert (tmp_path / "full/iteration-2/pairs.jsonl").exists()
    assert "negative_equals_positive" in iteration_stats(tmp_path / "full", 1)
    assert iteration_seconds(tmp_path / "full", 2) > 0
    shutil.copytree(tmp_path / "full", tmp_path / "part")
    shutil.rmtree(tmp_path / "part/iteration-2")  # stopped after iteration 1
    # one iteration at a time: iteration 1 is handed over (resumed) before iteration 2 starts, so a run reports it
    iterations = selfplay_iterations(goodreads_dataset, tiny_cfg, s, start, tmp_path / "part")
    first_again = next(iterations)
    assert first_again.parent.parent.name == "iteration-1" and not (tmp_path / "part/iteration-2").exists()
    part = [first_again, *iterations]
    a, b = (load_file(p / "adapter_model.safetensors") for p in (full[-1], part[-1]))
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)
    first = load_file(full[0] / "adapter_model.safetensors")
    assert any(not torch.allclose(first[k], a[k]) for k in a)  # iteration 2 moved the weights
