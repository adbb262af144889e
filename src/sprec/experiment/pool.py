"""The candidates the two-stage system ranks: one retriever's top-N, or a pool of several retrievers' (their
union, ranking/candidates.pooled_candidates) whose scores are mixed into one by weights chosen on the validation
rows before any LLM is involved. The pool's own ranking is then a classical row of its own ("sasrec+itemknn"),
and the LLM's fusion weight (ranking/fusion) is chosen against it, so a hybrid row over the pool shows what the
LLM adds to the retrievers together, not what one retriever adds to the other.

Why a grid and one weight at a time, not a joint or logistic fit: 11 mixes of two retrievers (66 of three) on
128-256 validation rows leave little to overfit, and a fit of the LLM's weight jointly with the mix could buy
a retriever's weight with the LLM's on a flat validation curve."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sprec.config import RunConfig
from sprec.data.dataset import Dataset, histories
from sprec.distributed import main_process_first
from sprec.experiment.layout import run_scorer
from sprec.io import file_digest, read_json, write_json, write_npz
from sprec.ranking.candidates import Candidates, pooled_candidates, top_candidates
from sprec.ranking.fusion import choose_mix, mixed


def _suffix(cfg: RunConfig, excluding: bool) -> str:
    return f"{cfg.hybrid.candidates}{'-excluding' if excluding else ''}"


def retriever_inputs(ds: Dataset, cfg: RunConfig, run_dir: Path) -> str:
    """Digests of what a pool's candidates come from: the prepared data and each trained retriever's weights (a
    cached file made from other inputs is computed again, never reused). SASRec is trained first if it is not."""
    weights = [Path(run_dir) / "models" / r / "model.pt" for r in cfg.hybrid.retrievers if r == "sasrec"]
    for path in weights:
        if not path.exists():
            run_scorer("sasrec", ds, cfg, run_dir)
    files = [ds.path / f for f in ("items.jsonl", "train.jsonl", "valid.jsonl", "test.jsonl")] + weights
    return "-".join(file_digest(f) for f in files if f.exists())


def _pooled(scorers: list, ds: Dataset, cfg: RunConfig, rows: list, excluding: bool) -> Candidates:
    n = min(cfg.hybrid.candidates, len(ds.catalog))
    return pooled_candidates([scorer(rows) for scorer in scorers], n, histories(rows, excluding))


def pool_mix(ds: Dataset, cfg: RunConfig, run_dir: Path, excluding: bool,
             scorers: list | None = None) -> tuple[tuple[float, ...], dict[str, float]]:  # fmt: skip
    """(the retrievers' weights in the pool, chosen on the validation rows; the validation NDCG@10 of every mix
    tried, keyed "w1+w2"), cached in run_dir/candidates/; the retrievers' `scorers` are made when not given and the
    cache does not hold the mix."""
    h = cfg.hybrid
    path = Path(run_dir) / "candidates" / f"{h.pool}-mix-{_suffix(cfg, excluding)}.json"
    with main_process_first():
        inputs = retriever_inputs(ds, cfg, run_dir)
        if not path.exists() or read_json(path).get("inputs") != inputs:
            scorers = scorers or [run_scorer(r, ds, cfg, run_dir) for r in h.retrievers]
            rows = ds.splits["valid"]
            targets = np.array([-1 if e.target is None else e.target for e in rows])
            mix, curve = choose_mix(_pooled(scorers, ds, cfg, rows, excluding), targets)
            write_json(path, {"retrievers": h.retrievers, "mix": list(mix), "inputs": inputs, "validation_ndcg_at_10": {
                "+".join(f"{w:g}" for w in m): v for m, v in curve.items()}})  # fmt: skip
    chosen = read_json(path)
    return tuple(chosen["mix"]), chosen["validation_ndcg_at_10"]


def candidate_source(ds: Dataset, cfg: RunConfig, run_dir: Path, excluding: bool = False):
    """A function: rows -> the retriever's (or the pool's) candidates, best first, with one score each (never a
    history item when `excluding`). The retrievers are trained or fitted once, here."""
    h = cfg.hybrid
    scorers = [run_scorer(r, ds, cfg, run_dir) for r in h.retrievers]
    if len(scorers) == 1:
        n = min(h.candidates, len(ds.catalog))
        return lambda rows: top_candidates(scorers[0](rows), n, histories(rows, excluding))
    mix, _ = pool_mix(ds, cfg, run_dir, excluding, scorers)
    return lambda rows: mixed(_pooled(scorers, ds, cfg, rows, excluding), mix)


def retriever_candidates(ds: Dataset, cfg: RunConfig, run_dir: Path, split: str) -> Candidates:
    """The candidates of a split (cached in run_dir/candidates/), with the history excluded when the run's lists
    are made that way."""
    excluding = cfg.eval.generate_excluding  # in the name with the size: a changed one recomputes
    path = Path(run_dir) / "candidates" / f"{cfg.hybrid.pool}-{split}-{_suffix(cfg, excluding)}.npz"
    inputs = retriever_inputs(ds, cfg, run_dir)
    if path.exists():
        with np.load(path) as f:
            if "inputs" in f and str(f["inputs"]) == inputs:
                return Candidates(f["ids"], f["scores"])
    cand = candidate_source(ds, cfg, run_dir, excluding)(ds.splits[split])
    write_npz(path, ids=cand.ids, scores=cand.scores, inputs=np.array(inputs))
    return cand
