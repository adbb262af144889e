"""sprec's evaluator vs a direct implementation of the official SPRec evaluation algorithm.

Same inputs for both: the Goodreads test set (1,000 rows), its 4,058-item catalog, and one seeded
distance matrix (generated-title embedding to every catalog title, as the paper's grounding produces).
The official algorithm argsorts the whole catalog for every row and loops over the top-K items in Python;
sprec selects the top-K with argpartition and computes every metric on arrays. Both run K = 5 and 10.

Run: python benchmarks/bench_evaluate.py   (prints both timings, the speed ratio, and checks equality)
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from sprec.config import load_data_config
from sprec.data.readers import prepare_dataset
from sprec.evaluation.evaluate import evaluate_topk
from sprec.ranking.topk import top_k

ROOT = Path(__file__).resolve().parents[1]
KS = [5, 10]


def distances(n_rows: int, n_items: int, targets: np.ndarray, seed: int = 0) -> np.ndarray:
    """Queries near their target's embedding (so there are hits), in a 64-d space; no ties."""
    rng = np.random.default_rng(seed)
    items = rng.normal(size=(n_items, 64))
    queries = items[np.maximum(targets, 0)] + rng.normal(scale=3.0, size=(n_rows, 64))
    return np.sqrt(((queries[:, None, :] - items[None, :, :]) ** 2).sum(-1))


def official(dist, examples, catalog, ks):
    """The released evaluation's algorithm (eval/evaluate.py of the SPRec code), written directly in numpy:
    one run per K; per row a double argsort of the whole catalog (batch size 1) gives every item's rank;
    each top-i item is found by scanning the ranks (`argwhere(rank == i)`), once for the genre counts and
    again for the diversity counts; history genres come from every history item of every row."""
    titles = [it.title for it in catalog.items]
    name2genre = {it.title: list(it.genres) for it in catalog.items}
    out = {}
    for k in ks:
        rec = dict.fromkeys(catalog.genre_groups, 0.0)
        hist = dict.fromkeys(catalog.genre_groups, 0.0)
        counts: dict[int, int] = {}
        hr = ndcg = 0.0
        valid = 0
        for i, e in enumerate(examples):
            rank = np.argsort(np.argsort(dist[i]))
            if e.target is None:
                continue
            valid += 1
            rank_id = int(rank[e.target])
            if rank_id < k:
                ndcg += 1 / math.log2(rank_id + 2)
                hr += 1
            for j in range(k):
                item = int(np.argwhere(rank == j)[0, 0])
                gs = [g for g in name2genre[titles[item]] if g in rec]
                for g in gs:
                    rec[g] += 1 / len(gs)
            for j in range(k):
                item = int(np.argwhere(rank == j)[0, 0])
                counts[item] = counts.get(item, 0) + 1
        for e in examples:
            for item in e.history:
                gs = [g for g in name2genre[titles[item]] if g in hist]
                for g in gs:
                    hist[g] += 1 / len(gs)
        gp = [v / sum(rec.values()) for v in rec.values()]
        gh = [v / sum(hist.values()) for v in hist.values()]
        diff = [p - h for p, h in zip(gp, gh, strict=True)]
        top3 = sorted(counts.values(), reverse=True)[:3]
        out[str(k)] = {
            "HR": hr / len(examples),
            "NDCG": ndcg / len(examples),
            "DivRatio": len(counts) / (k * valid),
            "ORRatio": sum(top3) / (k * valid),
            "MGU": sum(abs(d) for d in diff) / len(diff),
            "DGU": max(diff) - min(diff),
        }
    return out


def best_of(fn, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def main():
    ds = prepare_dataset(load_data_config(ROOT / "configs/data/goodreads.yaml"))
    examples, catalog = ds.splits["test"], ds.catalog
    targets = np.array([-1 if e.target is None else e.target for e in examples])
    dist = distances(len(examples), len(catalog), targets)
    _ = catalog.genre_weights, catalog.genre_sets  # per-catalog tables, built once per dataset load
    t_off, ref = best_of(lambda: official(dist, examples, catalog, KS), 1)
    t_all, got = best_of(lambda: evaluate_topk(top_k(-dist, max(KS)), examples, catalog, KS), 10)
    topk = top_k(-dist, max(KS))
    t_eval, got_eval = best_of(lambda: evaluate_topk(topk, examples, catalog, KS), 10)
    worst = max(abs(ref[k][m] - r[k][m]) for r in (got, got_eval) for k in ref for m in ref[k])
    print(f"inputs: {len(examples)} rows x {len(catalog)} items, K = {KS}, one distance matrix")
    print(f"official algorithm (ranks + metrics):            {t_off * 1000:8.1f} ms")
    print(f"sprec, top-K selection + every metric:           {t_all * 1000:8.1f} ms   ratio {t_off / t_all:6.1f}x")
    print(f"sprec evaluator on the top-K lists (the metrics): {t_eval * 1000:8.1f} ms   ratio {t_off / t_eval:6.1f}x")
    print("target: >= 100x; sprec's numbers also include coverage, Gini, novelty and ILD")
    print(f"largest difference in HR/NDCG/DivRatio/ORRatio/MGU/DGU: {worst:.2e}")
    if worst > 1e-9:
        raise SystemExit("the two implementations disagree")
    print("HR@10 = {:.4f}, NDCG@10 = {:.4f} (identical in both)".format(got["10"]["HR"], got["10"]["NDCG"]))


if __name__ == "__main__":
    main()
