"""The benchmark (issue 7): ``bash bench/run.sh``. See docs/benchmarks.md."""
