"""`sprec recommend --hybrid`: a finished run's two-stage system serves any rows with the choices its run made."""

import json
from pathlib import Path

import numpy as np
import pytest

from sprec.analysis import two_stage
from sprec.analysis.two_stage import TwoStageRanker, hybrid_recommend
from sprec.data.dataset import Dataset
from sprec.errors import DataError


def test_the_runs_own_lists_come_back_for_its_test_rows(finished_run):
    cfg, _ = finished_run
    run_dir = Path(cfg.run_dir)
    stored = json.loads((run_dir / "predictions/itemknn-sft.json").read_text())
    test = Dataset.load(run_dir / "data").splits["test"]
    topk, used = hybrid_recommend(run_dir / "models/sft", test, 2, exclude_history=False)
    assert topk.tolist() == [row[:2] for row in stored["topk"]]
    assert used == {"retriever": "itemknn", "weight": stored["weight"], "llm_score": stored["llm_score"]}


def test_a_ranker_computes_each_items_prior_once(finished_run, monkeypatch):
    cfg, _ = finished_run
    ranker = TwoStageRanker(Path(cfg.run_dir) / "models/sft")
    asked = []
    real = two_stage.prior_logps
    monkeypatch.setattr(two_stage, "prior_logps", lambda m, p, items: asked.append(items.tolist()) or real(m, p, items))
    first = ranker._priors(np.array([0, 2, 3]))
    again = ranker._priors(np.array([3, 1, 0]))
    assert asked == [[0, 2, 3], [1]]  # only the item not seen before
    assert np.allclose(again, real(ranker.model, ranker.prompter, np.array([3, 1, 0])), atol=1e-4)
    assert again[0] == first[2] and again[2] == first[0] and np.all(again < 0)


def test_a_self_play_models_ranker_takes_its_priors_from_the_model_the_run_calibrated_it_by(finished_run, tmp_path,
                                                                                            monkeypatch):  # fmt: skip
    import shutil

    cfg, _ = finished_run
    run = tmp_path / "run"
    shutil.copytree(cfg.run_dir, run)
    shutil.copytree(run / "models/sft/adapter", run / "models/sprec/iteration-1/dpo/adapter")
    stored = json.loads((run / "predictions/itemknn-sft.json").read_text())
    stored |= {"llm_score": "per token, calibrated", "prior_of": "sft"}  # as the run records a sprec t=1 row
    (run / "predictions/itemknn-sprect1.json").write_text(json.dumps(stored))
    loaded = []
    real = two_stage.load_model
    monkeypatch.setattr(two_stage, "load_model", lambda c, adapter: loaded.append(adapter) or real(c, adapter))
    ranker = TwoStageRanker(run / "models/sprec/iteration-1")
    assert ranker.prior_of == "sft" and loaded == [run / "models/sprec/iteration-1/dpo/adapter"]
    ranker._priors(np.array([0, 1]))
    assert loaded[1:] == [run / "models/sft/adapter"]  # the prior's model, loaded once, when first needed
    ranker._priors(np.array([2]))
    assert len(loaded) == 2


def test_a_model_folder_outside_a_run_is_refused(tmp_path):
    (tmp_path / "adapter").mkdir()
    (tmp_path / "adapter/adapter_config.json").write_text("{}")
    with pytest.raises(DataError):
        hybrid_recommend(tmp_path, [], 2)


def test_a_model_the_runs_hybrid_models_leave_out_is_named(finished_run, tmp_path):
    import shutil

    cfg, _ = finished_run
    run = tmp_path / "run"
    shutil.copytree(cfg.run_dir, run)
    info = json.loads((run / "run.json").read_text())
    info["config"]["methods"].append("dpo")
    info["config"]["hybrid"]["models"] = ["sft"]
    (run / "run.json").write_text(json.dumps(info))
    shutil.copytree(run / "models/sft/adapter", run / "models/dpo/adapter")
    with pytest.raises(DataError, match=r"the run's hybrid.models \['sft'\] leaves out 'dpo': add it there"):
        hybrid_recommend(run / "models/dpo", [], 2)


def test_a_copied_run_whose_original_is_gone_recommends_from_its_own_files(finished_run, tmp_path):
    import shutil

    from sprec.train.sft import trained_model_info

    cfg, _ = finished_run
    original, copy = tmp_path / "original", tmp_path / "copy"
    shutil.copytree(cfg.run_dir, original)
    shutil.copytree(original, copy)
    expected, _ = hybrid_recommend(original / "models/sft", Dataset.load(original / "data").splits["test"], 2, False)
    shutil.rmtree(original)
    assert trained_model_info(copy / "models/sft")[2] == copy / "data"
    topk, _ = hybrid_recommend(copy / "models/sft", Dataset.load(copy / "data").splits["test"], 2, False)
    assert topk.tolist() == expected.tolist()
