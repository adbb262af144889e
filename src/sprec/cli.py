"""The `sprec` command: a thin layer over the Python API. Errors print as one line, exit code 2."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from sprec.config import SOURCES
from sprec.errors import SprecError
from sprec.hub import stay_offline


def _with(settings, section: str, overrides: dict):
    """`settings` with the command-line values that were given, validated as the config's own values are."""
    from sprec.errors import ConfigError

    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return dataclasses.replace(settings, **given)
    except ConfigError as e:
        raise ConfigError(f"command line ({section} {', '.join(f'{k}={v}' for k, v in given.items())}): {e}") from None


def _new_file(path: str | None, flag: str) -> None:
    """An output file path must not name an existing folder."""
    if path and Path(path).is_dir():
        raise SprecError(f"{flag} {path} is a folder; give a file path")


def _new_folder(path: str, flag: str) -> None:
    """An output folder path must not name an existing file."""
    if Path(path).is_file():
        raise SprecError(f"{flag} {path} is a file; give a folder path")


def _add_ks(p: argparse.ArgumentParser) -> None:
    p.add_argument("-k", dest="ks", type=int, action="append", help="cut-off K; repeat for several (default 1 5 10)")


def _add_ids(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ids", choices=["catalog", "source"], default="catalog", help="ids in --out: the prepared "
                   "items.jsonl's (default) or the raw data's own item ids")  # fmt: skip


def cmd_prepare(a: argparse.Namespace) -> None:
    from sprec.config import DataConfig, from_dict, load_data_config
    from sprec.data.readers import prepare_dataset

    if a.config:
        cfg = load_data_config(a.config)
    else:
        paths = {k: v for k in ("train", "valid", "test", "catalog", "items", "genres", "interactions")
                 if (v := getattr(a, k))}  # fmt: skip
        cfg = from_dict(DataConfig, {"name": a.name or Path(a.out).name, "source": a.source, "path": a.path,
                                     "paths": paths}, "arguments")  # fmt: skip
    overrides = {"seed": a.seed, "test_size": a.test_size, "train_size": a.train_size}
    cfg.prepare = _with(cfg.prepare, "prepare", overrides)
    _new_folder(a.out, "--out")
    ds = prepare_dataset(cfg, a.out)
    print(f"prepared {ds.name} -> {a.out}")
    print(json.dumps(ds.meta["stats"], indent=2))
    print(f"MGU/DGU genre groups: {ds.catalog.genre_groups}")
    for warning in ds.meta.get("warnings", []):
        print(warning, file=sys.stderr)


def _save_lists(a: argparse.Namespace, ds, topk, **meta) -> None:
    """Write a command's lists to --out, in catalog ids or (--ids source) in the raw data's own item ids."""
    from sprec.evaluation.evaluate import as_source_ids, save_predictions

    if a.ids == "source":
        topk, meta = as_source_ids(topk, ds.catalog), {**meta, "ids": "source"}
    save_predictions(a.out, topk, **meta)


def cmd_baseline(a: argparse.Namespace) -> None:
    from sprec.config import ItemKNNSettings, SASRecSettings
    from sprec.data.dataset import Dataset

    if a.k < 1:
        raise SprecError(f"-k {a.k}: the list length must be a positive number of items")
    _new_file(a.out, "--out")
    ds = Dataset.load(a.data)
    if a.k > len(ds.catalog):
        raise SprecError(f"-k {a.k} is larger than the catalog ({len(ds.catalog)} items)")
    rows = ds.splits[a.split]
    if a.baseline == "popularity":
        from sprec.baselines.popularity import recommend_popular

        topk = recommend_popular(ds.catalog, rows, a.k, a.exclude_history)
    elif a.baseline == "itemknn":
        from sprec.baselines.itemknn import ItemKNN

        knn = ItemKNN.fit(ds.splits["train"], len(ds.catalog), ItemKNNSettings())
        topk = knn.recommend(rows, a.k, a.exclude_history)
    else:
        from sprec.baselines.sasrec import recommend_sasrec, train_sasrec

        model_dir = Path(a.model_dir or Path(a.out).with_suffix(".sasrec"))
        model = train_sasrec(ds, SASRecSettings(seed=a.seed), model_dir, valid_excluding=a.exclude_history)
        topk = recommend_sasrec(model, rows, a.k, a.exclude_history)
    _save_lists(a, ds, topk, method=a.baseline, dataset=ds.name, split=a.split, exclude_history=a.exclude_history)
    print(f"wrote {len(topk)} top-{a.k} lists -> {a.out}")


def cmd_evaluate(a: argparse.Namespace) -> None:
    from sprec.evaluation.evaluate import (
        check_made_for,
        evaluate_predictions,
        evaluate_sprec_files,
        format_table,
        id_map_for,
        load_predictions,
        save_results,
    )

    ks = a.ks or [1, 5, 10]
    _new_file(a.output, "--output")
    if a.run:
        from sprec.analysis.reevaluate import evaluate_run
        from sprec.evaluation.evaluate import HISTORY_MODES

        results, notes = evaluate_run(a.run, a.exclude_history, ks)
        if a.output:
            save_results(a.output, results)
        print(f"# {a.run}: {HISTORY_MODES[a.exclude_history]}")
        for name, by_k in results.items():
            print(format_table(by_k, title=name) + "\n")
        for note in notes:
            print(note)
        return
    if not a.predictions:
        raise SprecError("give --predictions P.json (or --run RUN_DIR for every list of a finished run)")
    if a.test or a.catalog:
        if not (a.test and a.catalog):
            raise SprecError("SPRec-format evaluation needs both --test TEST.json and --catalog DIR")
        results = evaluate_sprec_files(a.test, a.catalog, a.predictions, ks)
    elif a.data:
        from sprec.data.dataset import Dataset

        ds = Dataset.load(a.data)
        preds = load_predictions(a.predictions)
        check_made_for(preds, ds.name, a.split, a.predictions)
        results = evaluate_predictions(ds.splits[a.split], ds.catalog, preds.topk, ks, a.predictions,
                                       id_map_for(preds, ds.catalog, a.predictions))  # fmt: skip
    else:
        raise SprecError("give --data DIR (a prepared dataset) or --test TEST.json --catalog DIR (SPRec format)")
    if a.output:
        save_results(a.output, results)
    print(format_table(results, title=str(a.predictions)))


def cmd_train_sft(a: argparse.Namespace) -> None:
    from sprec.config import ModelConfig, SFTSettings, load_run_config
    from sprec.data.dataset import Dataset
    from sprec.train.sft import sft_summary, train_sft

    model, sft = (ModelConfig(), SFTSettings())
    if a.config:
        run_cfg = load_run_config(a.config)
        model, sft = run_cfg.model, run_cfg.sft
    sft = _with(sft, "sft", {"examples": a.examples, "epochs": a.epochs, "learning_rate": a.learning_rate,
                             "batch_size": a.batch_size, "seed": a.seed})  # fmt: skip
    _new_folder(a.out, "--out")
    if a.model:
        model.name = a.model
    train_sft(Dataset.load(a.data), model, sft, a.out)
    print(json.dumps(sft_summary(a.out), indent=2))


def cmd_recommend(a: argparse.Namespace) -> None:
    from sprec.config import RecommendSettings
    from sprec.data.dataset import Dataset, Example
    from sprec.llm.generate import recommend
    from sprec.llm.model import load_model
    from sprec.llm.prompts import Prompter
    from sprec.train.sft import trained_model_info

    _new_file(a.out, "--out")
    model_cfg, adapter, data_dir = trained_model_info(a.model)
    ds = Dataset.load(a.data or data_dir)
    if not 1 <= a.k <= len(ds.catalog):  # before the slow model load
        raise SprecError(f"-k {a.k}: a list holds 1 to {len(ds.catalog)} items (the catalog of {ds.path})")
    history = _history_of(a, ds)  # before the slow model load
    if a.hybrid:
        return _recommend_hybrid(a, ds, history)
    model, tok = load_model(model_cfg, adapter)
    prompter = Prompter.for_run(tok, ds, model_cfg)
    # a new user's own history is not recommended back to them unless asked
    exclude = not a.allow_history if history else a.exclude_history
    s = RecommendSettings(grounding=a.grounding, k=a.k, num_beams=a.beams, exclude_history=exclude,
                          batch_size=a.batch_size)  # fmt: skip
    if history:
        _say_what_the_prompt_holds(prompter, history)
        rows = [Example(tuple(history), None)]
        rec = recommend(model, tok, prompter, rows, s, cache_dir=ds.path)
        print(f"model generated: {rec.generations[0][0]}")
        for rank, item in enumerate(rec.topk[0], 1):
            print(f"{rank:2d}. {ds.catalog.title(item)}")
        return
    if not a.out:
        raise SprecError("give --out P.json (recommend for a split) or --history TITLE ... (one new user)")
    rows = ds.splits[a.split][: a.limit]
    rec = recommend(model, tok, prompter, rows, s, cache_dir=ds.path)
    _save_lists(a, ds, rec.topk, method=str(a.model), dataset=ds.name, split=a.split, grounding=a.grounding,
                exclude_history=a.exclude_history, stats=dict(rec.stats), generations=rec.generations)  # fmt: skip
    print(f"wrote {len(rows)} top-{a.k} lists -> {a.out} ({dict(rec.stats)})")


def _say_what_the_prompt_holds(prompter, history: list[int]) -> None:
    kept = len(prompter.fitted_history(history))
    if kept < len(history):
        print(f"kept the last {kept} of {len(history)} titles: the prompt holds {prompter.max_prompt_tokens} tokens "
              "(model.max_prompt_tokens)", file=sys.stderr)  # fmt: skip


def _history_of(a: argparse.Namespace, ds) -> list[int] | None:
    """--history titles or --user ID (that user's latest history in the prepared data), printed as read."""
    from datetime import UTC, datetime

    from sprec.data.titles import titles_to_history, user_history

    if a.history and a.user:
        raise SprecError("give --history TITLE ... or --user ID, not both")
    if not (a.history or a.user):
        return None
    when = ""
    if a.user:
        history, time = user_history(ds, a.user)
        when = f" (user {a.user}, up to {datetime.fromtimestamp(time, UTC):%Y-%m-%d})" if time else f" (user {a.user})"
    else:
        history = titles_to_history(a.history, ds.catalog)
    print(f"history{when}: {'; '.join(ds.catalog.title(i) for i in history)}")
    return history


def _recommend_hybrid(a: argparse.Namespace, ds, history: list[int] | None) -> None:
    from sprec.analysis.two_stage import hybrid_recommend
    from sprec.data.dataset import Example

    if not history and not a.out:
        raise SprecError("give --out P.json (recommend for a split) or --history TITLE ... (one new user)")
    rows = [Example(tuple(history), None)] if history else ds.splits[a.split][: a.limit]
    exclude = not a.allow_history if history else a.exclude_history
    topk, used = hybrid_recommend(a.model, rows, a.k, exclude, on_prompter=_say_what_the_prompt_holds
                                  if history else None)  # fmt: skip
    if history:
        print(f"hybrid: {used['retriever']} candidates ranked with this model (LLM score {used['llm_score']}, "
              f"weight {used['weight']})")  # fmt: skip
        for rank, item in enumerate(topk[0], 1):
            print(f"{rank:2d}. {ds.catalog.title(int(item))}")
        return
    _save_lists(a, ds, topk, method=f"hybrid {a.model}", dataset=ds.name, split=a.split, exclude_history=exclude,
                **used)  # fmt: skip
    print(f"wrote {len(rows)} top-{a.k} lists -> {a.out}")


def cmd_run(a: argparse.Namespace) -> None:
    from sprec.config import load_run_config
    from sprec.experiment.pipeline import run

    cfg = load_run_config(a.config, a.set)
    if a.run_dir:
        cfg.run_dir = str(Path(a.run_dir).resolve())
    run(cfg)


def cmd_frontier(a: argparse.Namespace) -> None:
    from sprec.analysis.frontier import frontier
    from sprec.config import load_run_config

    cfg = load_run_config(a.config)
    if a.run_dir:
        cfg.run_dir = str(Path(a.run_dir).resolve())
    out = Path(a.out) if a.out else Path(cfg.run_dir) / "frontier"
    points = frontier(cfg, out)
    print(f"{len(points)} points -> {out}/frontier.md")


def cmd_size_curve(a: argparse.Namespace) -> None:
    from sprec.config import load_run_config
    from sprec.experiment.size_curve import collect, run_points, write_curve

    root = Path(a.root)
    if a.config:
        run_points(load_run_config(a.config), a.examples, a.epochs, root)
    folders = sorted(p.parent for p in root.glob("*/results.json")) + [Path(d) for d in a.include]
    rows = collect(folders)
    write_curve(rows, Path(a.out))
    print(f"{len(rows)} points -> {a.out}/curve.md")


def cmd_export(a: argparse.Namespace) -> None:
    from sprec.distributed import is_main_process, use_threads
    from sprec.serve.export import export
    from sprec.serve.system import RunSystem

    _new_file(a.out, "--out")
    if a.chunk_size < 1:
        raise SprecError(f"--chunk-size {a.chunk_size}: give a positive number of users")
    use_threads(None)  # the cores shared by the processes of an `accelerate launch`
    system = RunSystem(a.run, [a.model])
    out = export(system, a.model, a.split or "all", a.k, a.format, a.out, a.chunk_size,
                 not a.allow_history)  # fmt: skip
    if is_main_process():
        print(f"wrote the top-{a.k} of {a.model} -> {out}")


def cmd_serve(a: argparse.Namespace) -> None:
    import uvicorn

    from sprec.distributed import use_threads
    from sprec.serve.app import create_app
    from sprec.serve.system import RunSystem

    use_threads(a.threads)
    system = RunSystem(a.run, a.models)
    print(f"serving {', '.join(system.models)} of {system.run_dir} on http://{a.host}:{a.port} (page at /, API "
          "docs at /docs)", file=sys.stderr)  # fmt: skip
    uvicorn.run(create_app(system), host=a.host, port=a.port, log_level="warning")


def cmd_spread(a: argparse.Namespace) -> None:
    from sprec.experiment.seeds import spread_table
    from sprec.io import atomic_write_text

    for d in a.runs:
        if not (Path(d) / "results.json").is_file():
            raise SprecError(f"{d}: not a finished run folder (no results.json)")
    text = spread_table([Path(d) for d in a.runs], str(a.k))
    if a.out:
        atomic_write_text(a.out, text)
    print(text)


def _add_use_parsers(sub) -> None:
    """export and serve: a finished run's system put to use."""
    e = sub.add_parser("export", help="a model's top-K for every user (or a split) to CSV, JSONL or Parquet")
    e.add_argument("run", help="a finished `sprec run` folder")
    e.add_argument("--model", required=True, help="a row of the run: e.g. sasrec, or 'sasrec > sprec-hybrid t=2'")
    who = e.add_mutually_exclusive_group()
    who.add_argument("--all-users", action="store_true", help="each user's latest history (default)")
    who.add_argument("--split", help="the rows of one split of the prepared data instead")
    e.add_argument("-k", type=int, default=10)
    e.add_argument("--format", choices=["csv", "jsonl", "parquet"], default="csv")
    e.add_argument("--out", required=True, help="the file to write (chunks kept beside it until it is whole)")
    e.add_argument("--chunk-size", type=int, default=64, help="users per chunk (the unit of resuming)")
    e.add_argument("--allow-history", action="store_true", help="let a user's own items into their list")
    e.set_defaults(func=cmd_export)
    sp = sub.add_parser("spread", help="finished runs side by side: each one's headline numbers and their range")
    sp.add_argument("runs", nargs="+", help="finished run folders (e.g. RUN/seed-0 RUN/seed-1)")
    sp.add_argument("-k", type=int, default=10)
    sp.add_argument("--out", help="also write the markdown table to this file")
    sp.set_defaults(func=cmd_spread)
    s = sub.add_parser("serve", help="an HTTP service (and a page at /) over a finished run's models")
    s.add_argument("run", help="a finished `sprec run` folder")
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default only this machine)")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--models", nargs="+", help="rows to serve (default: every classical and two-stage row)")
    s.add_argument("--threads", type=int, help="torch threads for the model worker (default: the cores)")
    s.set_defaults(func=cmd_serve)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sprec", description="LLM-based recommendation without the filter bubble (SPRec).")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="run a whole experiment from one YAML config and print the results table")
    r.add_argument("config", help="experiment config, e.g. configs/quickstart.yaml")
    r.add_argument("--run-dir", help="override the config's run_dir")
    r.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override one config value, dotted into sections (repeatable): --set seeds=[0,1,2] "
                        "--set model.dtype=float32")  # fmt: skip
    r.set_defaults(func=cmd_run)

    f = sub.add_parser("frontier", help="relevance-diversity frontier of a finished run: every re-ranker and knob "
                                        "swept over its stored lists (no model is re-run)")  # fmt: skip
    f.add_argument("config", help="the experiment config of the finished run")
    f.add_argument("--run-dir", help="override the config's run_dir")
    f.add_argument("--out", help="folder for frontier.md / .csv / .json / .png (default: RUN_DIR/frontier)")
    f.set_defaults(func=cmd_frontier)

    c = sub.add_parser("size-curve", help="SFT accuracy and valid-title share against training size (signal)")
    c.add_argument("config", nargs="?", help="base experiment config; omit to only collect finished points")
    c.add_argument("--examples", type=int, nargs="+", default=[256, 1024], help="SFT training examples per point")
    c.add_argument("--epochs", type=float, nargs="+", default=[1.0], help="SFT epochs per point")
    c.add_argument("--root", default="runs/size-curve", help="one run folder per point goes here")
    c.add_argument("--include", nargs="*", default=[], help="other finished run folders with an SFT row")
    c.add_argument("--out", default="runs/size-curve/curve", help="curve.md / .csv / .json and curve.png (copy "
                   "what you want to keep into docs/)")  # fmt: skip
    c.set_defaults(func=cmd_size_curve)

    train = sub.add_parser("train", help="training stages").add_subparsers(dest="train_command", required=True)
    t = train.add_parser("sft", help="LoRA supervised fine-tuning on history -> next item (TRL, completion-only)")
    t.add_argument("--data", required=True, help="prepared dataset folder")
    t.add_argument("--out", required=True, help="run folder: checkpoints, adapter, summary (a rerun resumes)")
    t.add_argument("--config", help="experiment YAML whose model: and sft: sections to use")
    t.add_argument("--model", help="Hugging Face causal LM id or path (default: embedded SmolLM2-135M-Instruct)")
    t.add_argument("--examples", type=int, help="training examples (seeded subset)")
    t.add_argument("--epochs", type=float)
    t.add_argument("--learning-rate", type=float)
    t.add_argument("--batch-size", type=int)
    t.add_argument("--seed", type=int)
    t.set_defaults(func=cmd_train_sft)

    rc = sub.add_parser("recommend", help="top-K lists from a trained model, for a split or for one new history")
    rc.add_argument("--model", required=True, help="a `sprec train sft` folder, or any model folder of a `sprec run`: "
                    "RUN/models/sft, RUN/models/dpo, RUN/models/sdpo, RUN/models/sprec/iteration-N")  # fmt: skip
    rc.add_argument("--data", help="prepared dataset folder (default: the one the model was trained on)")
    rc.add_argument("--split", default="test", choices=["train", "valid", "test"])
    rc.add_argument("--limit", type=int, help="only the first N rows")
    rc.add_argument("--history", nargs="+", metavar="TITLE", help="recommend for this history instead (oldest first)")
    rc.add_argument("--user", help="recommend for this user of the data: their latest history in the prepared splits")
    rc.add_argument("--grounding", default="embedding", choices=["embedding", "trie"],
                    help="embedding: K nearest titles to the generation (paper); trie: constrained")  # fmt: skip
    rc.add_argument("-k", type=int, default=10, help="list length (default 10)")
    rc.add_argument("--beams", type=int, default=0, help="trie: beams (default K); 1 = greedy + embedding neighbours")
    rc.add_argument("--exclude-history", action="store_true", help="never recommend an item of the row's history")
    rc.add_argument("--allow-history", action="store_true", help="with --history: the given titles may come back")
    rc.add_argument("--hybrid", action="store_true", help="the run's two-stage system: its retriever's candidates "
                    "ranked with this model (needs `hybrid` among the run's methods)")  # fmt: skip
    rc.add_argument("--batch-size", type=int, default=16)
    rc.add_argument("--out", help="predictions JSON to write (with the raw generations)")
    _add_ids(rc)
    rc.set_defaults(func=cmd_recommend)

    _add_use_parsers(sub)
    data = sub.add_parser("data", help="dataset commands").add_subparsers(dest="data_command", required=True)
    d = data.add_parser("prepare", help="turn raw public data into a prepared dataset folder",
                        description="Sources: movielens (ml-100k/1m/10m/latest folders), recbole (atomic files; "
                        "'bundled:ml-100k' = the copy in the recbole wheel), sprec-json (prompt JSON + catalog "
                        "folder), d3-csv (D3/BIGRec CSV splits + item info file), csv (your own log: --interactions "
                        "and --items CSV files with the default headers, or a --config naming yours).")  # fmt: skip
    d.add_argument("--config", help="data config YAML (see configs/data/); replaces --source/--path")
    d.add_argument("--source", choices=list(SOURCES))
    d.add_argument("--path", help="folder of a movielens or recbole source")
    for name in ("train", "valid", "test"):
        d.add_argument(f"--{name}", help=f"{name} split file (sprec-json, d3-csv)")
    d.add_argument("--catalog", help="SPRec catalog folder: id2name.json, name2genre.json, genre_dict.json")
    d.add_argument("--items", help="D3 item info file (title<TAB>item_id lines); csv: item_id,title[,genres] CSV")
    d.add_argument("--interactions", help="csv: user_id,item_id,timestamp[,rating] CSV")
    d.add_argument("--genres", help="D3 name2genre.json (optional)")
    d.add_argument("--name", help="dataset name (default: the output folder's name)")
    d.add_argument("--seed", type=int, help="seed of the split subsampling")
    d.add_argument("--train-size", type=int, help="fixed seeded subsample of the train split")
    d.add_argument("--test-size", type=int, help="fixed seeded subsample of the test split")
    d.add_argument("--out", required=True, help="output folder")
    d.set_defaults(func=cmd_prepare)

    base = sub.add_parser("baseline", help="non-LLM baselines").add_subparsers(dest="baseline", required=True)
    for name, text in (("popularity", "top-K most popular training items per row"),
                       ("itemknn", "item-kNN over item-to-item transitions in the training histories (seconds)"),
                       ("sasrec", "SASRec, trained on the train split, best validation epoch (a few CPU minutes)")):
        b = base.add_parser(name, help=text)
        b.add_argument("--data", required=True, help="prepared dataset folder")
        b.add_argument("-k", type=int, default=10, help="list length (default 10)")
        b.add_argument("--split", default="test", choices=["valid", "test"])
        b.add_argument("--exclude-history", action="store_true", help="never recommend an item of the row's history")
        b.add_argument("--out", required=True, help="predictions JSON to write")
        _add_ids(b)
        if name == "sasrec":
            b.add_argument("--model-dir", help="where the model is saved (default: beside --out); a rerun loads it")
            b.add_argument("--seed", type=int, default=0)
        b.set_defaults(func=cmd_baseline)

    e = sub.add_parser("evaluate", help="HR, NDCG, DivRatio, ORRatio, MGU, DGU (+ coverage, Gini, novelty, ILD)",
                       description="Evaluate a predictions file against a prepared dataset (--data) or against "
                       "SPRec-format inputs (--test TEST.json --catalog DIR, ids of id2name.json).")  # fmt: skip
    e.add_argument("--data", help="prepared dataset folder")
    e.add_argument("--split", default="test", choices=["valid", "test"])
    e.add_argument("--test", help="SPRec prompt JSON test file")
    e.add_argument("--catalog", help="SPRec catalog folder (id2name.json, name2genre.json, genre_dict.json)")
    e.add_argument("--predictions", help="JSON: per test row, a list of item ids, best first")
    e.add_argument("--run", help="a finished run folder: every list it stored, evaluated again (no model is run)")
    e.add_argument("--exclude-history", action="store_true", help="with --run: drop each row's history items "
                   "(rankings filtered, embedding rows grounded again from their generations)")  # fmt: skip
    _add_ks(e)
    e.add_argument("--output", help="write the metrics JSON here ({K: {metric: value}})")
    e.set_defaults(func=cmd_evaluate)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    stay_offline()
    try:
        args.func(args)
    except SprecError as e:
        print(f"sprec: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sprec: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130
    except (PermissionError, IsADirectoryError, NotADirectoryError) as e:  # from inside a library, mid-stage
        where = e.filename or "a file"
        print(f"sprec: error: cannot write or read {where}: {e.strerror} (a read-only or moved folder? what "
              "finished is kept: rerun the same command to resume)", file=sys.stderr)  # fmt: skip
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
