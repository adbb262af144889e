"""Several seeds of one run: mean +- sd worked by hand, every seed of the config set, and a two-seed run."""

import json

import pytest

from sprec.config import RunConfig, from_dict
from sprec.errors import ConfigError
from sprec.experiment.pipeline import run
from sprec.experiment.seeds import aggregate, for_seed, mean_sd
from tests.helpers import tiny_d3_config


def test_mean_and_sample_sd_by_hand():
    assert mean_sd([1.0, 2.0, 3.0]) == (2.0, 1.0)  # sd: sqrt((1 + 0 + 1) / 2)
    assert mean_sd([0.5]) == (0.5, 0.0)


def test_aggregate_counts_only_the_seeds_that_have_a_row():
    per_seed = {0: {"allowed": {"a": {"10": {"HR": 0.1, "ILD": None}}, "b": {"10": {"HR": 0.3}}}},
                1: {"allowed": {"a": {"10": {"HR": 0.3, "ILD": None}}}}}  # fmt: skip
    agg = aggregate(per_seed)["allowed"]
    assert agg["a"]["10"]["HR"]["mean"] == pytest.approx(0.2) and agg["a"]["10"]["HR"]["n"] == 2
    assert agg["a"]["10"]["HR"]["sd"] == pytest.approx(0.1414, abs=1e-4)
    assert agg["b"]["10"]["HR"] == {"mean": 0.3, "sd": 0.0, "n": 1} and "ILD" not in agg["a"]["10"]


def test_every_seed_of_the_config_follows_the_run_seed(tiny_model_dir, tmp_path):
    cfg = from_dict(RunConfig, tiny_d3_config(tiny_model_dir, tmp_path / "run") | {"seeds": [3, 4]})
    one = for_seed(cfg, 4)
    assert one.run_dir == str(tmp_path / "run" / "seed-4") and one.seeds is None
    assert {one.seed, one.sft.seed, one.dpo.seed, one.recommend.seed, one.sasrec.seed, one.selfplay.sft.seed,
            one.selfplay.dpo.seed, one.rank_sft.seed, one.sprec_rank.dpo.seed} == {4}  # fmt: skip
    assert one.data.prepare.seed == cfg.data.prepare.seed  # the same rows for every seed
    with pytest.raises(ConfigError, match="distinct"):
        from_dict(RunConfig, tiny_d3_config(tiny_model_dir, tmp_path / "run") | {"seeds": [1, 1]})


def test_a_two_seed_run_reports_mean_and_sd_and_resumes(tiny_model_dir, tmp_path):
    raw = tiny_d3_config(tiny_model_dir, tmp_path / "run") | {"methods": ["popularity", "sft"], "seeds": [0, 1]}
    means = run(from_dict(RunConfig, raw))["history allowed"]
    agg = json.loads((tmp_path / "run/results.json").read_text())["history allowed"]
    assert agg["popularity"]["2"]["HR"]["sd"] == 0.0  # nothing random in popularity
    weights = [(tmp_path / f"run/seed-{s}/models/sft/adapter/adapter_model.safetensors").read_bytes() for s in (0, 1)]
    assert weights[0] != weights[1]  # the seeds really differ
    assert means["sft (trie)"]["2"]["HR"] == agg["sft (trie)"]["2"]["HR"]["mean"]
    text = (tmp_path / "run/results.md").read_text()
    assert "| sft (trie) | 2 | " in text and "## Seed 0: full tables" in text
    assert (tmp_path / "run/plots/seeds.png").exists() and (tmp_path / "run/plots/seeds-llm.png").exists()
    mtime = (tmp_path / "run/seed-1/models/sft/adapter/adapter_model.safetensors").stat().st_mtime_ns
    assert run(from_dict(RunConfig, raw))["history allowed"] == means  # resumed: nothing retrained
    assert (tmp_path / "run/seed-1/models/sft/adapter/adapter_model.safetensors").stat().st_mtime_ns == mtime


def test_the_spread_table_has_a_line_per_run_and_each_numbers_range(tmp_path):
    from sprec.experiment.seeds import spread_table

    runs = []
    for seed, dtype, ndcg, weight, diff in ((0, "bfloat16", 0.03, 0.0, [0.0, 0.0, 0.0]),
                                            (1, "float32", 0.05, 0.2, [0.004, -0.002, 0.011])):  # fmt: skip
        d = tmp_path / f"{dtype}-{seed}"
        (d / "predictions").mkdir(parents=True)
        (d / "run.json").write_text(json.dumps({"config": {"seed": seed}, "precision": {"dtype": dtype}}))
        (d / "results.json").write_text(json.dumps({"history excluded": {
            "sasrec": {"10": {"HR": 2 * ndcg, "NDCG": ndcg}}, "sasrec > sft": {"10": {"HR": 0.1, "NDCG": 0.04}}}}))
        (d / "differences.json").write_text(json.dumps({"history excluded": {
            "sasrec > sft": {"sasrec": {"10": {"NDCG": diff}}}}}))
        (d / "predictions/sasrec-sft.json").write_text(json.dumps({"weight": weight}))
        runs.append(d)
    lines = spread_table(runs).splitlines()
    assert lines[0] == ("| run | seed | LLM dtype | sasrec HR@10 | sasrec NDCG@10 | sasrec > sft weight a | "
                        "sasrec > sft NDCG@10 - retriever |")  # fmt: skip
    assert lines[3].endswith("| 1 | float32 | 0.1000 | 0.0500 | 0.2000 | +0.0040 [-0.0020, +0.0110] |")
    assert lines[4] == "| range | | | 0.06 to 0.1 | 0.03 to 0.05 | 0 to 0.2 | 0 to 0.004 |"


def test_differences_seed_by_seed_count_the_intervals_on_each_side_of_zero(tmp_path):
    from sprec.experiment.seeds import differences_by_seed

    for seed, ndcg, orr in ((0, [0.02, 0.01, 0.03], [-0.003, -0.005, -0.001]), (1, [0.01, -0.01, 0.02], None)):
        (tmp_path / f"seed-{seed}").mkdir()
        row = {"sasrec": {"10": {"NDCG": ndcg} | ({"ORRatio": orr} if orr else {})}}
        (tmp_path / f"seed-{seed}/differences.json").write_text(json.dumps({"history excluded": {
            "sasrec > sft": row, "itemknn": {"sasrec": {"10": {"NDCG": ndcg}}}}}))  # fmt: skip
    text = differences_by_seed(tmp_path, [0, 1, 2], "10")  # seed 2 not run yet: no column
    assert "| sasrec > sft | sasrec | +0.0200 [+0.0100, +0.0300] | +0.0100 [-0.0100, +0.0200] | 1 | 0 |" in text
    assert "| sasrec > sft | sasrec | -0.0030 [-0.0050, -0.0010] | - | 0 | 1 |" in text  # ORRatio: seed 1 lacks it
    assert "| itemknn |" not in text  # classical rows' differences are not the question here
    assert "seed 2" not in text and differences_by_seed(tmp_path / "none", [0], "10") == ""
