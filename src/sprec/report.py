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
