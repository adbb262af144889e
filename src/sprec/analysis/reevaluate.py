"""`sprec evaluate --run RUN_DIR`: a finished run's stored lists evaluated again, in either history mode and at
any K, without regenerating anything: rankings drop the history after the fact, embedding-grounded LLM rows are
grounded again from their stored generations (history excluded when asked), trie beams are kept as decoded."""

from __future__ import annotations

import contextlib
from pathlib import Path

from sprec.config import CLASSICAL, RunConfig, from_dict
from sprec.data.dataset import Dataset, histories
from sprec.errors import DataError
from sprec.evaluation.evaluate import evaluate_predictions, lists_for_mode, load_predictions
from sprec.experiment.layout import run_scorer
from sprec.io import read_json
from sprec.llm.grounding import TitleEmbedder, stored_titles, title_distances
from sprec.ranking.topk import top_k


def evaluate_run(run_dir: str | Path, exclude_history: bool, ks: list[int]) -> tuple[dict[str, dict], list[str]]:
    """({row: {K: metrics}}, notes on rows left out) for every predictions file of the run."""
    run_dir = Path(run_dir)
    if not (run_dir / "data" / "meta.json").exists():
        raise DataError("not a run folder (no data/meta.json); give the run_dir of a `sprec run`", run_dir)
    ds = Dataset.load(run_dir / "data")
    test, k = ds.splits["test"], max(ks)
    config = read_json(run_dir / "run.json").get("config", {}) if (run_dir / "run.json").exists() else {}
    embedder = (config.get("recommend") or {}).get("embedder")
    results, notes, encoder = {}, [], None
    for path in sorted((run_dir / "predictions").glob("*.json")):
        preds = load_predictions(path)
        name = preds.meta.get("method", path.stem)
        lists = None
        with contextlib.suppress(DataError):  # too short once the history is dropped: grounded again below
            lists = lists_for_mode(preds, test, exclude_history, k, path)
        generations = path.with_suffix(".generations.jsonl")
        if lists is None and preds.meta.get("grounding") == "embedding" and generations.exists():
            encoder = encoder or TitleEmbedder(embedder)
            catalog = encoder.catalog([it.title for it in ds.catalog.items], path.parent)
            excluded = histories(test, exclude_history)
            lists = top_k(-title_distances(stored_titles(generations), encoder, catalog), k, excluded).tolist()
        if lists is None and name in CLASSICAL and config:  # cheap to score again: popularity, item-kNN, SASRec
            cfg = from_dict(RunConfig, config, str(run_dir / "run.json"))
            scores = run_scorer(name, ds, cfg, run_dir)(test)
            lists = top_k(scores, k, histories(test, exclude_history)).tolist()
        if lists is None:
            notes.append(f"{name}: left out (its stored lists cannot give this mode: trie beams, or rankings too "
                         "short to drop the history)")  # fmt: skip
            continue
        if min(len(row) for row in lists) < k:
            notes.append(f"{name}: left out (its lists hold fewer than K = {k} items)")
            continue
        results[name] = evaluate_predictions(test, ds.catalog, lists, ks, path)
    return results, notes
