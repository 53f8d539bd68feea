"""Real-GPU tests: ops and a small model on device='cuda' against the same code on the CPU.

They skip with a reason on a machine without CuPy or without a GPU; tests/test_cuda_fake.py runs
the same op table everywhere on a stand-in device. Run on a GPU machine with
``python -m pytest tests/test_cuda.py -m cuda``.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_cuda_fake import OPS, _outputs, _run

import ember
import ember.nn.functional as F

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(
        not ember.cuda.is_available(),
        reason="needs CuPy and an NVIDIA GPU (pip install 'ember[cuda]')",
    ),
]


def _close(d, c, name, rtol=1e-4, atol=1e-5):
    if isinstance(c, ember.Tensor):
        assert d.is_cuda, f"{name}: result left the GPU"
        assert d.dtype == c.dtype and d.shape == c.shape, name
        a, b = d.detach().cpu().numpy(), c.detach().numpy()
        if a.dtype.kind in "fc":
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True, err_msg=name)
        else:
            np.testing.assert_array_equal(a, b, err_msg=name)
    else:
        assert d == c, name


@pytest.mark.parametrize("name,fn,make", OPS, ids=[o[0] for o in OPS])
def test_op_on_gpu(name, fn, make):
    inputs = make()
    try:
        cpu_out, cpu_grads = _run(fn, inputs)
    except Exception as e:  # CPU correctness is tested elsewhere
        pytest.skip(f"{name} fails on the CPU too: {type(e).__name__}: {e}")
    dev_inputs = [t.detach().cuda().requires_grad_(t.requires_grad) for t in inputs]
    dev_out, dev_grads = _run(fn, dev_inputs)
    assert len(dev_out) == len(cpu_out)
    for d, c in zip(dev_out, cpu_out):
        _close(d, c, name)
    for d, c in zip(dev_grads or (), cpu_grads or ()):
        assert (d is None) == (c is None)
        if c is not None:
            _close(d, c, f"{name} grad")


def test_float64_and_half_on_gpu():
    x = ember.randn(64, 64, dtype=ember.float64)
    _close((x.cuda() @ x.cuda()).exp().sum(1), (x @ x).exp().sum(1), "float64", rtol=1e-10)
    h = ember.randn(8, 8).half()
    _close((h.cuda() * 2 + 1).relu(), (h * 2 + 1).relu(), "half", rtol=1e-3, atol=1e-3)


def _mnist_net():
    nn = ember.nn

    class Net(nn.Module):  # the seed's MNIST CNN, on 14x14 inputs to stay quick
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 8, 3, 1)
            self.conv2 = nn.Conv2d(8, 16, 3, 1)
            self.fc1 = nn.Linear(16 * 5 * 5, 32)
            self.fc2 = nn.Linear(32, 10)

        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = ember.flatten(x, 1)
            return F.log_softmax(self.fc2(F.relu(self.fc1(x))), dim=1)

    return Net()


def test_small_cnn_trains_the_same_on_gpu():
    for name in ("Conv2d", "Linear"):
        if not hasattr(ember.nn, name):
            pytest.skip(f"nn.{name} is not available yet")

    def train(device):
        ember.manual_seed(0)
        model = _mnist_net().to(device)
        x = ember.randn(32, 1, 14, 14).to(device)
        t = ember.randint(0, 10, (32,)).to(device)
        losses = []
        for _ in range(5):
            loss = F.nll_loss(model(x), t)
            for p in model.parameters():
                p.grad = None
            loss.backward()
            with ember.no_grad():
                for p in model.parameters():
                    p -= 0.05 * p.grad
            losses.append(loss.item())
        return model, losses

    cpu_model, cpu_losses = train("cpu")
    gpu_model, gpu_losses = train("cuda")
    assert all(p.is_cuda for p in gpu_model.parameters())
    np.testing.assert_allclose(gpu_losses, cpu_losses, rtol=1e-4)
    for p, q in zip(gpu_model.parameters(), cpu_model.parameters()):
        np.testing.assert_allclose(
            p.detach().cpu().numpy(), q.detach().numpy(), rtol=1e-3, atol=1e-5
        )


def test_transfers_and_errors():
    x = ember.arange(6.0).view(2, 3)
    y = x.cuda()
    assert y.device == ember.device("cuda", ember.cuda.current_device())
    assert ember.equal(y.cpu(), x) and y.tolist() == x.tolist()
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        y.numpy()
    assert y.numpy(force=True).tolist() == x.tolist()
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        y.requires_grad_() + x
    assert "device='cuda:0'" in repr(y)


def test_memory_statistics_on_gpu():
    ember.cuda.synchronize()
    ember.cuda.reset_peak_memory_stats()
    base = ember.cuda.memory_allocated()
    x = ember.zeros(1 << 20, device="cuda")  # 4 MiB
    assert ember.cuda.memory_allocated() - base >= 4 << 20
    assert ember.cuda.max_memory_allocated() >= base + (4 << 20)
    assert ember.cuda.memory_reserved() >= ember.cuda.memory_allocated()
    del x
    assert ember.cuda.memory_allocated() == base
    ember.cuda.empty_cache()
    free, total = ember.cuda.mem_get_info()
    assert 0 < free <= total == ember.cuda.get_device_properties().total_memory


def test_streams_and_event_timing():
    a = ember.randn(512, 512, device="cuda")
    s = ember.cuda.Stream()
    start, end = ember.cuda.Event(enable_timing=True), ember.cuda.Event(enable_timing=True)
    with ember.cuda.stream(s):
        start.record()
        for _ in range(5):
            b = a @ a
        end.record()
    end.synchronize()
    assert start.elapsed_time(end) > 0
    s.synchronize()
    assert s.query()
    _close(b, a.cpu() @ a.cpu(), "stream matmul", rtol=1e-3, atol=1e-3)


def test_pinned_memory_and_non_blocking_copies():
    x = ember.randn(1000)
    p = x.pin_memory()
    assert p.is_pinned() and not x.is_pinned() and ember.equal(p, x)
    y = p.to("cuda", non_blocking=True)
    ember.cuda.synchronize()
    assert ember.equal(y.cpu(), x)


def test_dataloader_pin_memory_and_forked_workers():
    data = pytest.importorskip("ember.utils.data")
    ember.ones(1, device="cuda")  # CUDA is initialised in the parent before the fork
    ds = data.TensorDataset(ember.arange(20.0).view(10, 2), ember.arange(10))
    loader = data.DataLoader(ds, batch_size=4, num_workers=2, pin_memory=True)
    batches = list(loader)
    assert all(b[0].is_pinned() for b in batches)
    assert ember.cat([b[1] for b in batches]).tolist() == list(range(10))


def test_checkpoint_to_and_from_gpu(tmp_path):
    try:
        from ember import load, save  # noqa: F401
    except ImportError as e:
        pytest.skip(f"serialization is not available yet: {e}")
    f = tmp_path / "gpu.pt"
    ember.save({"w": ember.arange(3.0, device="cuda")}, f)
    assert ember.load(f, map_location="cpu")["w"].is_cpu
    assert ember.load(f)["w"].is_cuda
    f2 = tmp_path / "cpu.pt"
    ember.save({"w": ember.arange(3.0)}, f2)
    assert ember.load(f2, map_location="cuda:0")["w"].is_cuda


def test_device_queries_on_gpu():
    n = ember.cuda.device_count()
    assert n >= 1 and ember.accelerator.current_accelerator() == ember.device("cuda")
    name = ember.cuda.get_device_name(0)
    assert isinstance(name, str) and name
    major, minor = ember.cuda.get_device_capability()
    assert major >= 3
    with ember.cuda.device(n - 1):
        assert ember.zeros(1, device="cuda").device.index == n - 1
    assert _outputs((ember.ones(1, device="cuda"),))[0].is_cuda


GPU_DIST = """
backend = sys.argv[1]
dist.init_process_group(backend, timeout=60)
r, n = dist.get_rank(), dist.get_world_size()
t = ember.full((5,), float(r + 1), device="cuda")
dist.all_reduce(t)
assert t.is_cuda
check(t, np.full(5, n * (n + 1) / 2), backend + " all_reduce")
t = ember.full((3,), float(r + 1), device="cuda")
dist.all_reduce(t, op=ReduceOp.AVG)
check(t, np.full(3, (n + 1) / 2), backend + " all_reduce AVG")
b = ember.arange(4.0, device="cuda") * (r + 1)
dist.broadcast(b, src=0)
check(b, np.arange(4.0), backend + " broadcast")
out = ember.zeros(2 * n, device="cuda")
dist.all_gather_into_tensor(out, ember.full((2,), float(r), device="cuda"))
check(out, np.repeat(np.arange(n, dtype=float), 2), backend + " all_gather_into_tensor")
rs = ember.zeros(2, device="cuda")
dist.reduce_scatter_tensor(rs, ember.arange(2.0 * n, device="cuda"))
check(rs, n * np.arange(2.0 * r, 2.0 * r + 2), backend + " reduce_scatter_tensor")

import ember.nn as nn
from ember.nn.parallel import DistributedDataParallel as DDP
ember.manual_seed(r)
model = DDP(nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 2)).cuda())
ember.manual_seed(0)
X, Y = ember.randn(4 * n, 6).cuda(), ember.randn(4 * n, 2).cuda()
ref = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 2)).cuda()
ref.load_state_dict({k[len("module."):]: v for k, v in model.state_dict().items()})
for step in range(3):
    model.zero_grad()
    ((model(X[4 * r:4 * r + 4]) - Y[4 * r:4 * r + 4]) ** 2).mean().backward()
    ref.zero_grad()
    ((ref(X) - Y) ** 2).mean().backward()
    with ember.no_grad():
        for p, q in zip(model.parameters(), ref.parameters()):
            assert p.grad.is_cuda
            p -= 0.1 * p.grad
            q -= 0.1 * q.grad
for p, q in zip(model.parameters(), ref.parameters()):
    check(p, q.detach().cpu().numpy(), backend + " DDP on the GPU")
print("rank", r, "ok")
dist.destroy_process_group()
"""


@pytest.mark.parametrize("backend,nproc", [("mpi", 2), ("nccl", 1)])
def test_distributed_on_gpu(tmp_path, backend, nproc):
    from test_distributed import _mpi_ready, _ok, launch

    if _mpi_ready() is not None:
        pytest.skip(_mpi_ready())
    if backend == "nccl" and not ember.distributed.is_nccl_available():
        pytest.skip("CuPy has no NCCL here")
    proc, _ = launch(
        tmp_path, GPU_DIST.replace("sys.argv[1]", repr(backend)), nproc=nproc, timeout=180
    )
    _ok(proc)
    assert proc.stdout.count("ok") == nproc
