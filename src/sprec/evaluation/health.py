"""Is an LLM model degenerate? A table of a run is worth nothing when its LLM rows compare noise with noise
(a small model can answer "The (1994)" to most rows, and a self-play iteration can reject one film 64
times). Per LLM row: the share of generations that are exact catalog titles and of distinct
generations; per self-play iteration: the number of distinct rejected items. Warnings name what is degenerate.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from sprec.io import read_json, read_jsonl
from sprec.names import row_of_model_dir

MIN_EXACT_SHARE = 0.2  # under this share of exact catalog titles, grounding picks items for text that names none
MIN_DISTINCT_NEGATIVES = 10  # under this many distinct rejected items, self-play pushes down a handful of items


def generation_health(name: str, meta: dict, generations: Path) -> dict | None:
    """Exact-title and distinct-generation shares of an LLM row (None for rows that generate nothing)."""
    stats = meta.get("stats", {})
    if "exact_catalog_titles" not in stats or not generations.exists():
        return None
    texts = [row["generated"][0] for _, row in read_jsonl(generations)]
    top, count = Counter(texts).most_common(1)[0] if texts else ("", 0)
    return {"row": name, "rows": len(texts), "exact_share": stats["exact_catalog_titles"] / max(len(texts), 1),
            "distinct_share": len(set(texts)) / max(len(texts), 1), "top_generation": top,
            "top_share": count / max(len(texts), 1)}  # fmt: skip


def negatives_health(pairs: Path) -> dict:
    """Distinct rejected items of one self-play iteration (models/METHOD/iteration-N/pairs.jsonl)."""
    rejected = [i for _, row in read_jsonl(pairs) for i in row["rejected"]]
    top, count = Counter(rejected).most_common(1)[0] if rejected else (None, 0)
    return {"iteration": row_of_model_dir(pairs.parent, pairs.parent.parent.parent), "pairs": len(rejected),
            "distinct_negatives": len(set(rejected)), "top_item": top, "top_share": count / max(len(rejected), 1)}


def warnings(generations: list[dict], negatives: list[dict]) -> list[str]:
    out = [f"WARNING: {g['row']} is degenerate: {g['exact_share']:.0%} of its generations are catalog titles "
           f"(under {MIN_EXACT_SHARE:.0%}); its most common generation {g['top_generation']!r} is "
           f"{g['top_share']:.0%} of them" for g in generations if g["exact_share"] < MIN_EXACT_SHARE]  # fmt: skip
    out += [f"WARNING: self-play {n['iteration']} rejected only {n['distinct_negatives']} distinct items in "
            f"{n['pairs']} pairs (item {n['top_item']}: {n['top_share']:.0%}); it pushes down a handful of items"
            for n in negatives if n["distinct_negatives"] < MIN_DISTINCT_NEGATIVES]  # fmt: skip
    return out


def hybrid_warnings(metas: dict[str, dict]) -> list[str]:
    """A hybrid row whose fusion weight is 0 is its retriever's list: the LLM was scored and then not used."""
    return [f"WARNING: {name} is {meta['retriever']}'s list: the fusion weight of the LLM score is a = 0 "
            f"({meta.get('weight_from', 'config')}), so the LLM changes nothing" for name, meta in metas.items()
            if "retriever" in meta and meta.get("weight") == 0]  # fmt: skip


def time_budget_warnings(run_dir: Path) -> list[str]:
    """SASRec stopped by its wall-clock budget rather than by patience: its epochs, and so its row and the
    candidates it gives a hybrid, depend on how loaded the machine was."""
    done = Path(run_dir) / "models" / "sasrec" / "sasrec_done.json"
    summary = read_json(done) if done.exists() else {}
    if summary.get("stopped_by") != "time budget":
        return []
    return [f"WARNING: sasrec stopped at its wall-clock budget (sasrec.max_seconds) after {summary['epochs_run']} "
            f"epochs (best {summary['best_epoch']}), before its validation NDCG@10 stopped improving: its row "
            "depends on the machine's load; rerun without the budget"]


REPEAT_SHARE_NOTE = 0.01  # under this share of training targets that repeat a history item, allowing them is a handicap


def history_repeat_note(train: list, history_allowed: bool) -> list[str]:
    """A note when lists are evaluated with history items allowed although the data almost never repeats one
    (MovieLens: a film is rated once): every history item in such a list is a miss, and an LLM, which copies
    from its prompt, ranks them first (quickstart: its top-1 of SASRec's 20 candidates was a history item in 78%)."""
    repeats = sum(e.target is not None and e.target in e.history for e in train)
    if not history_allowed or not train or repeats / len(train) >= REPEAT_SHARE_NOTE:
        return []
    return [f"NOTE: {repeats:,} of {len(train):,} training targets are one of their row's history items: with "
            "history allowed, every history item in a list is a miss (the history-excluded lists leave them out)"]


def section(generations: list[dict], negatives: list[dict], catalog) -> str:
    """The report's markdown on model health (empty when the run has no LLM row)."""
    if not generations and not negatives:
        return ""
    text = "## LLM models: are they degenerate?\n\n"
    if generations:
        text += ("| row | exact catalog titles | distinct generations | most common generation (share) |\n"
                 "|---|---|---|---|\n")  # fmt: skip
        text += "".join(f"| {g['row']} | {g['exact_share']:.1%} | {g['distinct_share']:.1%} | "
                        f"{g['top_generation'][:60]!r} ({g['top_share']:.1%}) |\n" for g in generations)  # fmt: skip
    if negatives:
        text += ("\n| self-play iteration | pairs | distinct rejected items | most rejected item (share) |\n"
                 "|---|---|---|---|\n")  # fmt: skip
        for n in negatives:
            top = "-" if n["top_item"] is None else catalog.title(n["top_item"])
            text += f"| {n['iteration']} | {n['pairs']} | {n['distinct_negatives']} | {top} ({n['top_share']:.1%}) |\n"
    return text + "\n"


def run_health(run_dir: Path, predictions: dict[str, Path], metas: dict[str, dict]) -> tuple[list, list]:
    """(generation health of each LLM row, negatives health of each self-play iteration) of a run folder."""
    gens = [h for name, path in predictions.items()
            if (h := generation_health(name, metas[name], path.with_suffix(".generations.jsonl"))) is not None]
    negs = [negatives_health(p) for p in sorted(Path(run_dir).glob("models/*/iteration-*/pairs.jsonl"))]
    return gens, negs


MAX_POPULARITY_OVERLAP = 0.5  # above this share of slots shared with popularity's lists, a model learned popularity


def popularity_overlap(lists: np.ndarray, popular: np.ndarray, k: int) -> float:
    """The share of top-k slots a model's lists (N, >= k) share with popularity's lists for the same rows (N, >= k):
    1 when the model recommends exactly the most popular items, whatever their order."""
    lists, popular = np.asarray(lists)[:, :k], np.asarray(popular)[:, :k]
    return float(np.mean([len(set(a.tolist()) & set(b.tolist())) / k for a, b in zip(lists, popular, strict=True)]))


def popularity_warnings(overlaps: dict[str, float], mode: str, k: int) -> list[str]:
    """A line for each row whose lists are mostly popularity's (a failed training, not a result)."""
    return [f"WARNING ({mode}): {name}'s top-{k} lists share {share:.0%} of their slots with popularity's: a trained "
            "model whose lists are popularity's is a failed training until shown otherwise"
            for name, share in overlaps.items() if share > MAX_POPULARITY_OVERLAP]  # fmt: skip
