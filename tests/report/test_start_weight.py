"""Self-play two-stage rows re-fused at their start model's weight: only what self-play changed in the model."""

import numpy as np

from sprec.evaluation.evaluate import Predictions
from sprec.report.start_weight import start_weight_differences


def test_a_self_play_row_is_compared_at_its_start_rows_weight(goodreads_dataset, tmp_path):
    rows, catalog = goodreads_dataset.splits["test"][:4], goodreads_dataset.catalog
    targets = [e.target for e in rows]
    # each row's 4 candidates: its target and three others; the retriever ranks the target last, the LLM first
    ids = np.array([[t, t + 1, t + 2, t + 3] for t in targets])
    retriever, llm = np.tile([0.0, 3.0, 2.0, 1.0], (4, 1)), np.tile([5.0, 0.0, 0.0, 0.0], (4, 1))
    np.savez(tmp_path / "r-sprec-rankt2.test-scores.npz", ids=ids, retriever=retriever, llm=llm)
    by_retriever, by_llm = ids[:, [1, 2, 3, 0]].tolist(), ids.tolist()
    start, mine = "r > rank-sft", "r > sprec-rank t=2"
    paths = {start: tmp_path / "r-rank-sft.json", mine: tmp_path / "r-sprec-rankt2.json"}
    for start_weight, hr in ((0.0, 0.0), (1.0, 1.0)):
        preds = {start: Predictions(by_retriever, {"weight": start_weight}), mine: Predictions(by_llm, {"weight": 1.0})}
        diffs, text = start_weight_differences(preds, paths, rows, catalog, False, 1, seed=0)
        # at a = 0 the self-play row is the retriever's list again, as the start row's: no difference at all;
        # at a = 1 its LLM puts every target first, where the start row's list has none
        assert diffs["r > sprec-rank t=2 @ rank-sft's a"][start]["1"]["HR"] == (hr, hr, hr)
        assert f"| r > sprec-rank t=2 | 1.0 | {start_weight} | r > rank-sft |" in text
    preds.pop(start)  # no start row, nothing to compare
    assert start_weight_differences(preds, paths, rows, catalog, False, 1, seed=0) == ({}, "")
