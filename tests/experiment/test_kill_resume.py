"""The resume guarantee, end to end: `sprec run` killed with SIGKILL in the middle of SFT (while a checkpoint is
half written) and in the middle of self-play resumes, finishes, and gives the results and adapters of a run that
was never interrupted."""

import json
import signal
import subprocess
import sys

import pytest
import torch
import yaml
from safetensors.torch import load_file

from tests.helpers import tiny_d3_config

# Runs `sprec run` with one Trainer method wrapped so that the process SIGKILLs itself at a chosen moment: after
# the model weights of a checkpoint are written but before its optimizer and trainer state (a checkpoint half
# saved), or right after a whole checkpoint.
KILLER = """
import os, signal, sys
from transformers import Trainer
from sprec.cli import main

where, step, method = sys.argv[2], int(sys.argv[3]), sys.argv[4]
original = getattr(Trainer, method)

def die_at_step(self, *args, **kwargs):
    if method == "_save_checkpoint":
        original(self, *args, **kwargs)
    if where in str(self.args.output_dir) and self.state.global_step >= step:
        os.kill(os.getpid(), signal.SIGKILL)
    if method != "_save_checkpoint":
        original(self, *args, **kwargs)

setattr(Trainer, method, die_at_step)
sys.exit(main(["run", sys.argv[1]]))
"""


def _config(tiny_model_dir, run_dir) -> str:
    raw = tiny_d3_config(tiny_model_dir, run_dir) | {"methods": ["popularity", "sft", "sprec"]}
    raw["sft"] |= {"examples": 6, "save_every": 1}
    raw["selfplay"]["sft"] |= {"save_every": 1}
    raw["selfplay"]["dpo"] |= {"save_every": 1}
    path = run_dir.parent / f"{run_dir.name}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return str(path)


def _sprec_run(config: str, kill: tuple[str, int, str] | None = None) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-c", KILLER, config, *map(str, kill)] if kill else [sys.executable, "-m", "sprec.cli",
                                                                                 "run", config]  # fmt: skip
    return subprocess.run(argv, capture_output=True, text=True, timeout=900)


def _adapters(run_dir) -> dict[str, dict]:
    return {str(p.relative_to(run_dir)): load_file(p) for p in sorted(run_dir.glob("models/**/adapter/*.safetensors"))}


@pytest.fixture(scope="module")
def whole_run(tiny_model_dir, tmp_path_factory):
    whole = tmp_path_factory.mktemp("uninterrupted") / "run"
    assert _sprec_run(_config(tiny_model_dir, whole)).returncode == 0
    return whole


KILLS = {"during-sft": ("models/sft", 3, "_save_optimizer_and_scheduler"),  # its checkpoint-3 half saved
         "during-selfplay": ("iteration-1/dpo", 2, "_save_checkpoint")}  # fmt: skip


@pytest.mark.parametrize("kill", list(KILLS.values()), ids=list(KILLS))
def test_a_run_killed_with_sigkill_resumes_to_the_same_results_and_adapters(tiny_model_dir, whole_run, tmp_path, kill):
    killed = tmp_path / "run"
    config = _config(tiny_model_dir, killed)
    first = _sprec_run(config, kill)
    assert first.returncode == -signal.SIGKILL, first.stderr[-2000:]
    assert not (killed / "results.json").exists()
    second = _sprec_run(config)
    assert second.returncode == 0, second.stderr[-2000:]
    if kill[2] == "_save_optimizer_and_scheduler":
        assert f"checkpoint-{kill[1]}: incomplete" in second.stderr  # found, said, and skipped
    assert json.loads((killed / "results.json").read_text()) == json.loads((whole_run / "results.json").read_text())
    expected, got = _adapters(whole_run), _adapters(killed)
    assert set(got) == set(expected) and len(got) == 3  # sft, self-play SFT step, self-play DPO step
    for name, weights in expected.items():
        assert all(torch.allclose(got[name][k], w, atol=1e-6) for k, w in weights.items()), name
