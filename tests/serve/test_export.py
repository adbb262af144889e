"""`sprec export`: every user's list in one file, in the raw data's ids, whole after a stop and a resume."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sprec.data.titles import latest_histories
from sprec.errors import DataError
from sprec.serve.export import export
from sprec.serve.system import RunSystem
from tests.helpers import sprec


@pytest.fixture(scope="module")
def system(finished_run):
    return RunSystem(finished_run[0].run_dir, ["itemknn", "itemknn > sft"])


def read_csv(path: Path) -> list[dict]:
    with path.open() as f:
        return list(csv.DictReader(f))


def test_every_user_gets_k_items_outside_their_latest_history(system, tmp_path):
    out = export(system, "itemknn > sft", "all", 2, "csv", tmp_path / "lists.csv", chunk_size=2)
    rows = read_csv(out)
    latest = latest_histories(system.ds)
    assert sorted({r["user"] for r in rows}) == sorted(latest) and len(rows) == 2 * len(latest)
    catalog = system.ds.catalog
    for r in rows:
        history = {catalog.items[i].source_id for i in latest[r["user"]][0]}
        assert r["item_id"] not in history and r["rank"] in ("1", "2")
        assert catalog.title(catalog.id_of_source(r["item_id"])) == r["title"]


def test_a_split_export_is_the_runs_own_lists_in_source_ids(system, finished_run, tmp_path):
    run_dir = Path(finished_run[0].run_dir)
    stored = json.loads((run_dir / "predictions/itemknn.json").read_text())
    out = export(system, "itemknn", "test", 2, "csv", tmp_path / "test.csv", exclude_history=stored["exclude_history"])
    got = [r["item_id"] for r in read_csv(out)]
    assert got == [system.ds.catalog.items[i].source_id for row in stored["topk"] for i in row[:2]]


def test_jsonl_and_parquet_hold_what_csv_holds(system, tmp_path):
    rows = read_csv(export(system, "itemknn", "all", 2, "csv", tmp_path / "a.csv"))
    lines = [json.loads(line) for line in export(system, "itemknn", "all", 2, "jsonl", tmp_path / "a.jsonl")
             .read_text().splitlines()]  # fmt: skip
    table = pq.read_table(export(system, "itemknn", "all", 2, "parquet", tmp_path / "a.parquet")).to_pylist()
    assert [(u["user"], it["item_id"]) for u in lines for it in u["items"]] == [(r["user"], r["item_id"]) for r in rows]
    assert [(t["user"], t["rank"], t["item_id"]) for t in table] == [(r["user"], int(r["rank"]), r["item_id"])
                                                                    for r in rows]  # fmt: skip


def test_a_stopped_export_resumes_to_the_same_file(system, tmp_path):
    whole = export(system, "itemknn > sft", "all", 2, "csv", tmp_path / "whole.csv", chunk_size=1).read_text()
    parts = tmp_path / "whole.csv.parts"
    chunks = sorted(parts.glob("*.csv"))
    assert len(chunks) > 1
    stamp = chunks[0].stat().st_mtime_ns
    chunks[-1].unlink()  # as if stopped before the last chunk
    (tmp_path / "whole.csv").unlink()
    assert export(system, "itemknn > sft", "all", 2, "csv", tmp_path / "whole.csv", chunk_size=1).read_text() == whole
    assert chunks[0].stat().st_mtime_ns == stamp  # kept, not recomputed
    with pytest.raises(DataError, match="holds the chunks of another export"):
        export(system, "itemknn", "all", 2, "csv", tmp_path / "whole.csv", chunk_size=1)


def test_the_command_line_writes_the_file_and_names_a_missing_model(finished_run, tmp_path):
    run_dir = finished_run[0].run_dir
    out = tmp_path / "p.jsonl"
    done = sprec("export", run_dir, "--model", "popularity", "-k", "1", "--format", "jsonl", "--out", out)
    assert done.returncode == 0, done.stderr
    assert len((tmp_path / "p.jsonl").read_text().splitlines()) == len(latest_histories(RunSystem(run_dir).ds))
    bad = sprec("export", run_dir, "--model", "sasrec", "--out", tmp_path / "s.csv")
    assert bad.returncode == 2 and "model 'sasrec' is not finished in this run" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_two_accelerate_processes_share_the_chunks_and_write_the_same_file(system, finished_run, tmp_path):
    one = export(system, "itemknn > sft", "all", 2, "csv", tmp_path / "one.csv", chunk_size=1).read_text()
    launcher = Path(sys.executable).parent / "accelerate"
    r = subprocess.run([str(launcher), "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
                        "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "sprec.cli", "export",
                        finished_run[0].run_dir, "--model", "itemknn > sft", "-k", "2", "--chunk-size", "1",
                        "--out", str(tmp_path / "two.csv")], capture_output=True, text=True, timeout=600)  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    assert (tmp_path / "two.csv").read_text() == one
    assert r.stdout.count("wrote the top-2") == 1  # the main process reports
