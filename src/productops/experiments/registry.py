"""The experiment registry's model: specs, lifecycle and its rules, without a store.

An experiment belongs to a team, states a hypothesis, has an owner, metrics
(each a goal, guardrail or secondary metric) and arms with planned shares (the
first arm is the control). Its lifecycle is created -> started -> stopped ->
decided; the decision is one of `DECISIONS`. Reading and writing the store is
`productops.registry`'s job.

>>> parse_arm("treatment:0.5")
ArmSpec(name='treatment', share=0.5)
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from productops.errors import UsageError

__all__ = [
    "DECISIONS",
    "ROLES",
    "ArmSpec",
    "Decision",
    "Experiment",
    "MetricSpec",
    "Role",
    "Status",
    "check_arms",
    "check_metrics",
    "decision_of",
    "experiment_id",
    "parse_arm",
    "parse_metric",
    "slug",
]

Role = Literal["goal", "guardrail", "secondary"]
ROLES: tuple[Role, ...] = get_args(Role)
Direction = Literal["higher", "lower"]
DIRECTIONS: tuple[Direction, ...] = get_args(Direction)
Decision = Literal["ship", "rollback", "iterate", "inconclusive"]
DECISIONS: tuple[Decision, ...] = get_args(Decision)
Status = Literal["created", "running", "stopped", "decided"]


@dataclass(frozen=True)
class MetricSpec:
    """A metric an experiment is judged on, its role, and whether higher or lower is better."""

    name: str
    role: Role
    direction: Direction = "higher"


@dataclass(frozen=True)
class ArmSpec:
    """An arm and its planned share of units (0-1)."""

    name: str
    share: float


def _role(text: str) -> Role:
    for role in ROLES:
        if text == role:
            return role
    raise UsageError(f"metric role {text!r}: use one of {', '.join(ROLES)}")


def decision_of(text: str) -> Decision:
    """Check a decision (ship, rollback, iterate, inconclusive)."""
    for decision in DECISIONS:
        if text.strip().lower() == decision:
            return decision
    raise UsageError(f"decision {text!r}: use one of {', '.join(DECISIONS)}")


def parse_metric(text: str) -> MetricSpec:
    """`NAME[:ROLE[:DIRECTION]]`: role goal (default), guardrail or secondary; direction
    higher (default) or lower is better, e.g. `page_load_ms:guardrail:lower`."""
    name, *rest = text.split(":")
    if not name.strip() or len(rest) > 2:
        raise UsageError(
            f"--metric {text!r}: expected NAME:ROLE[:DIRECTION], e.g. page_load_ms:guardrail:lower"
        )
    role = rest[0].strip().lower() if rest else "goal"
    direction = rest[1].strip().lower() if len(rest) > 1 else "higher"
    if direction not in DIRECTIONS:
        raise UsageError(f"--metric {text!r}: direction {direction!r}: use higher or lower")
    return MetricSpec(name.strip(), _role(role), "lower" if direction == "lower" else "higher")


def parse_arm(text: str) -> ArmSpec:
    """`NAME:SHARE` with a share between 0 and 1 (or a percentage such as 50%)."""
    name, sep, share = text.rpartition(":")
    if not sep or not name.strip():
        raise UsageError(f"--arm {text!r}: expected NAME:SHARE, e.g. control:0.5")
    raw = share.strip()
    try:
        value = float(raw.removesuffix("%")) / (100 if raw.endswith("%") else 1)
    except ValueError:
        raise UsageError(f"--arm {text!r}: the share {share!r} is not a number") from None
    if not 0 < value < 1:
        raise UsageError(f"--arm {text!r}: the share must be between 0 and 1 (or 0%-100%)")
    return ArmSpec(name.strip(), value)


def check_arms(arms: Sequence[ArmSpec]) -> tuple[ArmSpec, ...]:
    """At least two arms with distinct names whose shares add up to 1; the first is the control."""
    if len(arms) < 2:
        raise UsageError(
            "an experiment needs at least two arms: --arm control:0.5 --arm treatment:0.5"
        )
    names = [a.name for a in arms]
    if len(set(names)) != len(names):
        raise UsageError(f"arms {names}: each arm needs its own name")
    total = sum(a.share for a in arms)
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        raise UsageError(f"arm shares add up to {total:g}; they must add up to 1")
    return tuple(arms)


def check_metrics(metrics: Sequence[MetricSpec]) -> tuple[MetricSpec, ...]:
    """At least one goal metric; each metric named once."""
    names = [m.name for m in metrics]
    if len(set(names)) != len(names):
        raise UsageError(f"metrics {names}: each metric may be given once")
    if not any(m.role == "goal" for m in metrics):
        raise UsageError("an experiment needs a goal metric: --metric NAME:goal")
    return tuple(metrics)


def slug(name: str) -> str:
    """A lowercase, dash-separated form of `name` for ids.

    >>> slug("One-click Checkout!")
    'one-click-checkout'
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    if not text:
        raise UsageError(f"experiment name {name!r}: use letters or digits")
    return text


def experiment_id(name: str, source: str = "productops") -> str:
    """The source-qualified id of a new experiment: `productops:exp-<slug>`."""
    return f"{source}:exp-{slug(name)}"


@dataclass(frozen=True)
class Experiment:
    """An experiment as registered, with its metrics and arms (control first)."""

    id: str
    team_id: str | None
    name: str | None
    hypothesis: str | None
    owner_id: str | None
    created_at: datetime
    started_at: datetime | None
    stopped_at: datetime | None
    decided_at: datetime | None
    decision: str | None
    metrics: tuple[MetricSpec, ...]
    arms: tuple[ArmSpec, ...]

    @property
    def status(self) -> Status:
        """Where the experiment is in its lifecycle."""
        if self.decided_at is not None or self.decision is not None:
            return "decided"
        if self.stopped_at is not None:
            return "stopped"
        if self.started_at is not None:
            return "running"
        return "created"

    def role(self, metric: str) -> Role:
        """The metric's role (secondary when the registry does not name it)."""
        return next((m.role for m in self.metrics if m.name == metric), "secondary")

    def lower_is_better(self, metric: str) -> bool:
        """Whether a lower value of the metric is better (higher, when the registry does not say)."""
        return any(m.name == metric and m.direction == "lower" for m in self.metrics)

    def check_start(self, at: datetime) -> None:
        """Refuse to start an experiment twice or before it was created."""
        if self.started_at is not None:
            raise UsageError(f"{self.id} was already started at {self.started_at:%Y-%m-%d %H:%M}")
        if at < self.created_at:
            raise UsageError(f"{self.id}: --at {at:%Y-%m-%d %H:%M} is before it was created")

    def check_stop(self, at: datetime) -> None:
        """Refuse to stop an experiment that is not running."""
        if self.started_at is None:
            raise UsageError(
                f"{self.id} has not started; run `productops experiment start {self.id}`"
            )
        if self.stopped_at is not None:
            raise UsageError(f"{self.id} was already stopped at {self.stopped_at:%Y-%m-%d %H:%M}")
        if at < self.started_at:
            raise UsageError(f"{self.id}: --at {at:%Y-%m-%d %H:%M} is before it started")

    def check_decide(self, at: datetime) -> None:
        """Refuse to decide an experiment that has not stopped, or decide it twice."""
        if self.status == "decided":
            raise UsageError(f"{self.id} is already decided ({self.decision})")
        if self.stopped_at is None:
            raise UsageError(
                f"{self.id} is {self.status}; stop it first: productops experiment stop {self.id}"
            )
        if at < self.stopped_at:
            raise UsageError(f"{self.id}: --at {at:%Y-%m-%d %H:%M} is before it stopped")
