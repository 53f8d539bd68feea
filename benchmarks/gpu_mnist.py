"""The seed's MNIST training step on a CUDA GPU: ember (CuPy) against PyTorch on the same GPU.

Run on a GPU machine: ``python -m benchmarks.gpu_mnist``. Prints the median step time of each
framework at batch 64 and 1000 and the ratio ember/PyTorch.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from .workloads import _mnist_net


def _time_step(fw, batch: int, reps: int = 30) -> float:
    F = fw.nn.functional
    model = _mnist_net(fw).to("cuda")
    opt = fw.optim.Adadelta(model.parameters(), lr=1.0)
    rng = np.random.default_rng(0)
    x = fw.tensor(rng.standard_normal((batch, 1, 28, 28)).astype(np.float32)).to("cuda")
    y = fw.tensor(rng.integers(0, 10, batch)).to("cuda")

    def step():
        opt.zero_grad()
        loss = F.nll_loss(model(x), y)
        loss.backward()
        opt.step()

    for _ in range(5):
        step()
    fw.cuda.synchronize()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        step()
        fw.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def main() -> None:
    import ember

    rows = []
    try:
        import torch
    except ImportError:
        torch = None
    for batch in (64, 1000):
        e = _time_step(ember, batch)
        t = _time_step(torch, batch) if torch is not None else float("nan")
        rows.append((batch, e, t))
    print(f"GPU: {ember.cuda.get_device_name(0)}")
    print(f"{'batch':>6} {'ember ms':>10} {'torch ms':>10} {'ratio':>7}")
    for b, e, t in rows:
        print(f"{b:>6} {e:>10.2f} {t:>10.2f} {e / t:>7.2f}")


if __name__ == "__main__":
    main()
