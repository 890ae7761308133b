"""Product events in: from a Segment export file, and through the Segment-compatible endpoint.

Targets (issue 18): at least 50,000 events/s from files and 5,000 events/s through the
endpoint with batches of 100, on this machine.

Files: `productops import event FILE --events segment` (in-process, `import_file`) of N
generated Segment track calls (JSON Lines, realistic fields and properties) into a fresh
workspace, then again (every event unchanged: the dedupe path). Baseline: DuckDB reading the
same file itself (`read_json`) and inserting the same six columns into a plain table.

Endpoint: `productops serve` on 127.0.0.1 (a real process), `--clients` clients posting
`/v1/batch` with 100 calls each, back to back. Baseline: the same service call
(`services.events.receive_segment`) in-process on an open store, one batch at a time (no HTTP,
no store turns). Each phase is bounded by its event count.

The machine's load average is printed before and after: the figures are only as quiet as it.

    .venv/bin/python bench/bench_events.py [--events 200000] [--http-events 50000] [--clients 4]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import httpx

from productops.config import EventFormat
from productops.ingest import import_file
from productops.services.actor import Actor
from productops.services.events import receive_segment
from productops.workspace import Workspace

FILE_TARGET, HTTP_TARGET = 50_000, 5_000  # events/s
BATCH = 100
KEY, ENV = "wk_bench", "PRODUCTOPS_BENCH_WRITE_KEY"
NAMES = ["Page Viewed", "Report Exported", "Order Completed", "Signed In", "Search Performed"]


def calls(n: int, prefix: str, seed: int = 7) -> list[dict[str, Any]]:
    """`n` Segment track calls as analytics.js sends them (ids start with `prefix`)."""
    rng = random.Random(seed)
    return [
        {
            "type": "track",
            "event": rng.choice(NAMES),
            "userId": f"user-{rng.randrange(20_000)}",
            "anonymousId": f"anon-{rng.randrange(10**9):09d}",
            "messageId": f"{prefix}-{i:09d}",
            "timestamp": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:07.123Z",
            "context": {
                "groupId": f"account-{rng.randrange(500)}",
                "library": {"name": "analytics.js", "version": "next-1.64.0"},
            },
            "properties": {
                "path": f"/app/{rng.randrange(50)}",
                "value": rng.random() * 100,
                "plan": rng.choice(["free", "team", "business"]),
            },
        }
        for i in range(n)
    ]


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def duckdb_baseline(path: Path, folder: Path) -> float:
    """Seconds for DuckDB to read `path` and insert the six event columns into a table."""
    con = duckdb.connect(str(folder / "baseline.duckdb"))
    con.sql(
        "CREATE TABLE event (id VARCHAR PRIMARY KEY, ts TIMESTAMPTZ, user_id VARCHAR, "
        "account_id VARCHAR, name VARCHAR, properties JSON)"
    )
    started = time.perf_counter()
    con.sql(
        "INSERT INTO event SELECT 'segment:' || messageId, CAST(\"timestamp\" AS TIMESTAMPTZ), "
        "userId, context.groupId, event, to_json(properties) "
        f"FROM read_json('{path}', format = 'newline_delimited')"
    )
    seconds = time.perf_counter() - started
    con.close()
    return seconds


def files(n: int, folder: Path) -> None:
    path = folder / "segment.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in calls(n, "file")))
    print(f"file: {n:,} Segment track calls, {path.stat().st_size / 1e6:.0f} MB")
    base = duckdb_baseline(path, folder)
    ws = Workspace.init(folder / "files")
    try:
        started = time.perf_counter()
        first = import_file(ws.store, "event", path, kind=EventFormat.segment)
        ours = time.perf_counter() - started
        started = time.perf_counter()
        again = import_file(ws.store, "event", path, kind=EventFormat.segment)
        repeat = time.perf_counter() - started
    finally:
        ws.close()
    assert first.landed == n, first
    assert again.unchanged == n, again
    print(f"  DuckDB read_json + INSERT  {base:6.2f} s  {n / base:9,.0f} events/s")
    print(f"  productops import          {ours:6.2f} s  {n / ours:9,.0f} events/s  "
          f"ratio {base / ours:.2f} of DuckDB  target {FILE_TARGET:,}/s: "
          f"{'met' if n / ours >= FILE_TARGET else 'NOT met'}")  # fmt: skip
    print(f"  re-import (all unchanged)  {repeat:6.2f} s  {n / repeat:9,.0f} events/s")


def in_process(n: int, folder: Path) -> float:
    """Events/s of `receive_segment` on batches of 100, one after another, on an open store."""
    ws = Workspace.init(folder / "direct")
    try:
        sent = calls(n, "direct")
        started = time.perf_counter()
        for i in range(0, n, BATCH):
            receive_segment(ws, Actor("writekey:bench"), sent[i : i + BATCH], "POST /v1/batch")
        return n / (time.perf_counter() - started)
    finally:
        ws.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def post_all(url: str, n: int, clients: int) -> tuple[float, int]:
    """Seconds to post `n` calls in batches of 100 with `clients` clients; failures."""
    bodies = [
        json.dumps({"batch": chunk}).encode()
        for chunk in (calls(n, "http")[i : i + BATCH] for i in range(0, n, BATCH))
    ]
    auth = {"Authorization": "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()}
    queue = list(reversed(bodies))
    failures = 0

    async def client() -> None:
        nonlocal failures
        async with httpx.AsyncClient(base_url=url, timeout=60, headers=auth) as http:
            while queue:
                response = await http.post("/v1/batch", content=queue.pop())
                failures += response.status_code != 200

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return time.perf_counter() - started, failures


def endpoint(n: int, clients: int, folder: Path) -> None:
    direct = in_process(n, folder)
    root = folder / "served"
    Workspace.init(root).close()
    toml = root / "productops.toml"
    table = "[server.segment_write_keys]\n"
    toml.write_text(toml.read_text().replace(table, f'{table}bench = "{ENV}"\n'))
    port = free_port()
    env = os.environ | {ENV: KEY}
    command = [sys.executable, "-m", "productops", "-w", str(root), "serve", "--port", str(port)]
    with (folder / "serve.log").open("wb") as log:
        server = subprocess.Popen(command, stdout=log, stderr=log, env=env)
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(200):  # up to 20 s for the server to listen
                try:
                    httpx.get(url + "/signin", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            seconds, failures = asyncio.run(post_all(url, n, clients))
        finally:
            server.terminate()
            server.wait(timeout=30)
    ws = Workspace.open(root)
    try:
        stored = ws.store.sql("SELECT count(*) FROM event")[0][0]
        audited = ws.store.sql("SELECT count(*) FROM audit_event")[0][0]
    finally:
        ws.close()
    rate = n / seconds
    print(f"endpoint: {n:,} calls, batches of {BATCH}, {clients} clients")
    print(f"  in-process receive_segment {direct:9,.0f} events/s (baseline)")
    print(f"  POST /v1/batch over HTTP   {rate:9,.0f} events/s  ratio {rate / direct:.2f}  "
          f"target {HTTP_TARGET:,}/s: {'met' if rate >= HTTP_TARGET else 'NOT met'}")  # fmt: skip
    print(f"  stored {stored:,} events, {audited:,} audit rows, {failures} failed requests")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--http-events", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    print(f"load average before: {load()} ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory(prefix="bench-events-") as name:
        files(args.events, Path(name))
        endpoint(args.http_events, args.clients, Path(name))
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
