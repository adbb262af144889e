"""The command line: every subcommand documented, SPRec-format evaluation, one-line errors."""

import json

import pytest

from tests.helpers import ROOT, sprec


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
    # predictions made for another split are refused, not scored against the wrong rows
    other = json.loads((tmp_path / "popularity.json").read_text()) | {"split": "valid"}
    (tmp_path / "other.json").write_text(json.dumps(other))
    r = sprec("evaluate", "--data", tmp_path / "d3", "--predictions", tmp_path / "other.json", "-k", 3)
    assert r.returncode == 2 and "holds predictions for split 'valid', not 'test'" in r.stderr
    # the same lists in the raw data's item ids give the same table
    from sprec.data.dataset import Dataset

    catalog = Dataset.load(tmp_path / "d3").catalog
    pop = json.loads((tmp_path / "popularity.json").read_text())
    r = sprec("baseline", "popularity", "--data", tmp_path / "d3", "-k", 3, "--ids", "source", "--out",
              tmp_path / "raw.json")  # fmt: skip
    raw = json.loads((tmp_path / "raw.json").read_text())
    assert raw["ids"] == "source" and raw["topk"] == [[catalog.items[i].source_id for i in row] for row in pop["topk"]]
    tables = [sprec("evaluate", "--data", tmp_path / "d3", "--predictions", tmp_path / f, "-k", 3).stdout
              for f in ("popularity.json", "raw.json")]  # fmt: skip
    assert tables[0].splitlines()[1:] == tables[1].splitlines()[1:] and "| 3 |" in tables[1]
    (tmp_path / "raw.json").write_text(json.dumps(raw | {"ids": "titles"}))
    r = sprec("evaluate", "--data", tmp_path / "d3", "--predictions", tmp_path / "raw.json", "-k", 3)
    assert r.returncode == 2 and '"ids" must be "catalog"' in r.stderr


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


def _d3_copy(tmp_path, **replace):
    """The D3 fixture copied to tmp_path, with whole files replaced by the given texts."""
    out = tmp_path / "d3src"
    out.mkdir()
    for f in (ROOT / "tests/fixtures/d3").iterdir():
        (out / f.name).write_text(replace.get(f.name.replace(".", "_"), f.read_text()))
    return out


def _d3_prepare(src, out):
    return sprec("data", "prepare", "--source", "d3-csv", "--train", src / "train.csv", "--valid", src / "valid.csv",
                 "--test", src / "test.csv", "--items", src / "items.txt", "--genres", src / "name2genre.json",
                 "--out", out)  # fmt: skip


@pytest.mark.parametrize(("files", "message"), [
    ({"name2genre_json": "[]"}, "name2genre.json: expected a JSON object {title: [genre, ...]}, got a JSON list"),
    ({"name2genre_json": '{"Station Eleven": "fiction"}'}, "genres of 'Station Eleven' must be a list of strings"),
    ({"train_csv": (ROOT / "tests/fixtures/d3/train.csv").read_text().replace(",1000\n", ",nan\n", 1)},
     "train.csv, row 2: timestamp 'nan' is not a finite number"),
    ({"test_csv": (ROOT / "tests/fixtures/d3/test.csv").read_text().splitlines()[0] + "\n"},
     "test.csv: no rows: a split file needs at least one example"),
    ({"train_csv": (ROOT / "tests/fixtures/d3/train.csv").read_text().replace(",1000\n", ",1e40\n", 1)},
     "train.csv, row 2: timestamp '1e40' is not a unix time (seconds of the years 1 to 9999)"),
])  # fmt: skip
def test_bad_data_files_get_one_line_naming_file_and_row(tmp_path, files, message):
    r = _d3_prepare(_d3_copy(tmp_path, **files), tmp_path / "out")
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_bad_arguments_and_configs_get_one_line(tmp_path):
    (tmp_path / "a_folder").mkdir()
    (tmp_path / "a_file").write_text("")
    (tmp_path / "latin1.yaml").write_bytes(b"run_dir: caf\xe9\n")
    (tmp_path / "twice.yaml").write_text("run_dir: a\nseed: 1\nseed: 2\n")
    model = tmp_path / "model"
    (model / "adapter").mkdir(parents=True)
    (model / "model.json").write_text("{")
    d3, ml100k = ROOT / "tests/fixtures/d3", ROOT / "configs/data/ml-100k.yaml"
    cases = [
        (("train", "sft", "--data", d3, "--out", tmp_path / "o", "--epochs", 0), "must be positive (epochs 0.0"),
        (("train", "sft", "--data", d3, "--out", tmp_path / "o", "--learning-rate", -1), "learning_rate -1.0"),
        (("train", "sft", "--data", d3, "--out", tmp_path / "o", "--learning-rate", "nan"), "learning_rate nan"),
        (("train", "sft", "--data", d3, "--out", tmp_path / "o", "--examples", -3), "sft.examples must be positive"),
        (("train", "sft", "--data", d3, "--out", tmp_path / "a_file"), "is a file; give a folder path"),
        (("data", "prepare", "--config", ml100k, "--test-size", -5, "--out", tmp_path / "p"), "test_size must be"),
        (("data", "prepare", "--config", ml100k, "--test-size", 0, "--out", tmp_path / "p"), "test_size must be"),
        (("baseline", "popularity", "--data", d3, "-k", 0, "--out", tmp_path / "b.json"), "-k 0: the list length"),
        (("baseline", "popularity", "--data", d3, "-k", -1, "--out", tmp_path / "b.json"), "-k -1: the list length"),
        (("evaluate", "--data", d3, "--predictions", tmp_path / "x.json", "--output", tmp_path / "a_folder"),
         "is a folder; give a file path"),
        (("run", tmp_path / "latin1.yaml"), "latin1.yaml, row 1: not valid utf-8 text"),
        (("run", tmp_path / "twice.yaml"), "key 'seed' is given twice"),
        (("recommend", "--model", model, "--history", "x"), "model.json, row 1: malformed JSON"),
    ]  # fmt: skip
    failed = []
    for args, message in cases:
        r = sprec(*args)
        if not (r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr):
            failed.append((args[:2], message, r.stderr[-300:]))
    assert not failed


@pytest.mark.parametrize("k", [0, 7])
def test_recommend_refuses_a_list_length_before_loading_the_model(tmp_path, k):
    from sprec.config import DataConfig, from_dict
    from sprec.data.readers import prepare_dataset
    from tests.helpers import tiny_d3_config

    run = tmp_path / "run"
    prepare_dataset(from_dict(DataConfig, tiny_d3_config("m", run)["data"]), run / "data")  # 6 items
    (run / "models/sft/adapter").mkdir(parents=True)
    (run / "models/sft/adapter/adapter_config.json").write_text("{}")
    (run / "run.json").write_text(json.dumps({"config": {"model": {"name": "nobody/not-cached"}}}))
    r = sprec("recommend", "--model", run / "models/sft", "--history", "x", "-k", k)
    assert r.returncode == 2 and r.stderr.strip().splitlines() == [
        f"sprec: error: -k {k}: a list holds 1 to 6 items (the catalog of {run / 'data'})"]  # the model never loaded


def test_a_permission_error_deep_in_a_stage_is_one_line_naming_the_file(monkeypatch, capsys):
    from sprec import cli

    def read_only(_args):
        raise PermissionError(13, "Permission denied", "/runs/x/models/sft/README.md")  # as the hub's repocard raises

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    monkeypatch.setattr(parser, "parse_args", lambda argv: type("A", (), {"func": staticmethod(read_only)})())
    assert cli.main(["run", "x.yaml"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "sprec: error: cannot write or read /runs/x/models/sft/README.md: Permission denied (a read-only or moved "
        "folder? what finished is kept: rerun the same command to resume)"]
