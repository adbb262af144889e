"""Re-ranking of any model's candidates (SPREC.md section 5): the classical answers to the relevance /
diversity trade-off, which SPRec has to beat. A base gives each row `candidates` (item ids, best first) and
their relevance, rescaled to [0, 1] within the row: for the SFT model, minus the distance of each catalog title
to its generation (the paper's embedding grounding); for a classical model or a hybrid, its own scores.

- popularity-penalised: score = (1 - w) * relevance - w * log(1 + popularity) / log(1 + max popularity)
- MMR (maximal marginal relevance): picks greedily the candidate maximising
  (1 - w) * relevance - w * (largest cosine similarity to the items already picked).
- DPP (determinantal point process; fast greedy MAP inference of Chen, Zhang and Zhou, NeurIPS 2018): the
  kernel L = diag(q) S diag(q) with S the cosine similarity of the items' vectors and q = exp(alpha * relevance);
  the greedy step that maximises log det(L_Y) picks the candidate maximising 2 alpha relevance + log d^2, d^2 its
  vector's squared distance from the span of those picked (an incremental Cholesky). With alpha = (1 - w) / (2 w)
  that is (1 - w) * relevance + w * log d^2: one knob w, as the others.
- calibrated (Steck, RecSys 2018): picks greedily the candidate maximising
  (1 - w) * (relevance of the list) - w * KL(p || q~), p the genre distribution of the user's history, q the
  list's and q~ = (1 - a) q + a p (a = 0.01 keeps the divergence finite).
Weight 0 returns the base's own order in every re-ranker (ties keep the base's order). A weight can be chosen on
validation rows (choose_weight): the best on the re-ranker's own measure at a bounded loss of NDCG.
"""

from __future__ import annotations

import numpy as np

from sprec.ranking.topk import top_k


def scaled(scores: np.ndarray) -> np.ndarray:
    """Min-max scaled per row to [0, 1] (a row of equal scores: all 1)."""
    s = np.asarray(scores, dtype=np.float64)
    low, span = s.min(1, keepdims=True), np.ptp(s, axis=1, keepdims=True)
    return np.where(span > 0, (s - low) / np.where(span > 0, span, 1.0), 1.0)


def relevance(distances: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Minus each candidate's distance, scaled per row to [0, 1]."""
    return scaled(-np.take_along_axis(np.asarray(distances, dtype=np.float64), candidates, axis=1))


def nearest_candidates(distances: np.ndarray, n: int, exclude: list[list[int]] | None = None):
    """(ids, relevance) of the n nearest items of each row (the embedding-grounded base)."""
    cand = top_k(-np.asarray(distances, dtype=np.float64), n, exclude)
    return cand, relevance(distances, cand)




def popularity_penalised(cand: np.ndarray, rel: np.ndarray, popularity: np.ndarray, k: int,
                         weight: float) -> np.ndarray:  # fmt: skip
    """(N, k) of the candidates re-ranked by relevance minus a log-popularity penalty."""
    pop = np.log1p(np.asarray(popularity, dtype=np.float64))
    pop = pop / pop.max() if pop.max() > 0 else pop
    order = np.argsort(-((1 - weight) * rel - weight * pop[cand]), axis=1, kind="stable")[:, :k]
    return np.take_along_axis(cand, order, axis=1)


def _greedy(cand: np.ndarray, k: int, marginal) -> np.ndarray:
    """(N, k): k greedy picks in every row at once; marginal(picked) -> (N, C) gain of adding each candidate,
    given the (N, slots so far) positions already picked. The first maximum wins a tie (the base's order)."""
    rows, free = np.arange(len(cand)), np.ones(cand.shape, dtype=bool)
    picked = np.empty((len(cand), 0), dtype=np.int64)
    for _ in range(k):
        pick = np.argmax(np.where(free, marginal(picked), -np.inf), axis=1)
        free[rows, pick] = False
        picked = np.column_stack([picked, pick])
    return np.take_along_axis(cand, picked, axis=1)


def mmr(cand: np.ndarray, rel: np.ndarray, item_vectors: np.ndarray, k: int, weight: float) -> np.ndarray:
    """(N, k) of the candidates chosen by maximal marginal relevance over cosine similarity of `item_vectors`."""
    unit = item_vectors / np.maximum(np.linalg.norm(item_vectors, axis=1, keepdims=True), 1e-12)
    vec, rows = unit[cand], np.arange(len(cand))  # (N, C, d)
    closest = np.full(cand.shape, -np.inf)  # largest similarity of each candidate to a picked item

    def marginal(picked):  # called once per slot: folds in the latest pick
        if picked.shape[1]:
            np.maximum(closest, np.einsum("ncd,nd->nc", vec, vec[rows, picked[:, -1]]), out=closest)
        return (1 - weight) * rel - weight * np.where(np.isfinite(closest), closest, 0.0)

    return _greedy(cand, k, marginal)


def dpp(cand: np.ndarray, rel: np.ndarray, item_vectors: np.ndarray, k: int, weight: float) -> np.ndarray:
    """(N, k) of the candidates chosen by greedy DPP MAP inference over cosine similarity of `item_vectors`."""
    if weight == 0:  # alpha infinite: relevance alone, which is the base's own order
        return cand[:, :k]
    unit = item_vectors / np.maximum(np.linalg.norm(item_vectors, axis=1, keepdims=True), 1e-12)
    vec, rows = unit[cand], np.arange(len(cand))  # (N, C, d)
    d2 = (np.linalg.norm(vec, axis=2) > 0.5).astype(np.float64)  # S_ii: exactly 1 (0 for an item with no vector)
    chol = np.zeros(cand.shape + (0,))  # (N, C, slots so far): the Cholesky rows of every candidate

    def marginal(picked):  # called once per slot: folds in the latest pick
        nonlocal chol
        if picked.shape[1]:
            j = picked[:, -1]
            s_j = np.einsum("ncd,nd->nc", vec, vec[rows, j])  # S_ji for every candidate i
            d_j = np.sqrt(np.maximum(d2[rows, j], 1e-12))
            e = (s_j - np.einsum("nct,nt->nc", chol, chol[rows, j])) / d_j[:, None]
            chol = np.concatenate([chol, e[..., None]], axis=2)
            np.subtract(d2, e**2, out=d2)
        return (1 - weight) * rel + weight * np.log(np.maximum(d2, 1e-12))

    return _greedy(cand, k, marginal)


def kl_divergence(p: np.ndarray, q: np.ndarray, smoothing: float = 0.01) -> np.ndarray:
    """KL(p || (1 - a) q + a p) over the last axis (terms with p_g = 0 add nothing)."""
    q = (1 - smoothing) * q + smoothing * p
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(p / np.where(q > 0, q, 1.0)), 0.0)
    return terms.sum(-1)


def genre_profile(items, genre_weights: np.ndarray) -> np.ndarray:
    """The genre distribution of a list of items (each adds its genre weights, METRICS.md), summing to 1 (or
    all zeros when no item has a genre group)."""
    mass = genre_weights[list(items)].sum(0)
    return mass / mass.sum() if mass.sum() > 0 else mass


def calibrated(cand: np.ndarray, rel: np.ndarray, genre_weights: np.ndarray, histories: list[list[int]], k: int,
               weight: float, smoothing: float = 0.01) -> np.ndarray:  # fmt: skip
    """(N, k) of the candidates chosen greedily to keep the list's genre distribution close to the history's."""
    p = np.stack([genre_profile(h, genre_weights) for h in histories])[:, None, :]  # (N, 1, G)
    genres = genre_weights[cand]  # (N, C, G)

    def marginal(picked):
        so_far = np.take_along_axis(genres, picked[..., None], axis=1).sum(1, keepdims=True)  # (N, 1, G)
        mass = so_far + genres  # the list's genre mass with each candidate added
        totals = mass.sum(-1, keepdims=True)
        q = np.where(totals > 0, mass / np.where(totals > 0, totals, 1.0), 0.0)
        return (1 - weight) * rel - weight * kl_divergence(p, q, smoothing)

    return _greedy(cand, k, marginal)


def choose_weight(curve: dict[float, dict], measure: str, higher: bool, max_ndcg_loss: float) -> float:
    """The weight of `curve` ({weight: metrics with NDCG and `measure`}) best on `measure` among those whose NDCG is
    at least (1 - max_ndcg_loss) x weight 0's; of equally good ones, the smallest."""
    floor = (1 - max_ndcg_loss) * curve[0.0]["NDCG"]
    allowed = sorted(w for w, m in curve.items() if m["NDCG"] >= floor)
    best = (max if higher else min)(curve[w][measure] for w in allowed)
    return next(w for w in allowed if curve[w][measure] == best)
