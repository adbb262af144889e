"""The command line: every subcommand documented, SPRec-format evaluation, one-line errors."""

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def sprec(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "sprec.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300)  # fmt: skip


def test_help_lists_every_subcommand():
    out = sprec("--help").stdout
    for cmd in ("run", "data", "baseline", "evaluate"):
        assert cmd in out
    assert "--exclude-history" in sprec("baseline", "popularity", "--help").stdout
    assert "d3-csv" in sprec("data", "prepare", "--help").stdout


def test_evaluate_sprec_format(shared, tmp_path):
    fx = shared / "fixtures" / "metric_parity"
    r = sprec("evaluate", "--test", fx / "test.json", "--catalog", fx, "--predictions", fx / "topk_item_ids.json",
              "-k", 1, "-k", 5, "--output", tmp_path / "out.json")  # fmt: skip
    assert r.returncode == 0, r.stderr
    out = json.loads((tmp_path / "out.json").read_text())
    expected = json.loads((fx / "expected.json").read_text())
    assert set(out) == {"1", "5"}
    assert out["5"]["HR"] == pytest.approx(expected["5"]["HR"], abs=1e-9)
    assert {"HR", "NDCG", "DivRatio", "ORRatio", "MGU", "DGU"} <= set(out["1"])
    assert "| 5 |" in r.stdout


def test_prepare_baseline_evaluate_chain(tmp_path):
    d3 = ROOT / "tests/fixtures/d3"
    r = sprec("data", "prepare", "--source", "d3-csv", "--train", d3 / "train.csv", "--valid", d3 / "valid.csv",
              "--test", d3 / "test.csv", "--items", d3 / "items.txt", "--genres", d3 / "name2genre.json",
              "--out", tmp_path / "d3")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert '"examples_per_split"' in r.stdout
    for baseline in ("popularity", "itemknn"):
        r = sprec("baseline", baseline, "--data", tmp_path / "d3", "-k", 3, "--out", tmp_path / f"{baseline}.json")
        assert r.returncode == 0, r.stderr
        r = sprec("evaluate", "--data", tmp_path / "d3", "--predictions", tmp_path / f"{baseline}.json", "-k", 3)
        assert r.returncode == 0 and "| 3 |" in r.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["evaluate", "--predictions", "x.json"], "give --data DIR"),
        (["evaluate", "--data", "nowhere", "--predictions", "x.json"], "nowhere: not a prepared dataset"),
        (["run", "missing.yaml"], "missing.yaml: config file not found"),
        (["data", "prepare", "--source", "movielens", "--out", "o"], "data.path: the movielens source needs"),
    ],
)
def test_errors_are_one_line(tmp_path, args, message):
    r = sprec(*args, cwd=tmp_path)
    assert r.returncode == 2
    assert message in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_bad_predictions_file_from_cli(shared, tmp_path):
    fx = shared / "fixtures" / "metric_parity"
    (tmp_path / "ids.json").write_text("[[1, 2, 3]]")
    r = sprec("evaluate", "--test", fx / "test.json", "--catalog", fx, "--predictions", tmp_path / "ids.json")
    assert r.returncode == 2
    assert "ids.json: 1 prediction rows for 398 test rows" in r.stderr and "Traceback" not in r.stderr
