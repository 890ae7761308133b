"""The canonical schema as code, with versioned migrations.

The bottom layer: imports nothing else from productops but `errors`.
"""

from productops.schema.migrations import SCHEMA_VERSION, statements
from productops.schema.model import Column, Table
from productops.schema.tables import TABLES, table

__all__ = ["SCHEMA_VERSION", "TABLES", "Column", "Table", "statements", "table"]
