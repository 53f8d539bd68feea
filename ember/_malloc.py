"""Keep freed array memory in the process instead of handing it back to the OS each step.

NOTE [ malloc tuning ]
NumPy allocates every array with ``malloc``. glibc serves large blocks with ``mmap`` and returns
them on ``free``, and trims the top of its heap whenever more than a few megabytes lie free
there, so a training step that allocates and frees the same activations each iteration takes
fresh, zeroed pages from the kernel every time: about 3,800 page faults per step of the MNIST
benchmark (W1), and the LSTM step (W6) ran 1.6x slower than with the pages kept
(benchmarks/NOTES.md). On import, ember raises glibc's mmap threshold to 32 MiB and its trim
threshold to 128 MiB (``mallopt``), the equivalent of setting ``MALLOC_MMAP_THRESHOLD_`` and
``MALLOC_TRIM_THRESHOLD_``. A process keeps up to that much freed memory for reuse; peak memory
does not grow. Set ``EMBER_MALLOC_TUNING=0`` to leave malloc alone; settings already given
through those environment variables are respected. Other C libraries are left untouched.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 128 << 20


def tune() -> bool:
    """Apply the settings of NOTE [ malloc tuning ]; True when glibc took them."""
    if os.environ.get("EMBER_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    done = True
    for param, value, env in (
        (_M_MMAP_THRESHOLD, MMAP_THRESHOLD, "MALLOC_MMAP_THRESHOLD_"),
        (_M_TRIM_THRESHOLD, TRIM_THRESHOLD, "MALLOC_TRIM_THRESHOLD_"),
    ):
        if env not in os.environ:
            done = mallopt(param, value) == 1 and done
    return done
