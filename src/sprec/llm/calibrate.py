"""How fast this machine runs the run's model, against the machine the progress plan was measured on: a few
forward passes timed at the start of a run (sprec.experiment.progress scales the LLM stages' plan by it until the run's
own LLM stages have been measured)."""

from __future__ import annotations

import time

import torch

from sprec.config import ModelConfig
from sprec.llm.model import load_model

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


def machine_speed(cfg: ModelConfig) -> float:
    """Seconds per pass here / on the plan's machine: 2 means the LLM stages will take about twice the plan."""
    return forward_seconds(cfg) / REFERENCE_SECONDS
