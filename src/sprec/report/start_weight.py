"""A self-play model's two-stage row against its start model's row at the same fusion weight.

The rows' own difference mixes two things: what self-play did to the model, and the weight validation chose for
each row. On Goodreads the weight alone moves ORRatio@10 from 0.046 to 0.056 between a = 0.4 and 0.7. So the
self-play row is fused again at the start row's weight, from its stored test scores: the same candidates, its own
LLM score. The difference then shows only what self-play changed in the model."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from sprec.config.methods import SELFPLAY_START
from sprec.evaluation.evaluate import PAPER_METRICS, Predictions, lists_for_mode
from sprec.names import at_start_weight, hybrid_parts, hybrid_row, method_of
from sprec.ranking.candidates import Candidates
from sprec.ranking.fusion import fuse
from sprec.report.bootstrap import interval_cell, paired_bootstrap


def start_rows(preds: dict[str, Predictions], paths: dict[str, Path]) -> dict[str, tuple[str, Path]]:
    """{self-play two-stage row: (its start model's row over the same candidates, the row's stored test scores)}
    for the rows that have both."""
    out = {}
    for name in preds:
        parts = hybrid_parts(name)
        start = SELFPLAY_START.get(method_of(parts[1])) if parts else None
        scores = paths[name].with_name(f"{paths[name].stem}.test-scores.npz")
        if start and hybrid_row(parts[0], start) in preds and scores.exists():
            out[name] = (hybrid_row(parts[0], start), scores)
    return out


def refused_lists(pred: Predictions, scores: Path, weight: float, examples, exclude: bool, k: int):
    """The row's lists, as evaluated in this history mode, with its candidates fused again at `weight`."""
    with np.load(scores) as f:
        topk = fuse(Candidates(f["ids"], f["retriever"]), f["llm"], weight)
    return lists_for_mode(dataclasses.replace(pred, topk=topk.tolist()), examples, exclude, k)


def start_weight_differences(preds: dict[str, Predictions], paths: dict[str, Path], examples, catalog, exclude: bool,
                             k: int, seed: int) -> tuple[dict, str]:  # fmt: skip
    """({at_start_weight label: {start row: {K: {metric: (difference, low, high)}}}}, a markdown section) at K = k
    for every self-play two-stage row of `preds` (paired bootstrap over the test rows)."""
    diffs, lines = {}, []
    for name, (start, scores) in start_rows(preds, paths).items():
        weight = preds[start].meta["weight"]
        mine = refused_lists(preds[name], scores, weight, examples, exclude, k)
        theirs = lists_for_mode(preds[start], examples, exclude, k)
        if mine is None or theirs is None:
            continue
        ci = paired_bootstrap(np.asarray(mine)[:, :k], np.asarray(theirs)[:, :k], examples, catalog, [k], seed=seed)
        diffs[at_start_weight(name, method_of(hybrid_parts(start)[1]))] = {start: ci}
        cells = [interval_cell(*c) for c in ci[str(k)].values()]
        lines.append(f"| {name} | {preds[name].meta['weight']} | {weight} | {start} | " + " | ".join(cells) + " |")
    if not lines:
        return diffs, ""
    head = "| self-play row | its a | at a | vs | " + " | ".join(f"{m}@{k}" for m in PAPER_METRICS) + " |"
    return diffs, ("\n### Self-play rows at their start model's fusion weight (paired bootstrap 95% CI)\n\n"
                   "Each row's candidates fused again with its own LLM score at the weight validation gave the start "
                   "model's row: what self-play changed in the model, without the change of weight.\n\n"
                   + head + "\n" + "|---" * (len(PAPER_METRICS) + 4) + "|\n" + "\n".join(lines) + "\n")  # fmt: skip
