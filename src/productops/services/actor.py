"""Who acts: the user, token or process a service works for."""

from __future__ import annotations

import getpass
from dataclasses import dataclass

__all__ = ["Actor"]


@dataclass(frozen=True)
class Actor:
    """The acting user of a service call, as the audit trail names it.

    `id` is `user:NAME`, `token:ID`, `cli:OS_USER` or `schedule:NAME`; `request_id` names
    the API request it acts in, which `audit.record` keeps with the row.

    >>> Actor("user:ana").id
    'user:ana'
    """

    id: str
    request_id: str | None = None

    @classmethod
    def cli(cls) -> Actor:
        """The person running the command line on this machine."""
        return cls(f"cli:{getpass.getuser()}")
