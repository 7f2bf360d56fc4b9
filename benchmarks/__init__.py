"""nvwizard's benchmarks: `python -m benchmarks [--quick]` prints one table.

Each measurement lives in its own module; child processes (the probes and the flood harness)
are started as `python -m benchmarks.<module>` from the repository root. Kept empty on
purpose: a probe's start-up time must not include anything imported here.
"""
