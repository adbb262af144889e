"""A finished run's rows, loaded once, give back the lists the run made for its own test rows."""

import json
import shutil
from pathlib import Path

import pytest

from sprec.data.dataset import Dataset
from sprec.errors import DataError
from sprec.serve.system import RunSystem, finished_models


def test_the_servable_rows_are_the_classical_and_two_stage_ones(finished_run):
    cfg, _ = finished_run  # methods popularity, itemknn, sft (generating: not served), hybrid over itemknn
    assert finished_models(Path(cfg.run_dir)) == {"itemknn": "classical", "popularity": "classical",
                                                  "itemknn > sft": "two-stage"}  # fmt: skip


@pytest.mark.parametrize(("model", "stem"), [("itemknn", "itemknn"), ("itemknn > sft", "itemknn-sft")])
def test_each_model_gives_the_runs_own_lists_for_its_test_rows(finished_run, model, stem):
    cfg, _ = finished_run
    run_dir = Path(cfg.run_dir)
    stored = json.loads((run_dir / f"predictions/{stem}.json").read_text())
    test = Dataset.load(run_dir / "data").splits["test"]
    system = RunSystem(run_dir, [model])
    lists = system.recommend([list(e.history) for e in test], 2, model, stored["exclude_history"])
    assert [[r.item for r in row] for row in lists] == [row[:2] for row in stored["topk"]]
    assert all(row[0].score >= row[1].score for row in lists)  # best first, by the model's own score


def test_history_items_are_left_out_unless_allowed(finished_run):
    cfg, _ = finished_run
    system = RunSystem(cfg.run_dir, ["popularity"])
    allowed = [r.item for r in system.recommend([[0, 1]], 6, "popularity", exclude_history=False)[0]]
    excluded = [r.item for r in system.recommend([[0, 1]], 4, "popularity")[0]]
    assert excluded == [i for i in allowed if i not in (0, 1)][:4]


def test_the_popularity_percentile_counts_the_catalog_at_or_below(finished_run):
    cfg, _ = finished_run
    system = RunSystem(cfg.run_dir, ["popularity"])
    pop = system.ds.catalog.popularity
    for i, p in enumerate(pop):
        assert system.popularity_percentile[i] == pytest.approx(100 * (pop <= p).sum() / len(pop))


def test_a_missing_model_or_run_is_named(finished_run, tmp_path):
    cfg, _ = finished_run
    with pytest.raises(DataError, match=r"model 'sasrec' is not finished in this run; finished: itemknn, popul"):
        RunSystem(cfg.run_dir, ["sasrec"])
    with pytest.raises(DataError, match=r"'sft' generates titles .*: not served; serve its two-stage row 'itemknn > s"):
        RunSystem(cfg.run_dir, ["sft"])
    with pytest.raises(DataError, match="no run.json"):
        RunSystem(tmp_path)
    copy = tmp_path / "run"
    shutil.copytree(cfg.run_dir, copy, ignore=shutil.ignore_patterns("predictions"))
    with pytest.raises(DataError, match="no finished model to serve"):
        RunSystem(copy)
