"""`sprec run`: the quickstart config end to end, resume, and the recorded run information."""

import json

import numpy as np
import pytest

from sprec.config import RunConfig, from_dict, load_run_config
from sprec.data.dataset import Dataset
from sprec.errors import ConfigError
from sprec.experiment.pipeline import run
from tests.helpers import ROOT, tiny_d3_config


def test_quickstart_runs_and_resumes(tmp_path):
    cfg = load_run_config(ROOT / "configs/quickstart.yaml")
    cfg.run_dir, cfg.methods = str(tmp_path / "run"), ["popularity"]  # the LLM stages: test_end_to_end.py
    first = run(cfg)
    assert list(first) == ["history excluded"] and first["history excluded"]["popularity"]["1"]["ORRatio"] == 1.0
    for name in ("results.md", "results.csv", "results.json", "run.json", "data/meta.json",
                 "plots/exposure_by_popularity.png", "plots/genres.png"):  # fmt: skip
        assert (tmp_path / "run" / name).exists(), name
    info = json.loads((tmp_path / "run/run.json").read_text())
    assert info["seed"] == 0 and "numpy" in info["versions"] and "prepare" in info["wall_seconds"]
    # a killed run resumes: remove the metrics of the last stage only, rerun, same numbers
    (tmp_path / "run/metrics/popularity.excluded.json").unlink()
    mtime = (tmp_path / "run/data/test.jsonl").stat().st_mtime_ns
    assert run(cfg) == first
    assert (tmp_path / "run/data/test.jsonl").stat().st_mtime_ns == mtime  # prepare was not redone


def test_other_config_in_same_run_dir_is_refused_naming_the_change_and_a_moved_run_resumes(tmp_path):
    import shutil

    import torch

    from sprec.errors import SprecError
    from sprec.experiment.pipeline import run_lock

    cfg = load_run_config(ROOT / "configs/quickstart.yaml")
    cfg.run_dir, cfg.methods, cfg.eval.exclude_history = str(tmp_path / "run"), ["popularity", "itemknn"], "both"
    both = run(cfg)
    cfg.eval.exclude_history = True
    with pytest.raises(ConfigError, match=r"another config \(eval.exclude_history: 'both' -> True\)"):
        run(cfg)
    cfg.eval.exclude_history, cfg.methods = "both", ["popularity"]  # fewer methods: a report without their rows
    first = run(cfg)
    assert first == {mode: {"popularity": rows["popularity"]} for mode, rows in both.items()}
    cfg.methods, cfg.d3.weight, cfg.hybrid.normalise = ["popularity"], 2.0, True  # settings of methods not run
    assert run(cfg) == first
    cfg.methods, cfg.d3.weight, cfg.hybrid.normalise = ["popularity"], 0.5, None
    shutil.move(tmp_path / "run", tmp_path / "moved")
    cfg.run_dir, cfg.methods, cfg.threads = str(tmp_path / "moved"), ["popularity"], 1  # threads: not compared
    before = torch.get_num_threads()
    try:
        assert run(cfg) == first and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    cfg.threads = None
    with run_lock(tmp_path / "moved"), pytest.raises(SprecError, match="in use by another `sprec run`"):
        run(cfg)
    (tmp_path / "file").write_text("")
    cfg.run_dir = str(tmp_path / "file" / "run")
    with pytest.raises(SprecError, match="cannot create the run folder"):
        run(cfg)


def test_reranking_reads_the_sft_candidates_and_sasrec_is_added(tiny_model_dir, tmp_path):
    raw = tiny_d3_config(tiny_model_dir, tmp_path / "run")
    raw |= {"methods": ["rerank-pop"], "sasrec": {"hidden": 8, "epochs": 2},
            "rerank": {"popularity_weight": 0.0, "mmr_weight": 0.0, "calibration_weight": 0.0}}  # fmt: skip
    assert list(run(from_dict(RunConfig, raw))["history allowed"]) == ["rerank-pop (embedding)"]
    raw["methods"] += ["sasrec", "rerank-mmr", "rerank-calibrated"]  # a finished run takes more methods: only the
    results = run(from_dict(RunConfig, raw))["history allowed"]  # new rows are computed
    assert list(results) == ["rerank-pop (embedding)", "sasrec", "rerank-mmr (embedding)",
                             "rerank-calibrated (embedding)"]  # fmt: skip
    assert json.loads((tmp_path / "run/run.json").read_text())["wall_seconds"]["sasrec: train"] >= 0
    preds = {p.stem: json.loads(p.read_text())["topk"] for p in (tmp_path / "run/predictions").glob("*.json")}
    # the SFT model's embedding predictions were made for them; with zero weights the re-rankings keep them
    assert preds["sft-embedding"] == preds["rerank-pop-embedding"] == preds["rerank-mmr-embedding"]
    assert preds["sft-embedding"] == preds["rerank-calibrated-embedding"]
    assert len(preds["sft-embedding"]) == 2 and "rerank-mmr (embedding)" in (tmp_path / "run/results.md").read_text()


def test_a_null_rerank_weight_is_chosen_on_the_validation_rows(tiny_model_dir, tmp_path):
    from sprec.ranking.rerank import choose_weight

    raw = tiny_d3_config(tiny_model_dir, tmp_path / "run")
    raw |= {"methods": ["rerank-calibrated"], "rerank": {"calibration_weight": None, "max_ndcg_loss": 0.2}}
    run(from_dict(RunConfig, raw))
    meta = json.loads((tmp_path / "run/predictions/rerank-calibrated-embedding.json").read_text())
    curve = {float(w): m for w, m in meta["validation_curve"].items()}
    assert len(curve) == 11 and meta["weight"] == choose_weight(curve, "MGU", False, 0.2)
    assert meta["weight_from"].startswith("validation: best MGU@2 at most 20% below")
    valid = json.loads((tmp_path / "run/predictions/sft-embedding.valid.json").read_text())
    assert valid["split"] == "valid" and len(valid["topk"]) == len(Dataset.load(tmp_path / "run/data").splits["valid"])


def test_both_history_modes_filter_rankings_and_keep_trie_lists_in_their_mode(tiny_model_dir, tmp_path):
    raw = tiny_d3_config(tiny_model_dir, tmp_path / "run")
    raw |= {"methods": ["popularity", "itemknn", "sft"], "groundings": ["embedding", "trie"],
            "eval": {"ks": [1, 2], "exclude_history": "both"}}  # fmt: skip
    results = run(from_dict(RunConfig, raw))
    allowed, excluded = results["history allowed"], results["history excluded"]
    assert list(allowed) == ["popularity", "itemknn", "sft (embedding)", "sft (trie)"]
    assert list(excluded) == ["popularity", "itemknn", "sft (embedding)"]  # trie lists are beams, not rankings
    test = [json.loads(line) for line in (tmp_path / "run/data/test.jsonl").read_text().splitlines()]
    for name in ("popularity", "sft-embedding"):
        stored = json.loads((tmp_path / f"run/predictions/{name}.json").read_text())
        assert stored["history_filterable"] and not stored["exclude_history"]
        assert {len(row) for row in stored["topk"]} == {min(2 + max(len(e["history"]) for e in test), 6)}
    text = (tmp_path / "run/results.md").read_text()
    assert "## History allowed" in text and "## History excluded" in text and "Trie-decoded rows" in text


def test_hybrid_rows_rank_the_retrievers_candidates(tiny_model_dir, tmp_path):
    raw = tiny_d3_config(tiny_model_dir, tmp_path / "run")
    raw |= {"methods": ["itemknn", "sft", "hybrid"], "groundings": ["embedding"],
            "hybrid": {"retriever": "itemknn", "weight": 0.0}}  # fmt: skip
    results = run(from_dict(RunConfig, raw))["history allowed"]
    assert list(results) == ["itemknn", "sft (embedding)", "itemknn > sft"]
    preds = {p.stem: json.loads(p.read_text()) for p in (tmp_path / "run/predictions").glob("*.json")}
    hybrid = preds["itemknn-sft"]
    # weight 0: the retriever's own ranking, whatever the LLM says
    assert [row[:2] for row in hybrid["topk"]] == [row[:2] for row in preds["itemknn"]["topk"]]
    assert hybrid["weight"] == 0.0 and hybrid["weight_from"] == "config" and len(hybrid["validation_ndcg_at_10"]) == 11
    assert results["itemknn > sft"] == results["itemknn"]
    assert min(json.loads((tmp_path / "run/run.json").read_text())["llm_speed_calibration"].values()) > 0  # at start
    text = (tmp_path / "run/results.md").read_text()
    assert "## Hybrid: the fusion weight" in text and "| itemknn > sft | sum | a = 0.0 (config) |" in text
    assert (tmp_path / "run/plots/hybrid_validation.png").exists()


@pytest.mark.parametrize("exclude_history", [False, True])
def test_selfplay_with_hybrid_negatives_never_rejects_the_target(tiny_model_dir, tmp_path, exclude_history):
    raw = tiny_d3_config(tiny_model_dir, tmp_path / "run")
    raw |= {"methods": ["sprec-hybrid"], "groundings": ["embedding"], "hybrid": {"retriever": "itemknn"}}
    raw["selfplay"] = raw["selfplay"] | {"hybrid_exclude_history": exclude_history}
    results = run(from_dict(RunConfig, raw))["history allowed"]
    assert list(results) == ["sprec-hybrid t=1 (embedding)"]
    pairs = [json.loads(line) for line in (tmp_path / "run/models/sprec-hybrid/iteration-1/pairs.jsonl").open()]
    assert len(pairs) == 4 and all(p["rejected"] and p["chosen"] not in p["rejected"] for p in pairs)
    if exclude_history:  # never a book the reader has (with history allowed, item-kNN's top-1 may be one)
        assert not any(r in p["history"] for p in pairs for r in p["rejected"])


def test_selfplay_evaluate_last_gives_rows_to_the_last_iteration_only_and_all_adds_the_others(tiny_model_dir,
                                                                                              tmp_path):  # fmt: skip
    raw = tiny_d3_config(tiny_model_dir, tmp_path / "run") | {"methods": ["sprec"]}
    raw["selfplay"] = raw["selfplay"] | {"iterations": 2, "evaluate": "last"}
    cfg = from_dict(RunConfig, raw)
    assert [cfg.selfplay.evaluated(m) for m in ("sft", "sprec t=1", "sprec t=2", "sprec-hybrid t=2")] == [
        True, False, True, True]  # fmt: skip
    assert list(run(cfg)["history allowed"]) == ["sprec t=2 (trie)"]
    assert (tmp_path / "run/models/sprec/iteration-1").is_dir()  # trained all the same: t=2 starts from it
    adapter = next((tmp_path / "run/models/sprec/iteration-2").rglob("adapter_model.safetensors"))
    mtime = adapter.stat().st_mtime_ns
    cfg.selfplay.evaluate = "all"  # not a change of what is computed: rows are added, nothing is retrained
    assert list(run(cfg)["history allowed"]) == ["sprec t=1 (trie)", "sprec t=2 (trie)"]
    assert adapter.stat().st_mtime_ns == mtime
    with pytest.raises(ConfigError, match="selfplay.evaluate: choose all or last"):
        from_dict(RunConfig, raw | {"selfplay": raw["selfplay"] | {"evaluate": "first"}})




def test_reweighted_sft_dmpo_and_semantic_negatives_are_rows(tiny_model_dir, tmp_path):
    raw = tiny_d3_config(tiny_model_dir, tmp_path / "run")
    raw |= {"methods": ["sft-reweighted", "dmpo", "dpo-semantic"], "groundings": ["embedding"], "sdpo_negatives": 2}
    results = run(from_dict(RunConfig, raw))["history allowed"]
    assert list(results) == ["sft-reweighted (embedding)", "dmpo (embedding)", "dpo-semantic (embedding)"]
    done = {m: json.loads((tmp_path / f"run/models/{m}/dpo_done.json").read_text()) for m in ("dmpo", "dpo-semantic")}
    assert done["dmpo"]["negatives"] == 2 and done["dpo-semantic"]["negatives"] == 1
    assert json.loads((tmp_path / "run/models/sft-reweighted/sft_done.json").read_text())["examples"] == 4


def test_d3_rows_decode_each_llm_model_with_the_assistant(tiny_model_dir, tmp_path):
    raw = tiny_d3_config(tiny_model_dir, tmp_path / "run")
    raw |= {"methods": ["itemknn", "sft", "dpo", "d3"], "groundings": ["trie"],
            "d3": {"assistant": "itemknn", "weight": 2.0, "models": ["sft"]}}  # fmt: skip
    results = run(from_dict(RunConfig, raw))["history allowed"]
    assert list(results) == ["itemknn", "sft (trie)", "dpo (trie)", "d3: sft (trie)"]  # only the model named
    pred = json.loads((tmp_path / "run/predictions/d3-sft.json").read_text())
    assert pred["assistant"] == "itemknn" and pred["weight"] == 2.0 and not pred["history_filterable"]
    assert all(len(set(row)) == 2 for row in pred["topk"])
    from sprec.data.dataset import Dataset
    from sprec.experiment.llm_stages import hybrid_models

    with pytest.raises(ConfigError, match=r"no model \['dpo t=2'\] in this run"):  # the trained models, reused
        hybrid_models(Dataset.load(tmp_path / "run/data"), from_dict(RunConfig, raw), tmp_path / "run", ["dpo t=2"])
    with pytest.raises(ConfigError, match=r"d3.models: 'sprec t=1' needs 'sprec' in methods"):
        from_dict(RunConfig, raw | {"d3": {"models": ["sprec t=1"]}})
    with pytest.raises(ConfigError, match=r"d3.models: 'best' is not a model row"):
        from_dict(RunConfig, raw | {"d3": {"models": ["best"]}})


def test_settings_of_a_method_count_once_a_run_has_used_them(tmp_path):
    from dataclasses import asdict

    from sprec.experiment.pipeline import _check_same_config

    cfg = load_run_config(ROOT / "configs/quickstart.yaml")
    as_json = json.loads(json.dumps(asdict(cfg)))  # as run.json records it
    recorded = as_json | {"methods": ["popularity"]}
    recorded["d3"] = recorded["d3"] | {"weight": 2.0}
    recorded["hybrid"] = recorded["hybrid"] | {"rows_per_batch": 1}  # a setting sprec has since dropped
    (tmp_path / "run.json").write_text(json.dumps({"config": recorded}))
    now = as_json | {"methods": ["popularity", "d3"], "d3": recorded["d3"] | {"weight": 0.5, "models": ["dpo"]}}
    assert _check_same_config(tmp_path, now) == ["popularity", "d3"]  # d3 never ran here: its weight was unused
    # d3 ran in an earlier session, then a session left it out: its settings still hold, listed or not
    (tmp_path / "run.json").write_text(json.dumps({"config": recorded, "methods_ever": ["d3"]}))
    for methods in (["popularity"], ["popularity", "d3"]):
        with pytest.raises(ConfigError, match=r"d3.weight: 2.0 -> 0.5"):
            _check_same_config(tmp_path, now | {"methods": methods})




def test_imported_rows_join_the_table_with_differences_and_a_changed_file_is_evaluated_again(tmp_path):
    from sprec.baselines.popularity import recommend_popular
    from sprec.errors import DataError
    from sprec.evaluation.evaluate import save_predictions

    cfg = load_run_config(ROOT / "configs/quickstart.yaml")
    cfg.run_dir, cfg.methods, cfg.eval.exclude_history = str(tmp_path / "run"), ["popularity", "itemknn"], "both"
    base = run(cfg)
    ds = Dataset.load(tmp_path / "run" / "data")
    test = ds.splits["test"]
    # another system's lists, made elsewhere with history allowed: item-kNN's own lists, under another name
    knn = json.loads((tmp_path / "run/predictions/itemknn.json").read_text())["topk"]
    save_predictions(tmp_path / "theirs.json", knn, dataset=ds.name, split="test")
    # the same lists in the raw data's own item ids (as a system that never saw the prepared ids writes them)
    raw_ids = [[ds.catalog.items[i].source_id for i in row] for row in knn]
    (tmp_path / "raw.json").write_text(json.dumps({"ids": "source", "topk": raw_ids}))
    cfg.imported = {"their knn": str(tmp_path / "theirs.json"), "raw ids": str(tmp_path / "raw.json")}
    rows = run(cfg)  # the same run folder: rows added like methods
    for mode in ("history allowed", "history excluded"):
        assert rows[mode]["their knn"] == rows[mode]["raw ids"] == base[mode]["itemknn"]
    raw_ids[3][4] = "no-such-film"
    (tmp_path / "raw.json").write_text(json.dumps({"ids": "source", "topk": raw_ids}))
    with pytest.raises(DataError, match=r"raw.json, row 4: item id 'no-such-film' is not in the catalog"):
        run(cfg)
    cfg.imported.pop("raw ids")
    md = (tmp_path / "run/results.md").read_text()
    assert "| their knn | itemknn | 10 | +0.0000 [+0.0000, +0.0000]" in md and "Best LLM row their knn" not in md
    from sprec.analysis.frontier import frontier

    points = frontier(cfg)  # an imported row is a point, counted with the baselines (not one of the run's LLMs)
    theirs = next(p for p in points if p["base"] == "their knn")
    assert theirs["knob"] == "run row" and theirs["imported"]
    assert "their knn" in (tmp_path / "run/frontier/frontier.csv").read_text()
    # the file changes (now popularity's lists): the row follows it
    save_predictions(tmp_path / "theirs.json", recommend_popular(ds.catalog, test, 30), dataset=ds.name)
    assert run(cfg)["history allowed"]["their knn"] == base["history allowed"]["popularity"]
    save_predictions(tmp_path / "theirs.json", [[1, 2]] * len(test))
    with pytest.raises(DataError, match=r"theirs.json, row 1: needs a list of at least K = 10 item ids, got 2"):
        run(cfg)
    save_predictions(tmp_path / "theirs.json", knn, dataset="goodreads")
    with pytest.raises(DataError, match="holds predictions for dataset 'goodreads', not 'ml-100k'"):
        run(cfg)
    cfg.imported = {"itemknn": str(tmp_path / "theirs.json")}
    with pytest.raises(ConfigError, match="'itemknn' is also a row of the run's methods"):
        run(cfg)


def test_a_bfloat16_run_trains_float32_adapters_scores_in_bf16_and_says_so(tiny_model_dir, tmp_path):
    from safetensors.torch import load_file

    raw = tiny_d3_config(tiny_model_dir, tmp_path / "run")
    raw |= {"methods": ["itemknn", "sft", "hybrid"], "groundings": [], "hybrid": {"retriever": "itemknn"},
            "model": raw["model"] | {"dtype": "bfloat16"}}  # forced: runs (slowly) on CPUs without fast bf16 too
    results = run(from_dict(RunConfig, raw))["history allowed"]
    assert list(results) == ["itemknn", "itemknn > sft"]
    info = json.loads((tmp_path / "run/run.json").read_text())
    assert info["precision"]["dtype"] == "bfloat16" and info["precision"]["why"] == "set by model.dtype"
    assert info["precision"]["instruction_set"] in info["precision"]["device"]
    header = (tmp_path / "run/results.md").read_text().splitlines()[2]
    assert header.startswith("Computed on CPU (") and "LLM in bfloat16 (set by model.dtype)" in header
    weights = load_file(next((tmp_path / "run/models/sft").rglob("adapter_model.safetensors")))
    assert {str(w.dtype) for w in weights.values()} == {"torch.float32"}  # LoRA trained in float32 (autocast)


def test_the_report_warns_when_a_rows_lists_are_popularitys(tmp_path):
    from sprec.baselines.popularity import recommend_popular
    from sprec.evaluation.evaluate import save_predictions

    cfg = load_run_config(ROOT / "configs/quickstart.yaml")
    cfg.run_dir, cfg.methods = str(tmp_path / "run"), ["popularity", "itemknn"]
    run(cfg)
    ds = Dataset.load(tmp_path / "run/data")
    lists = recommend_popular(ds.catalog, ds.splits["test"], 10, exclude_history=True)
    save_predictions(tmp_path / "pop.json", [row[::-1] for row in lists], dataset=ds.name, split="test",
                     exclude_history=True)  # popularity's items in another order: a model that learned nothing else
    cfg.imported = {"collapsed": str(tmp_path / "pop.json")}
    run(cfg)
    warnings = [line for line in (tmp_path / "run/results.md").read_text().splitlines() if "with popularity's" in line]
    assert warnings == ["WARNING (history excluded): collapsed's top-10 lists share 100% of their slots with "
                        "popularity's: a trained model whose lists are popularity's is a failed training until shown "
                        "otherwise"]  # item-kNN's lists are its own: no line for it


def test_metrics_follow_their_predictions_file_and_the_report_splits_accuracy_by_popularity(tmp_path, capsys):
    from sprec.baselines.popularity import recommend_popular
    from sprec.evaluation.evaluate import save_predictions

    cfg = load_run_config(ROOT / "configs/quickstart.yaml")
    cfg.run_dir, cfg.methods = str(tmp_path / "run"), ["popularity", "itemknn"]
    first = run(cfg)["history excluded"]
    ds = Dataset.load(tmp_path / "run/data")
    m = first["itemknn"]["10"]
    known = sum(e.target is not None for e in ds.splits["test"])
    assert m["rows_head"] + m["rows_tail"] == known and 0 <= m["rows_cold"] <= m["rows_tail"]
    hits = m["HR_head"] * m["rows_head"] + m["HR_tail"] * m["rows_tail"]
    assert hits == pytest.approx(m["HR"] * len(ds.splits["test"]))
    md = (tmp_path / "run/results.md").read_text()
    assert "### Accuracy by the target's popularity (K = 10)" in md
    assert f"Test rows: head {m['rows_head']}, tail {m['rows_tail']}, cold {m['rows_cold']}." in md
    # another system's valid lists put in item-kNN's place: the metrics are computed again, not kept
    lists = recommend_popular(ds.catalog, ds.splits["test"], 10, exclude_history=True)
    save_predictions(tmp_path / "run/predictions/itemknn.json", lists, method="itemknn", dataset=ds.name,
                     split="test", exclude_history=True)  # fmt: skip
    capsys.readouterr()
    again = run(cfg)["history excluded"]
    assert again["itemknn"] == first["popularity"] != first["itemknn"]
    assert "itemknn.json: its lists changed since itemknn.excluded.json was computed" in capsys.readouterr().err
    run(cfg)
    assert "changed since" not in capsys.readouterr().err  # unchanged inputs: the cached metrics


def test_rank_sft_is_trained_on_the_retrievers_candidates_and_has_a_hybrid_row_only(tiny_model_dir, tmp_path):
    raw = tiny_d3_config(tiny_model_dir, tmp_path / "run")
    raw |= {"methods": ["itemknn", "rank-sft", "hybrid"], "groundings": ["trie"],
            "hybrid": {"retriever": "itemknn", "candidates": 4}, "rank_sft": {"examples": 4, "batch_size": 2}}
    results = run(from_dict(RunConfig, raw))["history allowed"]
    assert list(results) == ["itemknn", "itemknn > rank-sft"]  # no generating row: it is trained as a ranker
    summary = json.loads((tmp_path / "run/models/rank-sft/rank_sft_done.json").read_text())
    assert summary["rows"] == 4 and summary["candidates"] == 4 and summary["train_loss"] > 0
    assert (tmp_path / "run/models/sft/adapter").exists()  # it starts from the SFT model
    with pytest.raises(ConfigError, match="rank-sft ranks the retriever's candidates .* add hybrid to methods"):
        from_dict(RunConfig, raw | {"methods": ["itemknn", "rank-sft"]})


def test_a_pool_of_two_retrievers_has_its_own_row_and_its_hybrids_are_compared_with_each(tiny_model_dir, tmp_path):
    raw = tiny_d3_config(tiny_model_dir, tmp_path / "run")
    raw |= {"methods": ["popularity", "itemknn", "sft", "hybrid"], "groundings": [],
            "hybrid": {"retriever": ["itemknn", "popularity"], "candidates": 2}}  # fmt: skip
    results = run(from_dict(RunConfig, raw))["history allowed"]
    assert list(results) == ["popularity", "itemknn", "itemknn+popularity", "itemknn+popularity > sft"]
    mix = json.loads((tmp_path / "run/candidates/itemknn+popularity-mix-2.json").read_text())
    assert sum(mix["mix"]) == pytest.approx(1) and len(mix["validation_ndcg_at_10"]) == 11
    pool = json.loads((tmp_path / "run/predictions/itemknn+popularity.json").read_text())
    assert pool["mix"] == mix["mix"] and all(len(row) == 4 for row in pool["topk"])  # 2 retrievers x 2
    hybrid = json.loads((tmp_path / "run/predictions/itemknn+popularity-sft.json").read_text())
    assert hybrid["retriever"] == "itemknn+popularity" and sorted(hybrid["topk"][0]) == sorted(pool["topk"][0])
    diffs = json.loads((tmp_path / "run/differences.json").read_text())["history allowed"]
    assert set(diffs["itemknn+popularity > sft"]) == {"itemknn+popularity", "itemknn", "popularity"}
    assert set(diffs["itemknn+popularity"]) == {"itemknn", "popularity"}
    text = (tmp_path / "run/results.md").read_text()
    assert "Best LLM row itemknn+popularity > sft" in text
    assert pool["mix_validation_ndcg_at_10"] == mix["validation_ndcg_at_10"]  # the report shows the mix curve
    assert "itemknn+popularity: weights of itemknn, popularity (used: " in text and "| 1+0 | 0.9+0.1 |" in text


def test_sprec_rank_iterates_from_rank_sft_and_pushes_down_what_the_system_shows(tiny_model_dir, tmp_path):
    raw = tiny_d3_config(tiny_model_dir, tmp_path / "run")
    raw |= {"methods": ["itemknn", "sprec-rank", "hybrid"], "groundings": [],
            "hybrid": {"retriever": "itemknn", "candidates": 4}, "rank_sft": {"examples": 4, "batch_size": 2},
            "sprec_rank": {"iterations": 2, "prompts": 4, "negatives": 2, "k": 2,
                           "dpo": {"batch_size": 2, "grad_accum": 1}}}  # fmt: skip
    results = run(from_dict(RunConfig, raw))["history allowed"]
    assert list(results) == ["itemknn", "itemknn > sprec-rank t=1", "itemknn > sprec-rank t=2"]
    models = tmp_path / "run/models"
    assert (models / "rank-sft/rank_sft_done.json").exists()  # it starts from rank-sft
    for t in (1, 2):
        pairs = [json.loads(line) for line in (models / f"sprec-rank/iteration-{t}/pairs.jsonl").open()]
        assert pairs and all(p["chosen"] not in p["rejected"] and len(p["rejected"]) == 2 for p in pairs)
        exposure = json.loads((models / f"sprec-rank/iteration-{t}/exposure.json").read_text())
        assert exposure["prompts"] == 4 and 0 < exposure["top3_share"] <= 1
    # a stopped iteration keeps the system's scores of its prompts: its pairs are drawn again from them, the same
    second = models / "sprec-rank/iteration-2"
    pairs = (second / "pairs.jsonl").read_text()
    (second / "pairs.jsonl").unlink()
    with np.load(second / "system_logps.npz") as f:
        assert f["logps"].shape[0] == 4 and np.all(f["logps"] < 0)
    run(from_dict(RunConfig, raw))
    assert (second / "pairs.jsonl").read_text() == pairs
    # calibrated by rank-sft's prior (hybrid.prior start), computed once for both rows; own: a row remade
    preds = tmp_path / "run/predictions"
    assert json.loads((preds / "itemknn-sprec-rankt2.json").read_text())["prior_of"] == "rank-sft"
    assert sorted(p.name for p in preds.glob("*prior-logps.npz")) == ["itemknn-rank-sft.prior-logps.npz"]
    run(from_dict(RunConfig, raw | {"hybrid": raw["hybrid"] | {"prior": "own"}}))
    assert json.loads((preds / "itemknn-sprec-rankt2.json").read_text())["prior_of"] == "sprec-rank t=2"
    assert (preds / "itemknn-sprec-rankt2.prior-logps.npz").exists()


def test_sprec_rank_self_play_ranks_as_the_evaluated_rank_sft_row_when_its_weight_is_null(tiny_model_dir, tmp_path):
    raw = tiny_d3_config(tiny_model_dir, tmp_path / "run")
    raw |= {"methods": ["itemknn", "rank-sft", "sprec-rank", "hybrid"], "groundings": [],
            "hybrid": {"retriever": "itemknn", "candidates": 4, "normalise": True, "calibrate": True},
            "rank_sft": {"examples": 4, "batch_size": 2},
            "sprec_rank": {"iterations": 1, "prompts": 4, "negatives": 1, "k": 2, "weight": None,
                           "dpo": {"batch_size": 2, "grad_accum": 1}}}  # fmt: skip
    run(from_dict(RunConfig, raw))
    preds, first = tmp_path / "run/predictions", tmp_path / "run/models/sprec-rank/iteration-1"
    evaluated = json.loads((preds / "itemknn-rank-sft.json").read_text())  # made before sprec-rank trains
    system = json.loads((first / "exposure.json").read_text())["system"]
    assert system == {"weight": evaluated["weight"], "llm_score": "per token, calibrated", "prior_of": "rank-sft"}
    with np.load(first / "system_logps.npz") as f, np.load(preds / "itemknn-rank-sft.prior-logps.npz") as p:
        assert np.isin(f["ids"], p["items"]).all()  # the training prompts' candidates got priors too
    # the report compares the self-play row with rank-sft's at rank-sft's fusion weight too
    diffs = json.loads((tmp_path / "run/differences.json").read_text())["history allowed"]
    assert list(diffs["itemknn > sprec-rank t=1 @ rank-sft's a"]) == ["itemknn > rank-sft"]
    assert "Self-play rows at their start model's fusion weight" in (tmp_path / "run/results.md").read_text()


def test_a_k_above_the_catalog_is_refused_before_any_stage(tiny_model_dir, tmp_path):
    raw = tiny_d3_config(tiny_model_dir, tmp_path / "run") | {"eval": {"ks": [1, 7]}}  # the fixture has 6 items
    with pytest.raises(ConfigError, match=r"eval.ks: K = 7 is larger than the catalog \(6 items\)"):
        run(from_dict(RunConfig, raw))
    assert not (tmp_path / "run/predictions").exists() and not (tmp_path / "run/models").exists()


def test_hybrid_rows_follow_the_candidates_they_were_made_from(tiny_model_dir, tmp_path):
    raw = tiny_d3_config(tiny_model_dir, tmp_path / "run")
    raw |= {"methods": ["itemknn", "sft", "hybrid"], "groundings": [], "hybrid": {"retriever": "itemknn"}}
    run(from_dict(RunConfig, raw))
    pred = tmp_path / "run/predictions/itemknn-sft.json"
    before = json.loads(pred.read_text())["candidates_inputs"]
    valid = tmp_path / "run/data/valid.jsonl"
    valid.write_text(valid.read_text() * 2)  # the validation row twice: other candidates of the validation split
    run(from_dict(RunConfig, raw))
    after = json.loads(pred.read_text())["candidates_inputs"]
    assert after != before  # made again from the new candidates, not kept
    with np.load(tmp_path / "run/predictions/itemknn-sft.valid-logps.npz") as f:
        assert len(f["ids"]) == len(valid.read_text().splitlines())  # the LLM scores of the new rows
