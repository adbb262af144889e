"""Candidate scoring shared by two processes against one process, on the same cores, side by side in one run: the
same Goodreads test rows x item-kNN's top 20 scored by sprec.experiment.llm_stages.scored_split, once in one
process with 2 torch threads and once under `accelerate launch --multi_gpu --num_processes 2` (gloo), each process
with 1 thread and half of the rows. Prints seconds per row of each, their ratio, and whether the two give the
same log-probabilities (they must: rows are scored independently).

Run: python benchmarks/bench_shard.py [--rows 24]     (about 3 minutes on 2 cores)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def score(rows: int, out: Path) -> None:
    """Child: score the rows (a share of them under accelerate) and save the gathered log-probs (main process)."""
    import torch
    from bench_rank import knn_candidates

    from sprec.config import ModelConfig
    from sprec.distributed import is_main_process, use_threads, wait_for_everyone
    from sprec.experiment.llm_stages import scored_split
    from sprec.llm.model import load_model
    from sprec.llm.prompts import Prompter

    use_threads(None)  # the cores shared among the processes, as `sprec run` does
    ds, examples, ids = knn_candidates(rows, 20)
    cfg = ModelConfig(dtype="float32")
    model, tok = load_model(cfg)
    prompter = Prompter.for_run(tok, ds, cfg)
    wait_for_everyone()
    start = time.perf_counter()
    logps, _ = scored_split(model, prompter, examples, ids, out / "logps.npz", "scoring")
    wait_for_everyone()
    if is_main_process():
        np.save(out / "seconds.npy", np.array([time.perf_counter() - start, torch.get_num_threads()]))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "child":
        score(int(sys.argv[2]), Path(sys.argv[3]))
        return
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=24)
    a = p.parse_args()
    launcher = [str(Path(sys.executable).parent / "accelerate"), "launch", "--multi_gpu", "--num_processes", "2",
                "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no"]  # fmt: skip
    runs = {"1 process x 2 threads": [sys.executable], "2 processes x 1 thread": launcher}
    found = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, command in runs.items():
            out = Path(tmp) / name.replace(" ", "")
            out.mkdir()
            subprocess.run([*command, __file__, "child", str(a.rows), str(out)], check=True, capture_output=True,
                           cwd=Path(__file__).parent)  # fmt: skip
            seconds, threads = np.load(out / "seconds.npy")
            with np.load(out / "logps.npz") as f:
                found[name] = (seconds / a.rows, f["logps"])
            print(f"{name}: {found[name][0]:.3f} s per row ({int(threads)} torch threads in the main process)")
    (one, lp1), (two, lp2) = found.values()
    print(f"{a.rows} Goodreads test rows x 20 item-kNN candidates, SmolLM2-135M float32: two processes "
          f"{one / two:.2f}x the speed of one; largest log-prob difference {np.abs(lp1 - lp2).max():.2e}")


if __name__ == "__main__":
    main()
