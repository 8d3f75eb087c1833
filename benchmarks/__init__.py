"""Benchmarks for incidentflow: ratios against baselines measured in the same run.

Run with ``python -m benchmarks`` (all) or ``python -m benchmarks cold|compile|load``.
Nothing here asserts on time: each benchmark prints a table and returns summary rows,
which ``__main__`` prints with PASS/MISS against its target and writes to results.json.
"""
