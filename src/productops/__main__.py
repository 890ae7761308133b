"""`python -m productops`: the same as the `productops` command."""

from productops.cli import app

app(prog_name="productops")
