"""Drop-in mode: ``python -m ember.compat SCRIPT`` runs PyTorch scripts on ember."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch as real_torch
from test_mnist_example import tiny_mnist

import ember
import ember.compat as compat

REPO = Path(__file__).resolve().parent.parent


def run_compat(tmp_path, script: str, *args, module=False):
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [sys.executable, "-m", "ember.compat", *(["-m"] if module else []), script, *args]
    return subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


def test_resolve_table():
    assert compat.resolve("torch") == "ember"
    assert compat.resolve("torch.nn.functional") == "ember.nn.functional"
    assert compat.resolve("torch.utils.data") == "ember.utils.data"
    assert compat.resolve("torchvision") == "ember.vision"
    assert compat.resolve("torchvision.transforms.functional") == (
        "ember.vision.transforms.functional"
    )
    assert compat.resolve("torch.multiprocessing") == "multiprocessing"
    assert compat.resolve("torchaudio") is None and compat.resolve("torchy") is None


def test_enabled_maps_imports_and_restores_real_torch():
    assert not compat.is_installed()
    with compat.enabled():
        import torch
        import torch.nn.functional as F
        from torch.utils.data import DataLoader
        from torchvision import datasets, transforms

        assert torch is ember and F is ember.nn.functional
        assert DataLoader is ember.utils.data.DataLoader
        assert datasets.MNIST is ember.vision.datasets.MNIST
        assert transforms.ToTensor is ember.vision.transforms.ToTensor
        assert ember.__spec__.name == "ember", "aliasing must not rename ember's modules"
        with pytest.raises(ModuleNotFoundError, match="maps it to 'ember.fx'"):
            import torch.fx  # noqa: F401
    assert not compat.is_installed()
    assert sys.modules["torch"] is real_torch
    import torch

    assert torch is real_torch


def test_script_runs_unchanged(tmp_path):
    (tmp_path / "helper.py").write_text("VALUE = 42\n")
    script = tmp_path / "train.py"
    script.write_text(
        textwrap.dedent("""
        import sys
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from torch.utils.data import DataLoader, Dataset, TensorDataset
        import torchvision
        from torchvision import transforms
        from helper import VALUE

        class Squares(Dataset):
            def __len__(self):
                return 6

            def __getitem__(self, i):
                return torch.tensor([float(i)]), i * i

        torch.manual_seed(0)
        model = nn.Linear(1, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        x = torch.linspace(-1, 1, 32).unsqueeze(1)
        for _ in range(200):
            opt.zero_grad()
            loss = F.mse_loss(model(x), 3 * x + 1)
            loss.backward()
            opt.step()
        batches = [y.tolist() for _, y in DataLoader(Squares(), batch_size=4, num_workers=2)]
        print("names", torch.__name__, nn.__name__, torchvision.__name__, transforms.__name__)
        print("argv", sys.argv[1:], "main", __name__, "helper", VALUE)
        print("fit", round(model.weight.item(), 2), round(model.bias.item(), 2))
        print("batches", batches)
    """)
    )
    proc = run_compat(tmp_path, str(script), "--flag", "x")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "names ember ember.nn ember.vision ember.vision.transforms" in out
    assert "argv ['--flag', 'x'] main __main__ helper 42" in out
    assert "fit 3.0 1.0" in out
    assert "batches [[0, 1, 4, 9], [16, 25]]" in out


def test_pytorch_mnist_example_runs_in_drop_in_mode(tmp_path):
    source = (REPO / "examples" / "mnist.py").read_text()
    for ours, theirs in [
        ("import ember as torch", "import torch"),
        ("import ember.nn.functional as F", "import torch.nn.functional as F"),
        ("from ember import nn, optim", "from torch import nn, optim"),
        ("from ember.optim.lr_scheduler", "from torch.optim.lr_scheduler"),
        ("from ember.vision import", "from torchvision import"),
        ("from ember.utils.tensorboard import", "from torch.utils.tensorboard import"),
    ]:
        assert ours in source
        source = source.replace(ours, theirs)
    assert "ember" not in source.split('"""', 2)[2], "only the imports may differ"
    script = tmp_path / "pytorch_mnist.py"
    script.write_text(source)
    data = tiny_mnist(tmp_path / "data", n_train=64, n_test=100)
    proc = run_compat(
        tmp_path,
        str(script),
        "--dry-run",
        "--epochs",
        "1",
        "--no-accel",
        "--data",
        str(data),
        "--test-batch-size",
        "50",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Test set: Average loss" in proc.stdout and "/100 (" in proc.stdout


def test_module_form_usage_and_errors(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "job.py").write_text("import sys, torch\nprint(torch.__name__, sys.argv[1:])\n")
    proc = run_compat(tmp_path, "pkg.job", "a", module=True)
    assert proc.returncode == 0, proc.stderr
    assert "ember ['a']" in proc.stdout
    bad = tmp_path / "bad.py"
    bad.write_text("import torch._C\n")
    proc = run_compat(tmp_path, str(bad))
    assert proc.returncode == 1
    assert "No module named 'torch._C': ember.compat maps it to 'ember._C'" in proc.stderr
    proc = run_compat(tmp_path, "missing_script.py")
    assert proc.returncode != 0 and "can't open file" in proc.stderr
    env = dict(os.environ, PYTHONPATH=str(REPO))
    usage = subprocess.run(
        [sys.executable, "-m", "ember.compat"], env=env, capture_output=True, text=True, timeout=60
    )
    assert usage.returncode == 2 and "usage: python -m ember.compat SCRIPT" in usage.stdout
