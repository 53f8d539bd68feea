#!/usr/bin/env bash
# Everything a short lease of a GPU machine should run, in one go (see docs/cuda.md):
# the real-CUDA tests, then the MNIST step against PyTorch on the same GPU with ember's per-op
# host-time profile. Run from the repository root: bash benchmarks/gpu_check.sh
set -u
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
python3 -m pytest -q -p no:cacheprovider tests/test_cuda.py tests/test_cuda_tables.py -m cuda 2>&1 | tail -5
python3 -m benchmarks.gpu_mnist --profile
