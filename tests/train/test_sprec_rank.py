"""sprec-rank's negatives: drawn from each row's top-k non-targets in proportion to the system's exposure."""

from collections import Counter

import numpy as np

from sprec.ranking.candidates import Candidates
from sprec.train.sprec_rank import SystemScore, exposure_negatives

# three rows' lists (k = 2): item 1 is shown in every row, item 2 in two, items 3 and 4 in one
RANKED = np.array([[1, 2, 9], [2, 1, 3], [1, 3, 4]])


def test_exposure_counts_the_top_k_of_every_row():
    _, exposure = exposure_negatives(RANKED, [7, 7, 7], k=2, m=1, seed=0)
    assert exposure == Counter({1: 3, 2: 2, 3: 1})


def test_the_target_is_never_rejected_and_the_next_item_takes_its_slot():
    negatives, _ = exposure_negatives(RANKED, [2, 1, 3], k=2, m=2, seed=0)
    # row 1: pool {1, 9} (2 is the target; 9 moves up), row 2: {2, 3}, row 3: {1, 4}
    assert [sorted(n) for n in negatives] == [[1, 9], [2, 3], [1, 4]]


def test_draws_follow_exposure_with_a_fixed_seed():
    # one row whose top-2 non-targets are items 1 (exposure 3) and 3 (exposure 1): P(1) = 3/4
    ranked = np.array([[1, 3, 5], [1, 6, 9], [1, 7, 9], [2, 4, 9]])  # 1 shown 3 times, 3 once
    draws = Counter()
    for seed in range(400):
        negatives, exposure = exposure_negatives(ranked, [0, 0, 0, 0], k=2, m=1, seed=seed)
        draws[negatives[0][0]] += 1
    assert exposure[1] == 3 and exposure[3] == 1
    assert abs(draws[1] / 400 - 0.75) < 0.07  # sd of the share over 400 draws: 0.022
    assert exposure_negatives(ranked, [0] * 4, 2, 1, 5) == exposure_negatives(ranked, [0] * 4, 2, 1, 5)


def test_the_system_ranks_with_the_evaluated_rows_score_variant_and_prior():
    # one row; the retriever's order is 1, 2, 3; summed log-probs -6, -4, -9 over 3, 1 and 3 answer tokens
    cand = Candidates(np.array([[1, 2, 3]]), np.array([[3.0, 2.0, 1.0]]))
    logps, lengths = np.array([[-6.0, -4.0, -9.0]]), np.array([[3, 1, 3]])
    asked = []

    def prior(items):  # history-free log-probs of items 1, 2, 3: -2, -1, -9
        asked.append(items.tolist())
        return np.array([1, 2, 3]), np.array([-2.0, -1.0, -9.0])

    assert SystemScore(0.0).rank(cand, logps, lengths).tolist() == [[1, 2, 3]]  # the retriever's list
    assert SystemScore(1.0).rank(cand, logps, lengths).tolist() == [[2, 1, 3]]  # summed: -4 > -6 > -9
    # per token, calibrated: (-6 + 2) / 3 = -1.33, (-4 + 1) / 1 = -3, (-9 + 9) / 3 = 0
    calibrated = SystemScore(1.0, per_token=True, prior=prior, prior_of="rank-sft")
    assert calibrated.rank(cand, logps, lengths).tolist() == [[3, 1, 2]]
    assert asked == [[1, 2, 3]]
    assert calibrated.describe() == {"weight": 1.0, "llm_score": "per token, calibrated", "prior_of": "rank-sft"}
