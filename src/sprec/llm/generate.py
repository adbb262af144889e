"""Recommending with an LLM: batched generation (left padding, greedy / sampling / beams, stop at EOS),
then grounding to catalog items, by embedding neighbours (paper) or by a decoding trie (every output is
an item; with K beams a true generative top-K list)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import torch
from tqdm import tqdm
from transformers import LogitsProcessorList

from sprec.config import RecommendSettings
from sprec.data.dataset import Example, histories
from sprec.errors import DataError
from sprec.llm.decoding import CatalogTrie, TrieLogitsProcessor, trie_beam_search
from sprec.llm.grounding import TitleEmbedder, extract_title, title_distances
from sprec.llm.padding import pad_left
from sprec.llm.prompts import Prompter
from sprec.ranking.topk import top_k


@dataclass
class Recommendations:
    topk: list[list[int]]  # per row, item ids best first
    generations: list[list[str]]  # per row, the raw generated text(s)
    stats: Counter = field(default_factory=Counter)


@torch.no_grad()
def generate(model, tokenizer, prompts: list[list[int]], *, batch_size: int, max_new_tokens: int, num_beams: int = 1,
             num_return: int = 1, do_sample: bool = False, temperature: float = 1.0, seed: int = 0,
             trie: CatalogTrie | None = None, excluded: list[list[int]] | None = None, min_new_tokens: int = 0,
             desc: str = "generate") -> list[list[list[int]]]:  # fmt: skip
    """Generated token ids (after the prompt, up to EOS) per prompt, `num_return` sequences each. Prompts are
    batched longest first so that a batch pads little; results come back in the input order."""
    model.eval()
    eos, pad = tokenizer.eos_token_id, tokenizer.pad_token_id
    order = sorted(range(len(prompts)), key=lambda i: -len(prompts[i]))
    out: list[list[list[int]]] = [[] for _ in prompts]
    torch.manual_seed(seed)
    for start in tqdm(range(0, len(order), batch_size), desc=desc, unit="batch", leave=False):
        idx = order[start : start + batch_size]
        ids, mask = pad_left([prompts[i] for i in idx], pad)
        processors = LogitsProcessorList()
        if trie is not None:
            ex = [excluded[i] for i in idx] if excluded else None
            per = num_beams if num_beams > 1 else num_return  # how generate() expands each prompt
            processors.append(TrieLogitsProcessor(trie, ids.shape[1], ex, eos, rows_per_prompt=per))
        seqs = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=max_new_tokens, num_beams=num_beams,
                              num_return_sequences=num_return, do_sample=do_sample, temperature=temperature if do_sample
                              else None, top_p=None, top_k=None, eos_token_id=eos, pad_token_id=pad,
                              logits_processor=processors, min_new_tokens=min_new_tokens or None)  # fmt: skip
        gen = seqs[:, ids.shape[1] :].tolist()
        for j, i in enumerate(idx):
            for row in gen[j * num_return : (j + 1) * num_return]:
                out[i].append(row[: row.index(eos) + 1] if eos in row else row)
    return out


def recommend(model, tokenizer, prompter: Prompter, examples: list[Example], s: RecommendSettings,
              cache_dir: str | Path | None = None, assistant=None,
              assistant_weight: float = 0.0) -> Recommendations:  # fmt: skip
    """Top-K item lists for `examples` (see RecommendSettings for the modes); trie decoding may add a text-free
    assistant's item probabilities (D3: `assistant` (rows, items), `assistant_weight`)."""
    catalog = prompter.catalog
    if s.k > len(catalog):
        raise DataError(f"K = {s.k} is larger than the catalog ({len(catalog)} items)")
    if not examples:  # a process's empty share of a split smaller than the number of processes
        return Recommendations([], [])
    prompts = [prompter.prompt_ids(e.history) for e in examples]
    excluded = histories(examples, s.exclude_history)
    stats: Counter = Counter()
    if s.grounding == "trie":
        trie = CatalogTrie(prompter.all_answer_ids())
        beams = s.num_beams or s.k
        found = _trie_search(model, prompts, trie, beams, tokenizer.pad_token_id, excluded, s.batch_size, assistant,
                             assistant_weight)  # fmt: skip
        texts = [[f"{prompter.answer_text(i)} ({lp:.2f})" for i, lp in row] for row in found]
        if beams >= s.k:
            short = [r for r, row in enumerate(found) if len(row) < s.k]
            if short:
                raise DataError(f"only {len(found[short[0]])} items left for a top-{s.k} list", row=short[0] + 1)
            return Recommendations([[i for i, _ in row][: s.k] for row in found], texts, stats)
        # greedy trie (beams < k): the generated item first, then its embedding neighbours
        firsts = [catalog.title(row[0][0]) for row in found]
        return Recommendations(_embedding_topk(firsts, prompter, s, excluded, cache_dir), texts, stats)
    gens = generate(model, tokenizer, prompts, batch_size=s.batch_size, max_new_tokens=s.max_new_tokens,
                    do_sample=s.do_sample, temperature=s.temperature, seed=s.seed, desc="generate")  # fmt: skip
    texts = [[tokenizer.decode(g, skip_special_tokens=True) for g in row] for row in gens]
    titles = [extract_title(row[0]) for row in texts]
    stats["exact_catalog_titles"] = sum(catalog.id_of(t) is not None for t in titles)
    stats["generations_reaching_eos"] = sum(tokenizer.eos_token_id in row[0] for row in gens)
    return Recommendations(_embedding_topk(titles, prompter, s, excluded, cache_dir), texts, stats)


def _trie_search(model, prompts, trie, beams, pad_id, excluded, batch_size, assistant=None,
                 assistant_weight: float = 0.0) -> list[list[tuple[int, float]]]:  # fmt: skip
    """trie_beam_search over batches of similar-length prompts (little padding), results in input order."""
    order = sorted(range(len(prompts)), key=lambda i: -len(prompts[i]))
    found: list = [None] * len(prompts)
    for start in tqdm(range(0, len(order), batch_size), desc=f"trie beam search ({beams})", unit="batch", leave=False):
        idx = order[start : start + batch_size]
        ex = [excluded[i] for i in idx] if excluded else None
        helper = assistant[idx] if assistant is not None else None
        rows = trie_beam_search(model, [prompts[i] for i in idx], trie, beams, pad_id, ex, helper, assistant_weight)
        for i, row in zip(idx, rows, strict=True):
            found[i] = row
    return found


def _embedding_topk(titles: list[str], prompter: Prompter, s: RecommendSettings, excluded, cache_dir):
    """Paper grounding: the K catalog titles nearest (L2) to each generated title."""
    embedder = TitleEmbedder(s.embedder)
    items = embedder.catalog([it.title for it in prompter.catalog.items], cache_dir)
    return top_k(-title_distances(titles, embedder, items), s.k, exclude=excluded).tolist()
