"""SASRec learns a sequential pattern that popularity cannot, keeps its best validation epoch, resumes."""

import numpy as np
import torch

from sprec.baselines.sasrec import recommend_sasrec, sasrec_summary, sequences, train_sasrec
from sprec.config import SASRecSettings
from sprec.data.dataset import Catalog, Dataset, Example, Item


def cyclic_dataset(n_items: int = 30, rows: int = 400, seed: int = 0) -> Dataset:
    """Users walk the catalog in steps of +1 from random starts: the next item is the last one + 1 (mod n)."""
    rng = np.random.default_rng(seed)

    def row(start: int) -> Example:
        seq = [(start + j) % n_items for j in range(6)]
        return Example(tuple(seq[:-1]), seq[-1])

    splits = {name: [row(int(s)) for s in rng.integers(0, n_items, size)]
              for name, size in (("train", rows), ("valid", 50), ("test", 50))}  # fmt: skip
    catalog = Catalog([Item(i, f"item {i}") for i in range(n_items)], [])
    return Dataset("cyclic", catalog, splits)


def test_sequences_are_right_aligned_tokens():
    rows = [Example((4, 5), 6), Example((7,), None)]
    assert sequences(rows, 4).tolist() == [[0, 5, 6, 7], [0, 0, 0, 8]]


def test_sasrec_learns_the_next_item_and_resumes(tmp_path):
    ds = cyclic_dataset()
    s = SASRecSettings(hidden=32, epochs=30, patience=5, batch_size=64, learning_rate=3e-3, dropout=0.1)
    model = train_sasrec(ds, s, tmp_path / "sasrec")
    test = ds.splits["test"]
    topk = recommend_sasrec(model, test, 3, exclude_history=True)
    hr1 = np.mean([t[0] == e.target for t, e in zip(topk, test, strict=True)])
    assert hr1 > 0.9  # every item is about equally popular here: popularity would hit ~1/30
    assert all(not set(t) & set(e.history) for t, e in zip(topk, test, strict=True))
    summary = sasrec_summary(tmp_path / "sasrec")
    best = max(h["valid_ndcg@10"] for h in summary["history"])
    assert summary["valid_ndcg@10"] == best and summary["history"][0]["valid_ndcg@10"] < best
    again = train_sasrec(ds, s, tmp_path / "sasrec")  # finished: loaded, not retrained
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values(), strict=True))
