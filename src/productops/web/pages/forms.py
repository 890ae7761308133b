"""What every form route shares: the CSRF check and the page to go back to."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form

from productops.web.sessions import CSRF

__all__ = ["CHECKED", "Back"]

CHECKED = [Depends(CSRF)]
"""A form route's dependencies: its CSRF token is checked before anything else."""
Back = Annotated[
    str | None, Form(alias="back", description="The page to go back to after the write.")
]
