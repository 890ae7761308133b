"""Time `productops serve` under 20 concurrent clients on the demo at --scale 10.

Targets (issue 12): the scorecard, a flow table, the themes list and a metric query each answer
at p95 under 300 ms, and a write at p95 under 100 ms, with 20 concurrent clients against a warm
server on 127.0.0.1; report the throughput and the server's peak memory.

For each route: the same service call in-process on an open store, one at a time, before the
server starts (the baseline: no HTTP, no turns, nothing remembered); then one client over HTTP (the ratio to the baseline is the cost
of HTTP and the store's turns); then 20 clients at once on that route alone, each sending its
next request as soon as the last is answered (saturation: the throughput); last, 20 users each
going round every route with a pause between requests (--think, as people and dashboards
do), whose percentiles are the ones the targets are about. Each phase is bounded in requests
and seconds.
The machine's load average is printed before and after: the figures are only as quiet as it.
Compare with other code in the same run: `PYTHONPATH=/path/to/other/src` runs its server.

The mixed phase's users arrive at random within their first pause: with all 20 first requests
in the same millisecond, 4 of its ~80 writes queued behind 19 others, and that was its p95.

Last measured on an idle machine (2026-12-07 12:37-12:50, load average 0.9-1.6, `--workspace
DEMO10 --seconds 8 --requests 200`), mixed, p50 / p95 / max: the write 19 / 32 / 62 ms, reads
p95 19-35 ms: every target met; 18.6 req/s. The code before `web.collector` in the same
session: the write 28 / 44 / 61 ms; with `--seconds 20 --requests 600` the slowest read 258 ms
before, 155 ms after (full garbage collections). Earlier figures: docs/server.md, "Figures",
and bench/README.md.

    .venv/bin/python bench/bench_server.py [--scale 10] [--workspace DIR] [--clients 20]
        [--seconds 15] [--requests 400] [--think 1.0]

--workspace copies a demo built before (`productops demo DIR --scale 10`) instead of
building one (about 2 minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from productops.ops.scorecard import latest_complete, periods_ending
from productops.registry.themes import list_themes
from productops.services.actor import Actor
from productops.services.catalog import query_metric
from productops.services.flow import flow_items
from productops.services.scorecard import compute, set_criterion_target
from productops.services.users import add_user, create_token
from productops.workspace import Workspace

ME = Actor("cli:bench")
TEAM, CRITERION = "payments", "process.time_to_market"
METRIC = "active_users"
TARGETS = {"read": 0.300, "write": 0.100}  # seconds, p95


@dataclass(frozen=True)
class Route:
    """A route to time: its request, and the same work in-process for the baseline."""

    name: str
    kind: str  # read or write
    method: str
    path: str
    params: dict[str, Any]
    body: dict[str, Any] | None
    direct: Callable[[Workspace, int], object]


def routes() -> list[Route]:
    """The routes the issue names."""
    now = datetime.now(UTC)
    quarter = periods_ending(latest_complete(now, "quarter"), "quarter", 1)
    found = [
        Route("scorecard", "read", "GET", "/scorecard", {}, None,
              lambda ws, n: compute(ws, quarter, "quarter", datetime.now(UTC))),
        Route("flow items", "read", "GET", "/flow/items", {}, None,
              lambda ws, n: flow_items(ws, datetime.now(UTC))),
        Route("themes", "read", "GET", "/themes", {}, None,
              lambda ws, n: list_themes(ws.store)),
    ]  # fmt: skip
    found.append(
        Route("metric query", "read", "GET", f"/metrics/{METRIC}/query", {"grain": "week"}, None,
              lambda ws, n: query_metric(ws, METRIC, grain="week"))
    )  # fmt: skip
    found.append(
        Route("write: team target", "write", "PUT", f"/teams/{TEAM}/targets/{CRITERION}", {},
              {"value": 7.0}, lambda ws, n: set_criterion_target(ws, ME, CRITERION, TEAM, 7.0 + n))
    )  # fmt: skip
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def percentiles(seconds: list[float]) -> str:
    """p50 / p95 / max in milliseconds."""
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return (
        f"p50 {statistics.median(ordered) * 1000:7.1f}  p95 {p95 * 1000:7.1f}  "
        f"max {ordered[-1] * 1000:7.1f} ms"
    )


def p95(seconds: list[float]) -> float:
    ordered = sorted(seconds)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def baseline(root: Path, route: Route, count: int) -> list[float]:
    """The route's service call in-process on a store kept open, `count` times."""
    ws = Workspace.open(root)
    try:
        route.direct(ws, 0)  # warm
        took = []
        for n in range(count):
            started = time.perf_counter()
            route.direct(ws, n)
            took.append(time.perf_counter() - started)
        return took
    finally:
        ws.close()


async def load(
    url: str,
    token: str,
    plan: list[Route],
    clients: int,
    seconds: float,
    most: int,
    think: float = 0.0,
) -> tuple[dict[str, list[float]], int, float]:
    """`clients` clients going round `plan` until `seconds` or `most` requests in all, each
    pausing `think` seconds on average (0.5 to 1.5 times it, at random) between two requests
    and arriving at random within the first `think` seconds: the latencies per route, the
    failures, and the wall time."""
    took: dict[str, list[float]] = {r.name: [] for r in plan}
    failures = 0
    sent = 0
    end = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(
        base_url=url, headers=headers, timeout=300, limits=limits
    ) as client:

        async def one(k: int) -> None:
            nonlocal sent, failures
            n = k
            if think:  # users arrive over the first pause, not all in the same millisecond
                await asyncio.sleep(random.uniform(0, think))
            while sent < most and time.monotonic() < end:
                sent += 1
                route = plan[n % len(plan)]
                n += 1
                body = None if route.body is None else {"value": float(n)}
                started = time.perf_counter()
                try:
                    response = await client.request(
                        route.method, route.path, params=route.params, json=body
                    )
                    failures += not response.is_success
                except httpx.TransportError:  # a timeout, or the server dropped the connection
                    failures += 1
                took[route.name].append(time.perf_counter() - started)
                if think:
                    await asyncio.sleep(think * random.uniform(0.5, 1.5))

        started = time.perf_counter()
        await asyncio.gather(*(one(k) for k in range(clients)))
        return took, failures, time.perf_counter() - started


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def prepare(tmp: Path, args: argparse.Namespace) -> Path:
    """The demo workspace in `tmp` (built, or copied from --workspace)."""
    root = tmp / "demo"
    if args.workspace:
        shutil.copytree(args.workspace, root)
    else:
        started = time.perf_counter()
        command = [
            sys.executable,
            "-m",
            "productops",
            "demo",
            str(root),
            "--scale",
            str(args.scale),
        ]
        subprocess.run([*command, "--fallback"], check=True, capture_output=True)
        print(f"demo --scale {args.scale} built in {time.perf_counter() - started:.0f} s")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--workspace", type=Path)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument(
        "--think", type=float, default=1.0, help="Mean pause of a user between two requests, s."
    )
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory() as folder:
        root = prepare(Path(folder), args)
        ws = Workspace.open(root)
        add_user(ws, ME, "bench", role="admin")
        token = create_token(ws, ME, "bench", scope="write").secret
        ws.close()
        direct = {r.name: baseline(root, r, 3) for r in routes()}  # server not yet up
        port = free_port()
        url = f"http://127.0.0.1:{port}/api/v1"
        log = (Path(folder) / "serve.log").open("wb")
        server = subprocess.Popen(
            [sys.executable, "-m", "productops", "-w", str(root), "serve", "--port", str(port)],
            stdout=log,
            stderr=log,
        )
        try:
            run(url, token, server.pid, args, direct)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    print(f"load average after: {os.getloadavg()[0]:.1f}")


def warm(url: str, token: str, plan: list[Route]) -> None:
    """Every route once: a warm server, its remembered reads computed (the in-process baselines
    ran before it started: another process's use of the store makes it compute them again)."""
    for route in plan:
        headers = {"Authorization": f"Bearer {token}"}
        response = httpx.request(
            route.method, url + route.path, params=route.params, json=route.body,
            headers=headers, timeout=120,
        )  # fmt: skip
        response.raise_for_status()


def run(
    url: str, token: str, pid: int, args: argparse.Namespace, direct: dict[str, list[float]]
) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            httpx.get(f"{url}/openapi.json", timeout=30).raise_for_status()
            break
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    plan = routes()
    warm(url, token, plan)

    print(f"\n{'route':20} {'phase':26} latency")
    for route in plan:
        one, _, _ = asyncio.run(load(url, token, [route], 1, args.seconds, 10))
        many, failures, wall = asyncio.run(
            load(url, token, [route], args.clients, args.seconds, args.requests)
        )
        times = many[route.name]
        target = TARGETS[route.kind]
        ratio = statistics.median(one[route.name]) / statistics.median(direct[route.name])
        print(f"{route.name:20} {'in-process (baseline)':26} {percentiles(direct[route.name])}")
        print(f"{'':20} {'1 client over HTTP':26} {percentiles(one[route.name])}  "
              f"(x{ratio:.1f} the baseline)")  # fmt: skip
        print(f"{'':20} {f'{args.clients} clients':26} {percentiles(times)}  "
              f"{len(times) / wall:5.1f} req/s, {failures} failed; p95 target "
              f"{target * 1000:.0f} ms: {'met' if p95(times) < target else 'NOT met'}")  # fmt: skip
    warm(url, token, plan)
    mixed, failures, wall = asyncio.run(
        load(url, token, plan, args.clients, args.seconds * 3, args.requests * 2, args.think)
    )
    total = sum(len(t) for t in mixed.values())
    print(f"\nmixed: {args.clients} users round every route, each pausing ~{args.think:.1f} s "
          f"between requests: {total} requests in {wall:.1f} s = {total / wall:.1f} req/s, "
          f"{failures} failed")  # fmt: skip
    for route in plan:
        target = TARGETS[route.kind]
        times = mixed[route.name]
        print(f"{route.name:20} {percentiles(times)}  p95 target {target * 1000:.0f} ms: "
              f"{'met' if p95(times) < target else 'NOT met'}")  # fmt: skip
    print(f"\nserver peak RSS: {peak_rss_mb(pid):.0f} MB")


if __name__ == "__main__":
    main()
