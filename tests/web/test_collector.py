"""The server's process freezes its long-lived objects (`web.collector`): at start, and after a
request that imported modules, so that a full garbage collection does not walk them. Run in a
process of its own: a frozen test process would keep every later test's cycles."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"

PROBE = """
import gc, sys
from fastapi.testclient import TestClient
from productops.workspace import Workspace
from productops.web.app import from_environment
from productops.web.collector import Imports

Workspace.init(__import__("pathlib").Path(sys.argv[1])).close()
app = from_environment()
assert gc.get_freeze_count() > 10_000, gc.get_freeze_count()  # the imports, frozen at start
assert "tabnanny" not in sys.modules


@app.get("/probe")
def probe() -> dict[str, int]:
    import tabnanny  # a module imported on a route's first use, as the services do

    return {"tracked": int(any(o is tabnanny.check for o in gc.get_objects()))}


with TestClient(app) as client:
    before = gc.get_freeze_count()
    assert client.get("/probe").json() == {"tracked": 1}  # walked by collections until...
    import tabnanny

    walked = any(o is tabnanny.check for o in gc.get_objects())
    assert not walked and gc.get_freeze_count() > before  # ...the request ended: frozen
imports = Imports()  # the server stopped: nothing imports in the background
assert imports.settle() and not imports.settle()  # nothing imported since: no freeze
print("ok")
"""


def test_long_lived_objects_are_frozen_at_start_and_after_imports(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    env = {**os.environ, "PYTHONPATH": str(SRC), "PRODUCTOPS_WORKSPACE": str(root)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(root)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"
