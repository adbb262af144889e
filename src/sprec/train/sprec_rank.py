"""sprec-rank: SPRec acting on what the whole two-stage system shows. For t = 1..T: (1) the system (the pool's
candidates fused with the current model's scores) ranks the pool for sampled training prompts; its exposure is
how often each item appears in the top-k of those lists; (2) each prompt's rejected answers are drawn from its
own top-k non-targets with probability proportional to their exposure, so what the system over-shows is pushed
down most, and the chosen answer is the true item; (3) one S-DPO step from the current model, whose frozen state
is the reference. Each iteration writes its pairs and its adapter; a rerun resumes."""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sprec.config import ModelConfig, SPRecRankSettings
from sprec.data.dataset import Dataset, Example
from sprec.distributed import is_main_process, wait_for_everyone
from sprec.errors import ConfigError
from sprec.io import read_json, read_jsonl, write_json, write_jsonl
from sprec.llm.model import load_model
from sprec.llm.prompts import Prompter
from sprec.llm.scoring import shared_candidate_logps
from sprec.names import iteration_dir, llm_score_label
from sprec.ranking.candidates import Candidates
from sprec.ranking.fusion import fuse, llm_scores, per_candidate
from sprec.train.dpo import PreferencePair, dpo_summary, train_dpo
from sprec.train.selfplay import CandidateSource, sample_prompts


@dataclass(frozen=True)
class SystemScore:
    """How the system fuses the LLM's score into the pool's while self-play ranks: the weight, the score variant,
    and for a calibrated score the prior: items (sorted ids) -> (those items, their history-free log-probs)."""

    weight: float
    per_token: bool = False
    prior: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None
    prior_of: str | None = None  # whose prior, for the record

    def rank(self, cand: Candidates, logps: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """(N, C) candidate ids, best first."""
        prior = None
        if self.prior is not None:
            prior = per_candidate(*self.prior(np.unique(cand.ids)), cand.ids)
        return fuse(cand, llm_scores(logps, lengths, self.per_token, prior), self.weight)

    def describe(self) -> dict:
        return {"weight": self.weight, "llm_score": llm_score_label(self.per_token, self.prior is not None),
                "prior_of": self.prior_of}


def exposure_negatives(ranked: np.ndarray, targets: list[int], k: int, m: int,
                       seed: int) -> tuple[list[list[int]], Counter]:  # fmt: skip
    """(each row's m rejected items, the exposure counts): drawn without replacement from the row's top-k items
    other than its target, each with probability proportional to its exposure (appearances in the top-k of all
    rows' lists, the target's slot included: it is shown too)."""
    exposure = Counter(int(i) for row in ranked[:, :k] for i in row)
    rng = np.random.default_rng(seed)
    out = []
    for row, target in zip(ranked, targets, strict=True):
        pool = [int(i) for i in row[: k + 1] if i != target][:k]
        weights = np.array([exposure[i] for i in pool], dtype=np.float64)
        weights = weights + (weights == 0)  # the (k+1)-th item, when the target was in the top k: never shown yet
        picks = rng.choice(len(pool), size=min(m, len(pool)), replace=False, p=weights / weights.sum())
        out.append([pool[p] for p in picks])
    return out, exposure


def system_pairs(adapter: Path, dataset: Dataset, model_cfg: ModelConfig, s: SPRecRankSettings, rows: list[Example],
                 candidates: CandidateSource, system: SystemScore, seed: int,
                 path: Path) -> list[PreferencePair]:  # fmt: skip
    """One iteration's pairs (written to `path`, read back on resume): every process scores its share of the
    rows (kept beside `path`, so a stopped iteration does not score them again); the draws use every row's list,
    so all processes draw the same pairs."""
    if not path.exists():
        start = time.time()
        model, tok = load_model(model_cfg, adapter)
        prompter = Prompter.for_run(tok, dataset, model_cfg)
        cand = candidates(rows)
        logps, lengths = shared_candidate_logps(model, prompter, rows, cand.ids, path.with_name("system_logps.npz"),
                                                "sprec-rank: system lists")  # fmt: skip
        ranked = system.rank(cand, logps, lengths)
        negatives, exposure = exposure_negatives(ranked, [e.target for e in rows], s.k, s.negatives, seed)
        if is_main_process():
            shown = sum(exposure.values())
            write_json(path.with_name("exposure.json"), {
                "prompts": len(rows), "system": system.describe(), "distinct_shown": len(exposure),
                "seconds": round(time.time() - start, 1),
                "top3_share": round(sum(c for _, c in exposure.most_common(3)) / shown, 4) if shown else 0.0,
                "most_shown": exposure.most_common(10),
                "most_rejected": Counter(i for n in negatives for i in n).most_common(10)})  # fmt: skip
            write_jsonl(path, ({"history": list(e.history), "chosen": e.target, "rejected": n}
                               for e, n in zip(rows, negatives, strict=True) if n))  # fmt: skip
        wait_for_everyone()
    return [PreferencePair(tuple(r["history"]), r["chosen"], tuple(r["rejected"])) for _, r in read_jsonl(path)]


def sprec_rank_iterations(dataset: Dataset, model_cfg: ModelConfig, s: SPRecRankSettings, start_adapter: Path,
                          out_dir: str | Path, candidates: CandidateSource, system: SystemScore | None = None,
                          seed: int = 0) -> Iterator[Path]:  # fmt: skip
    """Run (or resume) the iterations from `start_adapter` (the rank-sft model), yielding each adapter when done;
    the system ranks with `system` (default: the raw summed score at `s.weight`)."""
    if system is None and s.weight is None:
        raise ConfigError("sprec_rank.weight is null (rank as the evaluated rank-sft row does): pass that `system`")
    system = system or SystemScore(s.weight)
    current = Path(start_adapter)
    dpo = dataclasses.replace(s.dpo, negatives=s.negatives, seed=seed)
    for t in range(s.iterations):
        it = Path(out_dir) / iteration_dir(t + 1)
        rows = sample_prompts(dataset.splits["train"], s.prompts, seed + 1000 * (t + 1))
        pairs = system_pairs(current, dataset, model_cfg, s, rows, candidates, system, seed + t,
                             it / "pairs.jsonl")  # fmt: skip
        current = train_dpo(dataset, model_cfg, dpo, pairs, it / "dpo", init_adapter=current)
        yield current


def iteration_seconds(out_dir: str | Path, t: int) -> float:
    it = Path(out_dir) / iteration_dir(t)
    return round(read_json(it / "exposure.json")["seconds"] + dpo_summary(it / "dpo")["seconds"], 1)
