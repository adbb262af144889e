"""One smoke run on the real SmolLM2-135M: SFT on a handful of real Goodreads examples, recommend with both
groundings, evaluate; then the command line recommends for a new history."""

import subprocess
import sys

import pytest

from sprec.config import ModelConfig, RecommendSettings, SFTSettings
from sprec.evaluation.evaluate import evaluate_predictions
from sprec.llm.generate import recommend
from sprec.llm.model import load_model
from sprec.llm.prompts import Prompter
from sprec.train.sft import sft_summary, train_sft
from tests.helpers import ROOT


@pytest.fixture(scope="module")
def smol_run(goodreads_dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("smol-sft")
    s = SFTSettings(examples=8, batch_size=4, eval_examples=4, eval_every=2, save_every=2)
    train_sft(goodreads_dataset, ModelConfig(), s, out)
    return out


def test_sft_recommend_evaluate(smol_run, goodreads_dataset):
    summary = sft_summary(smol_run)
    assert summary["examples"] == 8 and summary["train_loss"] > 0
    model, tok = load_model(ModelConfig(), adapter=smol_run / "adapter")
    prompter = Prompter(tok, goodreads_dataset.catalog, goodreads_dataset.item_noun, ModelConfig().system_prompt)
    rows = goodreads_dataset.splits["test"][:4]
    for s in (RecommendSettings(k=5, batch_size=4), RecommendSettings(grounding="trie", k=3, batch_size=6)):
        rec = recommend(model, tok, prompter, rows, s, cache_dir=goodreads_dataset.path)
        assert all(len(r) == len(set(r)) == s.k for r in rec.topk)
        metrics = evaluate_predictions(rows, goodreads_dataset.catalog, rec.topk, [1, s.k])
        assert 0 <= metrics[str(s.k)]["HR"] <= 1 and metrics["1"]["DivRatio"] > 0


def test_cli_recommends_for_a_new_history(smol_run):
    cmd = [sys.executable, "-m", "sprec.cli", "recommend", "--model", str(smol_run), "-k", "3", "--grounding", "trie",
           "--history", "Station Eleven", "The Nightingale"]  # fmt: skip
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert r.returncode == 0, r.stderr
    lines = [ln for ln in r.stdout.splitlines() if ln[:3].strip().rstrip(".").isdigit()]
    assert len(lines) == 3 and lines[0].startswith(" 1. ") and "model generated: " in r.stdout
    assert not {ln[4:] for ln in lines} & {"Station Eleven", "The Nightingale"}  # the user's own books stay out
    r = subprocess.run(cmd[:-2] + ["Station Elevn"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert r.returncode == 2 and "'Station Elevn' is not in the catalog; close matches: ['Station Eleven'" in r.stderr
    r = subprocess.run(cmd[:-3] + ["--user", "nobody"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert r.returncode == 2 and "user 'nobody' has no row in the prepared data" in r.stderr  # SPRec's rows: no ids
    r = subprocess.run(cmd + ["--user", "u1"], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert r.returncode == 2 and "not both" in r.stderr
