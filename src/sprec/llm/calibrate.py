"""How fast this machine runs the run's model, against the machine the progress plan was measured on: a few
forward passes timed at the start of a run (sprec.experiment.progress scales the LLM stages' plan by it until the run's
own LLM stages have been measured)."""

from __future__ import annotations

import time

import torch

from sprec.config import ModelConfig
from sprec.llm.model import load_model, training_config

# one forward pass of SmolLM2-135M-Instruct (fp32) over 4 x 160 tokens on an idle 2-core AVX2 CPU (median of 3,
# measured when the stage speeds matched the plan's per-unit costs: 2.0 s per hybrid row of 20 candidates)
REFERENCE_SECONDS = 1.97


@torch.no_grad()
def forward_seconds(cfg: ModelConfig, batch: int = 4, length: int = 160, repeats: int = 3) -> float:
    """Median seconds of one forward pass over a (batch, length) block of token ids, after one warm-up."""
    model, tok = load_model(cfg)
    model.eval()
    ids = torch.randint(0, len(tok), (batch, length), generator=torch.Generator().manual_seed(0))
    model(input_ids=ids)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model(input_ids=ids)
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def machine_speed(cfg: ModelConfig) -> dict[str, float]:
    """Seconds per pass here / on the plan's machine, per kind of LLM stage: 2 means those stages will take about
    twice the plan. Inference is timed in the run's precision, training with the float32 weights it loads
    (llm.model.training_config): a bfloat16 pass is about 2x faster on AVX-512 BF16, but training under bf16
    autocast gains much less (timed in bf16 alone, the quickstart's first time-left line said 0.65x of the truth;
    in float32 alone, 1.4x)."""
    infer = forward_seconds(cfg) / REFERENCE_SECONDS
    train = forward_seconds(training_config(cfg)) / REFERENCE_SECONDS if cfg.dtype != "float32" else infer
    return {"llm-train": round(train, 3), "llm-infer": round(infer, 3)}
