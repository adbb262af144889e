"""Log-probabilities of many answers to one prompt, with the answers packed into one sequence as a prefix tree.

Every distinct answer prefix is one token of the packed sequence and attends to the prompt's key/value cache and
to its own ancestors only, so tokens that several answers share (the opening quote, "The", a series name) are
computed once and no answer is padded. The scores equal those of separate whole-sequence passes
(tests/llm/test_scoring.py); on Goodreads titles this is 1.6x faster than batching the answers on a repeated
prompt cache (benchmarks/bench_rank.py). Used to score a retriever's candidates (under torch.no_grad) and,
with gradients, to train the LLM to rank them (rank-sft)."""

from __future__ import annotations

import torch

from sprec.llm.logprobs import causal_lm_parts


def answer_trie(answers: list[list[int]]) -> tuple[list[int], list[int], list[list[int]]]:
    """(token of each node, parent node of each node (-1: the prompt), node path of each answer), nodes in the
    order they are first reached, so every parent comes before its children."""
    index: dict[tuple[int, int], int] = {}
    tokens, parents, paths = [], [], []
    for answer in answers:
        node, path = -1, []
        for token in answer:
            if (node, token) not in index:
                index[node, token] = len(tokens)
                tokens.append(token)
                parents.append(node)
            node = index[node, token]
            path.append(node)
        paths.append(path)
    return tokens, parents, paths


def _ancestor_mask(parents: list[int]) -> tuple[torch.Tensor, list[int]]:
    """(node j may see node i: i is j or one of its ancestors, (n, n) bool; depth of each node)."""
    seen = torch.zeros(len(parents), len(parents), dtype=torch.bool)
    depth = [0] * len(parents)
    for j, parent in enumerate(parents):
        if parent >= 0:
            seen[j] = seen[parent]
            depth[j] = depth[parent] + 1
        seen[j, j] = True
    return seen, depth


def trie_logps(model, prompt: list[int], answers: list[list[int]], prompt_grad: bool = True) -> torch.Tensor:
    """log pi(answer | prompt) of each answer, shape (len(answers),), float32. With `prompt_grad` false, the
    prompt's pass runs without gradients (its keys and values are constants to the answers' pass): a training
    step then back-propagates through the answers only, and each answer's first token, predicted by the prompt's
    last position, gets no gradient."""
    body, head = causal_lm_parts(model)
    device, dtype = head.weight.device, head.weight.dtype
    tokens, parents, paths = answer_trie(answers)
    n, width = len(tokens), len(prompt)
    with torch.set_grad_enabled(prompt_grad and torch.is_grad_enabled()):
        out = body(input_ids=torch.tensor([prompt], device=device), use_cache=True)
    seen, depth = _ancestor_mask(parents)
    visible = torch.cat([torch.ones(n, width, dtype=torch.bool), seen], 1).to(device)
    # an additive float mask: read the same way by the eager and the SDPA attention of transformers
    mask = torch.zeros(visible.shape, dtype=dtype, device=device).masked_fill(~visible, torch.finfo(dtype).min)
    hidden = body(input_ids=torch.tensor([tokens], device=device), attention_mask=mask[None, None],
                  position_ids=torch.tensor([[width + d for d in depth]], device=device),
                  past_key_values=out.past_key_values, use_cache=True,
                  cache_position=torch.arange(width, width + n, device=device)).last_hidden_state[0]  # fmt: skip
    # node j is predicted by its parent's hidden state (row parents[j] + 1; row 0: the prompt's last token)
    predictors = torch.cat([out.last_hidden_state[0, -1:], hidden])
    parent_rows = torch.tensor(parents, device=device) + 1
    used = torch.unique(parent_rows)  # leaves predict nothing: the head runs on parents only
    logps = head(predictors[used]).float().log_softmax(-1)
    slot = torch.zeros(n + 1, dtype=torch.long, device=device)
    slot[used] = torch.arange(len(used), device=device)
    node_logps = logps[slot[parent_rows], torch.tensor(tokens, device=device)]
    return torch.stack([node_logps[path].sum() for path in paths])
