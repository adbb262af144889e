"""Comparison tables across methods: markdown, CSV and JSON."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sprec.evaluate import EXTRA_METRICS, PAPER_METRICS
from sprec.io import atomic_write_text, write_json

COLUMNS = [*PAPER_METRICS, *EXTRA_METRICS]


def rows(results: dict[str, dict[str, dict]]) -> list[dict]:
    """Flatten {method: {K: {metric: value}}} into one row per (method, K)."""
    return [{"method": m, "K": int(k), **{c: v.get(c) for c in COLUMNS}} for m, by_k in results.items()
            for k, v in by_k.items()]  # fmt: skip


def markdown(results: dict[str, dict[str, dict]]) -> str:
    head = "| method | K | " + " | ".join(COLUMNS) + " |\n" + "|---" * (len(COLUMNS) + 2) + "|\n"
    body = ""
    for r in rows(results):
        cells = ["-" if r[c] is None else f"{r[c]:.4f}" for c in COLUMNS]
        body += f"| {r['method']} | {r['K']} | " + " | ".join(cells) + " |\n"
    return head + body


def write_tables(out_dir: str | Path, results: dict[str, dict[str, dict]], preamble: str = "") -> str:
    out = Path(out_dir)
    table = markdown(results)
    atomic_write_text(out / "results.md", preamble + table)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["method", "K", *COLUMNS])
    writer.writeheader()
    writer.writerows(rows(results))
    atomic_write_text(out / "results.csv", buf.getvalue())
    write_json(out / "results.json", results)
    return table


def paired_bootstrap(topk_a, topk_b, examples, catalog, k: int, names=("HR", "NDCG", "DivRatio", "ORRatio", "MGU"),
                     resamples: int = 500, seed: int = 0) -> dict[str, tuple[float, float, float]]:  # fmt: skip
    """95% CI of metric(a) - metric(b) at K, resampling the test rows with replacement (the same rows for
    both methods in each resample). Returns {metric: (difference, low, high)}."""
    import numpy as np

    from sprec.evaluate import evaluate_topk

    a, b = np.asarray(topk_a)[:, :k], np.asarray(topk_b)[:, :k]
    point_a, point_b = (
        evaluate_topk(a, examples, catalog, [k])[str(k)],
        evaluate_topk(b, examples, catalog, [k])[str(k)],
    )
    rng = np.random.default_rng(seed)
    diffs = {n: [] for n in names}
    for _ in range(resamples):
        idx = rng.integers(0, len(examples), len(examples))
        rows = [examples[i] for i in idx]
        ma, mb = (evaluate_topk(x[idx], rows, catalog, [k])[str(k)] for x in (a, b))
        for n in names:
            diffs[n].append(ma[n] - mb[n])
    return {n: (point_a[n] - point_b[n], *np.percentile(diffs[n], [2.5, 97.5]).tolist()) for n in names}
