"""Generation speed on the same 64 Goodreads test prompts, one model, one run:
- the official recipe (SPRec's released inference: greedy, batch 4, always 128 new tokens, since its SFT
  trains no EOS), as the reference;
- sprec's unconstrained greedy (batched longest-first, stops at EOS);
- greedy and K = 5 beam search over the catalog trie (sprec's beam search: one prefill per prompt shared
  by the beams), and transformers' generate(num_beams=5) with the same trie, which prefills every beam;
plus the share of unconstrained generations that are exact catalog titles, and whether sprec's greedy
answers equal the official recipe's where both have stopped.

Run: python benchmarks/bench_generate.py [--adapter RUN/models/sft/adapter] [--prompts 64]
(the base SmolLM2 without an adapter rarely writes a catalog title unconstrained)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sprec.config import ModelConfig, load_data_config
from sprec.data.readers import prepare_dataset
from sprec.llm.decoding import CatalogTrie, trie_beam_search
from sprec.llm.generate import generate
from sprec.llm.grounding import extract_title
from sprec.llm.model import load_model
from sprec.llm.prompts import Prompter

ROOT = Path(__file__).resolve().parents[1]


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def batched_beams(model, prompts, trie, beams, pad, batch):
    return [r for i in range(0, len(prompts), batch) for r in trie_beam_search(model, prompts[i : i + batch], trie,
            beams, pad)]  # fmt: skip


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--adapter", help="a trained adapter folder (default: the base model)")
    ap.add_argument("--prompts", type=int, default=64)
    a = ap.parse_args()
    ds = prepare_dataset(load_data_config(ROOT / "configs/data/goodreads.yaml"))
    cfg = ModelConfig(dtype="float32")  # the float32 baseline these benchmarks measured (bench_precision: bf16)
    model, tok = load_model(cfg, a.adapter)
    prompter = Prompter.for_run(tok, ds, cfg)
    prompts = [prompter.prompt_ids(e.history) for e in ds.splits["test"][: a.prompts]]
    t, trie = timed(lambda: CatalogTrie(prompter.all_answer_ids()))
    print(f"{len(prompts)} prompts; trie over {len(ds.catalog)} titles built in {t:.2f} s (depth {trie.depth})")
    pad, eos = tok.pad_token_id, tok.eos_token_id
    runs = {
        "official recipe (batch 4, 128 tokens)": lambda: generate(model, tok, prompts, batch_size=4,
                                                                  max_new_tokens=128, min_new_tokens=128),
        "sprec greedy (batch 16, stop at EOS)": lambda: generate(model, tok, prompts, batch_size=16, max_new_tokens=64),
        "sprec greedy + trie": lambda: batched_beams(model, prompts, trie, 1, pad, 16),
        "sprec beam search K=5 + trie": lambda: batched_beams(model, prompts, trie, 5, pad, 8),
        "generate(num_beams=5) + trie": lambda: generate(model, tok, prompts, batch_size=3, max_new_tokens=trie.depth,
                                                         num_beams=5, num_return=5, trie=trie),
    }  # fmt: skip
    seconds, outputs = {}, {}
    for name, fn in runs.items():
        seconds[name], outputs[name] = timed(fn)
        print(f"  {name:42s} {len(prompts) / seconds[name]:6.2f} prompts/s", flush=True)
    base, greedy = seconds["official recipe (batch 4, 128 tokens)"], seconds["sprec greedy (batch 16, stop at EOS)"]
    print(f"sprec greedy vs official recipe: {base / greedy:.1f}x faster (target >= 5x)")
    print(
        f"beam search K=5 + trie costs {seconds['sprec beam search K=5 + trie'] / greedy:.1f}x unconstrained greedy "
        f"(target <= 3x); generate(num_beams=5) costs {seconds['generate(num_beams=5) + trie'] / greedy:.1f}x"
    )
    texts = [tok.decode(g[0], skip_special_tokens=True) for g in outputs["sprec greedy (batch 16, stop at EOS)"]]
    exact = sum(ds.catalog.id_of(extract_title(x)) is not None for x in texts)
    print(f"exact catalog titles, unconstrained greedy: {exact}/{len(prompts)} ({exact / len(prompts):.0%})")
    official, ours = outputs["official recipe (batch 4, 128 tokens)"], outputs["sprec greedy (batch 16, stop at EOS)"]
    # the recipe suppresses EOS (128 tokens forced), so compare the answer tokens before sprec's EOS
    same = sum(
        o[0][: len(s[0]) - 1] == s[0][:-1] for o, s in zip(official, ours, strict=True) if s[0] and s[0][-1] == eos
    )
    stopped = sum(bool(s[0]) and s[0][-1] == eos for s in outputs["sprec greedy (batch 16, stop at EOS)"])
    print(f"greedy answers identical to the official recipe's first tokens: {same}/{stopped} (rows that stopped)")


if __name__ == "__main__":
    main()
