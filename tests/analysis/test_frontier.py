"""The relevance-diversity frontier of a finished run: every knob at every weight on every stored base."""

import json
from pathlib import Path

import pytest

from sprec.analysis.frontier import answers, frontier


def test_frontier_sweeps_every_base_and_weight_zero_is_the_base(finished_run):
    cfg, rows = finished_run
    run_dir = Path(cfg.run_dir)
    points = frontier(cfg)
    for name in ("frontier.md", "frontier.csv", "frontier.json", "frontier.png"):
        assert (run_dir / "frontier" / name).exists(), name
    keys = {(p["base"], p["knob"]) for p in points}
    assert {("sft (embedding)", "calibration"), ("itemknn", "MMR"), ("itemknn > sft", "fusion weight a"),
            ("popularity", "run row")} <= keys  # fmt: skip
    assert len([p for p in points if p["base"] == "itemknn" and p["knob"] == "calibration"]) == 11

    def at(base, knob, weight):
        return next(p for p in points if p["base"] == base and p["knob"] == knob and p["weight"] == weight)

    # weight 0 of every re-ranker is the base's own list: item-kNN's row, measure for measure
    for knob in ("popularity penalty", "MMR", "calibration"):
        point = at("itemknn", knob, 0.0)
        assert [point[m] for m in ("HR", "NDCG", "DivRatio", "ORRatio", "MGU")] == pytest.approx(
            [rows["itemknn"]["2"][m] for m in ("HR", "NDCG", "DivRatio", "ORRatio", "MGU")])  # fmt: skip
    hybrid = json.loads((run_dir / "predictions/itemknn-sft.json").read_text())
    own = at("itemknn > sft", "fusion weight a", hybrid["weight"])
    assert own["NDCG"] == pytest.approx(rows["itemknn > sft"]["2"]["NDCG"])  # the hybrid's own weight: its row
    assert any(p["pareto_MGU"] for p in points)
    assert "At NDCG@2 >= " in (run_dir / "frontier/frontier.md").read_text()


def test_frontier_answers_compare_llm_systems_first_then_count_the_classical_ones():
    def point(base, knob, ndcg, div, orr, mgu, weight=None):
        return {"base": base, "knob": knob, "weight": weight, "HR": 0.0, "NDCG": ndcg, "DivRatio": div,
                "ORRatio": orr, "MGU": mgu}  # fmt: skip

    points = [point("sft (embedding)", "run row", 0.02, 0.12, 0.09, 0.011),
              point("sprec t=2 (embedding)", "run row", 0.04, 0.14, 0.06, 0.012),
              point("sft (embedding)", "calibration", 0.021, 0.11, 0.10, 0.007, 0.5),  # beats SFT on MGU only
              point("sprec t=2 (embedding)", "MMR", 0.041, 0.15, 0.07, 0.013, 0.3),
              point("itemknn", "run row", 0.12, 0.27, 0.02, 0.006),
              point("itemknn > sft", "fusion weight a", 0.12, 0.27, 0.02, 0.006, 0.0)]  # item-kNN's own list

    lines = answers(points, 10)
    assert lines[1] == ("- At NDCG@10 >= 0.0200 (sft (embedding)): higher DivRatio@10 0.1500: sprec t=2 (embedding) + "
                        "MMR 0.3; lower ORRatio@10 0.0600: sprec t=2 (embedding); lower MGU@10 0.0070: "
                        "sft (embedding) + calibration 0.5")  # fmt: skip
    assert lines[2].startswith("- At NDCG@10 >= 0.0400 (sprec t=2 (embedding)): higher DivRatio@10 0.1500")
    assert "lower ORRatio@10 0.0600: sprec t=2 (embedding) (the row itself)" in lines[2]
    assert lines[4].startswith("Counting the classical baselines and their re-rankings, at NDCG@10 >= 0.0400")
    assert lines[4].endswith("lower MGU@10 0.0060: itemknn")
