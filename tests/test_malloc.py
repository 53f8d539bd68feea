"""NOTE [ malloc tuning ]: freed arrays' pages stay in the process (glibc only)."""

import os
import subprocess
import sys

import pytest

SCRIPT = """
import resource
import numpy as np
import ember
def step():  # a training step's activations: several arrays alive at once, then freed
    arrays = [np.ones(1 << 20, np.float32) for _ in range(8)]  # 8 x 4 MiB
    del arrays
for _ in range(3):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(**env):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")} | env
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return int(out.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt only")
def test_freed_arrays_are_reused_without_page_faults():
    # 20 steps of 32 MiB on fresh pages: ~160,000 faults of 4 KiB pages, or a few hundred with
    # transparent huge pages; reused memory: next to none. Relative, so either page size works.
    tuned, untuned = _faults(), _faults(EMBER_MALLOC_TUNING="0")
    assert untuned > 100, untuned
    assert tuned * 10 < untuned, (tuned, untuned)
