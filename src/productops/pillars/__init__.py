"""The three pillars' analytics: functions from Ibis tables to Ibis tables.

May import `schema` and `errors`; never `engine`, `ingest`, connectors, ops or interfaces.
"""
