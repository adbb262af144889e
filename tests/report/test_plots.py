"""Every plot is drawn: a PNG with something on it, from small hand-made inputs."""

import matplotlib.image as mpimg
import numpy as np

from sprec.data.dataset import Catalog, Example, Item
from sprec.report import plots


def _drawn(path) -> bool:
    image = mpimg.imread(path)
    return image.ndim == 3 and (image[..., :3] < 0.5).any()  # dark pixels: axes, lines, text


def test_exposure_genres_and_validation_curves_are_drawn(tmp_path):
    items = [Item(i, f"t{i}", genres=("a",) if i % 2 else ("b",), popularity=10 - i) for i in range(10)]
    catalog = Catalog(items, ["a", "b"])
    topk = {"popularity": np.array([[0, 1], [0, 1]]), "sft (embedding)": np.array([[5, 9], [7, 8]])}
    rows = [Example((0, 3), 1), Example((2, 4), 9)]
    out = [plots.exposure_by_popularity(topk, catalog, np.array([1, 9]), tmp_path / "exposure.png", 2),
           plots.genre_distribution(topk, rows, catalog, tmp_path / "genres.png", 2),
           plots.hybrid_validation({"sasrec > sft": {"0.0": 0.1, "0.5": 0.2, "1.0": 0.05}}, tmp_path / "hv.png")]
    assert all(p.exists() and _drawn(p) for p in out)
