"""Benchmarks of the Lead Distribution CRM: `make bench` runs `python -m bench.run`."""
