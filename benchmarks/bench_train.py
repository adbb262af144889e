"""Training speed: TRL's default path vs sprec's fast path, same model (SmolLM2-135M + LoRA r16 on every
projection), same 64 Goodreads examples (SFT) and 32 pairs (DPO), measured side by side in one run.

Each case runs in its own process (so its peak RSS is its own) and prints seconds per example/pair, the
train loss, and achieved GFLOP/s of useful work, beside this machine's measured matmul peak (fp32, bf16).
Useful work per token = forward + input-gradient backward of the frozen weights (4 x non-embedding
parameters) + the LM head on the answer tokens only (again x 2 for backward); the same count for both paths.

Run: python benchmarks/bench_train.py            (about 15 minutes on 2 cores)
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = ["sft-trl", "sft-fast", "dpo-trl", "dpo-fast"]


def matmul_peak(dtype_name: str) -> float:
    import torch

    dtype = getattr(torch, dtype_name)
    a, b = torch.randn(1024, 576, dtype=dtype), torch.randn(576, 1536, dtype=dtype)
    for _ in range(3):
        a @ b
    n, t = 50, time.perf_counter()
    for _ in range(n):
        a @ b
    return 2 * 1024 * 576 * 1536 * n / (time.perf_counter() - t) / 1e9


def run_case(case: str, tmp: Path) -> dict:
    from sprec.config import DPOSettings, ModelConfig, SFTSettings, load_data_config
    from sprec.data.readers import prepare_dataset
    from sprec.llm.model import add_lora, load_model, save_adapter
    from sprec.llm.prompts import Prompter
    from sprec.train.dpo import dpo_summary, random_negative_pairs, train_dpo
    from sprec.train.sft import sft_summary, train_sft, training_subset

    ds = prepare_dataset(load_data_config(ROOT / "configs/data/goodreads.yaml"), tmp / "data")
    cfg = ModelConfig(dtype="float32")  # the float32 baseline these benchmarks measured (bench_precision: bf16)
    model, tok = load_model(cfg)
    n_params = sum(p.numel() for n, p in model.named_parameters() if "embed" not in n)
    hidden, vocab = model.config.hidden_size, model.config.vocab_size
    prompter = Prompter.for_run(tok, ds, cfg)
    kind, engine = case.split("-")
    if kind == "sft":
        rows = training_subset(ds.splits["train"], 64, 0)
        seqs = [prompter.encode(e) for e in rows]
        s = SFTSettings(examples=64, batch_size=4, eval_examples=0, save_every=10_000, engine=engine)
        s.bf16 = s.gradient_checkpointing = engine == "trl"  # TRL 1.16's own defaults (CPU_NOTES.md)
        train_sft(ds, cfg, s, tmp / case)
        summary, units = sft_summary(tmp / case), 64
    else:
        start = save_adapter(add_lora(model, cfg.lora), tmp / "start", cfg)
        pairs = random_negative_pairs(training_subset(ds.splits["train"], 32, 1), len(ds.catalog), 1, 0)
        seqs = [(prompter.prompt_ids(p.history), prompter.answer_ids(p.chosen) + prompter.answer_ids(p.rejected[0]))
                for p in pairs]  # fmt: skip
        s = DPOSettings(batch_size=4, grad_accum=1, save_every=10_000, engine=engine)
        s.bf16 = s.gradient_checkpointing = engine == "trl"
        train_dpo(ds, cfg, s, pairs, tmp / case, start)
        summary, units = dpo_summary(tmp / case), 32
    seconds = summary["seconds"]
    prompt_tokens = sum(len(p) for p, _ in seqs)
    answer_tokens = sum(len(a) for _, a in seqs)
    tokens = prompt_tokens * (2 if kind == "dpo" else 1) + answer_tokens  # DPO: a pair is two sequences
    flops = 4 * n_params * tokens + 4 * hidden * vocab * answer_tokens
    return {"case": case, "seconds_per_unit": seconds / units, "train_loss": summary["train_loss"],
            "gflops": flops / seconds / 1e9, "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
            "bf16_and_checkpointing": s.bf16}  # fmt: skip


def main():
    if len(sys.argv) == 3:  # child: one case
        print(json.dumps(run_case(sys.argv[1], Path(sys.argv[2]))))
        return
    import tempfile

    peaks = {d: matmul_peak(d) for d in ("float32", "bfloat16")}
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            out = subprocess.run([sys.executable, __file__, case, tmp], capture_output=True, text=True, check=True)
            results[case] = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{case:9s} done: {results[case]['seconds_per_unit']:.2f} s per unit", flush=True)
    print(f"\nmatmul peak here: fp32 {peaks['float32']:.0f} GFLOP/s, bf16 {peaks['bfloat16']:.0f} GFLOP/s")
    print(f"{'case':9s} {'s/unit':>7s} {'loss':>7s} {'GFLOP/s':>8s} {'% fp32 peak':>11s} {'peak RSS':>9s}")
    for r in results.values():
        pct = 100 * r["gflops"] / peaks["float32"]
        print(f"{r['case']:9s} {r['seconds_per_unit']:7.2f} {r['train_loss']:7.3f} {r['gflops']:8.1f} {pct:10.0f}% "
              f"{r['peak_rss_gb']:7.1f} GB")  # fmt: skip
    for kind, target in (("sft", 3), ("dpo", 4)):
        ratio = results[f"{kind}-trl"]["seconds_per_unit"] / results[f"{kind}-fast"]["seconds_per_unit"]
        print(f"{kind.upper()}: fast path {ratio:.2f}x faster than TRL's default path (target >= {target}x)")


if __name__ == "__main__":
    main()
