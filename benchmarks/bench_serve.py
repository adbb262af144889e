"""`sprec serve` under load: p50 / p95 latency and requests per second for 200 requests from 8 concurrent clients
on localhost, for a classical row and a two-stage row of the same run side by side (their latency ratio), and
the server's resident memory before and after. Each request is a user's latest history from the run's prepared
data (distinct histories, so no answer is cached anywhere). The server is a separate `sprec serve` process, as a
user starts it; its single model worker answers requests in turn, so a request's latency includes its wait.

Run: python benchmarks/bench_serve.py [RUN_DIR (default runs/quickstart)] [--requests 200] [--clients 8]
     (about 5 minutes on 2 cores against the README's main job)
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def call(url: str, body: dict | None = None) -> tuple[float, int, dict]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    start = time.perf_counter()
    with urllib.request.urlopen(req, timeout=300) as r:
        out = json.loads(r.read())
        return time.perf_counter() - start, r.status, out


def load(base: str, model: str, users: list[str], clients: int) -> dict:
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(lambda u: call(base + "/recommend", {"user": u, "k": 10, "model": model}), users))
    wall = time.perf_counter() - start
    lat = np.array([r[0] for r in results])
    assert all(r[1] == 200 and len(r[2]["items"]) == 10 for r in results), "a request failed"
    return {"p50": float(np.percentile(lat, 50)), "p95": float(np.percentile(lat, 95)), "rps": len(users) / wall}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("run", nargs="?", default="runs/quickstart")
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--clients", type=int, default=8)
    a = p.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "sprec.cli", "serve", a.run, "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        for _ in range(600):
            try:
                models = call(base + "/models")[2]
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise SystemExit("the server did not start in 5 minutes")
        from sprec.data.dataset import Dataset
        from sprec.data.titles import latest_histories

        users = sorted(latest_histories(Dataset.load(Path(a.run) / "data")))[: a.requests]
        classical = next(m["name"] for m in models["models"] if m["name"] in ("sasrec", "itemknn", "popularity"))
        two_stage = models["default"]
        before = rss_mb(server.pid)
        call(base + "/recommend", {"user": users[0], "model": two_stage})  # warm-up
        alone = {m: load(base, m, users[:20], 1) for m in (classical, two_stage)}  # one client: the service time
        measured = {m: load(base, m, users, a.clients) for m in (classical, two_stage)}
        after = rss_mb(server.pid)
        load(base, two_stage, users, a.clients)
        again = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"{a.run}: {len(users)} requests (distinct users' latest histories, k 10) from {a.clients} concurrent "
          f"clients on localhost, one server process")  # fmt: skip
    print(f"| model | alone: p50 s | {a.clients} clients: p50 s | p95 s | requests/s |\n|---|---|---|---|---|")
    for m, r in measured.items():
        print(f"| {m} | {alone[m]['p50']:.3f} | {r['p50']:.3f} | {r['p95']:.3f} | {r['rps']:.2f} |")
    ratio = measured[two_stage]["p50"] / measured[classical]["p50"]
    print(f"two-stage / classical p50 latency: {ratio:.1f}x (8 clients queue on one model worker: a request's "
          f"latency is about {a.clients} x its service time)")  # fmt: skip
    print(f"server RSS: {before:.0f} MB after loading, {after:.0f} MB after {2 * len(users) + 41} requests, "
          f"{again:.0f} MB after {len(users)} more")  # fmt: skip


if __name__ == "__main__":
    main()
