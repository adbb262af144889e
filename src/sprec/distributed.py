"""Running under `accelerate launch` (several GPUs, or `--multi_gpu --num_processes 2` on CPUs): the Trainer
spreads each training stage over the processes, and the inference stages (recommendation passes, self-play
negatives, candidate scoring, D3) give each process a contiguous share of the rows and gather the results in
row order (`share`, `gathered`); files are written by the main process. Everything else (data, classical models,
evaluation, reports) is done by the main process first, and the others then find its outputs on disk and skip
the work. A single process needs none of this and pays nothing for it."""

from __future__ import annotations

import contextlib
import os
from collections import Counter


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


def share(n: int) -> slice:
    """This process's contiguous share of n rows: all of them in a single process."""
    if not is_distributed():
        return slice(0, n)
    state = _state()
    k, i = state.num_processes, state.process_index
    return slice(n * i // k, n * (i + 1) // k)


def gathered(mine: list) -> list:
    """Every process's `mine` (results of its share(n) of the rows), concatenated in process order on every
    process: the rows' results in their original order."""
    if not is_distributed():
        return list(mine)
    from accelerate.utils import gather_object

    return [row for part in gather_object([list(mine)]) for row in part]


def summed_counts(mine: dict) -> Counter:
    """Every process's counts (of its share of the rows) added up key by key, on every process; zeros are kept
    (a count of 0 is a finding)."""
    total: Counter = Counter()
    for counts in gathered([mine]):
        total.update(counts)
    return total


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
