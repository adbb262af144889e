import numpy as np

from sprec.baselines.rerank import mmr, popularity_penalised, relevance


def test_relevance_is_minus_distance_scaled_per_row():
    d = np.array([[0.0, 1.0, 2.0], [3.0, 3.0, 3.0]])
    cand = np.array([[0, 1, 2], [2, 1, 0]])
    assert relevance(d, cand).tolist() == [[1.0, 0.5, 0.0], [1.0, 1.0, 1.0]]


def test_popularity_penalty_hand_worked():
    # 3 candidates at distances 0, 1, 2 -> relevance 1, 0.5, 0; popularity 15, 0, 3 -> log(1+p)/log(16) = 1, 0, 0.5.
    # w = 0.5: scores 0.5 - 0.5 = 0, 0.25 - 0 = 0.25, 0 - 0.25 = -0.25 -> items 1, 0, 2.
    d = np.array([[0.0, 1.0, 2.0, 3.0]])
    pop = np.array([15, 0, 3, 0])
    assert popularity_penalised(d, pop, k=3, weight=0.5, candidates=3).tolist() == [[1, 0, 2]]
    assert popularity_penalised(d, pop, k=2, weight=0.0, candidates=3).tolist() == [[0, 1]]  # plain neighbours
    assert popularity_penalised(d, pop, k=2, weight=0.5, candidates=3, exclude=[[1]]).tolist() == [[0, 3]]


def test_mmr_hand_worked():
    # items 0 and 1 point the same way, item 2 elsewhere; distances 0, 0.1, 1 -> relevance 1, 0.9, 0.
    # w = 0.5: first the most relevant (0); then item 1 scores 0.45 - 0.5 = -0.05 and item 2 scores 0 - 0 = 0.
    vectors = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0]])
    d = np.array([[0.0, 0.1, 1.0]])
    assert mmr(d, vectors, k=3, weight=0.5, candidates=3).tolist() == [[0, 2, 1]]
    assert mmr(d, vectors, k=3, weight=0.0, candidates=3).tolist() == [[0, 1, 2]]
    assert mmr(d, vectors, k=2, weight=1.0, candidates=3).tolist() == [[0, 2]]  # redundancy only, then the tie


def test_weight_zero_gives_the_embedding_neighbours_and_diversity_moves():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(200, 8))
    d = np.linalg.norm(rng.normal(size=(30, 8))[:, None] - vectors[None], axis=2)
    plain = np.argsort(d, axis=1, kind="stable")[:, :10]
    assert (mmr(d, vectors, 10, 0.0, 50) == plain).all()
    pop = rng.integers(0, 100, size=200)
    assert (popularity_penalised(d, pop, 10, 0.0, 50) == plain).all()
    reranked = popularity_penalised(d, pop, 10, 0.7, 50)
    assert pop[reranked].mean() < pop[plain].mean()  # the penalty lowers the popularity of what is shown
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def mean_similarity(lists):
        return np.mean([(unit[ids] @ unit[ids].T)[np.triu_indices(10, 1)].mean() for ids in lists])

    assert mean_similarity(mmr(d, vectors, 10, 0.7, 50)) < mean_similarity(plain)
