"""Benchmarks: each scenario runs beside its baseline in the same run (see bench/README.md)."""
