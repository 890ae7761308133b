"""The errors productops shows to its users.

Every message says what is wrong, where (file, line, key) and what to do.
The CLI prints the message on one line and exits non-zero.

    ProductOpsError
    ├── ConfigError (ValueError)       productops.toml is missing a value or has a wrong one
    ├── WorkspaceError                 no workspace here, or it cannot be opened
    │   ├── SchemaVersionError         the workspace was written by a newer productops
    │   ├── StoreDamagedError          productops.duckdb is truncated or corrupt: restore it
    │   └── StoreBusyError             another process held the store past [workspace] lock_wait_seconds
    ├── ImportFileError (ValueError)   a file to import cannot be read at all
    ├── UsageError (ValueError)        a command got an argument it cannot use (unknown table, ...)
    │   ├── NotFoundError              it names an object (decision, survey, ...) that does not exist
    │   └── ConflictError              the object's state does not allow it (decided already, ...)
    ├── EngineError                    the analytics backend cannot be started
    ├── AuthenticationError            a password or API token is wrong, expired or revoked
    ├── SignInProviderError            the OpenID Connect provider cannot be reached or answers nonsense
    ├── NotAllowedError                the acting user's role or token scope does not allow this
    └── DeliveryError                  a channel (Slack, e-mail, webhook) did not take a message
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "ConfigError",
    "ConflictError",
    "DeliveryError",
    "EngineError",
    "ImportFileError",
    "NotAllowedError",
    "NotFoundError",
    "ProductOpsError",
    "SchemaVersionError",
    "SignInProviderError",
    "StoreBusyError",
    "StoreDamagedError",
    "UsageError",
    "WorkspaceError",
]


class ProductOpsError(Exception):
    """Base of every error meant for a user of productops."""


class ConfigError(ValueError, ProductOpsError):
    """The configuration file or a setting given on the command line is invalid."""


class WorkspaceError(ProductOpsError):
    """There is no workspace where one was expected, or it cannot be opened."""


class SchemaVersionError(WorkspaceError):
    """The workspace's store was written by a newer version of productops."""


class StoreDamagedError(WorkspaceError):
    """The workspace's store is truncated or corrupt, or its schema version is unreadable."""


class StoreBusyError(WorkspaceError):
    """Another process held the workspace's store for longer than this one waits for it."""


class ImportFileError(ValueError, ProductOpsError):
    """A file given to `productops import` cannot be read at all."""


class EngineError(ProductOpsError):
    """The analytics engine (DuckDB or Spark) cannot be started or queried."""


class UsageError(ValueError, ProductOpsError):
    """A command got an argument it cannot use, such as an unknown table."""


class NotFoundError(UsageError):
    """An argument names an object (a decision, survey, nudge, ...) that does not exist."""


class ConflictError(UsageError):
    """The object's state does not allow the write (decided already, closed, wrong stage)."""


class AuthenticationError(ProductOpsError):
    """A sign-in failed: wrong password or token, expired or revoked token, disabled user."""


class SignInProviderError(ProductOpsError):
    """The OpenID Connect provider cannot be reached, or its answer cannot be used."""


class NotAllowedError(ProductOpsError):
    """The acting user is known, but their role, teams or token scope do not allow this."""


class DeliveryError(ProductOpsError):
    """A channel did not take a message: `retry_after` (seconds) when the receiver asked for a
    pause (HTTP 429), `permanent` when trying again cannot help (a refused address, a 400)."""

    def __init__(self, message: str, *, retry_after: float | None = None, permanent: bool = False):
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent
