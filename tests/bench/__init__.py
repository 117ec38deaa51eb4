"""Tests of the benchmark's own arithmetic: pooling, ratios and verdicts."""
