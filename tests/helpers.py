"""What tests import (fixtures live in conftest.py): the project's folders, the hand-made D3 fixture as a whole
experiment, and the command line as a user runs it."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FIXTURES = Path(__file__).parent / "fixtures"


def sprec(*args, cwd=ROOT) -> subprocess.CompletedProcess:
    """`sprec ARGS...` in a new process, as a user runs it (output captured)."""
    return subprocess.run([sys.executable, "-m", "sprec.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300)  # fmt: skip


def tiny_d3_config(model_dir, run_dir) -> dict:
    """A whole experiment in seconds: the hand-made D3 fixture (6 items) and the tiny model."""
    d3 = FIXTURES / "d3"
    return {
        "run_dir": str(run_dir),
        "data": {"name": "d3", "source": "d3-csv", "genre_groups": ["fiction", "romance"],
                 "paths": {s: str(d3 / f"{s}.csv") for s in ("train", "valid", "test")}
                 | {"items": str(d3 / "items.txt"), "genres": str(d3 / "name2genre.json")}},
        "methods": ["popularity", "sft", "dpo", "sprec"],
        "groundings": ["trie"],
        "eval": {"ks": [1, 2]},
        "model": {"name": str(model_dir), "dtype": "float32"},  # the same lists on every CPU (bf16: its own test)
        "sft": {"examples": 4, "batch_size": 1, "eval_examples": 0, "learning_rate": 1.0e-3},
        "dpo": {"batch_size": 1, "grad_accum": 1},
        "selfplay": {"iterations": 1, "prompts": 4, "batch_size": 4,
                     "sft": {"batch_size": 1, "eval_examples": 0}, "dpo": {"batch_size": 1, "grad_accum": 1}},
        "recommend": {"batch_size": 4},
    }  # fmt: skip
