"""The benchmark workloads (issue 5), written once for any framework with torch's API.

Each ``make_<name>(fw)`` takes the framework module (``ember`` or ``torch``) and returns
``(step, info)``: ``step()`` runs one repetition and ``info`` says how many floating-point
operations one step does (for GFLOP/s) and how many inner iterations it contains. Inputs come
from NumPy with a fixed seed, so both frameworks see the same shapes and values.
"""

from __future__ import annotations

import numpy as np


def _tensor(fw, a):
    return fw.tensor(a)


def _mnist_net(fw):
    nn, F = fw.nn, fw.nn.functional

    class Net(nn.Module):  # the seed's network (PyTorch's MNIST example)
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = nn.Dropout2d(0.25)
            self.dropout2 = nn.Dropout(0.5)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.relu(self.conv2(x))
            x = F.max_pool2d(x, 2)
            x = self.dropout1(x)
            x = fw.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = self.dropout2(x)
            return F.log_softmax(self.fc2(x), dim=1)

    fw.manual_seed(0)
    return Net()


# Multiply-adds of the seed's network per image, times two: conv1, conv2, fc1, fc2.
_MNIST_FWD = 2 * (26 * 26 * 32 * 9 + 24 * 24 * 64 * 288 + 9216 * 128 + 128 * 10)
# Backward: weight gradients of every layer plus input gradients of all but conv1.
_MNIST_BWD = _MNIST_FWD + 2 * (24 * 24 * 64 * 288 + 9216 * 128 + 128 * 10)


def make_w1(fw):
    """Seed's MNIST CNN, one training step (Adadelta), batch 64."""
    F = fw.nn.functional
    model = _mnist_net(fw)
    opt = fw.optim.Adadelta(model.parameters(), lr=1.0)
    rng = np.random.default_rng(0)
    x = _tensor(fw, rng.standard_normal((64, 1, 28, 28)).astype(np.float32))
    y = _tensor(fw, rng.integers(0, 10, 64))
    model.train()

    def step():
        opt.zero_grad()
        loss = F.nll_loss(model(x), y)
        loss.backward()
        opt.step()

    return step, {"flop": 64 * (_MNIST_FWD + _MNIST_BWD), "unit": "ms", "per": 1}


def make_w2(fw):
    """Same network, inference under no_grad, batch 1000."""
    model = _mnist_net(fw)
    model.eval()
    rng = np.random.default_rng(0)
    x = _tensor(fw, rng.standard_normal((1000, 1, 28, 28)).astype(np.float32))

    def step():
        with fw.no_grad():
            model(x)

    return step, {"flop": 1000 * _MNIST_FWD, "unit": "ms", "per": 1}


def make_w3(fw):
    """MLP 784-512-512-10, cross-entropy, SGD, batch 128."""
    nn, F = fw.nn, fw.nn.functional
    fw.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10)
    )
    opt = fw.optim.SGD(model.parameters(), lr=0.01)
    rng = np.random.default_rng(0)
    x = _tensor(fw, rng.standard_normal((128, 784)).astype(np.float32))
    y = _tensor(fw, rng.integers(0, 10, 128))

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    mm = 784 * 512 + 512 * 512 + 512 * 10
    flop = 2 * 128 * (3 * mm - 784 * 512)
    return step, {"flop": flop, "unit": "ms", "per": 1}


def _add_loop(fw, requires_grad):
    rng = np.random.default_rng(0)
    a = _tensor(fw, rng.standard_normal((4, 4)).astype(np.float32))
    b = _tensor(fw, rng.standard_normal((4, 4)).astype(np.float32))
    if requires_grad:
        a.requires_grad_(True)
    n = 2000

    def step():
        for _ in range(n):
            a + b

    return step, {"flop": None, "unit": "us", "per": n}


def make_w4(fw):
    """``a + b`` on 4x4 float32, eager (per call)."""
    return _add_loop(fw, False)


def make_w4g(fw):
    """``a + b`` on 4x4 float32 with a.requires_grad (graph recorded; per call)."""
    return _add_loop(fw, True)


def make_w5(fw):
    """2048x2048 float32 matmul."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2048, 2048)).astype(np.float32)
    b = rng.standard_normal((2048, 2048)).astype(np.float32)
    if fw is np:
        return (lambda: a @ b), {"flop": 2 * 2048**3, "unit": "ms", "per": 1}
    ta, tb = _tensor(fw, a), _tensor(fw, b)
    return (lambda: fw.matmul(ta, tb)), {"flop": 2 * 2048**3, "unit": "ms", "per": 1}


def make_w6(fw):
    """LSTM (input 32, hidden 128), sequence 35, batch 20: one training step (SGD)."""
    nn, F = fw.nn, fw.nn.functional
    fw.manual_seed(0)
    lstm = nn.LSTM(32, 128)
    head = nn.Linear(128, 1)
    opt = fw.optim.SGD(list(lstm.parameters()) + list(head.parameters()), lr=0.1)
    rng = np.random.default_rng(0)
    x = _tensor(fw, rng.standard_normal((35, 20, 32)).astype(np.float32))
    y = _tensor(fw, rng.standard_normal((20, 1)).astype(np.float32))

    def step():
        opt.zero_grad()
        out, _ = lstm(x)
        F.mse_loss(head(out[-1]), y).backward()
        opt.step()

    # Matrix products only: the input projection and its weight gradient, the recurrence's
    # forward and backward steps and its weight gradient (the 128 -> 1 head is negligible).
    T, B, n_in, H = 35, 20, 32, 128
    flop = 2 * T * B * 4 * H * (2 * n_in + 3 * H)
    return step, {"flop": flop, "unit": "ms", "per": 1}


WORKLOADS = {
    "W1": ("MNIST CNN train step, batch 64", make_w1),
    "W2": ("MNIST CNN inference, batch 1000", make_w2),
    "W3": ("MLP 784-512-512-10 train step, batch 128", make_w3),
    "W4": ("a + b, 4x4 float32, eager", make_w4),
    "W4g": ("a + b, 4x4 float32, requires_grad", make_w4g),
    "W5": ("2048x2048 float32 matmul", make_w5),
    "W6": ("LSTM 32->128, seq 35, batch 20, train step", make_w6),
}

# The targets for ember (time per step, or as noted) and PyTorch's figure there.
TARGETS = {"W1": 20.0, "W2": 150.0, "W3": 1.5, "W4": 2.0, "W4g": 3.0, "W6": 2.5}
