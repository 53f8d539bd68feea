"""ember.distributed, DistributedDataParallel and DistributedSampler.

Multi-process tests start 2 or 3 ranks with ``python -m ember.distributed.run`` (mpiexec from
the mpich wheel). Each worker script checks its own results against values computed
independently with NumPy and exits non-zero on a mismatch, which fails the test. The pytest
process itself never initialises MPI.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
import time

import pytest

import ember
import ember.distributed as dist
from ember.utils.data.distributed import DistributedSampler

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _mpi_ready() -> str | None:
    if not dist.is_available():
        return "mpi4py is not installed (pip install 'ember[distributed]')"
    from ember.distributed.run import find_mpiexec

    try:
        find_mpiexec()
    except RuntimeError as e:
        return str(e)
    return None


needs_mpi = pytest.mark.skipif(_mpi_ready() is not None, reason=str(_mpi_ready()))


def launch(tmp_path, body: str, nproc: int = 2, timeout: float = 60, args=()):
    """Run ``body`` as a script on ``nproc`` ranks; returns (CompletedProcess, seconds)."""
    script = tmp_path / "worker.py"
    script.write_text(PRELUDE + textwrap.dedent(body))
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([ROOT, os.path.join(ROOT, "tests")]),
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    t0 = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ember.distributed.run",
            "--nproc-per-node",
            str(nproc),
            *args,
            str(script),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return proc, time.monotonic() - t0


def _ok(proc) -> None:
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"


PRELUDE = """\
import os, sys, time
import numpy as np
import ember
import ember.distributed as dist
from ember.distributed import ReduceOp

def check(got, want, what):
    got = np.asarray(got.detach().cpu().numpy() if isinstance(got, ember.Tensor) else got)
    want = np.asarray(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    ok = np.allclose(got.astype(np.float64), want.astype(np.float64), rtol=1e-3, atol=1e-3) \\
        if got.dtype.kind in "fc" or got.dtype.name == "bfloat16" else np.array_equal(got, want)
    assert ok, f"{what}: rank {dist.get_rank()} got {got} want {want}"
"""

COLLECTIVES = """
dist.init_process_group("mpi", timeout=30)
r, n = dist.get_rank(), dist.get_world_size()
assert (os.environ["RANK"], os.environ["WORLD_SIZE"]) == (str(r), str(n))
assert os.environ["LOCAL_RANK"] == str(r) and os.environ["LOCAL_WORLD_SIZE"] == str(n)
assert os.environ["MASTER_ADDR"] and dist.is_initialized() and dist.is_torchelastic_launched()
assert dist.get_backend() == "mpi" and dist.group.WORLD is not None

DTYPES = [ember.float32, ember.float64, ember.float16, ember.bfloat16, ember.int32,
          ember.int64, ember.uint8, ember.bool, ember.complex64]
SHAPES = [(), (5,), (2, 3), (3, 4, 2)]

def value(rank, shape, dt):
    # what rank ``rank`` contributes; small numbers so products and sums stay exact
    a = (np.arange(int(np.prod(shape))).reshape(shape) + rank) % 3 + 1
    if dt is ember.bool:
        a = a % 2 == 0
    return a

def host(a, dt):
    t = ember.tensor(a)
    return t.to(dt)

def want_dtype(a, dt):
    return host(a, dt).to(ember.float64 if dt.is_floating_point or dt.is_complex else dt)

ops = {"SUM": np.sum, "PRODUCT": np.prod, "MIN": np.min, "MAX": np.max}
for dt in DTYPES:
    for shape in SHAPES:
        vals = [value(k, shape, dt) for k in range(n)]
        stack = np.stack(vals)
        for name, fn in ops.items():
            if dt.is_complex and name in ("MIN", "MAX"):
                continue
            t = host(vals[r], dt)
            dist.all_reduce(t, op=getattr(ReduceOp, name))
            w = fn(stack, axis=0)
            if dt is ember.bool:
                w = stack.any(0) if name in ("SUM", "MAX") else stack.all(0)
            check(t, host(w, dt).numpy(force=True), f"all_reduce {name} {dt} {shape}")
            assert t.dtype == dt
        if dt.is_floating_point:
            t = host(vals[r], dt)
            dist.all_reduce(t, op=ReduceOp.AVG)
            check(t, stack.mean(0), f"all_reduce AVG {dt} {shape}")
        src = n - 1
        t = host(vals[r], dt)
        dist.broadcast(t, src=src)
        check(t, host(vals[src], dt).numpy(force=True), f"broadcast {dt} {shape}")
        outs = [ember.zeros(shape, dtype=dt) for _ in range(n)]
        dist.all_gather(outs, host(vals[r], dt))
        for k in range(n):
            check(outs[k], host(vals[k], dt).numpy(force=True), f"all_gather {dt} {shape}")
        big = ember.zeros((n,) + shape, dtype=dt)
        dist.all_gather_into_tensor(big, host(vals[r], dt))
        check(big, np.stack([host(v, dt).numpy(force=True) for v in vals]), f"agit {dt}")

# non-contiguous input and output: the tensor itself must be updated
t = ember.arange(12.0).view(3, 4).t()
dist.all_reduce(t)
check(t, np.arange(12.0).reshape(3, 4).T * n, "all_reduce non-contiguous")
base = ember.zeros(4, 6)
view = base[:, ::2]
view += r + 1
dist.all_reduce(view)
check(base[:, ::2], np.full((4, 3), n * (n + 1) / 2), "all_reduce strided view")
check(base[:, 1::2], np.zeros((4, 3)), "all_reduce strided view leaves the rest")

# reduce, reduce_scatter, gather, scatter, all_to_all
t = ember.full((3,), float(r + 1))
dist.reduce(t, dst=0)
check(t, np.full(3, n * (n + 1) / 2) if r == 0 else np.full(3, r + 1.0), "reduce")
out = ember.zeros(2, dtype=ember.int64)
dist.reduce_scatter(out, [ember.full((2,), 10 * k + r, dtype=ember.int64) for k in range(n)])
check(out, np.full(2, 10 * r * n + n * (n - 1) // 2), "reduce_scatter")
out = ember.zeros(2)
dist.reduce_scatter_tensor(out, ember.arange(2.0 * n) + r, op=ReduceOp.MAX)
check(out, np.arange(2.0 * r, 2.0 * r + 2) + n - 1, "reduce_scatter_tensor MAX")
g = [ember.zeros(2, 2) for _ in range(n)] if r == 0 else None
dist.gather(ember.full((2, 2), float(r)), g, dst=0)
if r == 0:
    for k in range(n):
        check(g[k], np.full((2, 2), float(k)), "gather")
t = ember.zeros(3, dtype=ember.int32)
dist.scatter(t, [ember.full((3,), k * 7, dtype=ember.int32) for k in range(n)] if r == 1 else None,
             src=1)
check(t, np.full(3, r * 7), "scatter")
out = ember.zeros(n * 2)
dist.all_to_all_single(out, ember.arange(n * 2.0) + 100 * r)
check(out, np.array([100 * k + 2 * r + j for k in range(n) for j in range(2)], float),
      "all_to_all_single")
outs = [ember.zeros(1) for _ in range(n)]
dist.all_to_all(outs, [ember.tensor([float(10 * r + k)]) for k in range(n)])
check(ember.cat(outs), np.array([10 * k + r for k in range(n)], float), "all_to_all")

# point to point: a ring, blocking and non-blocking
t = ember.zeros(4)
if r % 2 == 0:
    dist.send(ember.full((4,), float(r)), dst=(r + 1) % n)
    sender = dist.recv(t, src=(r - 1) % n)
else:
    sender = dist.recv(t)
    dist.send(ember.full((4,), float(r)), dst=(r + 1) % n)
assert sender == (r - 1) % n, sender
check(t, np.full(4, float((r - 1) % n)), "send/recv ring")
rt = ember.zeros(2, dtype=ember.int64)
works = dist.batch_isend_irecv([dist.P2POp(dist.isend, ember.tensor([r, r]), (r + 1) % n),
                                dist.P2POp(dist.irecv, rt, (r - 1) % n)])
for w in works:
    w.wait()
check(rt, np.full(2, (r - 1) % n), "batch_isend_irecv")

# async handles
t = ember.ones(1000) * (r + 1)
w = dist.all_reduce(t, async_op=True)
assert isinstance(w, dist.Work)
assert w.wait() and w.is_completed()
check(t, np.full(1000, n * (n + 1) / 2), "async all_reduce")
outs = [ember.zeros(1) for _ in range(n)]
w = dist.all_gather(outs, ember.tensor([float(r)]), async_op=True)
fut = w.get_future()
assert [o.item() for o in fut.wait()] == list(range(n))
assert dist.barrier(async_op=True).wait()
dist.barrier()
dist.monitored_barrier()

# python objects
objs = [None] * n
dist.all_gather_object(objs, {"rank": r, "data": list(range(r))})
assert objs == [{"rank": k, "data": list(range(k))} for k in range(n)], objs
lst = [{"cfg": 1}, "x", 3.5] if r == 0 else [None, None, None]
dist.broadcast_object_list(lst, src=0)
assert lst == [{"cfg": 1}, "x", 3.5], lst
got = [None] * n if r == 0 else None
dist.gather_object(("r", r), got, dst=0)
assert r != 0 or got == [("r", k) for k in range(n)]
one = [None]
dist.scatter_object_list(one, [f"to {k}" for k in range(n)] if r == 0 else None, src=0)
assert one == [f"to {r}"], one

# groups: the first and the last rank
sub = dist.new_group([0, n - 1])
if r in (0, n - 1):
    assert dist.get_world_size(sub) == 2 and dist.get_rank(sub) == (0 if r == 0 else 1)
    assert dist.get_process_group_ranks(sub) == [0, n - 1]
    t = ember.tensor([float(r)])
    dist.all_reduce(t, group=sub)
    check(t, [n - 1.0], "all_reduce on a group")
    b = ember.tensor([float(r)])
    dist.broadcast(b, src=n - 1, group=sub)
    check(b, [n - 1.0], "broadcast on a group with a global src")
else:
    assert sub is dist.GroupMember.NON_GROUP_MEMBER and dist.get_rank(sub) == -1

# errors
for bad, exc in [(lambda: dist.all_reduce(1), TypeError),
                 (lambda: dist.all_gather([ember.zeros(1)] * (n + 1), ember.zeros(1)),
                  RuntimeError),
                 (lambda: dist.all_gather_into_tensor(ember.zeros(n + 1), ember.zeros(1)),
                  RuntimeError),
                 (lambda: dist.all_reduce(ember.tensor([1j]), op=ReduceOp.MAX), ValueError),
                 (lambda: dist.broadcast(ember.zeros(1), src=n + 3), RuntimeError),
                 (lambda: dist.init_process_group("mpi"), ValueError)]:
    try:
        bad()
    except exc:
        pass
    else:
        raise AssertionError(f"no {exc.__name__}")

# GPU tensors (the test stand-in) are staged through host memory
from fake_cupy import installed
with installed():
    t = ember.full((3,), float(r + 1), device="cuda")
    dist.all_reduce(t)
    assert t.is_cuda
    check(t, np.full(3, n * (n + 1) / 2), "all_reduce on a (fake) GPU tensor")
    outs = [ember.zeros(2, device="cuda") for _ in range(n)]
    dist.all_gather(outs, ember.full((2,), float(r), device="cuda"))
    assert all(o.is_cuda for o in outs)
    check(ember.stack(outs), np.repeat(np.arange(n, dtype=float), 2).reshape(n, 2), "gpu gather")

dist.barrier()
dist.destroy_process_group()
assert not dist.is_initialized()
print("rank", r, "ok")
"""


@needs_mpi
@pytest.mark.parametrize("nproc", [2, 3])
def test_collectives(tmp_path, nproc):
    proc, _ = launch(tmp_path, COLLECTIVES, nproc=nproc)
    _ok(proc)
    assert proc.stdout.count("ok") == nproc


DDP = """
import ember.nn as nn
import ember.nn.functional as F
from ember.nn.parallel import DistributedDataParallel as DDP
from ember.utils.data.distributed import DistributedSampler

dist.init_process_group("mpi", timeout=60)
r, n = dist.get_rank(), dist.get_world_size()

class Net(nn.Module):  # the MNIST CNN, on 12x12 images to stay quick
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, 1)
        self.conv2 = nn.Conv2d(4, 8, 3, 1)
        self.fc1 = nn.Linear(8 * 4 * 4, 16)
        self.fc2 = nn.Linear(16, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
        return F.log_softmax(self.fc2(F.relu(self.fc1(ember.flatten(x, 1)))), dim=1)


class Extra(Net):
    def __init__(self):
        super().__init__()
        self.unused = nn.Linear(3, 3)  # only used when asked to

    def forward(self, x, use_extra=False):
        out = super().forward(x)
        if use_extra:
            out = out + self.unused(ember.ones(x.shape[0], 3)).sum(1, keepdim=True)
        return out

def params(m):
    return [p.detach().numpy().copy() for p in m.parameters()]

def sgd(m, lr=0.1):
    with ember.no_grad():
        for p in m.parameters():
            if p.grad is not None:
                p -= lr * p.grad

B, STEPS = 4, 4
ember.manual_seed(123)
X = ember.randn(n * B * STEPS, 1, 12, 12)
Y = ember.randint(0, 10, (n * B * STEPS,))

ember.manual_seed(r)  # different weights on every rank: DDP must start from rank 0's
model = DDP(Net(), bucket_cap_mb=0.001)  # tiny buckets: several all-reduces per step
assert len(model._buckets) > 1
ember.manual_seed(0)
start = params(model.module)
ref = Net()
with ember.no_grad():
    for p, s in zip(ref.parameters(), start):
        p.copy_(ember.tensor(s))
dist.broadcast_object_list(objs := [start], src=0)
for a, b in zip(objs[0], start):
    assert np.array_equal(a, b), "the initial parameters differ between ranks"

sampler = DistributedSampler(range(len(X)), shuffle=False)
mine = list(sampler)
for step in range(STEPS):
    idx = ember.tensor(mine[step * B:(step + 1) * B])
    model.zero_grad()
    F.nll_loss(model(X[idx]), Y[idx]).backward()
    sgd(model)
    full = ember.arange(step * n * B, (step + 1) * n * B)  # the union of the ranks' batches
    ref.zero_grad()
    F.nll_loss(ref(X[full]), Y[full]).backward()
    sgd(ref)
for a, b in zip(params(model.module), params(ref)):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)

# gradient accumulation: no_sync on the first micro-batch, sync on the second
model.zero_grad()
ref.zero_grad()
for k in range(2):
    idx = ember.tensor([2 * n * k + 2 * r, 2 * n * k + 2 * r + 1])
    ctx = model.no_sync() if k == 0 else __import__("contextlib").nullcontext()
    with ctx:
        F.nll_loss(model(X[idx]), Y[idx]).backward()
    if k == 0:
        local = [p.grad.numpy().copy() for p in model.module.parameters() if p.grad is not None]
    full = ember.arange(2 * n * k, 2 * n * (k + 1))
    F.nll_loss(ref(X[full]), Y[full]).backward()
for p, q in zip(model.module.parameters(), ref.parameters()):
    # the average over ranks of the accumulated gradients is the sum of the full-batch ones
    np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-6)
others = [None] * n
dist.all_gather_object(others, local)
assert not all(np.allclose(a, b) for a, b in zip(others[0], others[-1])), "no_sync synced"

# find_unused_parameters: a parameter used on one rank only is averaged (with zeros from the
# others); one that no rank uses keeps no gradient
loose = DDP(Extra(), find_unused_parameters=True)
loose.zero_grad()
F.nll_loss(loose(X[:B], use_extra=(r == 0)), Y[:B]).backward()
w = loose.module.unused.weight.grad
assert w is not None, "a parameter used on rank 0 got no averaged gradient"
gs = [None] * n
dist.all_gather_object(gs, w.numpy())
assert all(np.array_equal(g, gs[0]) for g in gs)
loose.zero_grad()
F.nll_loss(loose(X[:B]), Y[:B]).backward()
assert loose.module.unused.weight.grad is None
print("rank", r, "ok")
dist.destroy_process_group()
"""


@needs_mpi
def test_ddp_matches_single_process_training(tmp_path):
    if not hasattr(ember.nn, "Conv2d"):
        pytest.skip("nn.Conv2d is not available yet")
    proc, _ = launch(tmp_path, DDP, nproc=2, timeout=90)
    _ok(proc)
    assert proc.stdout.count("ok") == 2


STRICT_DDP = """
import ember.nn as nn
from ember.nn.parallel import DistributedDataParallel as DDP
dist.init_process_group("mpi", timeout=20)

class Two(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(2, 2), nn.Linear(2, 2)

    def forward(self, x):
        return self.a(x)

m = DDP(Two())
m(ember.ones(1, 2)).sum().backward()
try:
    m(ember.ones(1, 2))
except RuntimeError as e:
    assert "find_unused_parameters=True" in str(e) and "b.weight" in str(e), e
    print("rank", dist.get_rank(), "ok")
else:
    raise AssertionError("no error for a parameter that got no gradient")
"""


@needs_mpi
def test_ddp_unused_parameter_error(tmp_path):
    proc, _ = launch(tmp_path, STRICT_DDP, nproc=2)
    _ok(proc)
    assert proc.stdout.count("ok") == 2


@needs_mpi
def test_killed_rank_ends_the_job(tmp_path):
    body = """
    import signal
    dist.init_process_group("mpi", timeout=60)
    if dist.get_rank() == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    dist.all_reduce(ember.ones(3))
    time.sleep(60)
    """
    proc, secs = launch(tmp_path, body, nproc=2)
    assert proc.returncode != 0
    assert secs < 30, f"the job took {secs:.0f}s to end"


@needs_mpi
def test_hung_rank_times_out_with_a_clear_error(tmp_path):
    body = """
    dist.init_process_group("mpi", timeout=3)
    if dist.get_rank() == 1:
        time.sleep(120)  # never joins the collective
    dist.all_reduce(ember.ones(3))
    """
    proc, secs = launch(tmp_path, body, nproc=2)
    assert proc.returncode != 0
    assert (
        "DistBackendError" in proc.stderr
        and "all_reduce on rank 0 timed out after 3.0s" in proc.stderr
    ), proc.stderr
    assert secs < 30, f"the job took {secs:.0f}s to end"


@needs_mpi
def test_raising_rank_ends_the_job(tmp_path):
    body = """
    dist.init_process_group("mpi", timeout=60)
    if dist.get_rank() == 1:
        raise ValueError("boom on rank 1")
    dist.all_reduce(ember.ones(3))
    """
    proc, secs = launch(tmp_path, body, nproc=3)
    assert proc.returncode != 0
    assert "ValueError: boom on rank 1" in proc.stderr and "rank 1 failed" in proc.stderr
    assert secs < 30, f"the job took {secs:.0f}s to end"


# -- in-process tests (no MPI) ----------------------------------------------------------------


def test_not_initialized():
    assert dist.is_available() == (_mpi_ready() is None or dist.is_available())
    assert not dist.is_initialized()
    for fn in (
        dist.get_rank,
        dist.get_world_size,
        lambda: dist.all_reduce(ember.ones(1)),
        lambda: dist.barrier(),
    ):
        with pytest.raises(ValueError, match="Default process group has not been initialized"):
            fn()
    from ember.nn.parallel import DistributedDataParallel

    with pytest.raises(ValueError, match="has not been initialized"):
        DistributedDataParallel(ember.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="Invalid backend"):
        dist.Backend("tcp")
    assert dist.Backend("GLOO") == "gloo" and dist.Backend("cuda:nccl,cpu:gloo") == "nccl"
    assert str(dist.ReduceOp.SUM) == "RedOpType.SUM"


def test_launcher_command(monkeypatch):
    from ember.distributed import run

    monkeypatch.setenv("EMBER_MPIEXEC", "/opt/mpi/bin/mpiexec")
    assert run.find_mpiexec() == "/opt/mpi/bin/mpiexec"
    args = run.parse_args(
        [
            "--nproc_per_node",
            "3",
            "--master-port",
            "1234",
            "--timeout",
            "5",
            "--rdzv-backend",
            "c10d",
            "train.py",
            "--lr",
            "0.1",
        ]
    )
    cmd, env = run.build_command(args)
    assert cmd[:3] == ["/opt/mpi/bin/mpiexec", "-n", "3"]
    assert cmd[-3:] == ["train.py", "--lr", "0.1"] and "ember.distributed._entry" in cmd
    assert env["WORLD_SIZE"] == "3" and env["MASTER_PORT"] == "1234"
    assert env["EMBER_DIST_TIMEOUT"] == "5.0"
    cmd, _ = run.build_command(run.parse_args(["-m", "pkg.train"]))
    assert cmd[-2:] == ["-m", "pkg.train"]
    with pytest.raises(ValueError, match="at least 1"):
        run.build_command(run.parse_args(["--nproc-per-node", "0", "x.py"]))
    with pytest.raises(ValueError, match="--hosts"):
        run.build_command(run.parse_args(["--nnodes", "2", "x.py"]))


def test_entry_environment(monkeypatch):
    from ember.distributed._entry import rank_env

    for k in ("PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "MPI_LOCALNRANKS"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "5")
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "8")
    monkeypatch.setenv("OMPI_COMM_WORLD_LOCAL_RANK", "1")
    monkeypatch.setenv("OMPI_COMM_WORLD_LOCAL_SIZE", "4")
    env = rank_env()
    assert (env["RANK"], env["WORLD_SIZE"], env["LOCAL_RANK"], env["LOCAL_WORLD_SIZE"]) == (
        "5",
        "8",
        "1",
        "4",
    )
    assert env["GROUP_RANK"] == "1"


@pytest.mark.parametrize(
    "n,replicas,drop_last",
    [(10, 3, False), (10, 3, True), (9, 3, True), (2, 4, False), (7, 2, True), (8, 4, False)],
)
def test_distributed_sampler_partitions(n, replicas, drop_last):
    torch_data = pytest.importorskip("torch.utils.data")
    for shuffle in (False, True):
        shares = [
            list(
                DistributedSampler(
                    range(n), replicas, r, shuffle=shuffle, seed=7, drop_last=drop_last
                )
            )
            for r in range(replicas)
        ]
        per = (
            math.ceil((n - replicas) / replicas)
            if drop_last and n % replicas
            else math.ceil(n / replicas)
        )
        assert all(len(s) == per for s in shares)
        flat = [i for s in shares for i in s]
        if drop_last:
            assert len(set(flat)) == len(flat) == per * replicas  # disjoint, nothing repeated
        else:
            assert set(flat) == set(range(n))  # every index, padding repeats the first ones
            assert len(flat) - len(set(flat)) == per * replicas - n
        if not shuffle:
            for r in range(replicas):
                ref = torch_data.DistributedSampler(
                    range(n), replicas, r, shuffle=False, drop_last=drop_last
                )
                assert shares[r] == list(ref)


def test_distributed_sampler_epochs_and_errors():
    s = DistributedSampler(range(50), num_replicas=2, rank=1, seed=3)
    first, again = list(s), list(s)
    assert first == again and len(s) == 25
    s.set_epoch(1)
    assert list(s) != first
    other = DistributedSampler(range(50), num_replicas=2, rank=0, seed=3)
    other.set_epoch(1)
    assert sorted(list(s) + list(other)) == list(range(50))
    assert list(DistributedSampler(range(50), 2, 1, seed=4)) != first
    with pytest.raises(
        ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"
    ):
        DistributedSampler(range(5), num_replicas=2, rank=2)
    with pytest.raises(RuntimeError, match="Requires distributed package"):
        DistributedSampler(range(5))
    data = pytest.importorskip("ember.utils.data")
    loader = data.DataLoader(
        data.TensorDataset(ember.arange(8.0)),
        batch_size=2,
        sampler=DistributedSampler(range(8), 2, 0, shuffle=False),
    )
    assert [b[0].tolist() for b in loader] == [[0.0, 2.0], [4.0, 6.0]]
