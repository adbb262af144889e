"""Re-rankers worked by hand: weight 0 keeps the base's order, each penalty moves the list as computed."""

import numpy as np
import pytest

from sprec.ranking import rerank
from sprec.ranking.rerank import calibrated, kl_divergence, mmr, nearest_candidates, popularity_penalised


def test_relevance_is_minus_distance_scaled_per_row():
    d = np.array([[0.0, 1.0, 2.0], [3.0, 3.0, 3.0]])
    cand = np.array([[0, 1, 2], [2, 1, 0]])
    assert rerank.relevance(d, cand).tolist() == [[1.0, 0.5, 0.0], [1.0, 1.0, 1.0]]
    assert rerank.scaled(np.array([[4.0, 2.0, 3.0]])).tolist() == [[1.0, 0.0, 0.5]]


def test_popularity_penalty_hand_worked():
    # 3 candidates at distances 0, 1, 2 -> relevance 1, 0.5, 0; popularity 15, 0, 3 -> log(1+p)/log(16) = 1, 0, 0.5.
    # w = 0.5: scores 0.5 - 0.5 = 0, 0.25 - 0 = 0.25, 0 - 0.25 = -0.25 -> items 1, 0, 2.
    d = np.array([[0.0, 1.0, 2.0, 3.0]])
    pop = np.array([15, 0, 3, 0])
    cand, rel = nearest_candidates(d, 3)
    assert popularity_penalised(cand, rel, pop, k=3, weight=0.5).tolist() == [[1, 0, 2]]
    assert popularity_penalised(cand, rel, pop, k=2, weight=0.0).tolist() == [[0, 1]]  # plain neighbours
    cand, rel = nearest_candidates(d, 3, exclude=[[1]])
    assert popularity_penalised(cand, rel, pop, k=2, weight=0.5).tolist() == [[0, 3]]


def test_mmr_hand_worked():
    # items 0 and 1 point the same way, item 2 elsewhere; distances 0, 0.1, 1 -> relevance 1, 0.9, 0.
    # w = 0.5: first the most relevant (0); then item 1 scores 0.45 - 0.5 = -0.05 and item 2 scores 0 - 0 = 0.
    vectors = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0]])
    cand, rel = nearest_candidates(np.array([[0.0, 0.1, 1.0]]), 3)
    assert mmr(cand, rel, vectors, k=3, weight=0.5).tolist() == [[0, 2, 1]]
    assert mmr(cand, rel, vectors, k=3, weight=0.0).tolist() == [[0, 1, 2]]
    assert mmr(cand, rel, vectors, k=2, weight=1.0).tolist() == [[0, 2]]  # redundancy only, then the tie


def test_kl_divergence_hand_worked():
    # p = (.5, .5), q = (1, 0) -> q~ = (.995, .005): .5 ln(.5/.995) + .5 ln(.5/.005) = .5 (-.688135) + .5 (4.605170)
    assert kl_divergence(np.array([0.5, 0.5]), np.array([1.0, 0.0])) == pytest.approx(1.958518, abs=1e-6)
    # a genre absent from the history adds nothing: p = (1, 0), q = (.5, .5) -> q~ = (.505, .495): ln(1/.505)
    assert kl_divergence(np.array([1.0, 0.0]), np.array([0.5, 0.5])) == pytest.approx(0.683197, abs=1e-6)
    assert kl_divergence(np.array([0.3, 0.7]), np.array([0.3, 0.7])) == pytest.approx(0.0)


def test_calibration_hand_worked():
    # genres A, B: items 0 and 1 are A, item 2 is B. History {0, 2}: p = (.5, .5). Relevance 1, .9, 0.
    # w = .5, slot 1: any single item gives KL 1.958518 -> 0 scores .5 - .979 = -.479, 1: -.529, 2: -.979 -> 0.
    # slot 2: {0, 1} is all A (KL 1.958518: .45 - .979 = -.529); {0, 2} matches p (KL 0: 0 - 0 = 0) -> 2.
    weights = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    cand, rel = np.array([[0, 1, 2]]), np.array([[1.0, 0.9, 0.0]])
    assert calibrated(cand, rel, weights, [[0, 2]], k=2, weight=0.5).tolist() == [[0, 2]]
    assert calibrated(cand, rel, weights, [[0, 2]], k=2, weight=0.0).tolist() == [[0, 1]]
    assert calibrated(cand, rel, weights, [[0, 1]], k=2, weight=0.5).tolist() == [[0, 1]]  # an all-A reader


def test_weight_zero_gives_the_base_order_and_each_penalty_moves_its_measure():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(200, 8))
    d = np.linalg.norm(rng.normal(size=(30, 8))[:, None] - vectors[None], axis=2)
    plain = np.argsort(d, axis=1, kind="stable")[:, :10]
    cand, rel = nearest_candidates(d, 50)
    genres = np.eye(4)[rng.integers(0, 4, size=200)]
    histories = [list(rng.integers(0, 200, size=10)) for _ in range(30)]
    assert (mmr(cand, rel, vectors, 10, 0.0) == plain).all()
    pop = rng.integers(0, 100, size=200)
    assert (popularity_penalised(cand, rel, pop, 10, 0.0) == plain).all()
    assert (calibrated(cand, rel, genres, histories, 10, 0.0) == plain).all()
    reranked = popularity_penalised(cand, rel, pop, 10, 0.7)
    assert pop[reranked].mean() < pop[plain].mean()  # the penalty lowers the popularity of what is shown
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def mean_similarity(lists):
        return np.mean([(unit[ids] @ unit[ids].T)[np.triu_indices(10, 1)].mean() for ids in lists])

    assert mean_similarity(mmr(cand, rel, vectors, 10, 0.7)) < mean_similarity(plain)

    def miscalibration(lists):
        pairs = zip(histories, lists, strict=True)
        return np.mean([kl_divergence(genres[h].mean(0), genres[ids].mean(0)) for h, ids in pairs])

    assert miscalibration(calibrated(cand, rel, genres, histories, 10, 0.7)) < miscalibration(plain)


def test_the_validation_chosen_weight_is_the_best_on_its_measure_within_the_ndcg_loss():
    from sprec.ranking.rerank import choose_weight

    curve = {0.0: {"NDCG": 0.10, "MGU": 0.020}, 0.5: {"NDCG": 0.091, "MGU": 0.012},
             0.6: {"NDCG": 0.095, "MGU": 0.012}, 1.0: {"NDCG": 0.05, "MGU": 0.001}}  # fmt: skip
    # 1.0 loses half the NDCG; 0.5 and 0.6 tie on MGU within the 10% loss: the smaller weight
    assert choose_weight(curve, "MGU", higher=False, max_ndcg_loss=0.1) == 0.5
    assert choose_weight(curve, "MGU", higher=False, max_ndcg_loss=0.05) == 0.6  # 0.5 is now 9% below
    assert choose_weight(curve, "MGU", higher=False, max_ndcg_loss=0.0) == 0.0
    assert choose_weight(curve, "NDCG", higher=True, max_ndcg_loss=1.0) == 0.0


def test_dpp_hand_worked_and_equal_to_the_log_determinant_greedy():
    from sprec.ranking.rerank import dpp

    vectors = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])  # items 0 and 1 the same, 2 orthogonal
    cand, rel = np.array([[0, 1, 2]]), np.array([[1.0, 0.9, 0.0]])
    assert dpp(cand, rel, vectors, 3, 0.0).tolist() == [[0, 1, 2]]  # weight 0: the base's order
    # w = 0.5: item 0 first (relevance); item 1 then spans nothing new (d^2 = 0, log -> -27.6), item 2 all (log 1 = 0)
    assert dpp(cand, rel, vectors, 3, 0.5).tolist() == [[0, 2, 1]]
    # against the definition: each greedy step maximises log det(L_Y), L = diag(q) S diag(q), q = exp(alpha rel)
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(30, 5))
    unit = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)

    def log_det(items, rel, alpha):
        q = np.exp(alpha * rel)
        return np.linalg.slogdet(np.outer(q, q) * (unit[items] @ unit[items].T))[1]

    for _ in range(20):
        c, r = rng.permutation(30)[:8], np.sort(rng.random(8))[::-1]
        for w in (0.2, 0.7, 1.0):
            picked = []
            for _ in range(4):
                scores = {i: round(log_det(c[[*picked, i]], r[[*picked, i]], (1 - w) / (2 * w)), 9) for i in range(8)
                          if i not in picked}  # fmt: skip
                picked.append(max(scores, key=scores.get))  # ties (w = 1, first pick): the base's order
            assert dpp(c[None], r[None], vecs, 4, w)[0].tolist() == c[picked].tolist()
