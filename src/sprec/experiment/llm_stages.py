"""Pipeline stages that need the LLM (imported only when a config names an LLM method, so that the data and
evaluation stages run without torch)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from sprec.config import LLM_METHODS, OFFLINE_PREFERENCE, RANKERS, RunConfig
from sprec.data.dataset import Dataset, histories
from sprec.distributed import (
    gathered,
    is_main_process,
    main_process_first,
    share,
    summed_counts,
    wait_for_everyone,
)
from sprec.errors import ConfigError
from sprec.evaluation.evaluate import evaluate_topk, list_length, load_predictions, prediction_meta, save_predictions
from sprec.experiment.layout import run_scorer
from sprec.experiment.pool import candidate_source, retriever_candidates, retriever_inputs
from sprec.io import write_jsonl, write_npz
from sprec.llm.generate import recommend
from sprec.llm.grounding import TitleEmbedder, stored_titles, title_distances
from sprec.llm.model import load_model
from sprec.llm.prompts import Prompter
from sprec.llm.scoring import cached_prior_logps, shared_candidate_logps
from sprec.names import (
    generated_stem,
    grounded_row,
    hybrid_parts,
    hybrid_row,
    hybrid_stem,
    llm_score_label,
    llm_score_variant,
    method_of,
    model_dir,
    model_row,
)
from sprec.ranking import WEIGHTS
from sprec.ranking.fusion import choose_variant, fuse, llm_scores, per_candidate, standard_errors
from sprec.ranking.rerank import calibrated, choose_weight, dpp, mmr, nearest_candidates, popularity_penalised
from sprec.train.dpo import dpo_summary, random_negative_pairs, semantic_negative_pairs, train_dpo
from sprec.train.rank_sft import DONE as RANK_DONE
from sprec.train.rank_sft import rank_sft_summary, ranking_rows, train_rank_sft
from sprec.train.selfplay import iteration_seconds, sample_prompts, selfplay_iterations
from sprec.train.sft import popularity_weights, sft_summary, train_sft, trained_model_info, training_subset
from sprec.train.sprec_rank import SystemScore, sprec_rank_iterations
from sprec.train.sprec_rank import iteration_seconds as rank_iteration_seconds


def train_method(method: str, ds: Dataset, cfg: RunConfig, run_dir: Path) -> Iterator[tuple[str, Path, float]]:
    """Train (or resume) `method`; yields (row name, adapter folder, training seconds) for each model to
    evaluate as soon as it is trained: one for sft / dpo / sdpo, one per iteration for sprec and sprec-hybrid.
    Every method starts from the SFT model."""
    models = run_dir / "models"
    sft_adapter = train_sft(ds, cfg.model, cfg.sft, models / "sft")
    if method == "sft":
        yield "sft", sft_adapter, sft_summary(models / "sft")["seconds"]
    elif method == "sft-reweighted":  # the same examples as SFT, rare targets weighted up
        rows = training_subset(ds.splits["train"], cfg.sft.examples, cfg.sft.seed)
        weights = popularity_weights(rows, ds.catalog.popularity, cfg.sft_reweight_exponent)
        adapter = train_sft(ds, cfg.model, cfg.sft, models / method, rows=rows, weights=weights)
        yield method, adapter, sft_summary(models / method)["seconds"]
    elif method in OFFLINE_PREFERENCE:  # offline negatives on the same number of prompts as one SPRec iteration
        rows = sample_prompts(ds.splits["train"], cfg.selfplay.prompts, cfg.seed)
        if method == "dpo-semantic":
            embedder = TitleEmbedder(cfg.recommend.embedder)
            vectors = embedder.catalog([it.title for it in ds.catalog.items], run_dir / "predictions")
            pairs, settings = semantic_negative_pairs(rows, vectors), dataclasses.replace(cfg.dpo, negatives=1)
        else:  # dmpo and sdpo draw the same random negatives (same seed): their rows differ only in the loss
            m = 1 if method == "dpo" else cfg.sdpo_negatives
            pairs = random_negative_pairs(rows, len(ds.catalog), m, cfg.seed)
            settings = dataclasses.replace(cfg.dpo, negatives=m, loss="dmpo" if method == "dmpo" else "sdpo")
        adapter = train_dpo(ds, cfg.model, settings, pairs, models / method, init_adapter=sft_adapter)
        yield method, adapter, dpo_summary(models / method)["seconds"]
    elif method in RANKERS:  # trained to rank the pool's candidates: rank-sft, then sprec-rank from it
        rank_adapter = _rank_sft(ds, cfg, run_dir, sft_adapter)
        if method == "rank-sft":
            yield method, rank_adapter, rank_sft_summary(models / method)["seconds"]
        else:
            candidates = candidate_source(ds, cfg, run_dir, cfg.eval.generate_excluding)
            system = _self_play_system(ds, cfg, run_dir, rank_adapter)
            iterations = sprec_rank_iterations(ds, cfg.model, cfg.sprec_rank, rank_adapter, models / method, candidates,
                                               system, cfg.seed)  # fmt: skip
            for t, adapter in enumerate(iterations):
                yield model_row(method, t + 1), adapter, rank_iteration_seconds(models / method, t + 1)
    else:  # sprec-hybrid: the same loop with the two-stage system's top-1 as each prompt's rejected answer
        s = dataclasses.replace(cfg.selfplay, negatives="hybrid") if method == "sprec-hybrid" else cfg.selfplay
        candidates = candidate_source(ds, cfg, run_dir, s.hybrid_exclude_history) if s.negatives == "hybrid" else None
        iterations = selfplay_iterations(ds, cfg.model, s, sft_adapter, models / method, cfg.seed, candidates)
        for t, adapter in enumerate(iterations):
            yield model_row(method, t + 1), adapter, iteration_seconds(models / method, t + 1)


def _rank_sft(ds: Dataset, cfg: RunConfig, run_dir: Path, sft_adapter: Path) -> Path:
    """The rank-sft adapter, trained from the SFT model on the pool's candidates of training rows if not yet."""
    out = run_dir / "models" / "rank-sft"
    if not (out / RANK_DONE).exists():
        rows = training_subset(ds.splits["train"], cfg.rank_sft.examples, cfg.rank_sft.seed)
        with main_process_first():
            cands = candidate_source(ds, cfg, run_dir, cfg.eval.generate_excluding)(rows)
        ranking, missed = ranking_rows(rows, cands)
        train_rank_sft(ds, cfg.model, cfg.rank_sft, ranking, out, sft_adapter, missed)
    return out / "adapter"


def _self_play_system(ds: Dataset, cfg: RunConfig, run_dir: Path, rank_adapter: Path) -> SystemScore:
    """How sprec-rank's system ranks the pool: at `sprec_rank.weight` with the raw summed score, or, with the weight
    null, as the rank-sft two-stage row is evaluated (its validated score variant, weight and prior; that row is
    made first if it is not yet), so self-play pushes against what the reported system shows."""
    if cfg.sprec_rank.weight is not None:
        return SystemScore(cfg.sprec_rank.weight)
    path = run_dir / "predictions" / f"{hybrid_stem(cfg.hybrid.pool, 'rank-sft')}.json"
    predict_hybrid(hybrid_row(cfg.hybrid.pool, "rank-sft"), rank_adapter, ds, cfg, run_dir, path)
    meta = load_predictions(path).meta
    per_token, calibrated = llm_score_variant(meta["llm_score"])
    prior_of = meta.get("prior_of", "rank-sft")  # a file made before rows recorded it: calibrated by its own

    def prior(items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _prior_logps(ds, cfg, run_dir, prior_of, items, None)

    return SystemScore(meta["weight"], per_token, prior if calibrated else None, prior_of if calibrated else None)


def predict_llm(name: str, adapter: Path, ds: Dataset, cfg: RunConfig, grounding: str, path: Path,
                split: str = "test") -> None:  # fmt: skip
    """Recommend for the rows of `split` with one grounding mode; writes predictions and the raw generations. Every
    process of the run calls it: each recommends for its share of the rows (sprec.distributed)."""
    if path.exists():
        return
    model, tok = load_model(cfg.model, adapter)
    prompter = Prompter.for_run(tok, ds, cfg.model)
    rows = ds.splits[split]
    # embedding lists are rankings (longer when the history is dropped afterwards); trie lists are K beams
    filterable = grounding == "embedding"
    k = list_length(cfg.eval, rows, len(ds.catalog)) if filterable else max(cfg.eval.ks)
    s = dataclasses.replace(cfg.recommend, grounding=grounding, k=k, exclude_history=cfg.eval.generate_excluding)
    start = time.time()
    rec = recommend(model, tok, prompter, rows[share(len(rows))], s, cache_dir=path.parent)
    topk, generations = gathered(rec.topk), gathered(rec.generations)
    stats = dict(summed_counts({**rec.stats, **prompter.stats}))
    if is_main_process():
        write_jsonl(path.with_suffix(".generations.jsonl"), ({"row": i, "generated": g, "topk": t}
                    for i, (g, t) in enumerate(zip(generations, topk, strict=True))))  # fmt: skip
        save_predictions(path, topk, **prediction_meta(name, ds.name, cfg.eval, filterable, grounding=grounding,
                         stats=stats, seconds=round(time.time() - start, 1), split=split))  # fmt: skip
    wait_for_everyone()


# re-ranker -> (its weight's setting, the measure a weight chosen on validation optimises, higher is better)
RERANKERS = {"rerank-pop": ("popularity_weight", "ORRatio", False), "rerank-mmr": ("mmr_weight", "DivRatio", True),
             "rerank-dpp": ("dpp_weight", "DivRatio", True),
             "rerank-calibrated": ("calibration_weight", "MGU", False)}  # fmt: skip


def sft_predictions(pred_dir: Path, split: str) -> Path:
    stem = generated_stem("sft", "embedding")
    return pred_dir / (f"{stem}.json" if split == "test" else f"{stem}.{split}.json")


def sft_candidates(ds: Dataset, cfg: RunConfig, split: str, pred_dir: Path, embedder: TitleEmbedder,
                   vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(candidate ids, their relevance) of the SFT model's embedding-grounded lists of `split`: the catalog titles
    nearest to each generation. Trains the SFT model and recommends first if needed."""
    adapter = train_sft(ds, cfg.model, cfg.sft, pred_dir.parent / "models" / "sft")
    pred = sft_predictions(pred_dir, split)
    predict_llm(grounded_row("sft", "embedding"), adapter, ds, cfg, "embedding", pred, split)
    rows = ds.splits[split]
    excluded = histories(rows, cfg.eval.generate_excluding)
    n = max(cfg.rerank.candidates, list_length(cfg.eval, rows, len(ds.catalog)))
    titles = stored_titles(pred.with_suffix(".generations.jsonl"))
    return nearest_candidates(title_distances(titles, embedder, vectors), n, excluded)


def reranked(method: str, cand: np.ndarray, rel: np.ndarray, vectors: np.ndarray, rows, ds: Dataset, k: int,
             weight: float) -> np.ndarray:  # fmt: skip
    if method == "rerank-pop":
        return popularity_penalised(cand, rel, ds.catalog.popularity, k, weight)
    if method == "rerank-mmr":
        return mmr(cand, rel, vectors, k, weight)
    if method == "rerank-dpp":
        return dpp(cand, rel, vectors, k, weight)
    return calibrated(cand, rel, ds.catalog.genre_weights, histories(rows), k, weight)


def rerank_sft(method: str, ds: Dataset, cfg: RunConfig, path: Path) -> None:
    """Re-rank the SFT model's embedding candidates for the test rows (rerank-pop / -mmr / -calibrated), at the
    configured weight or at the weight chosen on the validation rows (RerankSettings). Every process of the run
    calls it (the SFT model's lists are made by all); the main process writes."""
    if path.exists():
        return
    setting, measure, higher = RERANKERS[method]
    weight, chosen, pred_dir = getattr(cfg.rerank, setting), {}, path.parent
    embedder = TitleEmbedder(cfg.recommend.embedder)
    vectors = embedder.catalog([it.title for it in ds.catalog.items], pred_dir)
    if weight is None:
        cand, rel = sft_candidates(ds, cfg, "valid", pred_dir, embedder, vectors)
        big_k, valid = max(cfg.eval.ks), ds.splits["valid"]
        curve = {w: evaluate_topk(reranked(method, cand, rel, vectors, valid, ds, big_k, w), valid, ds.catalog,
                                  [big_k])[str(big_k)] for w in WEIGHTS}  # fmt: skip
        weight = choose_weight(curve, measure, higher, cfg.rerank.max_ndcg_loss)
        chosen = {"weight_from": f"validation: best {measure}@{big_k} at most {cfg.rerank.max_ndcg_loss:.0%} below "
                                 f"the SFT lists' NDCG@{big_k}",
                  "validation_curve": {str(w): {"NDCG": m["NDCG"], measure: m[measure]} for w, m in curve.items()}}
    cand, rel = sft_candidates(ds, cfg, "test", pred_dir, embedder, vectors)
    start, test = time.time(), ds.splits["test"]
    topk = reranked(method, cand, rel, vectors, test, ds, list_length(cfg.eval, test, len(ds.catalog)), weight)
    if not is_main_process():
        wait_for_everyone()
        return
    save_predictions(path, topk, **prediction_meta(grounded_row(method, "embedding"), ds.name, cfg.eval,
                     grounding="embedding", candidates_from=sft_predictions(pred_dir, "test").name, weight=weight,
                     **chosen, seconds=round(time.time() - start, 1)))  # fmt: skip
    wait_for_everyone()


def hybrid_models(ds: Dataset, cfg: RunConfig, run_dir: Path, only: list[str] | None = None) -> list[tuple[str, Path]]:
    """(row name, adapter) of every LLM model the run trains (the SFT model when it trains none), or of the
    models named in `only` ("sft", "sprec t=2"), in that order; only the methods those belong to are trained."""
    methods = [m for m in cfg.methods if m in LLM_METHODS] or ["sft"]
    if only is not None:
        wanted = {method_of(name) for name in only}
        methods = [m for m in dict.fromkeys([*methods, "sft"]) if m in wanted]
    found = [(name, adapter) for m in methods for name, adapter, _ in train_method(m, ds, cfg, run_dir)]
    missing = sorted(set(only or []) - {name for name, _ in found})
    if missing:
        raise ConfigError(f"no model {missing} in this run; its LLM models: {[n for n, _ in found]}")
    if only is None:
        return found
    return sorted([(name, adapter) for name, adapter in found if name in only], key=lambda f: only.index(f[0]))


def _prior_logps(ds: Dataset, cfg: RunConfig, run_dir: Path, prior_of: str, items: np.ndarray,
                 loaded: tuple | None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(items, their prior log-probabilities) by model `prior_of` (`loaded`: its (model, prompter), else loaded
    here when the cache lacks them), cached beside its own hybrid row's predictions and shared by the rows
    calibrated by it."""

    def scorer():
        if loaded is not None:
            return loaded
        model, tok = load_model(cfg.model, trained_model_info(model_dir(run_dir / "models", prior_of))[1])
        return model, Prompter.for_run(tok, ds, cfg.model)

    cache = run_dir / "predictions" / f"{hybrid_stem(cfg.hybrid.pool, prior_of)}.prior-logps.npz"
    with main_process_first():  # a few passes: not worth splitting
        return cached_prior_logps(cache, items, scorer)


def predict_hybrid(name: str, adapter: Path, ds: Dataset, cfg: RunConfig, run_dir: Path, path: Path) -> None:
    """The retriever's candidates ranked by fusing its scores with the LLM's (the LLM score variant and the
    weight chosen on the validation split unless the config fixes them); writes the full ranking of the
    candidates as predictions. The LLM's log-probs are cached beside them, resumable within a split. Every
    process of the run calls it: each scores its share of the rows (sprec.distributed)."""
    start, h = time.time(), cfg.hybrid
    if h.weight is None and not ds.splits["valid"]:
        raise ConfigError("hybrid.weight: the data has no validation rows to choose it on; set it (0 to 1)")
    with main_process_first():
        cands = {split: retriever_candidates(ds, cfg, run_dir, split) for split in ("valid", "test")}
    own = hybrid_parts(name)[1]
    inputs, prior_of = retriever_inputs(ds, cfg, run_dir), cfg.prior_model(own)
    if path.exists():
        meta = load_predictions(path).meta  # (a file without these records was made by an older sprec: own prior)
        if meta.get("candidates_inputs", inputs) == inputs and meta.get("prior_of", own) == prior_of:
            return
    model, tok = load_model(cfg.model, adapter)
    prompter = Prompter.for_run(tok, ds, cfg.model)
    raw = {}
    for split, c in cands.items():
        cache, desc = path.with_name(f"{path.stem}.{split}-logps.npz"), f"{name}: LLM scores of {split} candidates"
        raw[split] = shared_candidate_logps(model, prompter, ds.splits[split], c.ids, cache, desc)
    prior = None
    if h.calibrate is not False:
        items = np.unique(np.concatenate([c.ids.ravel() for c in cands.values()]))
        loaded = (model, prompter) if prior_of == own else None
        known, logps = _prior_logps(ds, cfg, run_dir, prior_of, items, loaded)
        prior = {split: per_candidate(known, logps, c.ids) for split, c in cands.items()}
    variants = [(n, c) for n in ([h.normalise] if h.normalise is not None else [False, True])
                for c in ([h.calibrate] if h.calibrate is not None else [False, True])]  # fmt: skip

    def scores(split: str, variant: tuple[bool, bool]) -> np.ndarray:
        return llm_scores(*raw[split], variant[0], prior[split] if variant[1] else None)

    labels = {v: llm_score_label(*v) for v in variants}
    targets = np.array([-1 if e.target is None else e.target for e in ds.splits["valid"]])
    chosen, weight, curves = choose_variant(cands["valid"], {labels[v]: scores("valid", v) for v in variants},
                                            targets, h.weight, rule=h.weight_rule)  # fmt: skip
    variant = next(v for v in variants if labels[v] == chosen)
    band = standard_errors(cands["valid"], scores("valid", variant), targets)
    if not is_main_process():
        wait_for_everyone()
        return
    # both scores of the test candidates, for re-fusing at other weights (sprec.analysis.frontier)
    write_npz(path.with_name(f"{path.stem}.test-scores.npz"), ids=cands["test"].ids, retriever=cands["test"].scores,
              llm=scores("test", variant))  # fmt: skip
    save_predictions(path, fuse(cands["test"], scores("test", variant), weight),
                     **prediction_meta(name, ds.name, cfg.eval, retriever=h.pool, candidates=h.candidates,
                                       weight=weight, llm_score=chosen, candidates_inputs=inputs, prior_of=prior_of,
                                       weight_from="config" if h.weight is not None else
                                       f"validation NDCG@10, {h.weight_rule}",
                                       validation_se={str(w): v for w, v in band.items()},
                                       validation_ndcg_at_10={str(w): v for w, v in curves[chosen].items()},
                                       validation_curves={n: {str(w): v for w, v in c.items()}
                                                          for n, c in curves.items()},
                                       seconds=round(time.time() - start, 1)))  # fmt: skip
    wait_for_everyone()


def assistant_probabilities(method: str, scores: np.ndarray) -> np.ndarray:
    """A classical model's scores as item probabilities per row: SASRec's are logits (softmax); item-kNN's and
    popularity's are non-negative masses (normalised)."""
    scores = np.asarray(scores, dtype=np.float64)
    logits = method == "sasrec"
    z = np.exp(scores - scores.max(1, keepdims=True)) if logits else np.clip(scores, 0, None) + 1e-12
    return z / z.sum(1, keepdims=True)


def predict_d3(name: str, adapter: Path, ds: Dataset, cfg: RunConfig, run_dir: Path, path: Path) -> None:
    """The model's trie beam search with the run's classical assistant added at each step (D3); each process of
    the run decodes its share of the rows."""
    if path.exists():
        return
    start, test = time.time(), ds.splits["test"]
    probs = assistant_probabilities(cfg.d3.assistant, run_scorer(cfg.d3.assistant, ds, cfg, run_dir)(test))
    model, tok = load_model(cfg.model, adapter)
    prompter = Prompter.for_run(tok, ds, cfg.model)
    s = dataclasses.replace(cfg.recommend, grounding="trie", k=max(cfg.eval.ks), num_beams=0,
                            exclude_history=cfg.eval.generate_excluding)  # fmt: skip
    part = share(len(test))
    rec = recommend(model, tok, prompter, test[part], s, cache_dir=path.parent, assistant=probs[part],
                    assistant_weight=cfg.d3.weight)  # fmt: skip
    topk = gathered(rec.topk)
    if is_main_process():
        meta = prediction_meta(name, ds.name, cfg.eval, filterable=False, grounding="trie",
                               assistant=cfg.d3.assistant, weight=cfg.d3.weight, seconds=round(time.time() - start, 1))
        save_predictions(path, topk, **meta)
    wait_for_everyone()
