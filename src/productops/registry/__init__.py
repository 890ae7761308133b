"""Registries kept in the store: the experiment registry (see README.md).

May import `experiments`, `ingest`, `engine`, `schema` and `errors`; imported by the interfaces.
"""

from productops.registry.experiments import (
    Analysis,
    analyze_experiment,
    decide,
    list_experiments,
    load,
    register,
    start,
    stop,
)

__all__ = [
    "Analysis",
    "analyze_experiment",
    "decide",
    "list_experiments",
    "load",
    "register",
    "start",
    "stop",
]
