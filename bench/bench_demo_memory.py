"""Peak memory of `productops demo`, step by step, in one process as the command runs them.

Each step starts with the process's peak RSS reset (Linux: `/proc/self/clear_refs` 5) and
ends by reading it (`VmHWM`), so a step's figure is its own peak, MB; the building step is
split per table landed. The demo spawns no processes, so the process is the whole tree.

    .venv/bin/python bench/bench_demo_memory.py --scale 10 [--fallback]
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from productops.commands.common import pick_embedder
from productops.demo import build_demo
from productops.services import Actor
from productops.services.demo import add_demo_admin, analyse, demo_as_of, write_demo_reports
from productops.services.demo_summary import summarise
from productops.workspace import Workspace

TARGET_MB = 4096  # issue 16: the whole demo at --scale 100 under 4 GB


def _status(field: str) -> float:
    """A field of /proc/self/status in MB (VmRSS: now, VmHWM: peak since the last reset)."""
    text = Path("/proc/self/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+)", text)[1]) / 1024  # type: ignore[index]


def _reset() -> None:
    Path("/proc/self/clear_refs").write_text("5")


class Steps:
    """Peak RSS (MB) and seconds per step, in the order run."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float, float]] = []
        self.started = time.perf_counter()
        _reset()

    def end(self, name: str) -> None:
        """Close the step `name`: record its peak, the RSS left after it and its seconds."""
        now = time.perf_counter()
        self.rows.append((name, _status("VmHWM"), _status("VmRSS"), now - self.started))
        print(
            f"{name:<32} peak {self.rows[-1][1]:>7.0f} MB  after {self.rows[-1][2]:>7.0f} MB  "
            f"{now - self.started:>7.1f} s",
            flush=True,
        )
        _reset()
        self.started = time.perf_counter()

    def run(self, name: str, call: Callable[[], Any]) -> Any:
        result = call()
        self.end(name)
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--fallback", action="store_true", help="the model-free embedder")
    parser.add_argument("--json", type=Path, help="also write the steps here as JSON")
    args = parser.parse_args()
    steps = Steps()
    actor = Actor.cli()
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace.init(Path(tmp) / "demo-org")
        steps.end("workspace")
        manifest = build_demo(
            ws.store,
            ws.manifest_path,
            scale=args.scale,
            on_step=lambda t, _: steps.end(f"build {t}"),
        )
        steps.end("build manifest")
        as_of = demo_as_of(manifest)
        embedder = steps.run("embedder", lambda: pick_embedder(ws, args.fallback))
        checks = analyse(ws, actor, as_of, embedder, on_step=steps.end)
        steps.run("reports", lambda: write_demo_reports(ws, actor, manifest))
        steps.run("admin", lambda: add_demo_admin(ws, actor))
        ws.close()
        ws = Workspace.open(Path(tmp) / "demo-org")
        steps.run("summary", lambda: summarise(ws, manifest, checks))
        ws.close()
    worst = max(steps.rows, key=lambda r: r[1])
    print(
        f"highest step: {worst[0]} at {worst[1]:.0f} MB (target for the whole demo at scale "
        f"100: {TARGET_MB} MB, ratio {worst[1] / TARGET_MB:.2f})"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    dict(zip(("step", "peak_mb", "after_mb", "seconds"), r, strict=True))
                    for r in steps.rows
                ],
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
