"""Item-kNN over item-to-item transitions: the cheap, strong classical reference on sequential data (trains in
seconds on a CPU, nothing to tune).

Fit: every pair of items (a, b) where b follows a at most `window` positions later in a training sequence
(history + target) adds decay^(d-1) to W(a -> b) and `backward_weight` times that to W(b -> a). Overlapping
windows of one user repeat the same pairs, so a pair counts once per (user, a, b, distance). Similarity:
sim(a, b) = W(a, b) / (n_a^alpha n_b^(1 - alpha)), n = the number of users whose sequences hold the item;
each item keeps its `neighbours` most similar items.
Score of item j for a history h_1..h_L (h_L the last): sum_r recency_decay^(L - r) sim(h_r, j), plus
`popularity_backoff` times j's training popularity scaled to [0, 1], which orders the items no neighbour
reaches (and breaks ties) by popularity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sprec.config import ItemKNNSettings
from sprec.data.dataset import Example, histories
from sprec.ranking.topk import top_k


def _sequences(rows: list[Example]) -> np.ndarray:
    """(N, L) item ids of history + target, left-padded with -1."""
    seqs = [[*e.history, *([] if e.target is None else [e.target])] for e in rows]
    out = np.full((len(seqs), max(map(len, seqs), default=1)), -1, dtype=np.int64)
    for r, seq in enumerate(seqs):
        if seq:
            out[r, -len(seq) :] = seq
    return out


def _user_codes(rows: list[Example]) -> np.ndarray:
    """One code per user (per row when the user is unknown), so that a user's overlapping windows share it."""
    codes: dict[str, int] = {}
    return np.array([codes.setdefault(e.user_id, len(codes)) if e.user_id is not None else -1 - r
                     for r, e in enumerate(rows)], dtype=np.int64)  # fmt: skip


@dataclass
class ItemKNN:
    indptr: np.ndarray  # (n_items + 1,) item a's neighbours are indices[indptr[a]:indptr[a + 1]]
    indices: np.ndarray  # neighbour ids, most similar first
    sims: np.ndarray  # their similarity to a
    prior: np.ndarray  # (n_items,) popularity_backoff * popularity / max popularity
    settings: ItemKNNSettings

    @classmethod
    def fit(cls, train: list[Example], n_items: int, s: ItemKNNSettings) -> ItemKNN:
        seqs, users = _sequences(train), _user_codes(train)
        pairs = []  # (user, a, b, distance)
        for d in range(1, min(s.window, seqs.shape[1] - 1) + 1):
            a, b = seqs[:, :-d].ravel(), seqs[:, d:].ravel()
            u = np.repeat(users, seqs.shape[1] - d)
            ok = (a >= 0) & (b >= 0) & (a != b)
            pairs.append(np.stack([u[ok], a[ok], b[ok], np.full(ok.sum(), d)], axis=1))
        pairs = np.unique(np.concatenate(pairs) if pairs else np.empty((0, 4), np.int64), axis=0)
        w = s.distance_decay ** (pairs[:, 3] - 1.0)
        src = np.concatenate([pairs[:, 1], pairs[:, 2]])
        dst = np.concatenate([pairs[:, 2], pairs[:, 1]])
        keys, inverse = np.unique(src * n_items + dst, return_inverse=True)
        weight = np.bincount(inverse, np.concatenate([w, s.backward_weight * w]))
        a, b = keys // n_items, keys % n_items
        occurrences = np.unique(np.stack([np.repeat(users, seqs.shape[1]), seqs.ravel()], 1), axis=0)
        n = np.bincount(occurrences[occurrences[:, 1] >= 0, 1], minlength=n_items).astype(np.float64)
        sim = weight / (n[a] ** s.alpha * n[b] ** (1 - s.alpha))
        order = np.lexsort((b, -sim, a))  # by item, most similar first (ties: smaller id)
        a, b, sim = a[order], b[order], sim[order]
        rank = np.arange(len(a)) - np.searchsorted(a, a)  # position within the item's neighbour list
        keep = rank < s.neighbours
        a, b, sim = a[keep], b[keep], sim[keep]
        indptr = np.concatenate([[0], np.cumsum(np.bincount(a, minlength=n_items))])
        pop = np.bincount([e.target for e in train if e.target is not None], minlength=n_items).astype(np.float64)
        prior = s.popularity_backoff * pop / max(pop.max(), 1.0)
        return cls(indptr, b, sim, prior, s)

    def scores(self, history: tuple[int, ...]) -> np.ndarray:
        """(n_items,) score of every item as the next one after `history`."""
        out = self.prior.copy()
        for r, item in enumerate(reversed(history)):  # r = 0: the last item read
            lo, hi = self.indptr[item], self.indptr[item + 1]
            out[self.indices[lo:hi]] += self.settings.recency_decay**r * self.sims[lo:hi]
        return out

    def score_matrix(self, examples: list[Example]) -> np.ndarray:
        """(N, n_items) scores of every item for each row."""
        return np.stack([self.scores(e.history) for e in examples]) if examples else np.empty((0, len(self.prior)))

    def recommend(self, examples: list[Example], k: int, exclude_history: bool = False) -> np.ndarray:
        """(N, k) item ids by score, best first (ties: smaller id); optionally never the row's own history."""
        excluded = histories(examples, exclude_history)
        return top_k(self.score_matrix(examples), k, excluded)
