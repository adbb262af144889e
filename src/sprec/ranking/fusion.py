"""Two-stage recommendation: a classical retriever (SASRec, item-kNN, popularity) proposes its top-N candidates
with scores, the LLM scores each candidate by the exact log-probability of its answer tokens under the prompt
(the quantity SFT and DPO train), and the two are fused per row (LlamaRec 2023 ranks candidates with an LLM;
D3 2024 fuses a text-free model's scores into the LLM's):

    rank by (1 - a) * z(retriever score) + a * z(LLM score),   z = standardised over the row's candidates.

a = 0 is the retriever's own list, a = 1 a pure LLM ranking of its candidates; `a` is chosen on the validation
split from a grid. This module holds the arithmetic (pure functions on arrays); the LLM scoring is
`sprec.llm.scoring.candidate_logps`.
"""

from __future__ import annotations

import itertools

import numpy as np

from sprec.errors import DataError
from sprec.evaluation.metrics import hit_positions, ndcg
from sprec.ranking import WEIGHTS
from sprec.ranking.candidates import Candidates


def standardise(x: np.ndarray) -> np.ndarray:
    """Per row: (x - mean) / standard deviation; a row of equal values becomes zeros."""
    x = np.asarray(x, dtype=np.float64)
    sd = x.std(axis=1, keepdims=True)
    return np.where(sd > 0, (x - x.mean(axis=1, keepdims=True)) / np.where(sd > 0, sd, 1.0), 0.0)


def fused_scores(cand: Candidates, llm: np.ndarray, weight: float) -> np.ndarray:
    """(N, C) fused score of each candidate: (1 - weight) z(retriever) + weight z(llm)."""
    if not 0 <= weight <= 1:
        raise DataError(f"the fusion weight must be in [0, 1], got {weight}")
    return (1 - weight) * standardise(cand.scores) + weight * standardise(llm)


def fuse_scored(cand: Candidates, llm: np.ndarray, weight: float) -> tuple[np.ndarray, np.ndarray]:
    """(N, C) item ids ranked by (1 - weight) z(retriever) + weight z(llm), and those fused scores; ties keep the
    retriever's order, so weight 0 returns the retriever's lists unchanged."""
    fused = fused_scores(cand, llm, weight)
    order = np.argsort(-fused, axis=1, kind="stable")
    return np.take_along_axis(cand.ids, order, axis=1), np.take_along_axis(fused, order, axis=1)


def fuse(cand: Candidates, llm: np.ndarray, weight: float) -> np.ndarray:
    """The item ids of fuse_scored."""
    return fuse_scored(cand, llm, weight)[0]


def llm_scores(logps: np.ndarray, lengths: np.ndarray, normalise: bool, prior: np.ndarray | None = None) -> np.ndarray:
    """The LLM's score of each candidate: log pi(answer | prompt), summed over the answer tokens, or divided
    by the number of tokens (length-normalised: long titles are not penalised for their length). With `prior`
    (log pi(answer | history-free prompt), same shape), calibrated: the score is how much the user's history
    raises the answer's log-probability, not the item's popularity and wording again (the retriever has those)."""
    logps = np.asarray(logps, dtype=np.float64)
    if prior is not None:
        logps = logps - prior
    return logps / np.maximum(lengths, 1) if normalise else logps


def per_candidate(items: np.ndarray, values: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Item-level values (of the sorted unique `items`) laid out as the (N, C) candidate ids."""
    return np.asarray(values, dtype=np.float64)[np.searchsorted(items, ids)]


def standard_error(x: np.ndarray) -> float:
    """sd / sqrt(n) of a sample; 0 for fewer than two values (no spread to estimate: the mean stands alone)."""
    return float(x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else 0.0


def row_gains(cand: Candidates, llm: np.ndarray, targets: np.ndarray, weight: float, k: int = 10) -> np.ndarray:
    """Each row's NDCG@k (1 / log2(rank + 2) when the target is in the top k, else 0) at fusion weight `weight`:
    their mean is NDCG@k."""
    pos = hit_positions(fuse(cand, llm, weight)[:, :k], targets)
    hit = (pos >= 0) & (pos < k)
    return np.where(hit, 1.0 / np.log2(np.where(hit, pos, 0) + 2), 0.0)


def validation_curve(cand: Candidates, llm: np.ndarray, targets: np.ndarray, grid=WEIGHTS,
                     k: int = 10) -> dict[float, float]:  # fmt: skip
    """NDCG@k of the fused lists at every weight of `grid` (the candidates hold history items or not as the
    run's first evaluation mode does, so the lists are evaluated as they are)."""
    return {float(w): ndcg(hit_positions(fuse(cand, llm, w)[:, :k], targets), k) for w in grid}


def standard_errors(cand: Candidates, llm: np.ndarray, targets: np.ndarray, grid=WEIGHTS,
                    k: int = 10) -> dict[float, float]:  # fmt: skip
    """The standard error of the validation NDCG@k at every weight (sd of the rows' NDCG / sqrt(rows)): the band
    the report draws around the curve."""
    return {float(w): standard_error(row_gains(cand, llm, targets, w, k)) for w in grid}


def within_one_se(gains: dict[float, np.ndarray], best: float) -> float:
    """The smallest weight whose rows' NDCG is within one standard error of the best weight's: the mean paired
    difference best - w at most its standard error (the one-standard-error rule), so a flat validation curve
    cannot move the weight with noise."""
    for w in sorted(gains):
        diff = gains[best] - gains[w]
        if diff.mean() <= standard_error(diff) or w == best:
            return w
    return best


def choose_variant(cand: Candidates, variants: dict[str, np.ndarray], targets: np.ndarray, weight: float | None = None,
                   grid=WEIGHTS, k: int = 10,
                   rule: str = "best") -> tuple[str, float, dict[str, dict[float, float]]]:  # fmt: skip
    """(variant, weight, validation curves): the LLM score variant (e.g. summed / length-normalised /
    calibrated) and fusion weight with the highest validation NDCG@10, `weight` fixed when given. Ties go to
    the smaller weight, then to the earlier variant. With rule "one-se", the best variant's weight is then the
    smallest within one standard error of its best (within_one_se)."""
    curves = {name: validation_curve(cand, llm, targets, grid, k) for name, llm in variants.items()}
    options = [(name, w) for name in curves for w in ([weight] if weight is not None else curves[name])]
    name, w = max(options, key=lambda o: (curves[o[0]].get(o[1], -1.0), -o[1], -list(curves).index(o[0])))
    if rule == "one-se" and weight is None:
        w = within_one_se({float(g): row_gains(cand, variants[name], targets, g, k) for g in grid}, w)
    return name, w, curves


def simplex(n_parts: int, grid=WEIGHTS) -> list[tuple[float, ...]]:
    """Every mix of `n_parts` weights from `grid` that sums to 1, the first part's largest first (one part: (1.0,))."""
    if n_parts == 1:
        return [(1.0,)]
    steps = round(1 / grid[1])  # the grid's step (0.1 -> 10)
    combos = itertools.product(range(steps, -1, -1), repeat=n_parts)
    return [tuple(c / steps for c in combo) for combo in combos if sum(combo) == steps]


def mixed(cand: Candidates, mix: tuple[float, ...]) -> Candidates:
    """A pool's candidates with one score, sum_r mix_r z(retriever r's score), best first (ties: pool order)."""
    parts = cand.parts
    score = sum(w * standardise(parts[:, :, r]) for r, w in enumerate(mix))
    order = np.argsort(-score, axis=1, kind="stable")
    return Candidates(np.take_along_axis(cand.ids, order, axis=1), np.take_along_axis(score, order, axis=1))


def choose_mix(cand: Candidates, targets: np.ndarray, grid=WEIGHTS, k: int = 10) -> tuple[tuple[float, ...], dict]:
    """(mix, validation NDCG@k of every mix tried): the retrievers' weights in a pool whose own ranking is best on
    the validation rows (ties: the earlier mix of `simplex`)."""
    curve = {mix: ndcg(hit_positions(mixed(cand, mix).ids[:, :k], targets), k)
             for mix in simplex(cand.parts.shape[2], grid)}  # fmt: skip
    return max(curve, key=lambda m: (curve[m], -list(curve).index(m))), curve
