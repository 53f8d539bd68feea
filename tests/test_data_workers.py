"""DataLoader worker processes: order, parallelism, seeds, errors, death, timeout, leaks."""

from __future__ import annotations

import gc
import multiprocessing
import os
import random
import signal
import sys
import time

import numpy as np
import pytest
import torch.utils.data as tud

import ember
import ember.utils.data as eud

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses fork, /proc")


class Slow(eud.Dataset):
    """Item i sleeps a little (longer for even i) so that workers finish out of order."""

    def __init__(self, n=12, delay=0.0):
        self.n, self.delay = n, delay

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if self.delay:
            time.sleep(self.delay * (2 if i % 2 == 0 else 1))
        return np.array([i, i * i]), i


def norm(batch):
    return batch.tolist() if hasattr(batch, "tolist") else batch


def flat(loader):
    return [b[1].tolist() for b in loader]


def test_workers_keep_order_and_match_single_process():
    single = flat(eud.DataLoader(Slow(11, 0.005), batch_size=2))
    multi = flat(eud.DataLoader(Slow(11, 0.005), batch_size=2, num_workers=2))
    assert multi == single == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9], [10]]


@pytest.mark.filterwarnings("ignore:This DataLoader will create")
def test_workers_load_in_parallel():
    ds = Slow(8, 0.1)  # 1.2 s of sleeping in all
    loader = eud.DataLoader(ds, batch_size=1, num_workers=4)
    start = time.perf_counter()
    out = [b[1].item() for b in loader]
    elapsed = time.perf_counter() - start
    assert out == list(range(8))
    assert elapsed < 0.9, f"4 workers took {elapsed:.2f}s for 1.2s of sleep"


def test_worker_batches_match_torch_for_iterable_datasets():
    class Ours(eud.IterableDataset):
        def __iter__(self):
            info = eud.get_worker_info()
            return iter(range(info.id * 100, info.id * 100 + 5))

    class Theirs(tud.IterableDataset):
        def __iter__(self):
            info = tud.get_worker_info()
            return iter(range(info.id * 100, info.id * 100 + 5))

    for kw in (dict(batch_size=2), dict(batch_size=2, drop_last=True), dict(batch_size=None)):
        ours = [norm(b) for b in eud.DataLoader(Ours(), num_workers=2, **kw)]
        theirs = [norm(b) for b in tud.DataLoader(Theirs(), num_workers=2, **kw)]
        assert ours == theirs


class Randoms(eud.Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = eud.get_worker_info()
        return {
            "np": int(np.random.randint(1 << 30)),
            "ember": ember.randint(0, 1 << 30, ()).item(),
            "py": random.getrandbits(30),
            "id": info.id,
            "seed": info.seed,
            "n": info.num_workers,
            "same_ds": info.dataset is self,
        }


def test_workers_get_distinct_reproducible_seeds():
    np.random.seed(0)

    def run(seed):
        loader = eud.DataLoader(
            Randoms(), batch_size=1, num_workers=2, generator=ember.Generator().manual_seed(seed)
        )
        return [{k: v.item() if hasattr(v, "item") else v[0] for k, v in b.items()} for b in loader]

    a = run(5)
    assert a == run(5), "a seeded loader must give the same random numbers every run"
    assert {r["id"] for r in a} == {0, 1} and all(r["n"] == 2 and r["same_ds"] for r in a)
    # Batch k comes from worker k % 2: first draws of each worker.
    w0, w1 = a[0], a[1]
    for key in ("np", "ember", "py"):
        assert w0[key] != w1[key], f"workers share {key} random state"
    assert w1["seed"] == w0["seed"] + 1
    assert run(6)[0]["np"] != w0["np"]


def test_get_worker_info_is_none_in_main_process():
    assert eud.get_worker_info() is None


def test_worker_info_is_read_only():
    info = eud.WorkerInfo(id=0, num_workers=1, seed=1, dataset=None)
    with pytest.raises(RuntimeError, match="Cannot assign attributes"):
        info.id = 3


class Failing(eud.Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 3:
            raise ValueError(f"bad sample {i}")
        if i == 5:
            raise KeyError("missing")
        return i


def test_worker_exception_reraised_with_original_traceback():
    it = iter(eud.DataLoader(Failing(), batch_size=2, num_workers=2))
    assert next(it).tolist() == [0, 1]
    with pytest.raises(ValueError) as err:
        next(it)
    msg = str(err.value)
    assert "Caught ValueError in DataLoader worker process 1" in msg
    assert "Original Traceback (most recent call last)" in msg
    assert "in __getitem__" in msg and 'raise ValueError(f"bad sample {i}")' in msg
    assert "bad sample 3" in msg


def test_worker_key_error_and_init_fn_error():
    with pytest.raises(KeyError, match="missing"):
        list(eud.DataLoader(Failing(), batch_size=1, sampler=[5], num_workers=1))

    def init(worker_id):
        raise OSError(f"init failed in {worker_id}")

    with pytest.raises(OSError, match="init failed in 0"):
        list(eud.DataLoader(Slow(4), num_workers=1, worker_init_fn=init))


def test_worker_init_fn_runs_in_each_worker():
    def init(worker_id):
        np.random.seed(1000 + worker_id)

    loader = eud.DataLoader(Randoms(), batch_size=1, num_workers=2, worker_init_fn=init)
    first = [b["np"].item() for b in loader][:2]
    np.random.seed(1000)
    a = np.random.randint(1 << 30)
    np.random.seed(1001)
    assert first == [a, np.random.randint(1 << 30)]


class Suicidal(eud.Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        if i == 4:
            os.kill(os.getpid(), signal.SIGKILL)
        return i


@pytest.mark.timeout(60)
def test_killed_worker_raises_instead_of_hanging():
    start = time.perf_counter()
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpect"):
        list(eud.DataLoader(Suicidal(), batch_size=2, num_workers=2))
    assert time.perf_counter() - start < 10
    gc.collect()  # finalise iterators (also PyTorch's, from other tests) caught in cycles
    assert multiprocessing.active_children() == []


@pytest.mark.timeout(60)
def test_timeout_is_honoured():
    loader = eud.DataLoader(Slow(2, 3.0), batch_size=1, num_workers=1, timeout=0.3)
    start = time.perf_counter()
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.3 seconds"):
        next(iter(loader))
    assert time.perf_counter() - start < 3


class Counting(eud.Dataset):
    def __init__(self, counter):
        self.counter = counter

    def __len__(self):
        return 40

    def __getitem__(self, i):
        with self.counter.get_lock():
            self.counter.value += 1
        return i


@pytest.mark.parametrize("prefetch_factor", [1, 3])
def test_prefetch_factor_bounds_the_batches_in_flight(prefetch_factor):
    counter = multiprocessing.Value("i", 0)
    loader = eud.DataLoader(
        Counting(counter), batch_size=1, num_workers=2, prefetch_factor=prefetch_factor
    )
    it = iter(loader)
    next(it)
    time.sleep(0.5)
    # prefetch_factor * num_workers tasks at the start, plus one to replace the batch taken.
    assert counter.value == prefetch_factor * 2 + 1
    del it


class Pids(eud.Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        return os.getpid()


def test_persistent_workers_survive_epochs_and_abandoned_epochs():
    loader = eud.DataLoader(Slow(7), batch_size=2, num_workers=2, persistent_workers=True)
    expected = [[0, 1], [2, 3], [4, 5], [6]]
    assert flat(loader) == expected
    it = iter(loader)
    next(it)  # leave this epoch early: its batches in flight must not leak into the next
    assert flat(loader) == expected
    pid_loader = eud.DataLoader(Pids(), num_workers=2, persistent_workers=True)
    first = {b.item() for b in pid_loader}
    assert first == {b.item() for b in pid_loader} and len(first) == 2
    assert os.getpid() not in first


def test_persistent_iterable_dataset_restarts_each_epoch():
    class Three(eud.IterableDataset):
        def __iter__(self):
            return iter(range(3)) if eud.get_worker_info().id == 0 else iter([])

    loader = eud.DataLoader(Three(), batch_size=2, num_workers=2, persistent_workers=True)
    assert [b.tolist() for b in loader] == [[0, 1], [2]]
    assert [b.tolist() for b in loader] == [[0, 1], [2]]


def test_out_of_order_mode_returns_everything():
    loader = eud.DataLoader(Slow(9, 0.01), batch_size=1, num_workers=3, in_order=False)
    assert sorted(b[1].item() for b in loader) == list(range(9))


def test_workers_with_batch_size_none_and_pin_memory():
    with pytest.warns(UserWarning, match="pin_memory"):
        loader = eud.DataLoader(Slow(3), batch_size=None, num_workers=1, pin_memory=True)
        out = list(loader)
    assert [o[1] for o in out] == [0, 1, 2] and out[2][0].tolist() == [2, 4]


def test_tensor_dataset_with_spawn_workers():
    ds = eud.TensorDataset(ember.arange(5).float(), ember.arange(5))
    loader = eud.DataLoader(ds, batch_size=2, num_workers=1, multiprocessing_context="spawn")
    out = list(loader)
    assert [y.tolist() for _, y in out] == [[0, 1], [2, 3], [4]]
    assert out[0][0].dtype == ember.float32


def _fds():
    return len(os.listdir("/proc/self/fd"))


def test_no_fd_or_process_leak_over_many_epochs():
    loader = eud.DataLoader(Slow(4), batch_size=2, num_workers=2)
    flat(loader)  # warm up: imports, lazily opened files
    gc.collect()  # finalise iterators (also PyTorch's, from other tests) caught in cycles
    before = _fds()
    for _ in range(30):
        assert flat(loader) == [[0, 1], [2, 3]]
    assert _fds() == before
    for _ in range(5):  # epochs abandoned half way
        it = iter(loader)
        next(it)
        del it
    assert _fds() == before
    assert multiprocessing.active_children() == []


def test_iterator_caught_in_a_cycle_is_collected_without_closing_stray_fds():
    # A worker's exception keeps the iterator in a cycle (traceback -> frame -> iterator), so
    # the garbage collector finalises it together with its pipes; no pipe may be closed twice.
    errors = []
    hook, sys.unraisablehook = sys.unraisablehook, errors.append
    try:
        for _ in range(3):
            with pytest.raises(KeyError, match="missing"):
                list(eud.DataLoader(Failing(), batch_size=1, sampler=[5], num_workers=1))
        gc.collect()
    finally:
        sys.unraisablehook = hook
    assert [e.exc_value for e in errors] == []
    assert multiprocessing.active_children() == []
