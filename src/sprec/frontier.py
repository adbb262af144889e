"""The relevance-diversity frontier of a finished run (issue 11): every re-ranker (popularity penalty, MMR,
calibration) at every weight on every stored base list (the LLM models' embedding candidates, SASRec's and
item-kNN's scores, the hybrid's), the hybrid's fusion weight, and every row of the run as a point. Nothing is
retrained or regenerated: the bases are read from the run folder, so a sweep takes seconds to minutes.

For each (base, knob) a line of points (NDCG@10 against DivRatio@10, ORRatio@10 and MGU@10); a point is
Pareto-optimal when no other point is at least as good on NDCG and the diversity measure and better on one.
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from sprec.baselines.rerank import calibrated, mmr, nearest_candidates, popularity_penalised, scaled
from sprec.config import RunConfig
from sprec.data.dataset import Dataset
from sprec.evaluate import HISTORY_MODES, evaluate_topk, load_results
from sprec.grounding import extract_title
from sprec.hybrid import Candidates, fuse, standardise, top_candidates
from sprec.io import atomic_write_text, read_jsonl, write_json

WEIGHTS = tuple(round(0.1 * i, 1) for i in range(11))
MEASURES = {"DivRatio": "higher", "ORRatio": "lower", "MGU": "lower"}  # diversity / fairness measure -> better


@dataclass
class Base:
    """A model's candidates for each test row, best first, and their relevance scaled to [0, 1] per row."""

    cand: np.ndarray
    rel: np.ndarray


def llm_base(generations: Path, ds: Dataset, cfg: RunConfig, n: int, excluding: bool) -> tuple[Base, np.ndarray]:
    """An LLM model's embedding candidates: the n catalog titles nearest to its generated title (and the
    catalog's title embeddings, for MMR)."""
    from sprec.recommend import title_distances

    titles = [extract_title(row["generated"][0]) for _, row in read_jsonl(generations)]
    dist, vectors = title_distances(titles, ds.catalog, cfg.recommend.embedder, generations.parent)
    cand, rel = nearest_candidates(dist, n, _histories(ds) if excluding else None)
    return Base(cand, rel), vectors


def _histories(ds: Dataset) -> list[list[int]]:
    return [list(e.history) for e in ds.splits["test"]]


def bases(ds: Dataset, cfg: RunConfig, run_dir: Path, excluding: bool) -> tuple[dict[str, Base], np.ndarray]:
    """Every base list a finished run has stored: LLM embedding candidates, classical scores, hybrids."""
    from sprec.baselines.scorers import classical_scorer

    n, pred_dir, out, vectors = cfg.rerank.candidates, run_dir / "predictions", {}, None
    for gen in sorted(pred_dir.glob("*-embedding.generations.jsonl")):
        name = gen.name.removesuffix("-embedding.generations.jsonl")
        out[f"{name} (embedding)"], vectors = llm_base(gen, ds, cfg, n, excluding)
    for method in ("sasrec", "itemknn"):
        if method in cfg.methods:
            c = top_candidates(classical_scorer(method, ds, cfg, run_dir)(ds.splits["test"]), n,
                               _histories(ds) if excluding else None)  # fmt: skip
            out[method] = Base(c.ids, scaled(c.scores))
    for scores in sorted(pred_dir.glob("*.test-scores.npz")):
        with np.load(scores) as f:
            c, llm = Candidates(f["ids"], f["retriever"]), f["llm"]
        # relevance at the chosen weight is not stored; the base ranks by the fused score at weight 0.5
        out[f"hybrid {scores.name.removesuffix('.test-scores.npz')}"] = Base(c.ids, scaled(
            0.5 * standardise(c.scores) + 0.5 * standardise(llm)))  # fmt: skip
    if vectors is None:
        from sprec.recommend import TitleEmbedder

        embedder = TitleEmbedder(cfg.recommend.embedder)
        vectors = embedder.catalog([it.title for it in ds.catalog.items], pred_dir)
    return out, vectors


def sweep(base: Base, ds: Dataset, vectors: np.ndarray, k: int, excluding: bool, weights=WEIGHTS) -> dict:
    """{re-ranker: {weight: (N, k) lists}} of one base; history items are never candidates when `excluding`."""
    cand, rel = base.cand, base.rel
    if excluding:  # the hybrid's candidates may hold history items: push them below every other candidate
        held = np.array([[i in set(e.history) for i in row] for row, e in zip(cand, ds.splits["test"], strict=True)])
        rel = np.where(held, -np.inf, rel)
    return {
        "popularity penalty": {w: popularity_penalised(cand, rel, ds.catalog.popularity, k, w) for w in weights},
        "MMR": {w: mmr(cand, rel, vectors, k, w) for w in weights},
        "calibration": {w: calibrated(cand, rel, ds.catalog.genre_weights, _histories(ds), k, w) for w in weights},
    }
