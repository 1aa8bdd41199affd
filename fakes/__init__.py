"""Stand-ins for what the project drives (the Bifrost host's docker), shared by the tests and the benchmarks.

Nothing here imports pytest or the tests: `bench/` runs them on a machine without the test suite's fixtures.
"""
