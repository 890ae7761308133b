"""The server: a FastAPI app over one workspace (`productops serve`; docs/server.md)."""
