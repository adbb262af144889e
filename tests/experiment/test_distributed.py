"""The multi-process path: `accelerate launch --multi_gpu --num_processes 2` (torchrun underneath; on a machine
without GPUs the processes talk over gloo) runs a tiny experiment through the same code: the Trainer spreads
training over both processes, the main process does the rest. (accelerate 1.15's `--cpu --num_processes 2`
starts one process unless MPI and a hostfile are set up.)"""

import json
import subprocess
import sys
from pathlib import Path

import yaml

from tests.helpers import ROOT, tiny_d3_config


def test_accelerate_launch_two_cpu_processes(tiny_model_dir, tmp_path):
    cfg = tiny_d3_config(tiny_model_dir, tmp_path / "run")
    path = tmp_path / "tiny.yaml"
    path.write_text("# a tiny experiment for the multi-process test\n" + yaml.safe_dump(cfg))
    launcher = Path(sys.executable).parent / "accelerate"
    r = subprocess.run([str(launcher), "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
                        "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "sprec.cli", "run", str(path)],
                       capture_output=True, text=True, cwd=ROOT, timeout=1200)  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    run = tmp_path / "run"
    table = (run / "results.md").read_text()
    for row in ("| popularity |", "| sft (trie) |", "| dpo (trie) |", "| sprec t=1 (trie) |"):
        assert row in table
    assert json.loads((run / "models/sft/sft_done.json").read_text())["processes"] == 2
    assert json.loads((run / "models/dpo/dpo_done.json").read_text())["processes"] == 2
    assert r.stdout.count("# d3: 2 test rows") == 1  # only the main process reports


def test_threads_follow_the_config_then_omp_num_threads_then_the_cores(monkeypatch):
    import torch

    from sprec.distributed import use_threads

    before = torch.get_num_threads()
    try:
        monkeypatch.setenv("OMP_NUM_THREADS", "1")
        assert use_threads(None)[0] == 1 and torch.get_num_threads() == 1  # the user's own limit is kept
        assert use_threads(2)[0] == 2  # the config's `threads` wins
        monkeypatch.delenv("OMP_NUM_THREADS")
        monkeypatch.delenv("WORLD_SIZE", raising=False)
        threads, cores = use_threads(None)
        assert threads == cores
    finally:
        torch.set_num_threads(before)
