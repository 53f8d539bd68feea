"""Sequence prediction: an LSTM learns sine waves and then continues them on its own.

Like PyTorch's time-sequence-prediction example, with ``import ember as torch``. Each training
sequence is a sine wave with a random phase; the model reads it one step at a time and predicts
the next value. After training it is given the start of unseen waves and generates the rest
from its own predictions; the script reports the error of those continuations next to the error
of always predicting zero (the waves' mean).

    python examples/sine_wave.py --steps 300
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import ember as torch  # noqa: E402
import ember.nn as nn  # noqa: E402
import ember.nn.functional as F  # noqa: E402


def make_waves(n: int, length: int, period: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` sine waves of ``length`` steps with random phases, shape (length, n, 1)."""
    t = np.arange(length)[:, None] + rng.uniform(0, period, size=(1, n))
    return np.sin(2 * np.pi * t / period).astype(np.float32)[..., None]


class Predictor(nn.Module):
    """A stacked LSTM reading one value per step and predicting the next."""

    def __init__(self, hidden: int, layers: int):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden, layers)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x, state=None):
        out, state = self.lstm(x, state)
        return self.head(out), state

    @torch.no_grad()
    def generate(self, prefix, steps: int):
        """Read ``prefix`` (T, N, 1), then feed back ``steps`` predictions of its own."""
        pred, state = self(prefix)
        x = pred[-1:]
        outs = []
        for _ in range(steps):
            outs.append(x)
            x, state = self(x, state)
        return torch.cat(outs, 0)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--length", type=int, default=80)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--period", type=float, default=20.0)
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--future", type=int, default=40, help="steps to generate after a prefix")
    p.add_argument("--device", default="cpu")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    model = Predictor(args.hidden, args.layers).to(args.device)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    t0 = time.perf_counter()
    for step in range(1, args.steps + 1):
        waves = torch.tensor(
            make_waves(args.batch_size, args.length + 1, args.period, rng), device=args.device
        )
        pred, _ = model(waves[:-1])
        loss = F.mse_loss(pred, waves[1:])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 50 == 0 or step == args.steps:
            print(f"step {step:4d}  train mse {loss.item():.5f}  ({time.perf_counter() - t0:.1f}s)")

    test = torch.tensor(
        make_waves(16, args.length + args.future, args.period, rng), device=args.device
    )
    prefix, future = test[: args.length], test[args.length :]
    generated = model.generate(prefix, args.future)
    mse = F.mse_loss(generated, future).item()
    baseline = (future * future).mean().item()
    print(
        f"free-running prediction of {args.future} steps: mse {mse:.5f} "
        f"(predicting zero: {baseline:.5f})"
    )
    row = generated[:, 0, 0].tolist()
    print("generated:", " ".join(f"{v:+.2f}" for v in row[:12]), "...")
    print("true:     ", " ".join(f"{v:+.2f}" for v in future[:12, 0, 0].tolist()), "...")
    return {"train_mse": loss.item(), "future_mse": mse, "baseline_mse": baseline}


if __name__ == "__main__":
    main()
