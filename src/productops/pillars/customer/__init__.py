"""Customer and market insights: feedback embeddings, themes, sentiment, trends, duplicates, links.

Pure: may import `schema`, `errors` and `durations`; never `engine`, `ingest` or `workspace`.
Reading and writing the store (embedding cache, themes) happens in `registry`. See README.md.
"""
