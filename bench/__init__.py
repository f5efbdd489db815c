"""Benchmarks that compare revops with its peers: run by hand (`make bench`), never in CI."""
