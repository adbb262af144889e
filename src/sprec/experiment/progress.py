"""Overall progress of a run: every stage's cost is planned up front from its size, and the time left is that
plan rescaled, per kind of stage, by how fast this machine has really been at that kind.

The per-unit costs below were measured for SmolLM2-135M on an idle 2-core CPU (benchmarks/, docs/results/).
Kinds of stage scale apart: SASRec's speed says nothing about LLM training. LLM training and LLM inference
(generation, candidate scoring) each take their speed from their own finished stages, or from the other LLM
kind's, or, before any LLM stage has finished, from a calibration of a few forward passes of the run's model
measured at the start of the run (sprec.llm.calibrate: a slower machine or a bigger model scales the plan).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from sprec.config import OFFLINE_PREFERENCE, RANKERS, RunConfig
from sprec.names import d3_row, grounded_row, hybrid_row, method_of, model_row, stage_key, stage_parts

# Seconds on the calibration's reference machine (sprec.llm.calibrate.REFERENCE_SECONDS: a forward pass there
# takes 1.97 s), from recorded stage times divided by their run's calibration: docs/results/goodreads-cpu
# (calibration 0.98: SFT 1.73 s per example, DPO 2.28 per pair, recommending 0.74 per row, D3's beam search 2.1,
# an SPRec iteration 4.6 per prompt, ranking 20 candidates 1.25-1.66 per row) and the quickstart (0.77: SFT 1.40
# s per example on MovieLens' shorter titles). A per-unit cost far from the truth skews every time-left line
# before the first stage of its kind finishes: the calibration only rescales it.
SECONDS_PER_UNIT = {  # SmolLM2-135M, 2 cores at the reference speed
    "sft": 1.8,  # one SFT example (fast engine)
    "dpo": 2.3,  # one DPO pair (fast engine); an S-DPO row with m negatives counts 1 + 0.2 (m - 1)
    "generate": 0.75,  # one prompt, greedy + embedding grounding (incl. the embedder's share)
    "beam": 2.1,  # one prompt, trie beam search returning K titles
    "selfplay": 0.5,  # one self-play prompt, greedy trie-grounded negatives (and the iteration's model loads)
    "rank": 0.5,  # one row's prompt prefill when the LLM scores candidates ...
    "rank_candidate": 0.05,  # ... plus this per candidate (packed prefix tree; 20 candidates: 1.25-1.89 s/row measured)
}


def stage_kind(stage: str) -> str:
    """llm-train, llm-infer, sasrec, or fixed (stages of seconds that no speed measure should scale)."""
    row, what = stage_parts(stage)
    if (row, what) == ("sasrec", "train"):
        return "sasrec"
    if what in ("recommend", "rank"):
        return "llm-infer"
    if what == "train" and row != "itemknn":
        return "llm-train"
    return "fixed"


Calibration = float | dict[str, float]  # one speed for both LLM kinds, or one per kind (llm.calibrate)


def speeds(planned: dict[str, float], measured: dict[str, float], calibration: Calibration = 1.0,
           calibrate_from: float = 30.0) -> dict[str, float]:  # fmt: skip
    """Measured / planned seconds per kind of stage, over its finished stages planned at `calibrate_from`
    seconds or more; an LLM kind with none borrows the other LLM kind's, then its calibration."""
    if not isinstance(calibration, dict):
        calibration = {"llm-train": calibration, "llm-infer": calibration}
    out = {}
    for kind in ("llm-train", "llm-infer", "sasrec"):
        done = [k for k in planned if k in measured and stage_kind(k) == kind and planned[k] >= calibrate_from]
        if done:
            out[kind] = sum(measured[k] for k in done) / sum(planned[k] for k in done)
    for kind, other in (("llm-train", "llm-infer"), ("llm-infer", "llm-train")):
        out.setdefault(kind, out.get(other, calibration[kind]))
    return {"sasrec": 1.0, "fixed": 1.0, **out}


def time_left(planned: dict[str, float], measured: dict[str, float], calibration: Calibration = 1.0) -> float:
    """Seconds left: the planned cost of every stage not yet measured, times its kind's speed."""
    speed = speeds(planned, measured, calibration)
    return sum(v * speed[stage_kind(k)] for k, v in planned.items() if k not in measured)


def plan_run(cfg: RunConfig, n_train: int, n_test: int, n_valid: int | None = None) -> dict[str, float]:
    """Planned seconds of each timed stage, keyed as `pipeline` records them (`n_valid`: the validation rows,
    which the hybrid scores too; 256 or the test rows if fewer when not given)."""
    u = SECONDS_PER_UNIT
    sft = u["sft"] * min(cfg.sft.examples or n_train, n_train) * cfg.sft.epochs
    prompts = min(cfg.selfplay.prompts, n_train)
    recommend = {"embedding": u["generate"] * n_test, "trie": u["beam"] * n_test}
    rank_row = u["rank"] + u["rank_candidate"] * cfg.hybrid.candidates
    models: dict[str, float] = {}  # trained model -> training seconds
    reranks: dict[str, float] = {}  # seconds, once the SFT model's candidates exist
    for method in cfg.methods:
        if method in ("sft", "sft-reweighted"):
            models[method] = sft
        elif method in OFFLINE_PREFERENCE:
            m = cfg.sdpo_negatives if method in ("sdpo", "dmpo") else 1
            models[method] = u["dpo"] * prompts * (1 + 0.2 * (m - 1)) * cfg.dpo.epochs
        elif method in ("sprec", "sprec-hybrid"):
            sp = cfg.selfplay
            sampled = sp.samples if sp.negatives == "sampled" else 1
            hybrid = method == "sprec-hybrid" or sp.negatives == "hybrid"  # the two-stage system's top-1
            negatives = rank_row if hybrid else u["selfplay"] * sampled
            per_iteration = prompts * (negatives + u["sft"] * sp.sft.epochs + u["dpo"] * sp.dpo.epochs)
            models.update({model_row(method, t + 1): per_iteration for t in range(sp.iterations)})
        elif method in RANKERS:  # rank-sft: forward and backward over a row's candidates, about 3 scoring passes
            r = cfg.rank_sft
            rank_sft = 3 * rank_row * min(r.examples or n_train, n_train) * r.epochs
            if method == "rank-sft":
                models[method] = rank_sft
            else:  # the system's lists of the prompts, then an S-DPO step; the first iteration trains rank-sft too
                s = cfg.sprec_rank
                per_iteration = s.prompts * (rank_row + u["dpo"] * (1 + 0.2 * (s.negatives - 1)) * s.dpo.epochs)
                models.update({model_row(method, t + 1): per_iteration for t in range(s.iterations)})
                if "rank-sft" not in cfg.methods:
                    models[model_row(method, 1)] += rank_sft
        elif method.startswith("rerank-"):
            reranks[stage_key(grounded_row(method, "embedding"), "rerank")] = 10.0
    if "sft" not in models:  # every LLM method starts from the SFT model: the first stage to need it trains it
        if models:
            models[next(iter(models))] += sft
        elif reranks:
            reranks[next(iter(reranks))] += sft + recommend["embedding"]
    hybrids = {}  # each LLM model scores the retriever's candidates of the test and validation rows
    if "hybrid" in cfg.methods:
        n_valid = min(n_test, 256) if n_valid is None else n_valid
        scored = cfg.hybrid.models or list(models) or ["sft"]
        rows = rank_row * (n_test + n_valid)
        hybrids = {stage_key(hybrid_row(cfg.hybrid.pool, m), "rank"): rows for m in scored}
    if "d3" in cfg.methods:  # trie beam search of each LLM model's test rows
        d3_models = cfg.d3.models or list(models) or ["sft"]
        hybrids |= {stage_key(d3_row(m), "recommend"): recommend["trie"] for m in d3_models}
    plan = {"prepare": 1.0, **({"popularity": 0.0} if "popularity" in cfg.methods else {})}
    if "sasrec" in cfg.methods:
        plan[stage_key("sasrec", "train")] = 60.0  # up to a few minutes on ml-100k's 70k windows, whatever the LLM
    if "itemknn" in cfg.methods:
        plan[stage_key("itemknn", "train")] = 5.0  # seconds on ml-100k
    for name, seconds in models.items():
        plan[stage_key(name, "train")] = seconds
        if cfg.selfplay.evaluated(name) and method_of(name) not in RANKERS:
            plan.update({stage_key(grounded_row(name, g), "recommend"): recommend[g] for g in cfg.groundings})
    return {**plan, **reranks, **hybrids}


def _clock(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{max(minutes, 1)} min"


def _speeds_text(calibration: Calibration) -> str:
    if not isinstance(calibration, dict):
        return f"{calibration:.2f}x"
    return ", ".join(f"{v:.2f}x ({k.removeprefix('llm-')})" for k, v in calibration.items())


class RunProgress:
    """Prints one line per stage finished in this session: what finished, how long the run has taken, about how
    long is left. Stages whose results an earlier session left are counted, not replayed."""

    def __init__(self, plan: dict[str, float], measured: dict[str, float], enabled: bool = True,
                 calibration: Calibration = 1.0, earlier: dict[str, float | None] | None = None,
                 save: Callable[[], None] | None = None):  # fmt: skip
        """`earlier`: the stage times an earlier session of the run recorded (run.json): those stages count as
        done from the start, wherever they come in the order, and their speeds rescale the plan. `save` is called
        after each stage (it writes run.json), so that a run killed mid-method keeps the times it measured."""
        self.plan, self.measured, self.enabled, self.calibration = plan, measured, enabled, calibration
        self.save = save if enabled else None
        self.start = self.last = time.time()
        # stages recorded in this session (their outputs loaded or made): the count and "all done" rest on these,
        # not on run.json's earlier times, since a stage an earlier session recorded may be made again (its output
        # deleted, or made from inputs that changed) after every other stage has finished
        self.finished = {k for k in measured if k in plan}
        self.earlier = {k for k in earlier or {} if k in plan}
        for stage in self.earlier:
            measured.setdefault(stage, earlier[stage])
        self.resumed = len(self.earlier)
        done = f", {self.resumed} done in earlier sessions" if self.resumed else ""
        left = f"about {_clock(self.seconds_left())} {'left ' if done else ''}here"
        self.say(f"planned: {len(plan)} stages{done}, {left} "
                 f"(LLM speed calibrated at {_speeds_text(calibration)} the plan's machine)")  # fmt: skip

    def seconds_left(self) -> float:
        return time_left(self.plan, {k: v or 0.0 for k, v in self.measured.items()}, self.calibration)

    def say(self, text: str) -> None:
        if self.enabled:
            print(f"[sprec run] {text}", file=sys.stderr, flush=True)

    def record(self, stage: str, seconds: float | None, output: Path | None = None) -> None:
        """Stage `stage` took `seconds` (None when an earlier session did not record it); `output`, the file or
        folder it wrote, tells a stage done in an earlier session (written before this one started)."""
        now = time.time()
        if output is not None and Path(output).exists():
            loaded = Path(output).stat().st_mtime < self.start
        else:  # a stage that took longer than the time since the last line was loaded from an earlier session
            loaded = seconds is None or (seconds > 1.0 and now - self.last < 0.5 * seconds)
        self.measured[stage], self.last = seconds, now
        self.finished.add(stage)
        if self.save is not None:
            self.save()
        if loaded:
            self.resumed += stage not in self.earlier
            return
        if stage in self.earlier:  # made again in this session: not one an earlier session did
            self.earlier.discard(stage)
            self.resumed -= 1
        done = sum(k in self.finished for k in self.plan)
        earlier = f" ({self.resumed} done in earlier sessions)" if self.resumed else ""
        rest = "all done" if done == len(self.plan) else f"about {_clock(self.seconds_left())} left"
        self.say(f"{stage} done; {done}/{len(self.plan)} stages{earlier}, {_clock(now - self.start)} in this "
                 f"session, {rest}")  # fmt: skip
