"""Registries kept in the store: experiments, surveys and activities (see README.md).

Import from the submodules (`experiments`, `surveys`, `activities`, ...): this package imports none
of them, so each command loads only the registries it uses. May import `experiments`, `ingest`,
`engine`, `schema` and `errors`; imported by the interfaces.
"""
