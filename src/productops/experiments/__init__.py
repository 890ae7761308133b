"""Experiments: the registry's model and a vectorised statistics engine.

Statistics are pure functions over numpy arrays of per-arm totals (the
database aggregates, Python does the maths); per-unit rows are aggregated by
an Ibis expression (`arm_totals`) on any backend. Import from the submodules
(`analysis`, `registry`, `power`, ...): this package imports none of them, so
reading the model loads no scipy or pandas. May import `schema` and `errors`;
never `engine`, `ingest`, a backend, or anything above. Imported by
`registry`, `ops` and the interfaces. Definitions: docs/experiments.md.
"""
