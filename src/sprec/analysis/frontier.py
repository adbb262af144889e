"""The relevance-diversity frontier of a finished run: every re-ranker (popularity penalty, MMR, DPP,
calibration) at every weight on every stored base (the LLM models' embedding candidates, SASRec's and item-kNN's
scores, the hybrids'), the hybrids' fusion weight, and every row of the run as a point. Nothing is retrained or
regenerated: the bases are read from the run folder.

A point is Pareto-optimal for a diversity measure when no other point is at least as good on NDCG@K and on the
measure and better on one of them.
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from sprec.config import RunConfig, classical_row
from sprec.data.dataset import Dataset, histories
from sprec.evaluation.evaluate import DIVERSITY_MEASURES, HISTORY_MODES, evaluate_topk, load_predictions, load_results
from sprec.io import atomic_write_text, write_json
from sprec.llm.grounding import TitleEmbedder, stored_titles, title_distances
from sprec.ranking import WEIGHTS
from sprec.ranking.candidates import Candidates, top_candidates
from sprec.ranking.fusion import fuse, fused_scores
from sprec.ranking.rerank import calibrated, dpp, mmr, nearest_candidates, popularity_penalised, scaled


@dataclass
class Base:
    """A model's candidates for each test row, best first, their relevance scaled to [0, 1] per row, and for a
    hybrid the two scores it fuses."""

    cand: np.ndarray
    rel: np.ndarray
    fusion: tuple[Candidates, np.ndarray] | None = None


def stored_bases(ds: Dataset, cfg: RunConfig, run_dir: Path, excluding: bool) -> tuple[dict[str, Base], np.ndarray]:
    """Every base a finished run has stored, and the catalog's title embeddings (MMR's similarity)."""
    from sprec.experiment.layout import run_scorer

    n, pred_dir, test = min(cfg.rerank.candidates, len(ds.catalog)), run_dir / "predictions", ds.splits["test"]
    excluded = histories(test, excluding)
    embedder = TitleEmbedder(cfg.recommend.embedder)
    vectors = embedder.catalog([it.title for it in ds.catalog.items], pred_dir)
    out = {}
    for gen in sorted(pred_dir.glob("*-embedding.generations.jsonl")):
        cand, rel = nearest_candidates(title_distances(stored_titles(gen), embedder, vectors), n, excluded)
        out[load_predictions(gen.with_name(gen.name.replace(".generations.jsonl", ".json"))).meta["method"]] = Base(
            cand, rel)  # fmt: skip
    for method in ("sasrec", "itemknn"):
        if method in cfg.methods:
            c = top_candidates(run_scorer(method, ds, cfg, run_dir)(test), n, excluded)
            out[method] = Base(c.ids, scaled(c.scores))
    for path in sorted(pred_dir.glob("*.test-scores.npz")):
        with np.load(path) as f:
            c, llm = Candidates(f["ids"], f["retriever"]), f["llm"]
        meta = load_predictions(path.with_name(path.name.replace(".test-scores.npz", ".json"))).meta
        ranked = fuse(c, llm, meta["weight"])  # the hybrid's own list; relevance from its fused score
        fused = fused_scores(c, llm, meta["weight"])
        rel = np.take_along_axis(fused, np.argsort(-fused, axis=1, kind="stable"), axis=1)
        out[meta["method"]] = Base(ranked, scaled(rel), (c, llm))
    return out, vectors


def sweep(base: Base, ds: Dataset, vectors: np.ndarray, k: int, weights=WEIGHTS) -> dict[str, dict[float, np.ndarray]]:
    """{knob: {weight: (N, k) lists}} of one base: each re-ranker's weight, and a hybrid's fusion weight."""
    seen, pop = histories(ds.splits["test"]), ds.catalog.popularity
    out = {
        "popularity penalty": {w: popularity_penalised(base.cand, base.rel, pop, k, w) for w in weights},
        "MMR": {w: mmr(base.cand, base.rel, vectors, k, w) for w in weights},
        "DPP": {w: dpp(base.cand, base.rel, vectors, k, w) for w in weights},
        "calibration": {w: calibrated(base.cand, base.rel, ds.catalog.genre_weights, seen, k, w) for w in weights},
    }
    if base.fusion is not None:
        out["fusion weight a"] = {w: fuse(*base.fusion, w)[:, :k] for w in weights}
    return out


def pareto(points: list[dict], measure: str) -> list[bool]:
    """For each point: no other point is at least as good on NDCG and `measure`, and better on one."""
    sign = 1 if DIVERSITY_MEASURES[measure] == "higher" else -1
    xy = np.array([[p["NDCG"], sign * p[measure]] for p in points])
    return [not any((o >= q).all() and (o > q).any() for o in xy) for q in xy]


def run_points(run_dir: Path, excluding: bool, k: int) -> list[dict]:
    """Every row of the finished run (as evaluated in the given history mode) as a point."""
    suffix = "excluded" if excluding else "allowed"
    out = []
    for path in sorted((run_dir / "metrics").glob(f"*.{suffix}.json")):
        preds = run_dir / "predictions" / f"{path.name.removesuffix(f'.{suffix}.json')}.json"
        meta = load_predictions(preds).meta if preds.exists() else {}
        out.append({"base": meta.get("method", preds.stem), "knob": "run row", "weight": None,
                    **({"imported": True} if "imported_from" in meta else {}), **_measures(load_results(path)[str(k)])})
    return out


def _measures(m: dict) -> dict:
    return {key: m[key] for key in ("HR", "NDCG", *DIVERSITY_MEASURES)}


def frontier(cfg: RunConfig, out_dir: Path | None = None) -> list[dict]:
    """Sweep every knob of a finished run at its largest K, in its first history mode; writes
    frontier.md/.csv/.json and the plot; returns the points."""
    from sprec.report import plots

    run_dir = Path(cfg.run_dir)
    if not (run_dir / "run.json").exists() or not (run_dir / "data" / "meta.json").exists():
        raise FileNotFoundError(f"{run_dir} holds no finished run; run `sprec run` with this config first")
    out_dir = Path(out_dir) if out_dir else run_dir / "frontier"
    ds, excluding, start, k = Dataset.load(run_dir / "data"), cfg.eval.modes[0], time.time(), max(cfg.eval.ks)
    bases, vectors = stored_bases(ds, cfg, run_dir, excluding)
    points = run_points(run_dir, excluding, k)
    for name, base in tqdm(bases.items(), desc="frontier: bases", unit="base"):
        for knob, lists in sweep(base, ds, vectors, k).items():
            for w, topk in lists.items():
                m = evaluate_topk(topk, ds.splits["test"], ds.catalog, [k])[str(k)]
                points.append({"base": name, "knob": knob, "weight": w, **_measures(m)})
    for measure in DIVERSITY_MEASURES:
        for p, best in zip(points, pareto(points, measure), strict=True):
            p[f"pareto_{measure}"] = best
    seconds = round(time.time() - start, 1)
    mode = HISTORY_MODES[excluding]
    summary = answers(points, k)
    write_json(out_dir / "frontier.json", {"k": k, "history": mode, "seconds": seconds, "points": points})
    atomic_write_text(out_dir / "frontier.csv", _csv(points))
    figure = plots.frontier(points, DIVERSITY_MEASURES, out_dir / "frontier.png", k)
    atomic_write_text(out_dir / "frontier.md", _markdown(points, summary, k, mode, seconds, len(bases), figure.name))
    return points


def is_classical(p: dict) -> bool:
    """A classical baseline's row or a re-ranking of its list, or a hybrid at fusion weight 0 (its retriever's
    list): no LLM in the system. A row imported from elsewhere is counted with them (whatever made it, it is not
    one of this run's LLM systems)."""
    return classical_row(p["base"]) or (p["knob"] == "fusion weight a" and p["weight"] == 0) or p.get("imported", False)


def _best_at(rivals: list[dict], ref: dict, k: int) -> str:
    cells = []
    for measure, better in DIVERSITY_MEASURES.items():
        best = (max if better == "higher" else min)(rivals, key=lambda p, m=measure: p[m])
        cells.append(f"{better} {measure}@{k} {best[measure]:.4f}: {_label(best)}"
                     f"{' (the row itself)' if best is ref else ''}")  # fmt: skip
    return "; ".join(cells)


def answers(points: list[dict], k: int) -> list[str]:
    """The report's first lines. For each LLM row of the run (generated lists, their re-rankings, hybrids, D3):
    among the LLM systems at least as accurate (NDCG@K), which is best on each measure; then the same with the
    classical baselines and their re-rankings counted, at the most accurate LLM row's NDCG."""
    llm = [p for p in points if not is_classical(p)]
    refs = sorted((p for p in llm if p["knob"] == "run row"), key=lambda p: p["NDCG"])
    lines = ["Among the LLM systems (each LLM row, and every re-ranking of an LLM list, at least as accurate):"]
    lines += [f"- At NDCG@{k} >= {ref['NDCG']:.4f} ({ref['base']}): "
              + _best_at([p for p in llm if p["NDCG"] >= ref["NDCG"]], ref, k) for ref in refs]  # fmt: skip
    if refs and len(llm) < len(points):
        top = refs[-1]
        lines += ["", f"Counting the classical baselines and their re-rankings, at NDCG@{k} >= {top['NDCG']:.4f} "
                  f"({top['base']}): " + _best_at([p for p in points if p["NDCG"] >= top["NDCG"]], top, k)]  # fmt: skip
    return lines


def _label(p: dict) -> str:
    return p["base"] if p["knob"] == "run row" else f"{p['base']} + {p['knob']} {p['weight']}"


def _csv(points: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(dict.fromkeys(key for p in points for key in p)))
    writer.writeheader()
    writer.writerows(points)
    return buf.getvalue()


def _markdown(points: list[dict], summary: list[str], k: int, mode: str, seconds: float, n_bases: int,
              figure: str) -> str:  # fmt: skip
    n_lists = sum(p["knob"] != "run row" for p in points)
    head = (f"# Relevance-diversity frontier (K = {k}, {mode})\n\n{n_lists} re-ranked lists from {n_bases} bases "
            f"in {seconds} s. Which system gives the most diverse and fair lists at no loss of accuracy:\n\n")
    rows = ["| base | knob | weight | HR | NDCG | DivRatio | ORRatio | MGU | Pareto (Div / OR / MGU) |",
            "|---|---|---|---|---|---|---|---|---|"]
    for p in sorted(points, key=lambda p: -p["NDCG"]):
        marks = " / ".join("*" if p[f"pareto_{m}"] else "" for m in DIVERSITY_MEASURES)
        weight = "" if p["weight"] is None else p["weight"]
        rows.append(f"| {p['base']} | {p['knob']} | {weight} | {p['HR']:.4f} | {p['NDCG']:.4f} | "
                    f"{p['DivRatio']:.4f} | {p['ORRatio']:.4f} | {p['MGU']:.4f} | {marks} |")  # fmt: skip
    return head + "\n".join(summary) + f"\n\n![frontier]({figure})\n\n" + "\n".join(rows) + "\n"

