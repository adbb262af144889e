"""The multi-process path: `accelerate launch --multi_gpu --num_processes 2` (torchrun underneath; on a machine
without GPUs the processes talk over gloo) runs a tiny experiment through the same code: the Trainer spreads
training over both processes, the main process does the rest. (accelerate 1.15's `--cpu --num_processes 2`
starts one process unless MPI and a hostfile are set up.)"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.helpers import ROOT, tiny_d3_config


def launch_two(config: dict, path: Path) -> subprocess.CompletedProcess:
    """`accelerate launch --multi_gpu --num_processes 2 -m sprec.cli run` of `config` (gloo on CPUs)."""
    path.write_text("# a tiny experiment for the multi-process tests\n" + yaml.safe_dump(config))
    launcher = Path(sys.executable).parent / "accelerate"
    r = subprocess.run([str(launcher), "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
                        "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "sprec.cli", "run", str(path)],
                       capture_output=True, text=True, cwd=ROOT, timeout=1200)  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    return r


def test_accelerate_launch_two_cpu_processes(tiny_model_dir, tmp_path):
    cfg = tiny_d3_config(tiny_model_dir, tmp_path / "run")
    r = launch_two(cfg, tmp_path / "tiny.yaml")
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


def test_inference_stages_shared_by_two_processes_give_one_processs_lists_and_pairs(tiny_model_dir, tmp_path):
    """The same trained models: one process makes every list and the self-play pairs; two processes, each taking
    half of the rows, make them again from those models; the lists and pairs are identical."""
    from sprec.config import RunConfig, from_dict
    from sprec.experiment.pipeline import run

    cfg = tiny_d3_config(tiny_model_dir, tmp_path / "one")
    cfg |= {"methods": ["itemknn", "sft", "sprec", "hybrid", "d3"], "groundings": ["trie", "embedding"],
            "hybrid": {"retriever": "itemknn", "candidates": 4}, "d3": {"assistant": "itemknn"},
            "threads": 1}  # one thread per process in both runs: the same arithmetic  # fmt: skip
    run(from_dict(RunConfig, cfg))
    one, two = tmp_path / "one", tmp_path / "two"
    shutil.copytree(one, two)
    llm_files = [p for p in (two / "predictions").iterdir() if not p.name.startswith(("itemknn.", "title_emb"))]
    for stale in [*llm_files, *(two / "metrics").iterdir(), *(two / "models/sprec").glob("iteration-*/pairs.jsonl")]:
        stale.unlink()
    launch_two(cfg | {"run_dir": str(two)}, tmp_path / "two.yaml")

    def lists(folder: Path) -> dict:
        return {p.name: json.loads(p.read_text())["topk"] for p in sorted((folder / "predictions").glob("*.json"))}

    made = lists(one)
    assert {"sft-trie.json", "sft-embedding.json", "sprect1-trie.json", "itemknn-sft.json", "d3-sft.json"} <= set(made)
    assert lists(two) == made
    pairs = "models/sprec/iteration-1/pairs.jsonl"
    assert (two / pairs).read_text() == (one / pairs).read_text()


def test_one_process_takes_every_row_and_keeps_its_zero_counts():
    from sprec.distributed import gathered, share, summed_counts

    assert share(5) == slice(0, 5) and gathered([1, 2]) == [1, 2]
    counts = summed_counts({"exact_catalog_titles": 0, "history_items_truncated": 2})
    assert dict(counts) == {"exact_catalog_titles": 0, "history_items_truncated": 2}  # the 0 stays a key
