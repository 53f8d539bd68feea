"""Random number generation: Generator, manual_seed, and the default generator.

Random numbers are drawn on the CPU by NumPy's PCG64 and moved to the target device, so a seed
gives the same numbers on every backend.
"""

from __future__ import annotations

import numpy as np


class Generator:
    """A random number generator with PyTorch's seeding API.

    Example:
        >>> g = ember.Generator().manual_seed(0)
        >>> ember.rand(2, generator=g).shape
        ember.Size([2])
    """

    def __init__(self, device="cpu"):
        from ._device import as_device

        self.device = as_device(device)
        self._seed = 67280421310721
        self._np = None  # made on first use: numpy.random is not imported by ``import ember``

    @property
    def numpy(self) -> np.random.Generator:
        """The NumPy generator that draws this generator's numbers."""
        if self._np is None:
            self._np = np.random.Generator(np.random.PCG64(self._seed))
        return self._np

    @numpy.setter
    def numpy(self, value) -> None:
        self._np = value

    def manual_seed(self, seed: int) -> Generator:
        """Reseed; returns self."""
        seed = int(seed)
        if seed < 0:
            seed &= 0xFFFF_FFFF_FFFF_FFFF
        self._seed = seed
        self._np = None  # reseeded lazily, on the next draw
        return self

    def seed(self) -> int:
        """Reseed from OS entropy; returns the new seed."""
        s = int(np.random.SeedSequence().entropy) & 0xFFFF_FFFF_FFFF_FFFF
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        """The seed last given to manual_seed."""
        return self._seed

    def get_state(self):
        """The generator state as a uint8 tensor (for set_state)."""
        import json

        from ._tensor import _make

        st = {"seed": self._seed, "state": self.numpy.bit_generator.state}
        raw = json.dumps(st, default=int).encode()
        return _make(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state) -> Generator:
        """Restore a state from get_state."""
        arr = np.asarray(new_state._data if hasattr(new_state, "_data") else new_state)
        if arr.dtype != np.uint8:
            raise TypeError(f"expected a uint8 state tensor, got {arr.dtype}")
        import json

        st = json.loads(bytes(arr.tobytes()).decode())
        self._seed = int(st["seed"])
        bg = np.random.PCG64()
        bg.state = st["state"]
        self.numpy = np.random.Generator(bg)
        return self


default_generator = Generator()


def _gen(generator) -> np.random.Generator:
    return (generator or default_generator).numpy


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (and every CUDA device's, when there are any).

    Example:
        >>> _ = ember.manual_seed(0)
    """
    default_generator.manual_seed(seed)
    return default_generator


def seed() -> int:
    """Seed the default generator from OS entropy; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The default generator's seed."""
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state as a uint8 tensor.

    Example:
        >>> s = ember.get_rng_state(); ember.set_rng_state(s)
    """
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    """Restore the default generator's state."""
    default_generator.set_state(new_state)


def fork_rng(devices=None, enabled=True):
    """Context manager that restores the default generator's state on exit."""
    import contextlib

    @contextlib.contextmanager
    def _fork():
        st = get_rng_state()
        try:
            yield
        finally:
            if enabled:
                set_rng_state(st)

    return _fork()
