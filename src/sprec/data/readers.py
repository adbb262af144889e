"""Dispatch a DataConfig to its reader and to preparation; write the prepared dataset."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sprec.data.d3_csv import read_d3
from sprec.data.dataset import Dataset
from sprec.data.download import download_movielens
from sprec.data.interactions_csv import read_interactions_csv
from sprec.data.movielens import read_movielens
from sprec.data.prepare import prepare_log, prepare_split
from sprec.data.recbole_atomic import bundled_recbole_dataset, read_recbole
from sprec.data.sources import RawLog, SplitData
from sprec.data.sprec_json import read_sprec_catalog, read_sprec_examples


def read_sprec_json(paths: dict[str, str]) -> SplitData:
    catalog, drops = read_sprec_catalog(paths["catalog"])
    splits, noun = {}, "item"
    for split in ("train", "valid", "test"):
        if split not in paths:
            splits[split] = []
            continue
        rows, d, n = read_sprec_examples(paths[split], catalog, keep_unknown_target=split != "train")
        splits[split], noun = rows, n
        drops.update({f"{split}:{k}": v for k, v in d.items()})
    return SplitData("sprec-json", catalog, splits, item_noun=noun, drops=Counter(drops))


def read(cfg) -> RawLog | SplitData:
    if cfg.source == "movielens":
        path = cfg.path
        if path.startswith("grouplens:"):
            path = download_movielens(path.removeprefix("grouplens:"))
        return read_movielens(path)
    if cfg.source == "recbole":
        path = cfg.path
        if path.startswith("bundled:"):
            path = bundled_recbole_dataset(path.removeprefix("bundled:"))
        return read_recbole(path, cfg.genre_vocab)
    if cfg.source == "sprec-json":
        return read_sprec_json(cfg.paths)
    if cfg.source == "csv":
        return read_interactions_csv(cfg.paths, cfg.columns)
    return read_d3(cfg.paths, cfg.genre_groups, cfg.prepare.merge_titles)


def prepare_dataset(cfg, out_dir: str | Path | None = None) -> Dataset:
    """Read the source named by `cfg` (a DataConfig), prepare it, and write it to `out_dir` if given."""
    raw = read(cfg)
    if cfg.item_noun:
        raw.item_noun = cfg.item_noun
    if isinstance(raw, RawLog):
        if cfg.genre_groups:
            raw.genre_groups = cfg.genre_groups
        ds = prepare_log(cfg.name, raw, cfg.prepare)
    else:
        if cfg.genre_groups:
            raw.catalog = type(raw.catalog)(raw.catalog.items, cfg.genre_groups)
        ds = prepare_split(cfg.name, raw, cfg.prepare)
    if out_dir is not None:
        ds.save(out_dir)
    return ds
