"""Benchmarks: the `asterpy bench` driver (bench.py) and the scripts that measure the build and boot."""
