"""YAML -> typed configs, checked once: unknown keys, wrong types and repeated keys name the field."""

from __future__ import annotations

import contextlib
import dataclasses
import types
import typing
from pathlib import Path
from typing import Any

import yaml

from sprec.config.run import RunConfig
from sprec.config.sections import DataConfig
from sprec.errors import ConfigError
from sprec.io import read_text


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
        options = [a for a in args if a is not type(None)]
        for option in options[:-1]:  # the first type the value fits; the last one's error if none does
            with contextlib.suppress(ConfigError):
                return _convert(value, option, where)
        return _convert(value, options[-1], where)
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


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (YAML would silently keep the last)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"key {key!r} is given twice",
                                                        key_node.start_mark)  # fmt: skip
            seen.add(key)
        return super().construct_mapping(node, deep)


def load_yaml(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    try:
        data = yaml.load(read_text(path), Loader=_UniqueKeyLoader) or {}
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


def apply_overrides(raw: dict, overrides: list[str], where: str) -> dict:
    """`KEY=VALUE` pairs (dotted keys into nested sections, YAML values: `seed=1`, `model.dtype=float32`,
    `seeds=[0,1,2]`) written over a loaded config; a key that is not in the config's schema is refused later by
    from_dict, with the same message as in the file."""
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{where}: override {item!r} must be KEY=VALUE (e.g. model.dtype=float32)")
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise ConfigError(f"{where}: override {item!r}: malformed value: {e}") from None
        node, parts = raw, key.strip().split(".")
        for part in parts[:-1]:
            if not isinstance(node.get(part, {}), dict):
                raise ConfigError(f"{where}: override {item!r}: {part} is not a section")
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return raw


def load_run_config(path: str | Path, overrides: list[str] = ()) -> RunConfig:
    path = Path(path)
    raw = apply_overrides(load_yaml(path), list(overrides), str(path))
    if isinstance(raw.get("data"), str):  # a path to a data config file, relative to this one
        raw["data"] = load_yaml(path.parent / raw["data"])
        data_base = (path.parent / load_yaml(path)["data"]).parent
    else:
        data_base = path.parent
    cfg = from_dict(RunConfig, raw, str(path))
    cfg.data = resolve_paths(cfg.data, data_base)
    cfg.imported = {name: str(path.parent / p) if not Path(p).is_absolute() else p for name, p in cfg.imported.items()}
    if not Path(cfg.run_dir).is_absolute():
        cfg.run_dir = str(Path.cwd() / cfg.run_dir)
    return cfg
