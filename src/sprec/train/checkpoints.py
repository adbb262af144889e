"""Resumable training stages: the checkpoint to resume from (a kill during a save leaves an incomplete one,
which is skipped and removed) and the training loss of a whole stage across resumes."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from sprec.distributed import is_main_process


def _step(path: Path) -> int:
    return int(path.name.split("-")[1])


def is_complete(checkpoint: Path) -> bool:
    """transformers' Trainer writes the trainer state and then the RNG states last: both present, the save
    finished."""
    return (checkpoint / "trainer_state.json").is_file() and any(checkpoint.glob("rng_state*.pth"))


def resume_point(folder: Path) -> Path | None:
    """The newest complete checkpoint-N in `folder` (None: start afresh); newer incomplete ones are removed, with
    a line saying so (the Trainer would otherwise fail on them, or count them in its rotation)."""
    found = sorted((p for p in Path(folder).glob("checkpoint-*") if p.name.split("-")[1].isdigit()), key=_step)
    for checkpoint in reversed(found):
        if is_complete(checkpoint):
            return checkpoint
        if is_main_process():  # every process skips it; one removes it
            print(f"[sprec] skipping {checkpoint}: incomplete (killed while it was saved); removed", file=sys.stderr)
            shutil.rmtree(checkpoint, ignore_errors=True)
    return None


def stage_loss(log_history: list[dict], fallback: float) -> float:
    """Mean of the training losses logged over the whole stage (the Trainer's own figure covers only the steps
    of the last session when the stage was resumed)."""
    losses = [h["loss"] for h in log_history if "loss" in h]
    return sum(losses) / len(losses) if losses else fallback
