"""Side-by-side timings of ember and PyTorch (issue 5); run ``python -m benchmarks``."""
