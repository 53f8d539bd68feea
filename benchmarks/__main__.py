"""``python -m benchmarks``: ember against PyTorch on the issue-5 workloads.

Every workload runs in a fresh process per framework, with the same shapes, seeds and thread
count, and reports the median of several timed blocks after a warm-up. ember's and PyTorch's
children alternate for ``--rounds`` rounds; the ratio is the median of the rounds' ratios, with
their range in brackets. The children run
without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (set on this machine for old OpenBLAS builds, they
halve NumPy's matmul speed); nothing else in ember touches them. Results go to stdout as a table
and to ``benchmarks/results.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .workloads import TARGETS, WORKLOADS

ROOT = Path(__file__).resolve().parent.parent
_UNSET = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def child_env(threads: int) -> dict:
    """The environment of a benchmark child: no OpenBLAS overrides, ``threads`` threads."""
    env = {k: v for k, v in os.environ.items() if k not in _UNSET}
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[k] = str(threads)
    env["EMBER_BENCH_THREADS"] = str(threads)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _cpu_times():
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return v[3] + v[4], sum(v)
    except (OSError, ValueError, IndexError):
        return None


def idle_fraction(window: float = 0.5) -> float | None:
    """Share of the machine's CPU time that was idle over ``window`` seconds (Linux only)."""
    a = _cpu_times()
    time.sleep(window)
    b = _cpu_times()
    if a is None or b is None or b[1] == a[1]:
        return None
    return (b[0] - a[0]) / (b[1] - a[1])


def wait_quiet(min_idle: float, timeout: float) -> float | None:
    """Wait (up to ``timeout`` s) until the machine is at least ``min_idle`` idle.

    Other processes on the cores make every timing meaningless (a multi-threaded BLAS whose
    second thread is descheduled can run 10x slower), so each child starts on a quiet machine
    when there is one; the idle share seen last is recorded next to the result.
    """
    end = time.time() + timeout
    idle = idle_fraction()
    while idle is not None and idle < min_idle and time.time() < end:
        idle = idle_fraction()
    return idle


def run_child(workload: str, framework: str, reps: int, env: dict, quiet=(0.85, 60.0)) -> dict:
    idle = wait_quiet(*quiet)
    cmd = [sys.executable, "-m", "benchmarks._child", workload, framework, str(reps)]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=1200)
    except subprocess.TimeoutExpired:
        return {"error": "timed out"}
    lines = p.stdout.strip().splitlines()
    if p.returncode or not lines:
        return {"error": (p.stderr.strip().splitlines() or ["no output"])[-1]}
    out = json.loads(lines[-1])
    out["idle_before"] = idle
    return out


def import_time(module: str, env: dict, n: int = 5) -> float:
    """Median wall time of ``import module`` in fresh processes, in seconds.

    One untimed import first writes the bytecode caches, as installing a package does (pip
    compiles them); this machine sets PYTHONDONTWRITEBYTECODE, under which a source checkout
    would otherwise be compiled again by every import.
    """
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    times = []
    for i in range(n + 1):
        p = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT
        )
        if i:
            times.append(float(p.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def _middle(results: list, key: str) -> dict:
    """The round whose ``key`` is the median of the rounds (the first failure, if any)."""
    bad = [r for r in results if key not in r]
    if bad:
        return bad[0]
    return sorted(results, key=lambda r: r[key])[(len(results) - 1) // 2]


def _fmt(r: dict | None, key: str = "median") -> str:
    if r is None:
        return "-"
    if "skipped" in r:
        return "skipped"
    if "error" in r:
        return "error"
    return f"{r[key]:.3g} {r['unit']}" if r[key] < 100 else f"{r[key]:.0f} {r['unit']}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    ap.add_argument(
        "-w",
        "--workloads",
        default=",".join(WORKLOADS),
        help="comma-separated subset of " + ",".join(WORKLOADS),
    )
    ap.add_argument("-r", "--reps", type=int, default=5, help="timed blocks per workload")
    ap.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="ember and PyTorch children run alternately this many times per workload; the "
        "ratio column is the median of the rounds' ratios (noise on a shared machine drifts "
        "over minutes, so each round compares runs made seconds apart)",
    )
    ap.add_argument("-t", "--threads", type=int, default=2)
    ap.add_argument(
        "--cpu-time",
        action="store_true",
        help="report process CPU time per step instead of wall time (meaningful with "
        "-t 1 on a busy machine)",
    )
    ap.add_argument("--no-torch", action="store_true", help="skip the PyTorch column")
    ap.add_argument("--json", default=str(ROOT / "benchmarks" / "results.json"))
    ap.add_argument(
        "--quiet-wait",
        type=float,
        default=60.0,
        help="seconds to wait for an idle machine before each child (0: never)",
    )
    args = ap.parse_args(argv)
    env = child_env(args.threads)
    have_torch = not args.no_torch and importlib.util.find_spec("torch") is not None
    wls = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = [w for w in wls if w not in WORKLOADS]
    if unknown:
        ap.error(f"unknown workload(s) {unknown}; choose from {list(WORKLOADS)}")

    started = time.time()
    quiet = (0.85, args.quiet_wait)
    peak = run_child("W5", "numpy", args.reps, env, quiet)
    key = "cpu_median" if args.cpu_time else "median"

    def peak_of(r):  # the best block: the practical limit of the machine, not a typical run
        return r["gflops"] * r["median"] / (r["min"] if key == "median" else r[key])

    peak_gflops = peak_of(peak) if peak.get("gflops") else None
    results = {
        "numpy_matmul_peak": peak,
        "workloads": {},
        "threads": args.threads,
        "python": sys.version.split()[0],
    }
    for w in wls:
        rounds = {"ember": [], "torch": []}
        for _ in range(max(1, args.rounds)):
            rounds["ember"].append(run_child(w, "ember", args.reps, env, quiet))
            if have_torch:
                rounds["torch"].append(run_child(w, "torch", args.reps, env, quiet))
            print(
                f"  {w}: ember {_fmt(rounds['ember'][-1])}"
                + (f", torch {_fmt(rounds['torch'][-1])}" if have_torch else ""),
                file=sys.stderr,
            )
        row = {fw: _middle(rs, key) for fw, rs in rounds.items() if rs}
        pairs = zip(rounds["ember"], rounds["torch"])
        row["ratios"] = [e[key] / t[key] for e, t in pairs if key in e and key in t]
        results["workloads"][w] = row
    again = run_child("W5", "numpy", args.reps, env, quiet)  # the machine may have been busy
    if again.get("gflops") and (peak_gflops is None or peak_of(again) > peak_gflops):
        peak, peak_gflops = again, peak_of(again)
        results["numpy_matmul_peak"] = again
    results["import_s"] = {"ember": import_time("ember", env)}
    if have_torch:
        results["import_s"]["torch"] = import_time("torch", env)
    results["elapsed_s"] = time.time() - started
    blas = next(
        (
            r["blas"]
            for r in [results["workloads"].get("W5", {}).get("ember"), peak]
            if r and r.get("blas")
        ),
        [],
    )
    results["blas"] = blas

    # -- the table --------------------------------------------------------------------------
    head = [
        "workload",
        "ember",
        "PyTorch",
        "ember/PyTorch",
        "target",
        "ember GFLOP/s",
        "% of NumPy peak",
        "GEMM floor",
    ]
    results["metric"] = "process CPU time" if args.cpu_time else "wall time"
    rows = []
    for w in wls:
        e, t = results["workloads"][w]["ember"], results["workloads"][w].get("torch")
        ok = key in e
        ratios = sorted(results["workloads"][w]["ratios"])
        ratio = statistics.median(ratios) if ratios else None
        spread = f" ({ratios[0]:.2f}-{ratios[-1]:.2f})" if len(ratios) > 1 else ""
        tgt = TARGETS.get(w)
        gf = e["gflops"] * e["median"] / e[key] if ok and e.get("gflops") else None
        if w == "W5":
            tgt_s = ">= 90% of NumPy"
        else:
            tgt_s = f"<= {tgt:g} {e.get('unit', 'ms')}" if tgt else "-"
        rows.append(
            [
                f"{w} {WORKLOADS[w][0]}",
                _fmt(e, key),
                _fmt(t, key),
                f"{ratio:.2f}{spread}" if ratio else "-",
                tgt_s,
                f"{gf:.1f}" if gf else "-",
                f"{100 * gf / peak_gflops:.0f}%" if gf and peak_gflops else "-",
                # the step's matrix products alone at NumPy's 2048^3 rate: no step is faster
                f"{e[key] * gf / peak_gflops:.3g} {e.get('unit', 'ms')}"
                if gf and peak_gflops
                else "-",
            ]
        )
    if "W1" in wls:
        e, t = results["workloads"]["W1"]["ember"], results["workloads"]["W1"].get("torch")
        er = e.get("peak_rss_mib")
        tr = t.get("peak_rss_mib") if t else None
        rows.append(
            [
                "peak RSS running W1",
                f"{er:.0f} MiB" if er else "-",
                f"{tr:.0f} MiB" if tr else "-",
                f"{er / tr:.2f}" if er and tr else "-",
                "<= 250 MiB",
                "-",
                "-",
                "-",
            ]
        )
    ie, it = results["import_s"]["ember"], results["import_s"].get("torch")
    rows.append(
        [
            "import time",
            f"{ie:.3f} s",
            f"{it:.3f} s" if it else "-",
            f"{ie / it:.2f}" if it else "-",
            "<= 0.25 s",
            "-",
            "-",
            "-",
        ]
    )
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    line = lambda r: "| " + " | ".join(str(c).ljust(wd) for c, wd in zip(r, widths)) + " |"  # noqa
    print(
        f"ember against PyTorch, {args.threads} thread(s), median "
        f"{'process CPU time' if args.cpu_time else 'wall time'} per step"
    )
    print(line(head))
    print("|" + "|".join("-" * (wd + 2) for wd in widths) + "|")
    for r in rows:
        print(line(r))
    print(
        f"\nNumPy matmul peak (2048x2048 float32): {peak_gflops:.1f} GFLOP/s"
        if peak_gflops
        else "\nNumPy matmul peak: unavailable"
    )
    for b in blas:
        print(
            f"BLAS: {b.get('internal_api')} {b.get('version')} ({b.get('architecture')}), "
            f"{b.get('num_threads')} threads"
        )
    busy = [
        f"{w}/{fw}"
        for w in wls
        for fw in ("ember", "torch")
        for r in [results["workloads"][w].get(fw)]
        if r and r.get("idle_before") is not None and r["idle_before"] < 0.85
    ]
    if busy:
        print(
            f"warning: the machine was busy (other processes) before {', '.join(busy)}; "
            "those timings are unreliable"
        )
    for w in wls:
        for fw in ("ember", "torch"):
            r = results["workloads"][w].get(fw) or {}
            if "skipped" in r or "error" in r:
                print(f"{w} {fw}: {r.get('skipped') or r.get('error')}")
    Path(args.json).write_text(json.dumps(results, indent=2))
    print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
