"""The seed's MNIST network: one training step gives PyTorch's loss and gradients."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close

import ember

torch = pytest.importorskip("torch")


def mnist_net(lib):
    """PyTorch's MNIST example network, written once for both libraries."""
    nn, F = lib.nn, lib.nn.functional

    class Net(nn.Module):
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
            x = lib.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = self.dropout2(x)
            return F.log_softmax(self.fc2(x), dim=1)

    return Net()


def _pair():
    torch.manual_seed(0)
    tm, em = mnist_net(torch), mnist_net(ember)
    assert list(em.state_dict()) == list(tm.state_dict())
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    return tm, em


def _batch(n=64):
    rng = np.random.default_rng(0)
    x = ((rng.random((n, 1, 28, 28)) - 0.1307) / 0.3081).astype(np.float32)
    return x, rng.integers(0, 10, n)


def _step(lib, model, x, y):
    model.zero_grad()
    loss = lib.nn.functional.nll_loss(model(lib.tensor(x)), lib.tensor(y))
    loss.backward()
    return loss


@pytest.mark.parametrize("mode", ["eval", "train-p0"])
def test_training_step_matches_torch(mode):
    tm, em = _pair()
    if mode == "eval":
        tm.eval(), em.eval()
    else:
        for m in (tm, em):
            m.dropout1.p = m.dropout2.p = 0.0
    x, y = _batch()
    t_loss, e_loss = _step(torch, tm, x, y), _step(ember, em, x, y)
    assert_close(e_loss, t_loss, rtol=1e-5, atol=0)
    for tp, ep in zip(tm.parameters(), em.parameters()):
        scale = float(tp.grad.abs().max())
        assert_close(ep.grad, tp.grad, rtol=1e-5, atol=1e-5 * scale)


def test_adadelta_steps_match_torch():
    if not hasattr(ember, "optim") or not hasattr(ember.optim, "Adadelta"):
        pytest.skip("ember.optim.Adadelta not available")
    tm, em = _pair()
    tm.eval(), em.eval()
    t_opt = torch.optim.Adadelta(tm.parameters(), lr=1.0)
    e_opt = ember.optim.Adadelta(em.parameters(), lr=1.0)
    x, y = _batch(16)
    for _ in range(2):
        _step(torch, tm, x, y)
        t_opt.step()
        _step(ember, em, x, y)
        e_opt.step()
    for tp, ep in zip(tm.parameters(), em.parameters()):
        assert_close(ep, tp, rtol=1e-4, atol=1e-5)
