"""Running under `accelerate launch` (several GPUs, or `--cpu --num_processes 2`): the Trainer spreads each
training stage over the processes; everything else (data, generation, evaluation, files) is done by the
main process first, and the others then find its outputs on disk and skip the work (every stage skips
what is already written). A single process needs none of this and pays nothing for it."""

from __future__ import annotations

import contextlib
import os


def is_distributed() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def on_cpu() -> bool:
    import torch

    return not torch.cuda.is_available()


def _state():
    from accelerate import PartialState

    # on CPU, processes talk over gloo (MULTI_CPU); TrainingArguments must say use_cpu too, or it sets up its own
    # single-process state (train/sft.py, train/dpo.py)
    return PartialState(cpu=on_cpu())


@contextlib.contextmanager
def main_process_first():
    """The main process runs the block, then the others do (and find its outputs ready)."""
    if not is_distributed():
        yield
        return
    with _state().main_process_first():
        yield


def is_main_process() -> bool:
    return not is_distributed() or _state().is_main_process


def wait_for_everyone() -> None:
    if is_distributed():
        _state().wait_for_everyone()


def use_threads(requested: int | None) -> tuple[int, int]:
    """Set torch's threads for this process: `requested`, else OMP_NUM_THREADS when the user set it, else the
    cores this process may use (its CPU affinity) shared among the processes of the run. Returns (threads, cores
    available)."""
    import torch

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    omp = os.environ.get("OMP_NUM_THREADS", "")
    users_limit = int(omp) if omp.isdigit() and int(omp) > 0 else None
    threads = requested or users_limit or max(1, cores // int(os.environ.get("WORLD_SIZE", "1")))
    torch.set_num_threads(threads)
    return threads, cores
