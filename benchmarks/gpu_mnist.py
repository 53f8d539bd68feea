"""The seed's MNIST training step on a CUDA GPU: ember (CuPy) against PyTorch on the same GPU.

Run on a GPU machine: ``python -m benchmarks.gpu_mnist``. Prints the median step time of each
framework at batch 64 and 1000 and the ratio ember/PyTorch. ``--profile`` adds, for ember at
batch 64, the host time of one step without synchronising (if it is close to the synchronised
time, the step is bound by Python and launch overhead, not by the GPU) and ember.profiler's
per-op table. ``--device cpu`` runs the same on the CPU (to try the script without a GPU).
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from .workloads import _mnist_net


def _make_step(fw, batch: int, device: str):
    F = fw.nn.functional
    model = _mnist_net(fw).to(device)
    opt = fw.optim.Adadelta(model.parameters(), lr=1.0)
    rng = np.random.default_rng(0)
    x = fw.tensor(rng.standard_normal((batch, 1, 28, 28)).astype(np.float32)).to(device)
    y = fw.tensor(rng.integers(0, 10, batch)).to(device)

    def step():
        opt.zero_grad()
        loss = F.nll_loss(model(x), y)
        loss.backward()
        opt.step()

    return step


def _sync(fw, device: str) -> None:
    if device != "cpu":
        fw.cuda.synchronize()


def _time_step(fw, batch: int, reps: int = 30, device: str = "cuda", sync: bool = True) -> float:
    step = _make_step(fw, batch, device)
    for _ in range(5):
        step()
    _sync(fw, device)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        step()
        if sync:
            _sync(fw, device)
        times.append(time.perf_counter() - t0)
    _sync(fw, device)
    return statistics.median(times) * 1e3


def _profile(device: str) -> None:
    import ember

    host = _time_step(ember, 64, device=device, sync=False)
    full = _time_step(ember, 64, device=device)
    print(f"ember batch 64: host {host:.2f} ms a step unsynchronised, {full:.2f} ms synced")
    step = _make_step(ember, 64, device)
    step()
    with ember.profiler.profile() as prof:
        for _ in range(10):
            step()
        _sync(ember, device)
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25))


def main(argv=None) -> None:
    import argparse

    import ember

    ap = argparse.ArgumentParser(prog="python -m benchmarks.gpu_mnist")
    ap.add_argument("--profile", action="store_true", help="host time and per-op table (ember)")
    ap.add_argument("--device", default="cuda", help="cuda (default) or cpu")
    ap.add_argument("--no-torch", action="store_true")
    args = ap.parse_args(argv)
    dev = args.device
    rows = []
    torch = None
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            torch = None
    for batch in (64, 1000):
        reps = 5 if dev == "cpu" else 30
        e = _time_step(ember, batch, device=dev, reps=reps)
        t = _time_step(torch, batch, device=dev, reps=reps) if torch is not None else float("nan")
        rows.append((batch, e, t))
    print(f"device: {ember.cuda.get_device_name(0) if dev != 'cpu' else 'cpu'}")
    print(f"{'batch':>6} {'ember ms':>10} {'torch ms':>10} {'ratio':>7}")
    for b, e, t in rows:
        print(f"{b:>6} {e:>10.2f} {t:>10.2f} {e / t:>7.2f}")
    if args.profile:
        _profile(dev)


if __name__ == "__main__":
    main()
