"""Fusion of retriever and LLM scores, worked by hand: weight 0 is the retriever's list, weight 1 the LLM's
ranking of the same candidates; the validation curve picks the weight."""

import numpy as np
import pytest

from sprec.errors import DataError
from sprec.hybrid import Candidates, best_weight, fuse, llm_scores, standardise, top_candidates, validation_curve


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
    with pytest.raises(DataError, match="fusion weight must be in"):
        fuse(cand, llm, 1.5)


def test_length_normalised_scores_and_candidates_from_a_score_matrix():
    assert llm_scores(np.array([[-6.0, -6.0]]), np.array([[3, 2]]), normalise=True).tolist() == [[-2.0, -3.0]]
    assert llm_scores(np.array([[-6.0, -4.0]]), np.array([[3, 2]]), normalise=False).tolist() == [[-6.0, -4.0]]
    cand = top_candidates(np.array([[0.1, 0.9, 0.5, 0.9]]), 3, excluded=[[2]])
    assert cand.ids.tolist() == [[1, 3, 0]] and cand.scores.tolist() == [[0.9, 0.9, 0.1]]


def test_validation_curve_and_the_chosen_weight():
    # two rows; targets 9 and 3: the retriever ranks them 3rd and 2nd, the LLM ranks them 1st and last
    cand = Candidates(np.array([[7, 3, 9], [3, 7, 9]]), np.array([[3.0, 2.0, 1.0], [3.0, 2.0, 1.0]]))
    llm = np.array([[-3.0, -2.0, -1.0], [-3.0, -2.0, -1.0]])
    curve = validation_curve(cand, llm, np.array([9, 7]), grid=(0.0, 0.5, 1.0), k=2)
    # a = 0: row 1 misses (9 is 3rd), row 2 hits 7 at rank 2 -> (0 + 1/log2 3) / 2
    assert curve[0.0] == pytest.approx(0.5 / np.log2(3))
    # a = 1: lists 9, 3, 7 and 9, 7, 3 -> row 1 hits at rank 1, row 2 at rank 2
    assert curve[1.0] == pytest.approx((1 + 1 / np.log2(3)) / 2)
    assert best_weight(curve) == 1.0
    assert best_weight({0.0: 0.2, 0.5: 0.2, 1.0: 0.1}) == 0.0  # a tie goes to the retriever's side
