"""One experiment from one config, top to bottom: prepare -> baselines -> evaluate -> report.

Each stage writes its output into the run folder and is skipped when that output is already there, so a
killed run resumes where it stopped. The run's config, package versions, seed and wall times are recorded.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import platform
import time
from importlib import metadata
from pathlib import Path

from sprec.baselines.popularity import recommend_popular
from sprec.config import RunConfig
from sprec.data.dataset import Dataset
from sprec.data.readers import prepare_dataset
from sprec.distributed import is_main_process, main_process_first, wait_for_everyone
from sprec.errors import ConfigError
from sprec.evaluate import evaluate_predictions, load_predictions, load_results, save_predictions, save_results
from sprec.io import read_json, write_json
from sprec.progress import RunProgress, plan_run
from sprec.report import write_report


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("sprec", "numpy", "torch", "transformers", "trl", "peft"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[pkg] = metadata.version(pkg)
    return out


def _recorded_settings_hold(recorded, current) -> bool:
    """Every setting the earlier run recorded is unchanged (settings added by a newer sprec do not count)."""
    if isinstance(recorded, dict) and isinstance(current, dict):
        return all(k in current and _recorded_settings_hold(v, current[k]) for k, v in recorded.items())
    return recorded == current


def _check_same_config(run_dir: Path, cfg_dict: dict) -> None:
    """A run folder takes only its own config again, or the same config with more methods (rows are added)."""
    info = run_dir / "run.json"
    if not info.exists():
        return
    recorded = dict(read_json(info).get("config") or {})
    methods = recorded.pop("methods", [])
    if not (_recorded_settings_hold(recorded, cfg_dict) and set(methods) <= set(cfg_dict["methods"])):
        raise ConfigError(f"{run_dir} holds a run with another config; choose a new run_dir or delete it")


def stage_prepare(cfg: RunConfig, run_dir: Path) -> Dataset:
    data_dir = run_dir / "data"
    if not (data_dir / "meta.json").exists():
        prepare_dataset(cfg.data, data_dir)
    return Dataset.load(data_dir)


def stage_popularity(ds: Dataset, cfg: RunConfig, path: Path) -> None:
    if path.exists():
        return
    topk = recommend_popular(ds.catalog, ds.splits["test"], max(cfg.eval.ks), cfg.eval.exclude_history)
    meta = {"method": "popularity", "dataset": ds.name, "split": "test", "exclude_history": cfg.eval.exclude_history}
    save_predictions(path, topk, **meta)


def stage_sasrec(ds: Dataset, cfg: RunConfig, run_dir: Path, path: Path) -> float:
    """Train (or load) SASRec and write its test predictions; returns its training seconds."""
    from sprec.baselines.sasrec import recommend_sasrec, sasrec_summary, train_sasrec

    if not path.exists():
        model = train_sasrec(ds, cfg.sasrec, run_dir / "models" / "sasrec")
        topk = recommend_sasrec(model, ds.splits["test"], max(cfg.eval.ks), cfg.eval.exclude_history)
        save_predictions(path, topk, method="sasrec", dataset=ds.name, split="test",
                         exclude_history=cfg.eval.exclude_history)  # fmt: skip
    return sasrec_summary(run_dir / "models" / "sasrec")["seconds"]


def stage_method(method: str, ds: Dataset, cfg: RunConfig, run_dir: Path, progress: RunProgress) -> dict[str, Path]:
    """Train `method` if it needs training, then write its predictions; returns {row name: predictions file}."""
    t = time.time()
    if method == "popularity":
        path = run_dir / "predictions" / "popularity.json"
        with main_process_first():
            stage_popularity(ds, cfg, path)
        progress.record("popularity", round(time.time() - t, 2))
        return {"popularity": path}
    if method == "sasrec":
        path = run_dir / "predictions" / "sasrec.json"
        with main_process_first():
            seconds = stage_sasrec(ds, cfg, run_dir, path)
        progress.record("sasrec: train", seconds)
        return {"sasrec": path}
    from sprec.llm_stages import predict_llm, rerank_sft, train_method  # torch only when an LLM method runs

    if method.startswith("rerank-"):
        name, path = f"{method} (embedding)", run_dir / "predictions" / f"{method}-embedding.json"
        with main_process_first():
            rerank_sft(method, ds, cfg, path)
        progress.record(f"{name}: rerank", load_predictions(path).meta.get("seconds"))
        return {name: path}
    out = {}
    for model_name, adapter, train_seconds in train_method(method, ds, cfg, run_dir):
        progress.record(f"{model_name}: train", train_seconds)
        for g in cfg.groundings:
            name = f"{model_name} ({g})"
            slug = model_name.replace(" ", "").replace("=", "")
            out[name] = run_dir / "predictions" / f"{slug}-{g}.json"
            with main_process_first():
                predict_llm(name, adapter, ds, cfg, g, out[name])
            # as recorded by the stage itself, so that a resumed run keeps the times of earlier sessions
            progress.record(f"{name}: recommend", load_predictions(out[name]).meta.get("seconds"))
    return out


def stage_evaluate(ds: Dataset, cfg: RunConfig, pred_path: Path, out: Path) -> dict:
    if not out.exists():
        preds = load_predictions(pred_path)
        save_results(out, evaluate_predictions(ds.splits["test"], ds.catalog, preds.topk, cfg.eval.ks, pred_path))
    return load_results(out)


def run(cfg: RunConfig) -> dict[str, dict]:
    run_dir = Path(cfg.run_dir)
    cfg_dict = json.loads(json.dumps(dataclasses.asdict(cfg)))
    timings: dict[str, float] = {}
    info = {"config": cfg_dict, "versions": versions(), "seed": cfg.seed, "wall_seconds": timings}
    with main_process_first():
        _check_same_config(run_dir, cfg_dict)
        if is_main_process():
            write_json(run_dir / "run.json", info)

    t = time.time()
    with main_process_first():
        ds = stage_prepare(cfg, run_dir)
    timings["prepare"] = round(time.time() - t, 2)
    plan = plan_run(cfg, len(ds.splits["train"]), len(ds.splits["test"]))
    progress = RunProgress(plan, timings, enabled=is_main_process())
    results, predictions = {}, {}
    for method in cfg.methods:
        for name, pred in stage_method(method, ds, cfg, run_dir, progress).items():
            with main_process_first():
                results[name] = stage_evaluate(ds, cfg, pred, run_dir / "metrics" / pred.name)
            predictions[name] = pred
        if is_main_process():
            write_json(run_dir / "run.json", info)
    mode = "history items excluded" if cfg.eval.exclude_history else "history items allowed (as the paper's code)"
    preamble = f"# {ds.name}: {len(ds.splits['test'])} test rows, {len(ds.catalog)} items; {mode}\n\n"
    if is_main_process():
        table = write_report(run_dir, ds, results, predictions, cfg.eval.ks, preamble, cfg.seed)
        write_json(run_dir / "run.json", info)
        print(preamble + table)
    wait_for_everyone()
    return results
