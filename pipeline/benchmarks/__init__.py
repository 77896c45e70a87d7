"""Benchmarks of single stages (the project-wide one is ``python -m pipeline.benchmark``)."""
