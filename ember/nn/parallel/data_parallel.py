"""``nn.DataParallel`` for scripts that wrap their model in it.

ember runs the wrapped module on one device: without CUDA, as it is (PyTorch does the same
without GPUs); with CUDA, on ``device_ids[0]``, with the inputs moved there, which is what
PyTorch computes with one GPU. It does not split the batch over several GPUs (use
``DistributedDataParallel`` for more than one device). The wrapper's ``state_dict`` keys carry
PyTorch's ``module.`` prefix, so checkpoints load either way.
"""

from __future__ import annotations

from itertools import chain

from ..._device import device
from ..._tensor import _map_tensors
from ..modules.module import Module


def _cuda_index(d) -> int:
    if isinstance(d, int):
        return d
    d = device(d)
    if d.type != "cuda":
        raise ValueError(f"DataParallel expects CUDA devices, got {d}")
    return d.index or 0


def _moved(obj, dev):
    return _map_tensors(lambda t: t.to(dev), obj)


class DataParallel(Module):
    """Run ``module`` on the first of ``device_ids`` (or as it is without CUDA).

    Example:
        >>> model = ember.nn.DataParallel(ember.nn.Linear(3, 2))
        >>> model(ember.randn(4, 3)).shape, list(model.state_dict())[0]
        (ember.Size([4, 2]), 'module.weight')
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0):
        super().__init__()
        from ... import cuda

        self.module = module
        self.dim = dim
        if not cuda.is_available():
            self.device_ids = []  # PyTorch sets nothing else without GPUs
            return
        if device_ids is None:
            device_ids = list(range(cuda.device_count()))
        self.device_ids = [_cuda_index(d) for d in device_ids]
        out = self.device_ids[0] if output_device is None else _cuda_index(output_device)
        self.output_device = out
        self.src_device_obj = device("cuda", self.device_ids[0])

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        src = self.src_device_obj
        for t in chain(self.module.parameters(), self.module.buffers()):
            if t.device != src:
                raise RuntimeError(
                    f"module must have its parameters and buffers on device {src} "
                    f"(device_ids[0]) but found one of them on device: {t.device}"
                )
        out = self.module(*_moved(inputs, src), **_moved(kwargs, src))
        if self.output_device != self.device_ids[0]:
            out = _moved(out, device("cuda", self.output_device))
        return out
