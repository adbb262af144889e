"""Fetch MovieLens from GroupLens with an MD5 check (the real path when online); offline, point the
config at a local copy instead. Downloads go to a cache folder and are unpacked atomically."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import urllib.request
import zipfile
from pathlib import Path

from sprec.errors import DataError

GROUPLENS = "https://files.grouplens.org/datasets/movielens/"
NAMES = ("ml-100k", "ml-1m", "ml-10m", "ml-20m", "ml-25m", "ml-32m", "ml-latest-small", "ml-latest")


def cache_dir() -> Path:
    return Path(os.environ.get("SPREC_CACHE", Path.home() / ".cache" / "sprec"))


def parse_md5(text: str) -> str:
    """GroupLens publishes `MD5 (ml-100k.zip) = <hex>`; `<hex>  name` (md5sum style) is accepted too."""
    m = re.search(r"\b([0-9a-fA-F]{32})\b", text)
    if not m:
        raise DataError(f"no MD5 checksum in {text[:80]!r}")
    return m.group(1).lower()


def _fetch(url: str, timeout: float) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 (fixed https/http URLs)
            return r.read()
    except OSError as e:
        raise DataError(f"cannot download {url} ({e}); offline, give the path of a local copy instead") from None


def download_movielens(name: str, base_url: str = GROUPLENS, root: Path | None = None, timeout: float = 60) -> Path:
    """Return the folder of MovieLens `name`, downloading and verifying it first if it is not cached."""
    if name not in NAMES:
        raise DataError(f"unknown MovieLens name {name!r}; choose one of {NAMES}")
    root = Path(root or cache_dir() / "movielens")
    target = root / name
    if (target / ".complete").exists():
        return target
    archive = _fetch(f"{base_url}{name}.zip", timeout)
    expected = parse_md5(_fetch(f"{base_url}{name}.zip.md5", timeout).decode("utf-8", "replace"))
    actual = hashlib.md5(archive).hexdigest()
    if actual != expected:
        raise DataError(f"checksum mismatch for {name}.zip: expected {expected}, got {actual}")
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root) as tmp:
        zpath = Path(tmp) / f"{name}.zip"
        zpath.write_bytes(archive)
        with zipfile.ZipFile(zpath) as z:
            z.extractall(tmp)
        inner = Path(tmp) / name
        if not inner.is_dir():
            raise DataError(f"{name}.zip has no folder {name}/")
        (inner / ".complete").write_text(expected)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(inner, target)
    return target
