"""Benchmark the gateway against its two peers (Apollo, Mesh) on one upstream stub.

Run `bench/run` (or `.venv/bin/python -m bench`); see bench/README.md.
"""
