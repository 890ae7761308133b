"""Getting data in: read files, validate, quarantine bad rows, upsert by key.

May import `schema`, `engine`, `config` and `errors`; never pillars, ops or interfaces.
"""

from productops.ingest.files import import_file
from productops.ingest.landing import ImportCounts, land, land_arrow, land_select
from productops.ingest.read import ReadResult, Rejection, read_file

__all__ = [
    "ImportCounts",
    "ReadResult",
    "Rejection",
    "import_file",
    "land",
    "land_arrow",
    "land_select",
    "read_file",
]
