"""Train the seed's MNIST recipe in PyTorch for 3 epochs: the reference for examples/mnist.py.

Same network, Adadelta + StepLR loop and data as the example, on whole tensors (no torchvision
needed); ``--shift 1`` moves each training image by up to one pixel like the example's
``RandomCrop(28, padding=1)``. Prints the test accuracy after each epoch as JSON.

    python -m benchmarks.mnist_recipe --seed 1 --shift 1
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import time

import numpy as np

RAW = os.path.join(os.path.dirname(__file__), os.pardir, "data", "MNIST", "raw")


def _idx(name: str) -> np.ndarray:
    with gzip.open(os.path.join(RAW, name)) as f:
        b = f.read()
    nd = b[3]
    dims = [int.from_bytes(b[4 + 4 * i : 8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(b, np.uint8, offset=4 + 4 * nd).reshape(dims)


def main() -> None:
    import torch
    import torch.nn.functional as F
    from torch import nn

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1.0)
    p.add_argument("--gamma", type=float, default=0.7)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--shift", type=int, default=0, help="largest shift in pixels (0: none)")
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)

    def images(name):
        x = (_idx(name).astype(np.float32) / 255 - 0.1307) / 0.3081
        return torch.from_numpy(x[:, None].copy())

    xtr, xte = images("train-images-idx3-ubyte.gz"), images("t10k-images-idx3-ubyte.gz")
    ytr = torch.from_numpy(_idx("train-labels-idx1-ubyte.gz").astype(np.int64))
    yte = torch.from_numpy(_idx("t10k-labels-idx1-ubyte.gz").astype(np.int64))
    background = float(xtr.min())

    def shifted(x):
        s = a.shift
        padded = F.pad(x, (s, s, s, s), value=background)
        n = x.shape[0]
        cols = torch.randint(0, 2 * s + 1, (n,))[:, None] + torch.arange(28)
        rows = torch.randint(0, 2 * s + 1, (n,))[:, None] + torch.arange(28)
        k = torch.arange(n)[:, None, None]
        return padded[k, 0, rows[:, :, None], cols[:, None, :]][:, None]

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = nn.Conv2d(1, 32, 3, 1), nn.Conv2d(32, 64, 3, 1)
            self.dropout1, self.dropout2 = nn.Dropout2d(0.25), nn.Dropout(0.5)
            self.fc1, self.fc2 = nn.Linear(9216, 128), nn.Linear(128, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
            x = F.relu(self.fc1(torch.flatten(self.dropout1(x), 1)))
            return F.log_softmax(self.fc2(self.dropout2(x)), dim=1)

    torch.manual_seed(a.seed)
    model = Net()
    opt = torch.optim.Adadelta(model.parameters(), lr=a.lr)
    sched = torch.optim.lr_scheduler.StepLR(opt, 1, a.gamma)
    accs, start = [], time.perf_counter()
    for _ in range(a.epochs):
        model.train()
        perm = torch.randperm(len(xtr))
        for i in range(0, len(xtr), a.batch_size):
            j = perm[i : i + a.batch_size]
            x = shifted(xtr[j]) if a.shift else xtr[j]
            opt.zero_grad()
            F.nll_loss(model(x), ytr[j]).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            right = sum(
                (model(xte[i : i + 1000]).argmax(1) == yte[i : i + 1000]).sum().item()
                for i in range(0, len(xte), 1000)
            )
        accs.append(100.0 * right / len(xte))
        sched.step()
    print(json.dumps({**vars(a), "accuracy": accs, "seconds": round(time.perf_counter() - start)}))


if __name__ == "__main__":
    main()
