"""File helpers: atomic writes (a killed run never leaves half a file) and reads with clear errors."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from sprec.errors import DataError


def user_permissions(path: str | Path) -> Path:
    """Give a file (or a folder and everything in it) the permissions a plain open() would have: temporary
    files and folders are created 0600 / 0700, which other users and tools of a shared machine cannot read."""
    mask = os.umask(0)
    os.umask(mask)
    path = Path(path)
    for p in [path, *(path.rglob("*") if path.is_dir() else [])]:
        p.chmod((0o777 if p.is_dir() else 0o666) & ~mask)
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write to a temporary file beside `path`, then rename: readers see the old or the new file, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        user_permissions(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def file_digest(path: str | Path) -> str:
    """A short SHA-256 of a file's bytes: what a cached result records of the file it was computed from."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def write_json(path: str | Path, obj: Any) -> Path:
    return atomic_write_text(path, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def write_npz(path: str | Path, **arrays) -> Path:
    """NumPy arrays into one .npz file, atomically."""
    import numpy as np

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)
    return path


def write_jsonl(path: str | Path, rows: Iterable[dict]) -> Path:
    return atomic_write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def read_text(path: str | Path, encoding: str = "utf-8") -> str:
    """Read a whole text file; a missing file or a wrong encoding names the file and the line."""
    path = Path(path)
    if path.is_dir():
        raise DataError("is a folder; a file is expected here", path)
    if not path.is_file():
        if path.parent.is_file():
            raise DataError(f"{path.parent.name} is a file, not a folder holding {path.name}", path.parent)
        raise DataError("file not found", path)
    data = path.read_bytes()
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise DataError(
            f"not valid {encoding} text (byte {e.start}: {data[e.start : e.start + 1]!r}); check the file's encoding",
            path,
            line,
        ) from None


def read_json(path: str | Path) -> Any:
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise DataError(f"malformed JSON: {e.msg} (column {e.colno})", path, e.lineno) from None


def read_jsonl(path: str | Path) -> Iterator[tuple[int, dict]]:
    """Yield (line number, object) for each non-empty line."""
    for lineno, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise DataError(f"malformed JSON line: {e.msg}", path, lineno) from None
        if not isinstance(obj, dict):
            raise DataError("expected a JSON object per line", path, lineno)
        yield lineno, obj
