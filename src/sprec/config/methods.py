"""The methods a run can name, and the families the pipeline treats alike."""

from __future__ import annotations

from sprec.names import pool_members

CLASSICAL = ("popularity", "sasrec", "itemknn")  # baselines without an LLM


METHODS = ("popularity", "sasrec", "itemknn", "sft", "sft-reweighted", "rerank-pop", "rerank-mmr", "rerank-dpp",
           "rerank-calibrated", "dpo", "sdpo", "dmpo", "dpo-semantic", "sprec", "sprec-hybrid", "rank-sft",
           "sprec-rank", "hybrid", "d3")


OFFLINE_PREFERENCE = ("dpo", "sdpo", "dmpo", "dpo-semantic")  # preference training from the SFT model, once
# methods that train LLM models (one row or more)
LLM_METHODS = ("sft", "sft-reweighted", *OFFLINE_PREFERENCE, "sprec", "sprec-hybrid", "rank-sft", "sprec-rank")
# trained to rank a retriever's candidates, not to generate: their rows are hybrid rows only
RANKERS = ("rank-sft", "sprec-rank")
# the model each self-play method starts its iterations from
SELFPLAY_START = {"sprec": "sft", "sprec-hybrid": "sft", "sprec-rank": "rank-sft"}


def classical_row(row: str) -> bool:
    """A row with no LLM in it: a classical method's, or a pool of classical retrievers' ("sasrec+itemknn")."""
    return all(m in CLASSICAL for m in pool_members(row))
