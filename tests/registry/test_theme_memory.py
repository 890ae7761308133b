"""Theme discovery's peak memory does not grow with repeated feedback: two runs over the same
distinct texts, one with 10x the feedback, peak alike.

Each run is its own process on a fresh workspace (DuckDB kept to the `[engine] memory_limit`
below): it lands the feedback, resets its peak resident memory (Linux `/proc/self/clear_refs`)
and reports the peak (VmHWM) of `discover_themes` alone, above the memory it started with.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from productops.config import CONFIG_FILE, EngineSettings, load_config, write_config
from productops.workspace import Workspace

DISTINCT = 300
# Feedback items over the same DISTINCT texts, both above ThemeSettings.sample (5,000): the
# clustering works on a sample of that many items, repeats included, whatever the feedback.
SMALL, LARGE = 6_000, 60_000
LIMIT = "64MB"  # DuckDB's share capped: what could grow is what productops holds
# Room for the allocator's noise. Holding every item's row and vector (as before issue 16's
# fix) took the discovery from 443 MB at SMALL to 1,053 MB at LARGE.
MARGIN_MB = 40

CHILD = textwrap.dedent("""
    import json, re, sys
    from datetime import UTC, datetime, timedelta
    from pathlib import Path
    import pyarrow as pa
    from productops.ingest import land_arrow
    from productops.pillars.customer.embeddings import fallback_embedder
    from productops.registry.themes import discover_themes
    from productops.schema import TABLES
    from productops.workspace import Workspace

    ws = Workspace.open(Path(sys.argv[1]))
    rows, distinct = int(sys.argv[2]), int(sys.argv[3])
    topics = ["dark mode for the editor", "the app crashes on upload", "wrong vat on the invoice"]
    t0 = datetime(2024, 4, 1, tzinfo=UTC)
    data = pa.table({
        "id": [f"f{i:06d}" for i in range(rows)],
        "channel": ["support"] * rows,
        "text": [f"{topics[i % distinct % 3]} number {i % distinct}" for i in range(rows)],
        "created_at": [t0 + timedelta(minutes=i) for i in range(rows)],
        "language": ["en"] * rows,
    })
    land_arrow(ws.store, TABLES["feedback"], data, source="t", label="t")
    del data
    def kb(field):
        return int(re.search(field + r":\\s+(\\d+) kB", Path("/proc/self/status").read_text())[1])

    Path("/proc/self/clear_refs").write_text("5")
    before = kb("VmRSS")
    runs = discover_themes(ws.store, fallback_embedder(), t0)
    peak_mb = (kb("VmHWM") - before) / 1024
    print(json.dumps({"feedback": sum(r.feedback for r in runs), "peak_mb": peak_mb}))
""")


def _peak_mb(template: Workspace, tmp_path: Path, rows: int) -> float:
    """Discover the themes of `rows` feedback items in a copy of `template`, in a child process;
    the discovery's peak RSS above the RSS it started with, MB."""
    root = tmp_path / f"ws-{rows}"
    subprocess.run(["cp", "-r", str(template.root), str(root)], check=True)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(root), str(rows), str(DISTINCT)],
        check=True,
        capture_output=True,
        text=True,
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["feedback"] == rows
    return float(found["peak_mb"])


@pytest.mark.skipif(
    not Path("/proc/self/clear_refs").exists(), reason="needs Linux's peak RSS reset"
)
def test_peak_memory_of_themes_does_not_grow_with_repeated_feedback(
    workspace: Workspace, tmp_path: Path
) -> None:
    config = load_config(workspace.root / CONFIG_FILE)
    engine = EngineSettings(memory_limit=LIMIT)
    write_config(workspace.root / CONFIG_FILE, config.model_copy(update={"engine": engine}))
    workspace.close()
    small = _peak_mb(workspace, tmp_path, SMALL)
    large = _peak_mb(workspace, tmp_path, LARGE)
    assert large < small + MARGIN_MB, (small, large)
