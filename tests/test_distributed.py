"""The multi-process path: `accelerate launch --multi_gpu --num_processes 2` (torchrun underneath; on a machine
without GPUs the processes talk over gloo) runs a tiny experiment through the same code: the Trainer spreads
training over both processes, the main process does the rest. (accelerate 1.15's `--cpu --num_processes 2`
starts one process unless MPI and a hostfile are set up.)"""

import json
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import FIXTURES, ROOT


def test_accelerate_launch_two_cpu_processes(tiny_model_dir, tmp_path):
    d3 = FIXTURES / "d3"
    cfg = {
        "run_dir": str(tmp_path / "run"),
        "data": {"name": "d3", "source": "d3-csv", "genre_groups": ["fiction", "romance"],
                 "paths": {s: str(d3 / f"{s}.csv") for s in ("train", "valid", "test")}
                 | {"items": str(d3 / "items.txt"), "genres": str(d3 / "name2genre.json")}},
        "methods": ["popularity", "sft", "dpo", "sprec"],
        "groundings": ["trie"],
        "eval": {"ks": [1, 2]},
        "model": {"name": str(tiny_model_dir)},
        "sft": {"examples": 4, "batch_size": 1, "eval_examples": 0, "learning_rate": 1.0e-3},
        "dpo": {"batch_size": 1, "grad_accum": 1},
        "selfplay": {"iterations": 1, "prompts": 4, "batch_size": 4,
                     "sft": {"batch_size": 1, "eval_examples": 0}, "dpo": {"batch_size": 1, "grad_accum": 1}},
        "recommend": {"batch_size": 4},
    }  # fmt: skip
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
