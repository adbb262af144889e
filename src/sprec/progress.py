"""Overall progress of a run: every stage's cost is planned up front from its size, and the time left is that
plan rescaled by how fast this machine has really been so far.

The per-unit costs below were measured for SmolLM2-135M on a 2-core CPU (benchmarks/, docs/results/); on
another machine or model they are only the shape of the plan: after the first finished stage the estimate is
scaled by measured / planned seconds, so a GPU run's estimate corrects itself.
"""

from __future__ import annotations

import sys
import time

from sprec.config import RunConfig

SECONDS_PER_UNIT = {  # docs/results/goodreads-cpu (run.json) and benchmarks/bench_train.py
    "sft": 0.9,  # one SFT example (fast engine)
    "dpo": 1.2,  # one DPO pair (fast engine); an S-DPO row with m negatives counts 1 + 0.2 (m - 1)
    "generate": 0.3,  # one prompt, greedy + embedding grounding (incl. the embedder's share)
    "beam": 0.9,  # one prompt, trie beam search returning K titles
    "selfplay": 0.3,  # one self-play prompt, greedy trie-grounded negatives
    "rank": 0.4,  # one row's 50 candidates scored by the LLM on one shared prompt prefill (benchmarks/bench_rank.py)
}


def time_left(planned: dict[str, float], measured: dict[str, float], calibrate_from: float = 30.0) -> float:
    """Seconds left: the planned cost of stages not yet measured, times measured / planned over the finished
    stages planned at `calibrate_from` seconds or more (1 before there is one: a stage of a few planned
    seconds, such as preparing a cached dataset, says nothing about this machine's speed)."""
    done = [k for k in planned if k in measured and planned[k] >= calibrate_from]
    planned_done = sum(planned[k] for k in done)
    speed = sum(measured[k] for k in done) / planned_done if planned_done > 0 else 1.0
    return speed * sum(v for k, v in planned.items() if k not in measured)


def plan_run(cfg: RunConfig, n_train: int, n_test: int) -> dict[str, float]:
    """Planned seconds of each timed stage, keyed as `pipeline` records them."""
    u = SECONDS_PER_UNIT
    sft = u["sft"] * min(cfg.sft.examples or n_train, n_train) * cfg.sft.epochs
    prompts = min(cfg.selfplay.prompts, n_train)
    recommend = {"embedding": u["generate"] * n_test, "trie": u["beam"] * n_test}
    models: dict[str, float] = {}  # trained model -> training seconds
    reranks: dict[str, float] = {}  # seconds, once the SFT model's candidates exist
    for method in cfg.methods:
        if method == "sft":
            models["sft"] = sft
        elif method in ("dpo", "sdpo"):
            m = 1 if method == "dpo" else cfg.sdpo_negatives
            models[method] = u["dpo"] * prompts * (1 + 0.2 * (m - 1)) * cfg.dpo.epochs
        elif method in ("sprec", "sprec-hybrid"):
            sp = cfg.selfplay
            sampled = sp.samples if sp.negatives == "sampled" else 1
            negatives = u["rank"] if "hybrid" in (method, sp.negatives) else u["selfplay"] * sampled
            per_iteration = prompts * (negatives + u["sft"] * sp.sft.epochs + u["dpo"] * sp.dpo.epochs)
            models.update({f"{method} t={t + 1}": per_iteration for t in range(sp.iterations)})
        elif method.startswith("rerank-"):
            reranks[f"{method} (embedding): rerank"] = 10.0
    if "sft" not in models:  # every LLM method starts from the SFT model: the first stage to need it trains it
        if models:
            models[next(iter(models))] += sft
        elif reranks:
            reranks[next(iter(reranks))] += sft + recommend["embedding"]
    hybrids = {}  # each LLM model scores the retriever's candidates of the test and validation rows
    if "hybrid" in cfg.methods:
        n_valid = min(n_test, 256)  # the prepared validation split is small (256 in the shipped configs)
        scored = list(models) or ["sft"]
        hybrids = {f"{cfg.hybrid.retriever} > {m}: rank": u["rank"] * (n_test + n_valid) for m in scored}
    plan = {"prepare": 1.0, **({"popularity": 0.0} if "popularity" in cfg.methods else {})}
    if "sasrec" in cfg.methods:
        plan["sasrec: train"] = 60.0  # up to a few minutes on ml-100k's 70k windows, whatever the LLM
    if "itemknn" in cfg.methods:
        plan["itemknn: train"] = 5.0  # seconds on ml-100k
    for name, seconds in models.items():
        plan[f"{name}: train"] = seconds
        plan.update({f"{name} ({g}): recommend": recommend[g] for g in cfg.groundings})
    return {**plan, **reranks, **hybrids}


def _clock(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{max(minutes, 1)} min"


class RunProgress:
    """Prints one line per finished stage: what finished, how long the run has taken, about how long is left."""

    def __init__(self, plan: dict[str, float], measured: dict[str, float], enabled: bool = True):
        self.plan, self.measured, self.enabled = plan, measured, enabled
        self.start = time.time()
        self.say(f"planned: {len(plan)} stages, about {_clock(time_left(plan, {}))} on a 2-core CPU with SmolLM2")

    def say(self, text: str) -> None:
        if self.enabled:
            print(f"[sprec run] {text}", file=sys.stderr, flush=True)

    def record(self, stage: str, seconds: float | None) -> None:
        """Stage `stage` took `seconds` (None when an earlier session did not record it)."""
        self.measured[stage] = seconds
        done = sum(k in self.measured for k in self.plan)
        left = time_left(self.plan, {k: v or 0.0 for k, v in self.measured.items()})
        self.say(f"{stage} done; {done}/{len(self.plan)} stages, {_clock(time.time() - self.start)} in this "
                 f"session, about {_clock(left)} left")  # fmt: skip
