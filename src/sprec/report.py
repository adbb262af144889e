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


def write_tables(out_dir: str | Path, results: dict[str, dict[str, dict]], preamble: str = "",
                 appendix: str = "") -> str:  # fmt: skip
    """results.md (preamble, table, appendix), results.csv and results.json; returns table + appendix."""
    out = Path(out_dir)
    table = markdown(results) + appendix
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
    both methods in each resample). Returns {metric: (difference, low, high)}.

    The interval is centred on the observed difference (percentiles of the resampled differences minus their
    mean, plus the observed one): list-level metrics such as DivRatio are biased in a resample, because a row
    drawn twice repeats its list, which shifts the raw percentile interval away from the estimate."""
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
    out = {}
    for n in names:
        d = point_a[n] - point_b[n]
        lo, hi = np.percentile(diffs[n], [2.5, 97.5]) - np.mean(diffs[n]) + d
        out[n] = (d, float(lo), float(hi))
    return out


def _baseline_for(name: str, names: list[str]) -> str | None:
    """The SFT row a method is compared with: same grounding when the name carries one."""
    grounding = name[name.rfind("(") :] if name.endswith(")") else None
    for candidate in names:
        if candidate.startswith("sft") and (grounding is None or candidate.endswith(grounding)):
            return candidate
    return next((n for n in names if n.startswith("sft")), None)


def write_report(out_dir: str | Path, dataset, results: dict, predictions: dict[str, Path], ks: list[int],
                 preamble: str = "", seed: int = 0) -> str:  # fmt: skip
    """Tables, paired-bootstrap differences from SFT at the largest K, and the plots of a run."""
    import numpy as np

    from sprec import plots
    from sprec.evaluate import load_predictions

    out = Path(out_dir)
    k = max(ks)
    test, catalog = dataset.splits["test"], dataset.catalog
    topk = {n: np.asarray(load_predictions(p).topk) for n, p in predictions.items()}
    lines, diffs = [], {}
    for name in results:
        base = _baseline_for(name, list(results))
        if base is None or name == base:
            continue
        ci = paired_bootstrap(topk[name], topk[base], test, catalog, k, seed=seed)
        diffs[name] = {"vs": base, **ci}
        cells = [f"{d:+.4f} [{lo:+.4f}, {hi:+.4f}]" for d, lo, hi in ci.values()]
        lines.append(f"| {name} | {base} | " + " | ".join(cells) + " |")
    ci = ""
    if lines:
        head = "| method | vs | " + " | ".join(f"{m}@{k}" for m in ("HR", "NDCG", "DivRatio", "ORRatio", "MGU"))
        ci = (f"\n## Difference from SFT at K = {k} (paired bootstrap 95% CI over test rows)\n\n{head} |\n"
              + "|---" * 7 + "|\n" + "\n".join(lines) + "\n")  # fmt: skip
        write_json(out / "differences_vs_sft.json", diffs)
    table = write_tables(out, results, preamble, ci)
    targets = np.array([-1 if e.target is None else e.target for e in test])
    plots.exposure_by_popularity(topk, catalog, targets, out / "plots" / "exposure_by_popularity.png", k)
    plots.genre_distribution(topk, test, catalog, out / "plots" / "genres.png", k)
    iterations = [n for n in results if n.startswith("sprec t=")]
    for grounding in sorted({n[n.rfind("(") :] for n in iterations}):
        base = _baseline_for(grounding, list(results))
        series = [(0, results[base])] if base else []  # iteration 0 = the SFT model
        series += [(int(n.split("t=")[1].split()[0]), results[n]) for n in iterations if n.endswith(grounding)]
        slug = grounding.strip("()")
        plots.metrics_per_iteration(sorted(series, key=lambda x: x[0]), out / "plots" / f"sprec_iterations_{slug}.png",
                                    str(k))  # fmt: skip
    return table
