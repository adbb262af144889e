import csv
import json
from pathlib import Path

from sprec.config import load_run_config
from sprec.experiment.size_curve import collect, point_config, write_curve
from tests.helpers import ROOT


def fake_run(d: Path, examples: int, epochs: float, hr: float, exact: int, rows: int = 4) -> Path:
    """A finished run folder as `sprec run` leaves it (only the files the curve reads)."""
    (d / "data").mkdir(parents=True)
    (d / "predictions").mkdir()
    (d / "data/meta.json").write_text(json.dumps({"name": "toy"}))
    cfg = {"sft": {"examples": examples, "epochs": epochs}, "model": {"name": "m"}}
    (d / "run.json").write_text(json.dumps({"config": cfg, "wall_seconds": {"sft: train": 12.5}}))
    metrics = {"sft (embedding)": {"10": {"HR": hr, "NDCG": hr / 2}}, "popularity": {"10": {"HR": 0.25, "NDCG": 0.1}}}
    (d / "results.json").write_text(json.dumps(metrics))
    preds = {"topk": [[0]] * rows, "stats": {"exact_catalog_titles": exact}}
    (d / "predictions/sft-embedding.json").write_text(json.dumps(preds))
    return d


def test_point_config_changes_only_the_sft_size_and_the_folder(tmp_path):
    base = load_run_config(ROOT / "configs/goodreads-cpu.yaml")
    cfg = point_config(base, 256, 2, tmp_path)
    assert cfg.methods == ["popularity", "sft"] and (cfg.sft.examples, cfg.sft.epochs) == (256, 2)
    assert cfg.run_dir == str(tmp_path / "goodreads-cpu-sft256x2")
    assert base.sft.examples == 1024 and cfg.sft.learning_rate == base.sft.learning_rate and cfg.data == base.data


def test_collect_reads_points_sorted_and_skips_unfinished(tmp_path):
    big = fake_run(tmp_path / "b", 1024, 1, hr=0.5, exact=3)
    small = fake_run(tmp_path / "a", 256, 1, hr=0.0, exact=1)
    (tmp_path / "unfinished").mkdir()
    rows = collect([big, tmp_path / "unfinished", small])
    assert [r["examples"] for r in rows] == [256, 1024]
    assert rows[1]["HR@10"] == 0.5 and rows[1]["exact_titles"] == 0.75 and rows[0]["exact_titles"] == 0.25
    assert rows[0]["popularity_HR@10"] == 0.25 and rows[0]["train_seconds"] == 12.5 and rows[0]["test_rows"] == 4

    write_curve(rows, tmp_path / "out", "# toy\n")
    table = (tmp_path / "out/curve.md").read_text()
    assert "| toy | 1024 | 1 | 4 | 0.5000 | 0.2500 | 75.0% | 0.2500 | 0.1000 | 12 |" in table
    assert [r["examples"] for r in csv.DictReader((tmp_path / "out/curve.csv").open())] == ["256", "1024"]
    assert (tmp_path / "out/curve.png").stat().st_size > 10_000
