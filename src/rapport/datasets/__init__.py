"""Public data sets converted to Rapport's v1 events, for tests and benchmarks."""
