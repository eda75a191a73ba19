"""Benchmarks behind `ioc bench`: each measures against the raw limits in the same run."""
