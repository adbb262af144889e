"""The GroupLens download path, served from a loopback HTTP server (no internet here)."""

import hashlib
import http.server
import shutil
import threading
import zipfile
from functools import partial

import pytest

from sprec.data.download import download_movielens, parse_md5
from sprec.data.movielens import read_movielens
from sprec.errors import DataError


@pytest.fixture
def server(tmp_path, shared):
    site = tmp_path / "site"
    site.mkdir()
    with zipfile.ZipFile(site / "ml-100k.zip", "w") as z:
        for name in ("u.data", "u.item", "u.genre"):
            z.write(shared / "data/movielens/raw/ml-100k" / name, f"ml-100k/{name}")
    md5 = hashlib.md5((site / "ml-100k.zip").read_bytes()).hexdigest()
    (site / "ml-100k.zip.md5").write_text(f"MD5 (ml-100k.zip) = {md5}\n")
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield site, f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


def test_download_verifies_and_caches(server, tmp_path):
    site, url = server
    folder = download_movielens("ml-100k", base_url=url, root=tmp_path / "cache")
    assert len(read_movielens(folder).users) == 100_000
    shutil.rmtree(site)  # cached: no second download
    assert download_movielens("ml-100k", base_url=url, root=tmp_path / "cache") == folder


def test_checksum_mismatch_is_refused(server, tmp_path):
    site, url = server
    (site / "ml-100k.zip.md5").write_text("MD5 (ml-100k.zip) = " + "0" * 32)
    with pytest.raises(DataError, match="checksum mismatch"):
        download_movielens("ml-100k", base_url=url, root=tmp_path / "cache")
    assert not (tmp_path / "cache" / "ml-100k").exists()


def test_offline_error_says_what_to_do(tmp_path):
    with pytest.raises(DataError, match="give the path of a local copy"):
        download_movielens("ml-100k", base_url="http://127.0.0.1:9/", root=tmp_path, timeout=2)


def test_parse_md5():
    assert parse_md5("MD5 (ml-1m.zip) = C4D9EECFCA2AB87C1945AFE126590906") == "c4d9eecfca2ab87c1945afe126590906"
