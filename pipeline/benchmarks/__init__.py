"""Benchmarks of single stages (``python -m pipeline.benchmarks.<stage>``)."""
