"""Command groups of the CLI (`productops flow ...`): one module each, exposing `app`.

Interfaces layer: may import anything below; `productops.cli` registers each group.
"""
