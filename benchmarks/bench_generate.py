"""Generation speed on the same 64 Goodreads test prompts, one model, one run: unconstrained greedy,
trie-constrained greedy, and trie-constrained beam search with K = 5 beams (a generative top-5 list);
plus the share of unconstrained generations that are exact catalog titles.

Run: python benchmarks/bench_generate.py [--adapter RUN_DIR/adapter] [--prompts 64] [--batch-size 16]
(without an adapter the base SmolLM2 is measured: it rarely writes a catalog title unconstrained)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sprec.config import ModelConfig, load_data_config
from sprec.data.readers import prepare_dataset
from sprec.decoding import CatalogTrie
from sprec.grounding import extract_title
from sprec.llm.model import load_model
from sprec.prompts import Prompter
from sprec.recommend import generate

ROOT = Path(__file__).resolve().parents[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--adapter", help="a trained adapter folder (default: the base model)")
    ap.add_argument("--prompts", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=16)
    a = ap.parse_args()
    ds = prepare_dataset(load_data_config(ROOT / "configs/data/goodreads.yaml"))
    cfg = ModelConfig()
    model, tok = load_model(cfg, a.adapter)
    prompter = Prompter(tok, ds.catalog, ds.item_noun, cfg.system_prompt, cfg.max_prompt_tokens)
    rows = ds.splits["test"][: a.prompts]
    prompts = [prompter.prompt_ids(e.history) for e in rows]
    t = time.perf_counter()
    trie = CatalogTrie(prompter.all_answer_ids())
    print(f"trie over {len(ds.catalog)} titles built in {time.perf_counter() - t:.2f} s (depth {trie.depth})")
    runs = {
        "greedy (unconstrained, 64 new tokens max)": dict(max_new_tokens=64, batch_size=a.batch_size),
        "greedy + trie": dict(max_new_tokens=trie.depth, batch_size=a.batch_size, trie=trie),
        "beam search K=5 + trie": dict(
            max_new_tokens=trie.depth, batch_size=max(1, a.batch_size // 5), trie=trie, num_beams=5, num_return=5
        ),  # fmt: skip
    }
    speed = {}
    for name, kwargs in runs.items():
        t = time.perf_counter()
        out = generate(model, tok, prompts, **kwargs)
        speed[name] = len(prompts) / (time.perf_counter() - t)
        if "unconstrained" in name:
            texts = [tok.decode(g[0], skip_special_tokens=True) for g in out]
            exact = sum(ds.catalog.id_of(extract_title(x)) is not None for x in texts)
    for name, v in speed.items():
        print(f"{name:45s} {v:6.2f} prompts/s   ({v / speed['greedy + trie']:.2f}x greedy + trie)")
    print(f"exact catalog titles, unconstrained greedy: {exact}/{len(prompts)} ({exact / len(prompts):.0%})")


if __name__ == "__main__":
    main()
