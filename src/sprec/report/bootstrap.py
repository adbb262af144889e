"""Paired-bootstrap intervals of the difference between two rows' metrics, and how the report prints them."""

from __future__ import annotations

import numpy as np

from sprec.evaluation.evaluate import PAPER_METRICS


def paired_bootstrap(topk_a, topk_b, examples, catalog, ks: list[int], names=PAPER_METRICS, resamples: int = 500,
                     seed: int = 0) -> dict[str, dict[str, tuple[float, float, float]]]:  # fmt: skip
    """95% CI of metric(a) - metric(b) at every K of `ks`, resampling the test rows with replacement (the same
    rows for both methods in each resample). Returns {K: {metric: (difference, low, high)}}.

    The interval is centred on the observed difference (percentiles of the resampled differences minus their
    mean, plus the observed one): list-level metrics such as DivRatio are biased in a resample, because a row
    drawn twice repeats its list, which shifts the raw percentile interval away from the estimate."""
    from sprec.evaluation.evaluate import evaluate_topk

    ks = sorted(set(ks))
    a, b = np.asarray(topk_a)[:, : ks[-1]], np.asarray(topk_b)[:, : ks[-1]]
    point_a, point_b = (evaluate_topk(x, examples, catalog, ks) for x in (a, b))
    rng = np.random.default_rng(seed)
    diffs = {(str(k), n): [] for k in ks for n in names}
    for _ in range(resamples):
        idx = rng.integers(0, len(examples), len(examples))
        rows = [examples[i] for i in idx]
        ma, mb = (evaluate_topk(x[idx], rows, catalog, ks) for x in (a, b))
        for k, n in diffs:
            diffs[(k, n)].append(ma[k][n] - mb[k][n])
    out: dict[str, dict] = {}
    for (k, n), resampled in diffs.items():
        d = point_a[k][n] - point_b[k][n]
        lo, hi = np.percentile(resampled, [2.5, 97.5]) - np.mean(resampled) + d
        out.setdefault(k, {})[n] = (d, float(lo), float(hi))
    return out


def _signed(x: float) -> str:
    """+0.0123 / -0.0123, and +0.0000 for what rounds to zero (never -0.0000)."""
    return f"{0.0 if round(x, 4) == 0 else x:+.4f}"


def interval_cell(d: float, lo: float, hi: float) -> str:
    """A difference and its interval as a table cell: +0.0123 [+0.0050, +0.0190]."""
    return f"{_signed(d)} [{_signed(lo)}, {_signed(hi)}]"
