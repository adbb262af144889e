"""One experiment from one config, top to bottom: prepare -> baselines -> evaluate -> report.

Each stage writes its output into the run folder and is skipped when that output is already there, so a
killed run resumes where it stopped. The run's config, package versions, seed and wall times are recorded.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import platform
import re
import sys
import time
from importlib import metadata
from pathlib import Path

from sprec.config import CLASSICAL, RANKERS, RunConfig
from sprec.data.dataset import Dataset, histories
from sprec.data.readers import prepare_dataset
from sprec.distributed import is_main_process, main_process_first, use_threads, wait_for_everyone
from sprec.errors import ConfigError, SprecError
from sprec.evaluation.evaluate import (
    EVALUATION_VERSION,
    HISTORY_MODES,
    Predictions,
    cached_results,
    catalog_lists,
    check_made_for,
    evaluate_predictions,
    list_length,
    lists_for_mode,
    load_predictions,
    prediction_meta,
    save_predictions,
    save_results,
)
from sprec.experiment.layout import run_scorer
from sprec.experiment.progress import RunProgress, plan_run, stage_kind
from sprec.hub import stay_offline
from sprec.io import file_digest, read_json, write_json
from sprec.names import d3_row, d3_stem, generated_stem, grounded_row, hybrid_row, hybrid_stem, stage_key
from sprec.ranking.topk import top_k
from sprec.report.tables import write_report


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("sprec", "numpy", "torch", "transformers", "trl", "peft"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[pkg] = metadata.version(pkg)
    return out


def machine_precision(cfg: RunConfig) -> dict[str, str]:
    """What computed this run: the LLM's dtype (model.dtype resolved on this machine), the device and its
    instruction set (float32 results differ in their last bits between AVX2 and AVX-512)."""
    from sprec.llm.precision import instruction_set, resolve

    p = resolve(cfg.model.dtype)
    return {"dtype": p.dtype, "device": p.device, "instruction_set": instruction_set(), "why": p.why}


def machine_line(precision: dict, versions: dict) -> str:
    """The report's line on what produced its numbers."""
    libs = ", ".join(f"{k} {versions[k]}" for k in ("torch", "transformers") if k in versions)
    return f"Computed on {precision['device']}, LLM in {precision['dtype']} ({precision['why']}); {libs}."


def _changed_settings(recorded, current, where: str = "") -> list[str]:
    """Dotted names of the settings the earlier run recorded that differ now (settings a newer sprec added or
    dropped do not count: `current` holds every setting sprec has, defaults included)."""
    if isinstance(recorded, dict) and isinstance(current, dict):
        return [name for k, v in recorded.items() if k in current
                for name in _changed_settings(v, current[k], f"{where}{k}.")]
    return [] if recorded == current else [where.rstrip(".")]


def _recorded_settings_hold(recorded, current) -> bool:
    return not _changed_settings(recorded, current)


# settings that only these methods read: a change there matters only when either run has one of them
_SETTINGS_OF = {
    "hybrid": {"hybrid", "sprec-hybrid", "rank-sft", "sprec-rank"},
    "rank_sft": {"rank-sft", "sprec-rank"},
    "sprec_rank": {"sprec-rank"},
    "d3": {"d3"},
    "sdpo_negatives": {"sdpo", "dmpo"},
    "sft_reweight_exponent": {"sft-reweighted"},
    "rerank": {"rerank-pop", "rerank-mmr", "rerank-dpp", "rerank-calibrated"},
}


def _check_same_config(run_dir: Path, cfg_dict: dict) -> list[str]:
    """A run folder takes its own config again with methods added (rows are added) or left out (their rows are
    left out of the report, their files kept). Settings of methods the folder never had may differ (they were
    never used); the others may not, whether or not their methods are listed now. The folder's own path is not
    compared: a moved or copied run folder resumes. Returns every method the folder has ever been run with."""
    info = run_dir / "run.json"
    if not info.exists():
        return list(cfg_dict["methods"])
    earlier = read_json(info)
    recorded = dict(earlier.get("config") or {})
    methods = list(dict.fromkeys([*earlier.get("methods_ever", []), *recorded.pop("methods", [])]))
    for machine_setting in ("run_dir", "threads"):  # where and how fast, not what is computed
        recorded.pop(machine_setting, None)
    for section, users in _SETTINGS_OF.items():
        if not users & set(methods):
            recorded.pop(section, None)
    for section in ("hybrid", "d3"):  # which models get these rows: like `methods`, rows added or left out
        (recorded.get(section) or {}).pop("models", None)
    # whose prior calibrates a row: each hybrid row records it (prior_of) and is remade, from its cached scores,
    # when it differs
    (recorded.get("hybrid") or {}).pop("prior", None)
    (recorded.get("selfplay") or {}).pop("evaluate", None)  # the same: which SPRec iterations get rows
    recorded.pop("imported", None)  # rows made elsewhere: added or left out like methods
    changed = _changed_settings(recorded, cfg_dict)
    if changed:
        what = [f"{name}: {_lookup(recorded, name)!r} -> {_lookup(cfg_dict, name)!r}" for name in changed]
        raise ConfigError(f"{run_dir} holds a run with another config ({'; '.join(what)}); choose a new run_dir, "
                          "delete it, or restore those settings")  # fmt: skip
    return list(dict.fromkeys([*methods, *cfg_dict["methods"]]))


def _lookup(d, dotted: str):
    for key in dotted.split("."):
        if not isinstance(d, dict) or key not in d:
            return None
        d = d[key]
    return d


@contextlib.contextmanager
def run_lock(run_dir: Path):
    """Hold run_dir/.lock for the whole run: a second `sprec run` on the same folder is refused at once."""
    import fcntl

    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        handle = (run_dir / ".lock").open("a")
    except OSError as e:
        raise SprecError(f"cannot create the run folder {run_dir}: {e.strerror}") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise SprecError(f"{run_dir} is in use by another `sprec run` (its .lock is held); wait for it to finish"
                         ) from None  # fmt: skip
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def stage_prepare(cfg: RunConfig, run_dir: Path) -> Dataset:
    data_dir = run_dir / "data"
    if not (data_dir / "meta.json").exists():
        prepare_dataset(cfg.data, data_dir)
    return Dataset.load(data_dir)


def stage_classical(method: str, ds: Dataset, cfg: RunConfig, run_dir: Path, path: Path) -> float:
    """Fit (or load) popularity, SASRec or item-kNN and write its test lists; returns the stage's seconds."""
    if path.exists():
        return load_predictions(path).meta.get("seconds", 0.0)
    start, test = time.time(), ds.splits["test"]
    scores = run_scorer(method, ds, cfg, run_dir)(test)
    excluded = histories(test, cfg.eval.generate_excluding)
    topk = top_k(scores, list_length(cfg.eval, test, len(ds.catalog)), excluded)
    seconds = round(time.time() - start, 2)
    save_predictions(path, topk, **prediction_meta(method, ds.name, cfg.eval, seconds=seconds))
    return seconds


def stage_imported(name: str, source: str, ds: Dataset, cfg: RunConfig, run_dir: Path) -> Path:
    """A row made elsewhere (`imported`): its lists checked against this dataset's test rows (names the file and
    row) and copied into the run folder, so the report and `sprec evaluate --run` treat it as any other row.
    Lists are taken as rankings made with history allowed unless the file says `exclude_history: true`; a
    changed source file replaces the copy and its cached metrics."""
    tag = hashlib.sha1(name.encode()).hexdigest()[:6]  # "a b" and "a-b" are two rows, two files
    path = run_dir / "predictions" / f"imported-{re.sub(r'[^A-Za-z0-9._-]+', '-', name)}-{tag}.json"
    preds = load_predictions(source)
    check_made_for(preds, ds.name, "test", source)
    topk = catalog_lists(preds, ds.catalog, len(ds.splits["test"]), max(cfg.eval.ks), source)
    meta = {"history_filterable": True, **preds.meta, "ids": "catalog", "method": name, "imported_from": str(source)}
    if not path.exists() or load_predictions(path) != Predictions(topk, meta):
        save_predictions(path, topk, **meta)  # its metrics record the old file's digest: they are computed again
    return path


def stage_method(method: str, ds: Dataset, cfg: RunConfig, run_dir: Path, progress: RunProgress) -> dict[str, Path]:
    """Train `method` if it needs training, then write its predictions; returns {row name: predictions file}."""
    if method in CLASSICAL:
        path = run_dir / "predictions" / f"{method}.json"
        with main_process_first():
            seconds = stage_classical(method, ds, cfg, run_dir, path)
        progress.record(method if method == "popularity" else stage_key(method, "train"), seconds, path)
        return {method: path}
    if method in ("hybrid", "d3"):
        return stage_per_model(method, ds, cfg, run_dir, progress)
    from sprec.experiment.llm_stages import predict_llm, rerank_sft, train_method  # torch only when an LLM method runs

    if method.startswith("rerank-"):
        name = grounded_row(method, "embedding")
        path = run_dir / "predictions" / f"{generated_stem(method, 'embedding')}.json"
        rerank_sft(method, ds, cfg, path)  # every process: the SFT lists it re-ranks are made by all
        progress.record(stage_key(name, "rerank"), load_predictions(path).meta.get("seconds"), path)
        return {name: path}
    out = {}
    for model_name, adapter, train_seconds in train_method(method, ds, cfg, run_dir):
        progress.record(stage_key(model_name, "train"), train_seconds, adapter)
        generates = method not in RANKERS and cfg.selfplay.evaluated(model_name)
        for g in cfg.groundings if generates else ():
            name = grounded_row(model_name, g)
            out[name] = run_dir / "predictions" / f"{generated_stem(model_name, g)}.json"
            predict_llm(name, adapter, ds, cfg, g, out[name])  # every process: each recommends for a share
            # as recorded by the stage itself, so that a resumed run keeps the times of earlier sessions
            progress.record(stage_key(name, "recommend"), load_predictions(out[name]).meta.get("seconds"), out[name])
    return out


def stage_per_model(method: str, ds: Dataset, cfg: RunConfig, run_dir: Path, progress: RunProgress) -> dict[str, Path]:
    """One row per LLM model of the run: `hybrid` (the retriever's candidates ranked with the model's scores) or
    `d3` (the model's trie beam search guided by the classical assistant)."""
    from sprec.experiment.llm_stages import hybrid_models, predict_d3, predict_hybrid

    out, retriever = {}, cfg.hybrid.pool
    if method == "hybrid" and len(cfg.hybrid.retrievers) > 1:
        out[retriever] = stage_pool(ds, cfg, run_dir)
    for model_name, adapter in hybrid_models(ds, cfg, run_dir, getattr(cfg, method).models):
        if method == "hybrid":
            name, stem, predict, stage = hybrid_row(retriever, model_name), hybrid_stem(retriever, model_name), \
                predict_hybrid, "rank"
        else:
            name, stem, predict, stage = d3_row(model_name), d3_stem(model_name), predict_d3, "recommend"
        out[name] = run_dir / "predictions" / f"{stem}.json"
        predict(name, adapter, ds, cfg, run_dir, out[name])  # every process: each scores or decodes a share
        progress.record(stage_key(name, stage), load_predictions(out[name]).meta.get("seconds"), out[name])
    return out


def stage_pool(ds: Dataset, cfg: RunConfig, run_dir: Path) -> Path:
    """The pool's own row: its candidates ranked by the retrievers' mixed score (experiment/pool.py)."""
    from sprec.experiment.pool import pool_mix, retriever_candidates

    path = run_dir / "predictions" / f"{cfg.hybrid.pool}.json"
    with main_process_first():
        if not path.exists():
            cand = retriever_candidates(ds, cfg, run_dir, "test")
            mix, curve = pool_mix(ds, cfg, run_dir, cfg.eval.generate_excluding)
            save_predictions(path, cand.ids, **prediction_meta(cfg.hybrid.pool, ds.name, cfg.eval,
                             retrievers=cfg.hybrid.retrievers, mix=list(mix), mix_validation_ndcg_at_10=curve,
                             candidates=cfg.hybrid.candidates))  # fmt: skip
    return path


def stage_evaluate(ds: Dataset, cfg: RunConfig, pred_path: Path, exclude_history: bool) -> dict | None:
    """Metrics of one predictions file in one history mode (None when its lists cannot give that mode)."""
    out = pred_path.parent.parent / "metrics" / f"{pred_path.stem}.{'excluded' if exclude_history else 'allowed'}.json"
    inputs = {"predictions": file_digest(pred_path), "test": file_digest(ds.path / "test.jsonl"),
              "items": file_digest(ds.path / "items.jsonl"), "ks": sorted(cfg.eval.ks), "version": EVALUATION_VERSION}
    cached = cached_results(out, inputs)
    if cached is not None:
        return cached
    if out.exists() and is_main_process():
        before = read_json(out).get("inputs") or {}
        what = [w for w, key in (("its lists", "predictions"), ("the test rows", "test"), ("the catalog", "items"),
                                 ("the Ks", "ks"), ("sprec's metrics", "version")) if before.get(key) != inputs[key]]
        print(f"[sprec run] {pred_path.name}: {', '.join(what)} changed since {out.name} was computed: evaluated "
              "again", file=sys.stderr)  # fmt: skip
    preds, test = load_predictions(pred_path), ds.splits["test"]
    lists = lists_for_mode(preds, test, exclude_history, max(cfg.eval.ks), pred_path)
    if lists is None:
        return None
    results = evaluate_predictions(test, ds.catalog, lists, cfg.eval.ks, pred_path)
    save_results(out, results, inputs)
    return results


def run(cfg: RunConfig) -> dict[str, dict]:
    """Runs (or resumes) the experiment; returns {history mode label: {row name: {K: metrics}}} (with `seeds`:
    the metrics' means over the seeds)."""
    stay_offline()
    if cfg.seeds:
        return _run_seeds(cfg)
    with run_lock(Path(cfg.run_dir)) if is_main_process() else contextlib.nullcontext():
        return _run(cfg)


def _run_seeds(cfg: RunConfig) -> dict[str, dict]:
    from sprec.experiment.seeds import aggregate, for_seed, means, plot_seeds, write_seed_report

    per_seed = {}
    for seed in cfg.seeds:
        if is_main_process():
            print(f"[sprec run] seed {seed} ({cfg.seeds.index(seed) + 1} of {len(cfg.seeds)})", file=sys.stderr)
        per_seed[seed] = run(for_seed(cfg, seed))
    agg = aggregate(per_seed)
    if is_main_process():
        print(write_seed_report(Path(cfg.run_dir), cfg.seeds, agg, cfg.eval.ks))
        plot_seeds(Path(cfg.run_dir), per_seed, agg, cfg.eval.ks)
        print(f"Report: {Path(cfg.run_dir) / 'results.md'} (mean +- sd over seeds)")
    return means(agg)


def _run(cfg: RunConfig) -> dict[str, dict]:
    run_dir = Path(cfg.run_dir)
    threads, cores = use_threads(cfg.threads)
    if is_main_process():
        print(f"[sprec run] {threads} torch threads per process ({cores} cores available to this process; the "
              "config's `threads` or OMP_NUM_THREADS sets it)", file=sys.stderr, flush=True)  # fmt: skip
    cfg_dict = json.loads(json.dumps(dataclasses.asdict(cfg)))
    timings: dict[str, float] = {}
    precision = machine_precision(cfg)
    if is_main_process():
        print(f"[sprec run] LLM precision: {precision['dtype']} on {precision['device']} ({precision['why']})",
              file=sys.stderr, flush=True)  # fmt: skip
    info = {"config": cfg_dict, "versions": versions(), "seed": cfg.seed, "precision": precision,
            "wall_seconds": timings}  # fmt: skip
    with main_process_first():
        earlier = read_json(run_dir / "run.json").get("wall_seconds", {}) if (run_dir / "run.json").exists() else {}
        info["methods_ever"] = _check_same_config(run_dir, cfg_dict)
        if is_main_process():
            write_json(run_dir / "run.json", info)

    t = time.time()
    with main_process_first():
        ds = stage_prepare(cfg, run_dir)
    timings["prepare"] = round(time.time() - t, 2)
    if max(cfg.eval.ks) > len(ds.catalog):  # before any stage trains on it
        raise ConfigError(f"eval.ks: K = {max(cfg.eval.ks)} is larger than the catalog ({len(ds.catalog)} items)")
    plan = plan_run(cfg, len(ds.splits["train"]), len(ds.splits["test"]), len(ds.splits["valid"]))
    calibration = 1.0
    if any(stage_kind(k).startswith("llm") for k in plan) and is_main_process():
        from sprec.llm.calibrate import machine_speed

        calibration = info["llm_speed_calibration"] = machine_speed(cfg.model)
    progress = RunProgress(plan, timings, enabled=is_main_process(), calibration=calibration, earlier=earlier,
                           save=lambda: write_json(run_dir / "run.json", info))  # fmt: skip
    results: dict[str, dict] = {HISTORY_MODES[m]: {} for m in cfg.eval.modes}
    predictions = {}

    def add_row(name: str, pred: Path) -> None:
        for mode in cfg.eval.modes:
            with main_process_first():
                metrics = stage_evaluate(ds, cfg, pred, mode)
            if metrics is not None:
                results[HISTORY_MODES[mode]][name] = metrics
        predictions[name] = pred

    for method in cfg.methods:
        for name, pred in stage_method(method, ds, cfg, run_dir, progress).items():
            add_row(name, pred)
    for name, source in cfg.imported.items():
        if name in predictions:
            raise ConfigError(f"imported: {name!r} is also a row of the run's methods; give it another name")
        with main_process_first():
            pred = stage_imported(name, source, ds, cfg, run_dir)
        add_row(name, pred)
    modes = " and ".join(results)
    preamble = f"# {ds.name}: {len(ds.splits['test'])} test rows, {len(ds.catalog)} items; {modes}\n\n"
    preamble += machine_line(precision, info["versions"]) + "\n\n"
    preamble += "".join(f"{w}\n\n" for w in ds.meta.get("warnings", []))  # data quirks (prepare)
    if len(results) > 1 and "trie" in cfg.groundings and set(cfg.methods) - set(CLASSICAL):
        preamble += "Trie-decoded rows are generated with history items allowed and are in that table only.\n\n"
    if is_main_process():
        table = write_report(run_dir, ds, results, predictions, cfg.eval.ks, preamble, cfg.seed)
        write_json(run_dir / "run.json", info)
        print(preamble + table)
        print(f"Report: {run_dir / 'results.md'} (tables), {run_dir / 'plots'}/ (pictures)")
    wait_for_everyone()
    return results
