"""From scores to lists, numpy only: top-K, a retriever's candidates, fusion of retriever and LLM scores, and
the re-rankers that trade relevance for diversity."""

WEIGHTS = tuple(round(0.1 * i, 1) for i in range(11))  # the grid every knob of a ranking is tried at: 0, 0.1, ..., 1
