"""Shared fixtures: real workspaces in temporary folders."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from productops.workspace import Workspace

FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Property tests judge results, never speed: on a loaded machine Hypothesis's timing checks
# (deadline, too_slow) would fail a correct test.
settings.register_profile("productops", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("productops")


@pytest.fixture(autouse=True)
def _private_keys(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys kept outside workspaces (the salt) go to a temporary folder, never the real home."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
    monkeypatch.delenv("PRODUCTOPS_SALT", raising=False)


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    ws = Workspace.init(tmp_path / "ws")
    yield ws
    ws.close()


@pytest.fixture
def teams_csv(tmp_path: Path) -> Path:
    path = tmp_path / "teams.csv"
    path.write_text(
        "id,name,parent_id,focus_pillar\n"
        "product,Product,,\n"
        "payments,Payments,product,process\n"
        "growth,Growth,product,customer\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def with_teams(workspace: Workspace, teams_csv: Path) -> Workspace:
    from productops.ingest import import_file

    import_file(workspace.store, "team", teams_csv)
    return workspace
