"""Who acts: the user, token or process a service works for."""

from __future__ import annotations

import getpass
from dataclasses import dataclass

__all__ = ["Actor"]


@dataclass(frozen=True)
class Actor:
    """The acting user of a service call, as the audit trail names it.

    `id` is `user:NAME`, `token:ID`, `cli:OS_USER` or `schedule:NAME`.

    >>> Actor("user:ana").id
    'user:ana'
    """

    id: str

    @classmethod
    def cli(cls) -> Actor:
        """The person running the command line on this machine."""
        return cls(f"cli:{getpass.getuser()}")
