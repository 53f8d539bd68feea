"""What each rank runs under the launcher: set torchrun's environment, then run the script.

``python -m ember.distributed._entry [-m] script args...``. An exception that escapes the
script (or a non-zero ``sys.exit``) aborts the whole MPI job, so the other ranks stop at once
instead of waiting for this one until their collective timeout.
"""

from __future__ import annotations

import os
import runpy
import sys
import traceback

# (rank, size, local rank, local size) variables of MPICH/Hydra, Open MPI and PMIx launchers.
_MPI_VARS = (
    ("PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "MPI_LOCALNRANKS"),
    (
        "OMPI_COMM_WORLD_RANK",
        "OMPI_COMM_WORLD_SIZE",
        "OMPI_COMM_WORLD_LOCAL_RANK",
        "OMPI_COMM_WORLD_LOCAL_SIZE",
    ),
    ("PMIX_RANK", "PMIX_SIZE", "PMIX_LOCAL_RANK", "PMIX_LOCAL_SIZE"),
)


def rank_env() -> dict:
    """RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE and GROUP_RANK of this MPI process."""
    e = os.environ
    for rank, size, local, lsize in _MPI_VARS:
        if rank in e and size in e:
            r, n = int(e[rank]), int(e[size])
            lr, ln = int(e.get(local, r)), int(e.get(lsize, e.get("LOCAL_WORLD_SIZE", n)))
            break
    else:  # an MPI we do not know: ask it
        from mpi4py import MPI

        world = MPI.COMM_WORLD
        node = world.Split_type(MPI.COMM_TYPE_SHARED)
        r, n, lr, ln = world.Get_rank(), world.Get_size(), node.Get_rank(), node.Get_size()
        node.Free()
    return {
        "RANK": str(r),
        "WORLD_SIZE": str(n),
        "LOCAL_RANK": str(lr),
        "LOCAL_WORLD_SIZE": str(ln),
        "GROUP_RANK": str(r // max(ln, 1)),
        "ROLE_RANK": str(r),
        "ROLE_WORLD_SIZE": str(n),
    }


def _abort(code: int, message: str = "") -> None:
    from .distributed_c10d import abort_job

    abort_job(code, message)


def main(argv: list) -> None:
    module = bool(argv) and argv[0] == "-m"
    if module:
        argv = argv[1:]
    if not argv:
        raise SystemExit("usage: python -m ember.distributed._entry [-m] script [args...]")
    os.environ.update(rank_env())
    sys.argv = list(argv)
    try:
        if module:
            runpy.run_module(argv[0], run_name="__main__", alter_sys=True)
        else:
            sys.path.insert(0, os.path.dirname(os.path.abspath(argv[0])))
            runpy.run_path(argv[0], run_name="__main__")
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if code:
            _abort(code, "" if isinstance(e.code, int) else f"{e.code}\n")
        raise
    except BaseException:
        rank = os.environ["RANK"]
        _abort(
            1, f"{traceback.format_exc()}ember.distributed: rank {rank} failed; ending the job\n"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
