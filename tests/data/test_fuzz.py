"""200 broken inputs per `sprec data prepare` source: each ends in exit 2 with one `sprec: error:` line, or in
exit 0 with a prepared dataset (what was dropped is counted in its meta.json); never in a traceback."""

import json
import shutil

import numpy as np
import pytest

from sprec.cli import main
from tests.helpers import FIXTURES

CASES = 200
TOKENS = [b"\x00", b"\xff\xfe", b"\t", b",", b'"', b"|", b"\n", b"[", b"{", b"-", b"1e40", b"nan", b"", b"\r\n",
          b"99999999999999999999", b"-1", b"0x1F", b"\xc3", b"'", b"::", b"]", b"}"]  # fmt: skip


def _log(n_users=12, n_items=15, per_user=14):
    rng = np.random.default_rng(0)
    return [(u, int(i), 1_000_000 + 100 * j + u, int(rng.integers(1, 6)))
            for u in range(1, n_users + 1) for j, i in enumerate(rng.permutation(n_items)[:per_user] + 1)]  # fmt: skip


def _sources(root):
    """{source: (files to break, `data prepare` arguments)} of small valid inputs written under `root`."""
    log, titles = _log(), {i: f"Film {i} ({1990 + i})" for i in range(1, 16)}
    out = {}
    d3 = root / "d3"
    shutil.copytree(FIXTURES / "d3", d3, copy_function=shutil.copyfile)
    out["d3-csv"] = ([d3 / f for f in ("train.csv", "valid.csv", "test.csv", "items.txt", "name2genre.json")],
                     ["--source", "d3-csv", "--train", d3 / "train.csv", "--valid", d3 / "valid.csv", "--test",
                      d3 / "test.csv", "--items", d3 / "items.txt", "--genres", d3 / "name2genre.json"])
    csv = root / "csv"
    csv.mkdir()
    rows = "".join(f"{u},{i},{t},{r}\n" for u, i, t, r in log)
    (csv / "inter.csv").write_text("user_id,item_id,timestamp,rating\n" + rows)
    items = "".join(f'{i},"{t}",Drama|Comedy\n' for i, t in titles.items())
    (csv / "items.csv").write_text("item_id,title,genres\n" + items)
    out["csv"] = ([csv / "inter.csv", csv / "items.csv"],
                  ["--source", "csv", "--interactions", csv / "inter.csv", "--items", csv / "items.csv"])
    ml = root / "ml"
    ml.mkdir()
    (ml / "u.data").write_text("".join(f"{u}\t{i}\t{r}\t{t}\n" for u, i, t, r in log))
    flags = "|0" * 18 + "|1"  # the 19 genre columns
    (ml / "u.item").write_text("".join(f"{i}|{t}|01-Jan-1995||http://x{flags}\n" for i, t in titles.items()))
    out["movielens"] = ([ml / "u.data", ml / "u.item"], ["--source", "movielens", "--path", ml])
    rb = root / "ml-toy"
    rb.mkdir()
    (rb / "ml-toy.inter").write_text("user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
                                     + "".join(f"{u}\t{i}\t{r}\t{t}\n" for u, i, t, r in log))  # fmt: skip
    (rb / "ml-toy.item").write_text("item_id:token\tmovie_title:token_seq\trelease_year:token\tgenre:token_seq\n"
                                    + "".join(f"{i}\tFilm {i}\t{1990 + i}\tDrama\n" for i in titles))  # fmt: skip
    out["recbole"] = ([rb / "ml-toy.inter", rb / "ml-toy.item"], ["--source", "recbole", "--path", rb])
    return out


def _sprec_json(root, shared):
    src = shared / "data/goodreads/raw"
    catalog = root / "catalog"
    shutil.copytree(src / "sprec/eval", catalog, copy_function=shutil.copyfile)  # writable copies
    files = {}
    for split, name in (("train", "sprec/train.json"), ("valid", "sampled/valid.json"), ("test", "sampled/test.json")):
        files[split] = root / f"{split}.json"
        files[split].write_text(json.dumps(json.loads((src / name).read_text())[:12]))
    args = ["--source", "sprec-json", "--catalog", catalog, *[x for s, p in files.items() for x in (f"--{s}", p)]]
    small = [p for p in catalog.iterdir() if p.suffix == ".json" and p.stat().st_size < 200_000]
    return [*files.values(), *small], args


def _broken(data: bytes, rng) -> bytes:
    """One to three random edits: a cut, a dropped or repeated line, a token put in or swapped for a byte."""
    for _ in range(int(rng.integers(1, 4))):
        kind, lines = int(rng.integers(6)), data.split(b"\n")
        at = int(rng.integers(len(data) + 1))
        if kind == 0:
            data = data[:at]
        elif kind == 1 and len(lines) > 1:
            del lines[int(rng.integers(len(lines)))]
            data = b"\n".join(lines)
        elif kind == 2:
            j = int(rng.integers(len(lines)))
            data = b"\n".join([*lines[: j + 1], lines[j], *lines[j + 1 :]])
        elif kind == 3:
            data = data[:at] + TOKENS[int(rng.integers(len(TOKENS)))] + data[at + 1 :]
        elif kind == 4:
            data = data[:at] + TOKENS[int(rng.integers(len(TOKENS)))] + data[at:]
        else:
            data = b"" if rng.random() < 0.3 else lines[0] + b"\n"
    return data


def _fuzz(files, args, out_root, seed, capsys):
    rng = np.random.default_rng(seed)
    originals = {f: f.read_bytes() for f in files}
    outcomes = {0: 0, 2: 0}
    for case in range(CASES):
        target = files[int(rng.integers(len(files)))]
        target.write_bytes(_broken(originals[target], rng))
        out = out_root / f"case-{case}"
        code = main(["data", "prepare", *map(str, args), "--out", str(out)])
        err = capsys.readouterr().err
        if code == 2:
            lines = [line for line in err.splitlines() if line.startswith("sprec: error:")]
            assert len(lines) == 1, (case, target.name, err)
        else:
            assert code == 0 and (out / "meta.json").exists(), (case, target.name, code, err)
        outcomes[code] += 1
        target.write_bytes(originals[target])
    assert outcomes[2] > CASES // 10  # the edits do break inputs (a fuzzer that breaks nothing tests nothing)
    return outcomes


SEEDS = {"d3-csv": 1, "csv": 2, "movielens": 3, "recbole": 4}


@pytest.mark.parametrize("source", list(SEEDS))
def test_broken_inputs_end_in_one_error_line_or_a_counted_dataset(source, tmp_path, capsys):
    files, args = _sources(tmp_path / "in")[source]
    _fuzz(files, args, tmp_path / "out", seed=SEEDS[source], capsys=capsys)


def test_broken_sprec_json_inputs_end_in_one_error_line_or_a_counted_dataset(shared, tmp_path, capsys):
    files, args = _sprec_json(tmp_path / "in", shared)
    _fuzz(files, args, tmp_path / "out", seed=7, capsys=capsys)

