"""Benchmarks of the portal, run by hand (`python -m bench.<name>`); see bench/README.md."""
