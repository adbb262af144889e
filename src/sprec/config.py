"""Typed configs loaded from YAML and checked once, with errors that name the field."""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sprec.data.prepare import PrepareSettings
from sprec.errors import ConfigError

SOURCES = ("movielens", "recbole", "sprec-json", "d3-csv")


@dataclass
class DataConfig:
    name: str  # the prepared dataset's name (and folder name)
    source: str  # one of SOURCES
    # movielens / recbole folder; "bundled:ml-100k" = recbole wheel's copy; "grouplens:ml-1m" = download + MD5
    path: str | None = None
    paths: dict[str, str] = field(default_factory=dict)  # sprec-json/d3-csv: train, valid, test, catalog, ...
    item_noun: str | None = None  # "movie", "book": wording of prompts; default from the source
    genre_groups: list[str] | None = None  # groups for MGU/DGU; default from the source
    genre_vocab: list[str] | None = None  # recbole: multi-word genres to re-join
    prepare: PrepareSettings = field(default_factory=PrepareSettings)

    def __post_init__(self):
        if self.source not in SOURCES:
            raise ConfigError(f"data.source: unknown source {self.source!r}; choose one of {SOURCES}")
        if self.source in ("movielens", "recbole") and not self.path:
            raise ConfigError(f"data.path: the {self.source} source needs the folder of its files")
        needed = {"sprec-json": ("train", "test", "catalog"), "d3-csv": ("train", "valid", "test", "items")}
        missing = [k for k in needed.get(self.source, ()) if k not in self.paths]
        if missing:
            raise ConfigError(f"data.paths: the {self.source} source needs {missing}")


def _convert(value: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return from_dict(hint, value, where)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        if value is None and type(None) in args:
            return None
        hint = next(a for a in args if a is not type(None))
        return _convert(value, hint, where)
    if origin in (list, tuple):
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        inner = typing.get_args(hint)[0]
        return origin(_convert(v, inner, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return {str(k): _convert(v, typing.get_args(hint)[1], f"{where}.{k}") for k, v in value.items()}
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    wrong_bool = hint is int and isinstance(value, bool)
    if hint in (int, float, str, bool) and (not isinstance(value, hint) or wrong_bool):
        raise ConfigError(f"{where}: expected {hint.__name__}, got {value!r}")
    return value


def from_dict(cls, values: dict, where: str = "config"):
    """Build dataclass `cls` from a mapping; unknown keys and wrong types are errors naming the field."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(names)}")
    kwargs = {k: _convert(v, hints[k], f"{where}.{k}") for k, v in values.items()}
    try:
        return cls(**kwargs)
    except TypeError as e:
        raise ConfigError(f"{where}: {e}") from None


def load_yaml(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: malformed YAML: {e}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config must be a mapping")
    return data


def resolve_paths(cfg: DataConfig, base: Path) -> DataConfig:
    """Relative paths in a config file are relative to that file."""

    def fix(p: str) -> str:
        return p if p.startswith(("bundled:", "grouplens:")) or Path(p).is_absolute() else str((base / p).resolve())

    return dataclasses.replace(
        cfg, path=fix(cfg.path) if cfg.path else None, paths={k: fix(v) for k, v in cfg.paths.items()}
    )


def load_data_config(path: str | Path) -> DataConfig:
    raw = load_yaml(path)
    raw = raw.get("data", raw)
    return resolve_paths(from_dict(DataConfig, raw, f"{path}: data"), Path(path).parent)


METHODS = ("popularity",)


@dataclass
class EvalConfig:
    ks: list[int] = field(default_factory=lambda: [1, 5, 10])  # paper reports K = 1 and 5
    exclude_history: bool = False  # the paper's code may recommend history items; reports say which mode

    def __post_init__(self):
        if not self.ks or min(self.ks) < 1:
            raise ConfigError(f"eval.ks: need positive cut-offs, got {self.ks}")


@dataclass
class RunConfig:
    run_dir: str  # every stage writes here; a rerun resumes from what is already there
    data: DataConfig
    methods: list[str] = field(default_factory=lambda: list(METHODS))
    eval: EvalConfig = field(default_factory=EvalConfig)
    seed: int = 0

    def __post_init__(self):
        unknown = [m for m in self.methods if m not in METHODS]
        if unknown:
            raise ConfigError(f"methods: unknown {unknown}; available: {list(METHODS)}")


def load_run_config(path: str | Path) -> RunConfig:
    path = Path(path)
    raw = load_yaml(path)
    if isinstance(raw.get("data"), str):  # a path to a data config file, relative to this one
        raw["data"] = load_yaml(path.parent / raw["data"])
        data_base = (path.parent / load_yaml(path)["data"]).parent
    else:
        data_base = path.parent
    cfg = from_dict(RunConfig, raw, str(path))
    cfg.data = resolve_paths(cfg.data, data_base)
    if not Path(cfg.run_dir).is_absolute():
        cfg.run_dir = str(Path.cwd() / cfg.run_dir)
    return cfg
