"""``python -m ember.distributed.run``: start the ranks of a training script (torchrun's role).

It runs the script under ``mpiexec`` (from ``pip install mpich``, or an MPI of the OS), once
per rank, with RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT set
as torchrun sets them. A rank that dies or raises ends the whole job.

Example:
    python -m ember.distributed.run --nproc-per-node 2 examples/mnist_ddp.py --epochs 1
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import sysconfig

# torchrun options that have no meaning on top of MPI; accepted so that scripts keep working.
_IGNORED = (
    "--rdzv-backend",
    "--rdzv-endpoint",
    "--rdzv-id",
    "--rdzv-conf",
    "--max-restarts",
    "--monitor-interval",
    "--start-method",
    "--role",
    "--log-dir",
    "--redirects",
    "--tee",
    "--node-rank",
    "--local-addr",
)


def find_mpiexec() -> str:
    """The mpiexec to use: $EMBER_MPIEXEC, the one next to this Python (pip's mpich), or PATH's.

    Example:
        >>> find_mpiexec()
        '/usr/local/bin/mpiexec'
    """
    env = os.environ.get("EMBER_MPIEXEC")
    if env:
        return env
    for d in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        for name in ("mpiexec", "mpirun"):
            p = os.path.join(d, name)
            if os.access(p, os.X_OK):
                return p
    for name in ("mpiexec", "mpirun"):
        p = shutil.which(name)
        if p:
            return p
    raise RuntimeError(
        "could not find mpiexec: pip install 'ember[distributed]' (mpi4py and "
        "mpich), install an MPI from your OS, or set EMBER_MPIEXEC"
    )


def _nproc(value: str) -> int:
    if value in ("auto", "gpu", "cpu"):
        gpus = 0
        if value != "cpu":
            from .. import cuda

            gpus = cuda.device_count()
        if value == "gpu" and gpus == 0:
            raise ValueError("--nproc-per-node gpu: no CUDA GPU is available")
        return gpus or os.cpu_count() or 1
    n = int(value)
    if n < 1:
        raise ValueError(f"--nproc-per-node must be at least 1, got {n}")
    return n


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m ember.distributed.run",
        description="Run a script on several ranks with mpiexec.",
    )
    p.add_argument(
        "--nproc-per-node",
        "--nproc_per_node",
        default="1",
        help="ranks per node: an integer, 'gpu', 'cpu' or 'auto'",
    )
    p.add_argument("--nnodes", default="1", help="number of nodes (more than 1 needs --hosts)")
    p.add_argument("--hosts", default=None, help="comma-separated host names, one per node")
    p.add_argument("--standalone", action="store_true", help="accepted; always single-job")
    p.add_argument("--master-addr", "--master_addr", default="127.0.0.1")
    p.add_argument("--master-port", "--master_port", default="29500")
    p.add_argument("--mpiexec", default=None, help="the mpiexec program to use")
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds a collective may wait for the other ranks (EMBER_DIST_TIMEOUT)",
    )
    p.add_argument(
        "-m",
        "--module",
        action="store_true",
        help="run training_script as a module, like python -m",
    )
    for flag in _IGNORED:
        p.add_argument(
            flag,
            flag.replace("-", "_").replace("__", "--", 1),
            default=None,
            help=argparse.SUPPRESS,
        )
    p.add_argument("training_script")
    p.add_argument("training_script_args", nargs=argparse.REMAINDER)
    return p.parse_args(argv)


def build_command(args: argparse.Namespace) -> tuple:
    """The mpiexec command line and environment for ``args``."""
    nproc = _nproc(args.nproc_per_node)
    nnodes = int(args.nnodes.split(":")[-1])
    hosts = args.hosts.split(",") if args.hosts else []
    if nnodes > 1 and len(hosts) != nnodes:
        raise ValueError(f"--nnodes {nnodes} needs --hosts with {nnodes} host names")
    mpiexec = args.mpiexec or find_mpiexec()
    cmd = [mpiexec, "-n", str(nproc * nnodes)]
    if hosts:
        version = subprocess.run([mpiexec, "--version"], capture_output=True, text=True).stdout
        if "Open MPI" in version or "OpenRTE" in version:
            cmd += ["--host", ",".join(f"{h}:{nproc}" for h in hosts)]
        else:
            cmd += ["-hosts", ",".join(hosts), "-ppn", str(nproc)]
    cmd += [sys.executable, "-u", "-m", "ember.distributed._entry"]
    if args.module:
        cmd.append("-m")
    cmd += [args.training_script, *args.training_script_args]
    env = dict(
        os.environ,
        WORLD_SIZE=str(nproc * nnodes),
        LOCAL_WORLD_SIZE=str(nproc),
        MASTER_ADDR=args.master_addr,
        MASTER_PORT=str(args.master_port),
        EMBER_DIST_LAUNCHER="1",
    )
    if args.timeout is not None:
        env["EMBER_DIST_TIMEOUT"] = str(args.timeout)
    return cmd, env


def main(argv=None) -> int:
    """Parse the command line, run mpiexec, and return its exit status."""
    cmd, env = build_command(parse_args(argv))
    try:
        return subprocess.run(cmd, env=env).returncode
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
