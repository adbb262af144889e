"""Fusion of retriever and LLM scores, worked by hand: weight 0 is the retriever's list, weight 1 the LLM's
ranking of the same candidates; the validation curve picks the weight."""

import numpy as np
import pytest

from sprec.errors import DataError
from sprec.ranking.candidates import Candidates, top_candidates
from sprec.ranking.fusion import choose_variant, fuse, fused_scores, llm_scores, standardise, validation_curve


def test_standardise_rows():
    z = standardise(np.array([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]]))
    assert z[0] == pytest.approx([-1.2247449, 0.0, 1.2247449]) and z[1].tolist() == [0.0, 0.0, 0.0]


def test_weight_zero_is_the_retriever_and_weight_one_the_llm():
    # retriever order 7, 3, 9, 4 (with a tie between 9 and 4); LLM prefers 4, then 9, then 7, then 3
    cand = Candidates(np.array([[7, 3, 9, 4]]), np.array([[4.0, 3.0, 1.0, 1.0]]))
    llm = np.array([[-5.0, -9.0, -2.0, -1.0]])
    assert fuse(cand, llm, 0.0).tolist() == [[7, 3, 9, 4]]
    assert fuse(cand, llm, 1.0).tolist() == [[4, 9, 7, 3]]
    # halfway: z(cf) = [1.347, 0.577, -0.962, -0.962], z(llm) = [-0.241, -1.526, 0.723, 1.044]; their sums
    # 7: 1.106, 3: -0.949, 9: -0.239, 4: 0.082 -> 7, 4, 9, 3
    assert fuse(cand, llm, 0.5).tolist() == [[7, 4, 9, 3]]
    # halved, the sums above are the fused scores the frontier reads relevance from
    assert np.allclose(fused_scores(cand, llm, 0.5), [[0.553, -0.4745, -0.1195, 0.041]], atol=1e-3)
    with pytest.raises(DataError, match="fusion weight must be in"):
        fuse(cand, llm, 1.5)


def test_length_normalised_scores_and_candidates_from_a_score_matrix():
    assert llm_scores(np.array([[-6.0, -6.0]]), np.array([[3, 2]]), normalise=True).tolist() == [[-2.0, -3.0]]
    assert llm_scores(np.array([[-6.0, -4.0]]), np.array([[3, 2]]), normalise=False).tolist() == [[-6.0, -4.0]]
    cand = top_candidates(np.array([[0.1, 0.9, 0.5, 0.9]]), 3, excluded=[[2]])
    assert cand.ids.tolist() == [[1, 3, 0]] and cand.scores.tolist() == [[0.9, 0.9, 0.1]]
    # asking for more than the rows have left: fewer candidates, never an excluded item as filler
    cand = top_candidates(np.array([[0.1, 0.9, 0.5, 0.9], [0.4, 0.3, 0.2, 0.1]]), 4, excluded=[[2, 2], [0, 1]])
    assert cand.ids.tolist() == [[1, 3], [2, 3]]


def test_validation_curve_and_the_chosen_weight():
    # two rows; targets 9 and 3: the retriever ranks them 3rd and 2nd, the LLM ranks them 1st and last
    cand = Candidates(np.array([[7, 3, 9], [3, 7, 9]]), np.array([[3.0, 2.0, 1.0], [3.0, 2.0, 1.0]]))
    llm = np.array([[-3.0, -2.0, -1.0], [-3.0, -2.0, -1.0]])
    curve = validation_curve(cand, llm, np.array([9, 7]), grid=(0.0, 0.5, 1.0), k=2)
    # a = 0: row 1 misses (9 is 3rd), row 2 hits 7 at rank 2 -> (0 + 1/log2 3) / 2
    assert curve[0.0] == pytest.approx(0.5 / np.log2(3))
    # a = 1: lists 9, 3, 7 and 9, 7, 3 -> row 1 hits at rank 1, row 2 at rank 2
    assert curve[1.0] == pytest.approx((1 + 1 / np.log2(3)) / 2)
    targets, grid = np.array([9, 7]), (0.0, 0.5, 1.0)
    assert choose_variant(cand, {"sum": llm}, targets, grid=grid, k=2)[:2] == ("sum", 1.0)
    assert choose_variant(cand, {"sum": llm}, targets, weight=0.0, grid=grid, k=2)[:2] == ("sum", 0.0)  # fixed
    # a variant whose LLM score is flat (all equal -> z = 0) ties every weight with a = 0: the smaller weight
    # wins the tie, and of equal (score, weight) the earlier variant
    flat = np.zeros_like(llm)
    name, weight, curves = choose_variant(cand, {"flat": flat, "sum": llm}, targets, grid=grid, k=2)
    assert (name, weight) == ("sum", 1.0) and curves["flat"][0.0] == curves["flat"][1.0] == curve[0.0]
    assert choose_variant(cand, {"flat": flat, "flat too": flat}, targets, grid=grid, k=2)[:2] == ("flat", 0.0)


def test_calibrated_scores_subtract_the_items_prior():
    # item A: -6 under the user's prompt, -8 with no history (the history raised it by 2); item B: -4 and -3
    logps, lengths, prior = np.array([[-6.0, -4.0]]), np.array([[2, 1]]), np.array([[-8.0, -3.0]])
    assert llm_scores(logps, lengths, normalise=False, prior=prior).tolist() == [[2.0, -1.0]]
    assert llm_scores(logps, lengths, normalise=True, prior=prior).tolist() == [[1.0, -1.0]]


def test_a_pool_takes_turns_and_gives_unproposed_items_the_row_minimum():
    from sprec.ranking.candidates import pooled_candidates

    a = np.array([[5.0, 4, 3, 2, 1, 0]])  # ranks 0, 1, 2, 3, 4, 5
    b = np.array([[0.0, 9, 0, 8, 0, 7]])  # ranks 1, 3, 5, then 0, 2, 4 (ties: smaller id)
    # turns: a 0, b 1, a 2 (1 is in), b 3: every retriever's top-2 is in the pool of 4
    pool = pooled_candidates([a, b], 2)
    assert pool.ids.tolist() == [[0, 1, 2, 3]]
    # a's top-4 is 0..3: its own scores; b's top-4 is 1, 3, 5, 0: item 2 is beyond it, so b's row minimum (0)
    assert pool.parts[0].T.tolist() == [[5, 4, 3, 2], [0, 9, 0, 8]]
    # history item 0 excluded, top-1 each: a 1, b 3; b's top-2 is 1 and 3 and a's 1 and 2, so a gives 3 its minimum
    pool = pooled_candidates([a, b], 1, [[0]])
    assert pool.ids.tolist() == [[1, 3]] and pool.parts[0].T.tolist() == [[4, 3], [9, 8]]


def test_a_pools_mix_is_chosen_on_validation_and_ranks_its_candidates():
    from sprec.ranking.fusion import choose_mix, mixed, simplex

    assert simplex(2, (0.0, 0.5, 1.0)) == [(1.0, 0.0), (0.5, 0.5), (0.0, 1.0)]
    assert len(simplex(3)) == 66 and all(sum(m) == pytest.approx(1) for m in simplex(3))
    # two rows of three candidates; retriever 1 puts the target (item 9) first in row 1 only, retriever 2 in both
    cand = Candidates(np.array([[7, 8, 9], [9, 7, 8]]),
                      np.array([[[1, 3], [2, 1], [3, 2]], [[1, 3], [3, 2], [2, 1]]], dtype=float))  # fmt: skip
    assert mixed(cand, (1.0, 0.0)).ids.tolist() == [[9, 8, 7], [7, 8, 9]]
    assert mixed(cand, (0.0, 1.0)).ids.tolist() == [[7, 9, 8], [9, 7, 8]]
    mix, curve = choose_mix(cand, np.array([9, 9]), grid=(0.0, 0.5, 1.0), k=1)
    assert curve == {(1.0, 0.0): 0.5, (0.5, 0.5): 0.5, (0.0, 1.0): 0.5} and mix == (1.0, 0.0)  # ties: the first


def test_one_standard_error_rule_takes_the_smallest_weight_noise_cannot_separate_from_the_best():
    from sprec.ranking.fusion import within_one_se

    gains = {0.0: np.array([1.0, 0, 0, 0]), 0.5: np.array([1.0, 1, 0, 0]), 1.0: np.array([1.0, 1, 1, 0])}
    # best 1.0; w = 0: differences 0, 1, 1, 0 -> mean 0.5 > se 0.577 / 2 = 0.289: clearly worse
    # w = 0.5: differences 0, 0, 1, 0 -> mean 0.25 <= se 0.5 / 2 = 0.25: within one standard error
    assert within_one_se(gains, 1.0) == 0.5
    # one row's small gain makes 0.1 the argmax; the difference (mean 0.025, se 0.025) is noise: 0 is kept
    flat = {0.0: np.array([1.0, 0, 1, 0]), 0.1: np.array([1.0, 0, 1, 0.1])}
    assert within_one_se(flat, 0.1) == 0.0
    cand = Candidates(np.array([[7, 3, 9], [3, 7, 9]]), np.array([[3.0, 2.0, 1.0], [3.0, 2.0, 1.0]]))
    llm = np.array([[-3.0, -2.0, -1.0], [-3.0, -2.0, -1.0]])
    targets = np.array([9, 7])  # a = 1 beats a = 0 in row 1 only: differences 1, 0 -> mean 0.5, se 0.707 / sqrt 2
    assert choose_variant(cand, {"sum": llm}, targets, grid=(0.0, 1.0), k=2, rule="best")[1] == 1.0
    assert choose_variant(cand, {"sum": llm}, targets, grid=(0.0, 1.0), k=2, rule="one-se")[1] == 0.0
