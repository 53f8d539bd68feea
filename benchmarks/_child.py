"""Run one workload on one framework in this (fresh) process; print one JSON line.

Usage: python -m benchmarks._child WORKLOAD FRAMEWORK REPS
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time


def _blas_info():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [
        {k: d.get(k) for k in ("internal_api", "version", "architecture", "num_threads", "prefix")}
        for d in threadpool_info()
    ]


def _framework(name):
    if name == "numpy":
        import numpy

        return numpy
    if name == "torch":
        import torch

        torch.set_num_threads(int(__import__("os").environ.get("EMBER_BENCH_THREADS", "2")))
        return torch
    import ember

    return ember


def main(argv) -> dict:
    from .workloads import WORKLOADS

    wl, fwname, reps = argv[0], argv[1], int(argv[2])
    fw = _framework(fwname)
    try:
        step, info = WORKLOADS[wl][1](fw)
    except (AttributeError, ImportError, NotImplementedError) as e:
        return {"skipped": f"{type(e).__name__}: {e}"}
    # Warm up for at least 0.5 s (or 3 steps), then size blocks of about 0.4 s each.
    t0 = time.perf_counter()
    n_warm = 0
    while n_warm < 3 or time.perf_counter() - t0 < 0.5:
        step()
        n_warm += 1
    per = (time.perf_counter() - t0) / n_warm
    block = max(1, int(0.4 / max(per, 1e-9)))
    times, cpu = [], []
    for _ in range(reps):
        t, c = time.perf_counter(), time.process_time()
        for _ in range(block):
            step()
        times.append((time.perf_counter() - t) / block / info["per"])
        cpu.append((time.process_time() - c) / block / info["per"])
    med = statistics.median(times)
    scale = 1e6 if info["unit"] == "us" else 1e3
    out = {
        "median": med * scale,
        "min": min(times) * scale,
        # CPU time of this process per step: with one thread, a figure that other processes on
        # the machine barely disturb (wall time doubles when a core is shared; this does not).
        "cpu_median": statistics.median(cpu) * scale,
        "unit": info["unit"],
        "steps_per_block": block,
        "blocks": reps,
        "gflops": info["flop"] / med / 1e9 if info["flop"] else None,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "blas": _blas_info(),
    }
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
