import json
import os

import pytest

from sprec.config import load_run_config
from sprec.experiment.progress import SECONDS_PER_UNIT, RunProgress, plan_run, speeds, stage_kind, time_left
from tests.helpers import ROOT


def test_time_left_before_any_stage_is_the_plan_times_the_llm_calibration():
    plan = {"prepare": 1.0, "sasrec: train": 60.0, "sft: train": 100.0, "sft (embedding): recommend": 50.0}
    assert time_left(plan, {}) == 211.0
    assert time_left(plan, {}, calibration=2.0) == 1.0 + 60.0 + 300.0  # only the LLM stages scale


def test_each_kind_of_stage_scales_by_its_own_measured_speed():
    plan = {"sasrec: train": 60.0, "sft: train": 100.0, "sft (embedding): recommend": 50.0, "dpo: train": 100.0,
            "dpo (embedding): recommend": 50.0, "rerank-pop (embedding): rerank": 10.0}  # fmt: skip
    # SASRec took 10x its plan: that says nothing about the LLM stages (420 s left at the calibration of 2)
    assert time_left(plan, {"sasrec: train": 600.0}, calibration=2.0) == 2 * 300.0 + 10.0
    # SFT took 3x: training stages 3x (dpo 300 s); inference borrows the training speed (2 x 50 x 3)
    assert time_left(plan, {"sasrec: train": 600.0, "sft: train": 300.0}, 2.0) == 300.0 + 300.0 + 10.0
    # once a recommend stage is measured (1x), inference uses its own speed
    done = {"sasrec: train": 600.0, "sft: train": 300.0, "sft (embedding): recommend": 50.0}
    assert time_left(plan, done, 2.0) == 300.0 + 50.0 + 10.0
    assert stage_kind("itemknn: train") == "fixed" and stage_kind("sasrec > sft: rank") == "llm-infer"
    assert speeds({"a: train": 10.0}, {"a: train": 99.0})["llm-train"] == 1.0  # a stage under 30 s calibrates nothing


def test_replayed_quickstart_estimates_are_within_a_factor_1_5_from_the_second_stage_on():
    """A quickstart run's recorded stage times (2026-11-26, a 2-core AVX2 machine, float32), replayed with the
    calibration that run measured at its start (a few forward passes): each line's time left against what the rest
    of the run really took. (On an AVX-512 BF16 machine the same code's first lines were 0.65-1.7x of the truth over
    three runs whose own speed varied by 25%: docs/results/quickstart/README.md.)"""
    info = json.loads((ROOT / "tests/fixtures/quickstart-run.avx2-float32.json").read_text())
    record, calibration = info["wall_seconds"], info["llm_speed_calibration"]
    cfg = load_run_config(ROOT / "configs/quickstart.yaml")
    plan = plan_run(cfg, n_train=71653, n_test=200, n_valid=cfg.data.prepare.valid_size)
    order = [k for k in record if k in plan]
    assert sorted(order) == sorted(plan)  # every planned stage was recorded (in the order they ran)
    measured = {}
    for i, stage in enumerate(order[:-1]):
        measured[stage] = record[stage]
        truth = sum(record[k] for k in order[i + 1 :])
        assert 1 / 1.5 <= time_left(plan, measured, calibration) / truth <= 1.5, stage


def test_plan_of_the_goodreads_config_names_every_recorded_stage():
    cfg = load_run_config("configs/goodreads-cpu.yaml")
    plan = plan_run(cfg, n_train=5000, n_test=1000)
    u = SECONDS_PER_UNIT
    models = ["sft", "dmpo", "dpo-semantic", "sft-reweighted", "dpo", "sdpo", "sprec t=1", "sprec t=2",
              "sprec-hybrid t=1", "sprec-hybrid t=2"]
    assert list(plan) == [
        "prepare", "popularity", "sasrec: train", "itemknn: train",
        *[stage for m in models for stage in (f"{m}: train", f"{m} (embedding): recommend")],
        "rerank-pop (embedding): rerank", "rerank-mmr (embedding): rerank", "rerank-calibrated (embedding): rerank",
        "sasrec > sft: rank", "sasrec > sprec t=2: rank", "sasrec > sprec-hybrid t=2: rank",
        "sasrec > dpo: rank",  # hybrid.models, in that order
        "d3: sft (trie): recommend",  # d3.models: only the SFT model is decoded with D3
    ]  # fmt: skip
    assert plan["sft: train"] == pytest.approx(1024 * u["sft"])
    assert plan["sdpo: train"] == pytest.approx(256 * u["dpo"] * 1.4)  # 3 negatives: 1 + 0.2 * 2
    assert plan["sprec t=2: train"] == pytest.approx(256 * (u["selfplay"] + u["sft"] + u["dpo"]))
    hybrid_negative = u["rank"] + 20 * u["rank_candidate"]  # the two-stage system's top-1 of 20 candidates
    assert plan["sprec-hybrid t=2: train"] == pytest.approx(256 * (hybrid_negative + u["sft"] + u["dpo"]))
    assert plan["sft (embedding): recommend"] == pytest.approx(1000 * u["generate"])
    assert plan["d3: sft (trie): recommend"] == pytest.approx(1000 * u["beam"])
    # 20 candidates of the test and validation rows
    assert plan["sasrec > dpo: rank"] == pytest.approx((u["rank"] + 20 * u["rank_candidate"]) * (1000 + 256))
    cfg.selfplay.evaluate = "last"  # iteration 1 is trained but not recommended with
    evaluated = plan_run(cfg, n_train=5000, n_test=1000)
    assert set(plan) - set(evaluated) == {"sprec t=1 (embedding): recommend", "sprec-hybrid t=1 (embedding): recommend"}
    cfg.hybrid.models, cfg.d3.models = None, None  # every model gets a hybrid and a D3 row
    plan = plan_run(cfg, n_train=5000, n_test=1000)
    assert {k for k in plan if k.startswith("d3:")} == {f"d3: {m} (trie): recommend" for m in models}
    assert {k for k in plan if k.endswith(": rank")} == {f"sasrec > {m}: rank" for m in models}


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


def test_progress_lines_count_stages_skip_earlier_sessions_and_end_with_all_done(capsys, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("sprec.experiment.progress.time.time", lambda: clock[0])
    progress = RunProgress({"prepare": 1.0, "sasrec: train": 60.0, "sft: train": 600.0}, {}, calibration=2.0)
    assert "about 21 min here (LLM speed calibrated at 2.00x" in capsys.readouterr().err  # 1 + 60 + 1200 s
    progress.record("sasrec: train", 90.0)  # loaded at once from an earlier session: counted, no line
    assert capsys.readouterr().err == "" and progress.resumed == 1
    clock[0] += 0.5
    progress.record("prepare", 0.4)
    err = capsys.readouterr().err
    assert "prepare done; 2/3 stages (1 done in earlier sessions), 1 min in this session, about 20 min left" in err
    clock[0] += 1300.0
    progress.record("sft: train", 1290.0)
    assert "sft: train done; 3/3 stages (1 done in earlier sessions), 22 min in this session, all done" in (
        capsys.readouterr().err)  # fmt: skip


def test_a_stage_whose_output_predates_the_session_is_not_replayed(tmp_path, capsys):


    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text("{}")
    os.utime(old, (1.0, 1.0))  # written long before this session
    progress = RunProgress({"popularity": 0.0, "itemknn: train": 5.0}, {})
    capsys.readouterr()
    progress.record("popularity", 0.0, old)  # a 0-second stage: only its file tells it was loaded
    assert capsys.readouterr().err == "" and progress.resumed == 1
    new.write_text("{}")
    progress.record("itemknn: train", 0.4, new)
    assert "itemknn: train done; 2/2 stages (1 done in earlier sessions)" in capsys.readouterr().err


def test_a_resumed_run_counts_the_stages_an_earlier_session_recorded_wherever_they_come(tmp_path, capsys):
    """Issue 14: a resumed run said "5 h 11 min left" with 2 min left, counting every stage not yet reached."""
    plan = {"prepare": 1.0, "sft: train": 600.0, "sft (embedding): recommend": 300.0, "dpo: train": 600.0}
    earlier = {"prepare": 0.5, "sft: train": 1200.0, "dpo: train": 1100.0, "gone: train": 5.0}  # 2x slower than plan
    measured, saved = {}, []
    progress = RunProgress(plan, measured, calibration=1.0, earlier=earlier, save=lambda: saved.append(dict(measured)))
    # only the recommendation is left: planned 300 s, at the 2x speed the earlier LLM stages measured
    assert "planned: 4 stages, 3 done in earlier sessions, about 10 min left here" in capsys.readouterr().err
    assert "gone: train" not in measured and measured["dpo: train"] == 1100.0  # kept for run.json
    progress.record("sft: train", 1200.0)  # reached and loaded: already counted
    assert progress.resumed == 3 and capsys.readouterr().err == ""
    (tmp_path / "sft-embedding.json").write_text("{}")  # written in this session
    progress.record("sft (embedding): recommend", 290.0, tmp_path / "sft-embedding.json")
    # prepare and dpo are not reached yet in this session: counted only once recorded, as the pipeline does
    assert "2/4 stages (3 done in earlier sessions)" in capsys.readouterr().err
    assert saved[-1] == measured and len(saved) == 2  # run.json written after each stage, earlier times kept


def test_a_stage_an_earlier_session_recorded_but_made_again_is_not_called_done_before_it_is(tmp_path, capsys):
    """Issue 30: "9/9 stages ... all done" while 2 stages remained: run.json's earlier times counted stages whose
    outputs this session had to make again."""
    plan = {"prepare": 1.0, "sft: train": 600.0, "sasrec > sft: rank": 300.0}
    earlier = {"prepare": 0.5, "sft: train": 700.0, "sasrec > sft: rank": 320.0}
    progress = RunProgress(plan, {"prepare": 0.4}, earlier=earlier)
    capsys.readouterr()
    (tmp_path / "adapter").mkdir()
    os.utime(tmp_path / "adapter", (progress.start + 1, progress.start + 1))  # written in this session
    progress.record("sft: train", 650.0, tmp_path / "adapter")  # made again (its adapter is new), rank still ahead
    err = capsys.readouterr().err
    assert "sft: train done; 2/3 stages" in err and "all done" not in err
    (tmp_path / "rank.json").write_text("{}")
    os.utime(tmp_path / "rank.json", (progress.start + 2, progress.start + 2))
    progress.record("sasrec > sft: rank", 310.0, tmp_path / "rank.json")
    assert "3/3 stages (1 done in earlier sessions), 1 min in this session, all done" in capsys.readouterr().err
