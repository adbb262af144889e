import pytest

from sprec.config import load_run_config
from sprec.progress import SECONDS_PER_UNIT, RunProgress, plan_run, time_left


def test_time_left_before_any_stage_is_the_plan():
    assert time_left({"a": 40.0, "b": 80.0, "c": 120.0}, {}) == 240.0


def test_time_left_rescales_the_rest_by_measured_over_planned():
    # "a" was planned at 40 s and took 80 s: the machine runs at half the planned speed, so 80 + 120 -> 400 s.
    assert time_left({"a": 40.0, "b": 80.0, "c": 120.0}, {"a": 80.0}) == 400.0
    # two done: (80 + 40) / (40 + 80) = 1, so only "c" at its planned 120 s remains
    assert time_left({"a": 40.0, "b": 80.0, "c": 120.0}, {"a": 80.0, "b": 40.0}) == 120.0
    assert time_left({"a": 40.0}, {"a": 5.0, "other": 99.0}) == 0.0
    # a stage planned under 30 s does not calibrate: "a" took 0.1 s of its 1 s, "b" stays at its 60 s
    assert time_left({"a": 1.0, "b": 60.0}, {"a": 0.1}) == 60.0


def test_plan_of_the_goodreads_config_names_every_recorded_stage():
    cfg = load_run_config("configs/goodreads-cpu.yaml")
    plan = plan_run(cfg, n_train=5000, n_test=1000)
    u = SECONDS_PER_UNIT
    assert list(plan) == [
        "prepare", "popularity", "sasrec: train", "itemknn: train", "sft: train", "sft (embedding): recommend",
        "dpo: train", "dpo (embedding): recommend", "sdpo: train", "sdpo (embedding): recommend", "sprec t=1: train",
        "sprec t=1 (embedding): recommend", "sprec t=2: train", "sprec t=2 (embedding): recommend",
        "rerank-pop (embedding): rerank", "rerank-mmr (embedding): rerank", "sasrec > sft: rank",
        "sasrec > dpo: rank", "sasrec > sdpo: rank", "sasrec > sprec t=1: rank", "sasrec > sprec t=2: rank",
    ]  # fmt: skip
    assert plan["sasrec > dpo: rank"] == pytest.approx(u["rank"] * (1000 + 256))  # test and validation rows
    assert plan["sft: train"] == pytest.approx(1024 * u["sft"])
    assert plan["sdpo: train"] == pytest.approx(256 * u["dpo"] * 1.4)  # 3 negatives: 1 + 0.2 * 2
    assert plan["sprec t=2: train"] == pytest.approx(256 * (u["selfplay"] + u["sft"] + u["dpo"]))
    assert plan["sft (embedding): recommend"] == pytest.approx(1000 * u["generate"])


def test_without_the_sft_row_its_training_is_planned_into_the_first_method(tmp_path):
    cfg = load_run_config("configs/goodreads-cpu.yaml")
    cfg.methods, u = ["dpo"], SECONDS_PER_UNIT
    plan = plan_run(cfg, n_train=100, n_test=10)
    assert plan["dpo: train"] == pytest.approx(100 * u["sft"] + 100 * u["dpo"])
    assert "sft: train" not in plan and "popularity" not in plan
    cfg.methods = ["rerank-mmr"]  # re-ranking alone: its stage trains SFT and recommends with it
    plan = plan_run(cfg, n_train=100, n_test=10)
    assert list(plan) == ["prepare", "rerank-mmr (embedding): rerank"]
    assert plan["rerank-mmr (embedding): rerank"] == pytest.approx(10 + 100 * u["sft"] + 10 * u["generate"])


def test_progress_line_counts_stages_and_time_left(capsys):
    progress = RunProgress({"prepare": 60.0, "sft: train": 600.0}, {})
    progress.record("prepare", 120.0)
    err = capsys.readouterr().err
    assert "about 11 min on a 2-core CPU" in err
    assert "prepare done; 1/2 stages" in err and "about 20 min left" in err
