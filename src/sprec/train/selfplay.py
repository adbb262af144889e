"""The SPRec loop (SPREC.md section 2): for t = 0..T-1, (1) the current model recommends for sampled
training prompts and its recommendations become the rejected answers, the true next items the chosen ones;
(2) an SFT step on the true items from the current weights; (3) a DPO step from the result of (2), whose
frozen state is the reference. Each step writes its output and a done-marker; a rerun resumes."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from sprec.config import ModelConfig, RecommendSettings, SelfPlaySettings
from sprec.data.dataset import Dataset, Example
from sprec.distributed import gathered, is_main_process, share, summed_counts, wait_for_everyone
from sprec.io import read_json, read_jsonl, write_json, write_jsonl
from sprec.llm.decoding import CatalogTrie
from sprec.llm.generate import generate, recommend
from sprec.llm.model import load_model
from sprec.llm.prompts import Prompter
from sprec.llm.scoring import candidate_logps
from sprec.names import iteration_dir
from sprec.ranking.candidates import Candidates
from sprec.ranking.fusion import fuse, llm_scores
from sprec.train.dpo import PreferencePair, train_dpo
from sprec.train.sft import train_sft

CandidateSource = Callable[[list[Example]], Candidates]  # rows -> the retriever's top-N candidates of each


def sample_prompts(rows: list[Example], n: int, seed: int) -> list[Example]:
    """Seeded sample of training rows with a known target (fault 5 of the released code: unseeded)."""
    rows = [e for e in rows if e.target is not None]
    pick = np.random.default_rng(seed).permutation(len(rows))[: min(n, len(rows))]
    return [rows[i] for i in sorted(pick)]


def hybrid_negatives(model, prompter: Prompter, rows: list[Example], candidates: Candidates, weight: float,
                     normalise: bool) -> list[list[int]]:  # fmt: skip
    """The top-1 of the two-stage system (the retriever's candidates ranked by fusion with the current model's
    log-probs, sprec.ranking.fusion) that is not the row's target: the item that system would show in its place."""
    logps, lengths = candidate_logps(model, prompter, rows, candidates.ids, desc="self-play negatives (hybrid)")
    ranked = fuse(candidates, llm_scores(logps, lengths, normalise), weight)
    return [[next(int(i) for i in row if i != e.target)] for row, e in zip(ranked, rows, strict=True)]


def model_negatives(model, tok, prompter: Prompter, rows: list[Example], s: SelfPlaySettings, seed: int,
                    candidates: CandidateSource | None = None) -> tuple[list[list[int]], Counter]:  # fmt: skip
    """The model's own recommendations for each row, grounded to catalog items (SPREC.md fault 3); with
    `negatives: hybrid`, the two-stage system's top-1 over `candidates(rows)` instead."""
    sampled = s.negatives == "sampled"
    draws = s.samples if sampled else 1
    stats: Counter = Counter()
    if s.negatives == "hybrid":
        if candidates is None:
            raise ValueError("selfplay.negatives: hybrid needs the retriever's candidates")
        items = hybrid_negatives(model, prompter, rows, candidates(rows), s.hybrid_weight, s.hybrid_normalise)
    elif s.grounding == "trie":
        trie = CatalogTrie(prompter.all_answer_ids())
        gens = generate(model, tok, [prompter.prompt_ids(e.history) for e in rows], batch_size=s.batch_size,
                        max_new_tokens=trie.depth, num_return=draws, do_sample=sampled, temperature=s.temperature,
                        seed=seed, trie=trie, desc="self-play negatives")  # fmt: skip
        items = [[trie.item_of(g, tok.eos_token_id) for g in row] for row in gens]
    else:
        rec = recommend(model, tok, prompter, rows, RecommendSettings(k=1, batch_size=s.batch_size, seed=seed,
                        do_sample=sampled, temperature=s.temperature))  # fmt: skip
        items = [[r[0]] for r in rec.topk]
    out = []
    for e, row in zip(rows, items, strict=True):
        found = [i for i in dict.fromkeys(row) if i is not None]
        stats["negatives_outside_catalog"] += len(row) - sum(i is not None for i in row)
        stats["negative_equals_positive"] += e.target in found
        out.append([i for i in found if i != e.target])
    return out, stats


def make_pairs(adapter: Path, dataset: Dataset, model_cfg: ModelConfig, s: SelfPlaySettings, rows: list[Example],
               seed: int, path: Path, candidates: CandidateSource | None = None) -> list[PreferencePair]:  # fmt: skip
    """Preference pairs of one iteration, written to `path` (items as ids) and read back on resume. Every process of
    the run calls it: each finds the negatives of its share of the rows (sampled ones are drawn per share, so
    they depend on the number of processes; greedy and hybrid ones do not)."""
    if not path.exists():
        start = time.time()
        model, tok = load_model(model_cfg, adapter)
        prompter = Prompter.for_run(tok, dataset, model_cfg)
        part = share(len(rows))
        negatives, stats = model_negatives(model, tok, prompter, rows[part], s, seed, candidates)
        negatives, stats = gathered(negatives), summed_counts(stats)
        pairs = [{"history": list(e.history), "chosen": e.target, "rejected": neg}
                 for e, neg in zip(rows, negatives, strict=True) if neg]  # fmt: skip
        stats["pairs_dropped_no_negative"] = len(rows) - len(pairs)
        counts = Counter(i for p in pairs for i in p["rejected"])
        stats["distinct_negatives"] = len(counts)
        if is_main_process():
            write_json(path.with_name("negatives_stats.json"), {**stats, "most_rejected": counts.most_common(10),
                                                                "seconds": round(time.time() - start, 1)})  # fmt: skip
            write_jsonl(path, pairs)
        wait_for_everyone()
    return [PreferencePair(tuple(r["history"]), r["chosen"], tuple(r["rejected"])) for _, r in read_jsonl(path)]


def run_selfplay(dataset: Dataset, model_cfg: ModelConfig, s: SelfPlaySettings, start_adapter: Path,
                 out_dir: str | Path, seed: int = 0,
                 candidates: CandidateSource | None = None) -> list[Path]:  # fmt: skip
    """Run (or resume) T iterations from `start_adapter` (the SFT model); returns the adapter after each.
    `candidates` gives the retriever's candidates of any rows (needed by `negatives: hybrid`)."""
    return list(selfplay_iterations(dataset, model_cfg, s, start_adapter, out_dir, seed, candidates))


def selfplay_iterations(dataset: Dataset, model_cfg: ModelConfig, s: SelfPlaySettings, start_adapter: Path,
                        out_dir: str | Path, seed: int = 0,
                        candidates: CandidateSource | None = None) -> Iterator[Path]:  # fmt: skip
    """run_selfplay one iteration at a time: yields each iteration's adapter as soon as it is trained, so that
    a caller reports (or evaluates) iteration t before iteration t + 1 starts."""
    current = Path(start_adapter)
    for t in range(s.iterations):
        it = Path(out_dir) / iteration_dir(t + 1)
        rows = sample_prompts(dataset.splits["train"], s.prompts, seed + 1000 * (t + 1))
        pairs = make_pairs(current, dataset, model_cfg, s, rows, seed + t, it / "pairs.jsonl", candidates)
        after_sft = train_sft(dataset, model_cfg, s.sft, it / "sft", init_adapter=current, rows=rows)
        current = train_dpo(dataset, model_cfg, s.dpo, pairs, it / "dpo", init_adapter=after_sft)
        yield current


def iteration_stats(out_dir: str | Path, t: int) -> dict:
    return read_json(Path(out_dir) / iteration_dir(t) / "negatives_stats.json")


def iteration_seconds(out_dir: str | Path, t: int) -> float:
    """Wall time of iteration t: negatives + SFT step + DPO step, as each step recorded it."""
    it = Path(out_dir) / iteration_dir(t)
    steps = [it / "negatives_stats.json", it / "sft" / "sft_done.json", it / "dpo" / "dpo_done.json"]
    return round(sum(read_json(p).get("seconds") or 0 for p in steps), 1)
