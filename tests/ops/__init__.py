"""Tests of productops.ops: surveys and activities."""
