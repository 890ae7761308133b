"""Which known id a user meant: the one resolver behind every team, criterion, metric and record
id given on the command line (`productops.commands.common.resolve`, `rows.resolve`).

An id is named by itself, by its part after `source:` (or any `:`) or `source:PREFIX-`, or by a unique start
of any of these; anything else is a one-line error that suggests the nearest known ids.

>>> pick("team", "pay", ["growth", "payments"])
'payments'
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import SequenceMatcher

from productops.errors import NotFoundError, UsageError

__all__ = ["pick"]

SHOWN = 8  # candidates or known ids an error lists at most
CUTOFF = 0.7  # least similarity (difflib ratio) of a suggestion


def _forms(ident: str, prefix: str) -> list[str]:
    """The names of `ident`: itself, its parts after each `:`, and after `source:PREFIX-`."""
    parts = ident.split(":")
    forms = [ident, *(":".join(parts[i:]) for i in range(1, len(parts)))]
    local = forms[1] if len(forms) > 1 else ""
    if prefix and local.startswith(f"{prefix}-") and len(local) > len(prefix) + 1:
        forms.append(local[len(prefix) + 1 :])
    return [f for f in forms if f]


def _nearest(given: str, forms: dict[str, list[str]]) -> list[str]:
    """The names nearest `given` (one per id, at most 3, as close as the best but 0.1): each
    name is scored by difflib's ratio to `given`, or of its start as long as `given`."""
    scored = [
        max(
            ((max(_ratio(given, n), _ratio(given, n[: len(given)])), n) for n in names),
            key=lambda sn: (sn[0], -len(sn[1])),
        )
        for names in forms.values()
    ]
    best = max((score for score, _ in scored), default=0.0)
    near = [(-score, n) for score, n in scored if score >= max(CUTOFF, best - 0.1)]
    return [n for _, n in sorted(near)[:3]]


def _ratio(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b).ratio()


def _listed(names: list[str]) -> str:
    more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
    return ", ".join(names[:SHOWN]) + more


def pick(noun: str, given: str, ids: Iterable[str], *, prefix: str = "", listing: str = "") -> str:
    """The id among `ids` that `given` names (see the module); `listing` is the command that
    lists the ids, named in the error when nothing is near."""
    forms = {ident: _forms(ident, prefix) for ident in sorted(set(ids))}
    if given in forms:
        return given
    if not given.strip():
        raise UsageError(f"give a {noun}: an empty one names nothing")
    for exact in (True, False):
        found = [
            ident
            for ident, names in forms.items()
            if any(f == given if exact else f.startswith(given) for f in names)
        ]
        if len(found) == 1:
            return found[0]
        if found:
            raise UsageError(
                f"{noun} {given!r} is ambiguous: it names {_listed(found)}; give more of it"
            )
    near = _nearest(given, forms)
    if near:
        raise NotFoundError(f"unknown {noun} {given!r}: did you mean {' or '.join(near)}?")
    if not forms:
        raise NotFoundError(f"unknown {noun} {given!r}: there is no {noun} yet")
    where = f"`{listing}` lists them" if listing else f"known: {_listed(list(forms))}"
    raise NotFoundError(f"unknown {noun} {given!r}; {where}")
