"""Samples/s of DistributedDataParallel MNIST-CNN training on 1 and 2 processes (issue 11).

Weak scaling: every rank trains on ``--batch`` samples per step, so 2 ranks process twice as
many samples per step. The machine's cores are shared out: each rank gets
``cpu_count // nproc`` BLAS threads, so 1 process x 2 threads is compared with 2 x 1.

    python benchmarks/ddp_scaling.py                 # 1 and 2 processes
    python benchmarks/ddp_scaling.py --nproc 1 2 4 --steps 30
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def worker(args) -> None:
    """One rank: time ``args.steps`` DDP training steps; rank 0 prints samples/s as JSON."""
    sys.path.insert(0, ROOT)
    import ember
    import ember.distributed as dist
    import ember.nn as nn
    import ember.nn.functional as F
    from ember.nn.parallel import DistributedDataParallel as DDP

    class Net(nn.Module):  # the MNIST example's network, without dropout
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
            x = self.fc2(F.relu(self.fc1(ember.flatten(x, 1))))
            return F.log_softmax(x, dim=1)

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    ember.manual_seed(rank)
    model = DDP(Net())
    opt = ember.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = ember.randn(args.batch, 1, 28, 28)
    y = ember.randint(0, 10, (args.batch,))

    def step():
        opt.zero_grad()
        F.nll_loss(model(x), y).backward()
        opt.step()

    for _ in range(args.warmup):
        step()
    dist.barrier()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        step()
    dist.barrier()
    secs = time.perf_counter() - t0
    if rank == 0:
        print(
            json.dumps(
                {
                    "nproc": world,
                    "samples_per_s": world * args.batch * args.steps / secs,
                    "step_ms": 1e3 * secs / args.steps,
                }
            )
        )
    dist.destroy_process_group()


def run(nproc: int, args) -> dict:
    threads = str(args.threads or max(1, (os.cpu_count() or 1) // nproc))
    env = dict(
        os.environ,
        PYTHONPATH=ROOT,
        OMP_NUM_THREADS=threads,
        OPENBLAS_NUM_THREADS=threads,
        MKL_NUM_THREADS=threads,
    )
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # see benchmarks/__main__.py
        env.pop(k, None)
    cmd = [
        sys.executable,
        "-m",
        "ember.distributed.run",
        "--nproc-per-node",
        str(nproc),
        os.path.abspath(__file__),
        "--worker",
        "--batch",
        str(args.batch),
        "--steps",
        str(args.steps),
        "--warmup",
        str(args.warmup),
    ]
    p = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    if p.returncode:
        raise RuntimeError(f"{nproc} processes failed:\n{p.stderr[-2000:]}")
    return dict(json.loads(p.stdout.strip().splitlines()[-1]), threads=int(threads))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nproc", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--batch", type=int, default=64, help="samples per rank per step")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument(
        "--threads",
        type=int,
        default=0,
        help="BLAS threads per rank (default: the CPUs shared out over the ranks)",
    )
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args)
    rows = [run(n, args) for n in args.nproc]
    base = rows[0]["samples_per_s"] / rows[0]["nproc"]
    print(f"DDP MNIST CNN, batch {args.batch} per rank, {args.steps} steps, {os.cpu_count()} CPUs")
    print(
        f"{'procs':>5} {'threads':>7} {'step ms':>8} {'samples/s':>10} {'speedup':>8} "
        f"{'efficiency':>10}"
    )
    for r in rows:
        speedup = r["samples_per_s"] / rows[0]["samples_per_s"]
        eff = r["samples_per_s"] / (base * r["nproc"])
        print(
            f"{r['nproc']:>5} {r['threads']:>7} {r['step_ms']:>8.1f} "
            f"{r['samples_per_s']:>10.1f} {speedup:>8.2f} {eff:>10.2f}"
        )


if __name__ == "__main__":
    main()
