"""ember.utils.data in the main process: datasets, samplers, collate and DataLoader vs PyTorch."""

from __future__ import annotations

import collections
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import ember
import ember.utils.data as eud

Point = collections.namedtuple("Point", ["x", "y"])


def norm(x):
    """A framework-neutral form of a (nested) batch, for comparing ember's with torch's."""
    if isinstance(x, ember.Tensor):
        return ("tensor", str(x.dtype).split(".")[-1], x.numpy().tolist(), tuple(x.shape))
    if isinstance(x, torch.Tensor):
        return ("tensor", str(x.dtype).split(".")[-1], x.numpy().tolist(), tuple(x.shape))
    if isinstance(x, dict):
        return (type(x).__name__, {k: norm(v) for k, v in x.items()})
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__, [norm(v) for v in x])
    if isinstance(x, list | tuple):
        return (type(x).__name__, [norm(v) for v in x])
    if isinstance(x, np.ndarray):
        return ("ndarray", x.dtype.str, x.tolist())
    return x


class Rich(eud.Dataset):
    """Samples mixing every kind default_collate handles; usable by both frameworks."""

    def __init__(self, n=10):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {
            "img": np.full((2, 3), i, np.float32),
            "label": i,
            "weight": i / 2,
            "flag": i % 2 == 0,
            "name": f"s{i}",
            "raw": bytes([i]),
            "np32": np.float32(i),
            "pair": (i, np.int16(i)),
            "pt": Point(x=np.arange(i, i + 2), y=[float(i), float(-i)]),
        }


def both_loaders(dataset, **kw):
    ember_kw = dict(kw)
    torch_kw = dict(kw)
    for key in ("sampler", "batch_sampler"):
        if key in kw and callable(kw[key]):
            ember_kw[key], torch_kw[key] = kw[key](eud), kw[key](tud)
    return eud.DataLoader(dataset, **ember_kw), tud.DataLoader(dataset, **torch_kw)


class Stream(eud.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter({"v": np.array([i, -i]), "i": i} for i in range(self.n))

    def __len__(self):
        return self.n


class TorchStream(tud.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter({"v": np.array([i, -i]), "i": i} for i in range(self.n))

    def __len__(self):
        return self.n


LOADER_CASES = [
    dict(),
    dict(batch_size=3),
    dict(batch_size=3, drop_last=True),
    dict(batch_size=4, shuffle=False),
    dict(batch_size=None),
    dict(batch_size=2, sampler=lambda m: [9, 0, 3, 3, 1]),
    dict(batch_size=2, sampler=lambda m: m.SequentialSampler(range(7))),
    dict(batch_sampler=lambda m: [[1, 2], [5], [0, 9, 8]]),
    dict(batch_sampler=lambda m: m.BatchSampler(m.SequentialSampler(range(10)), 4, True)),
    dict(batch_size=3, collate_fn=lambda b: [s["label"] for s in b]),
    dict(batch_size=None, collate_fn=lambda s: s["name"]),
    dict(batch_size=5, pin_memory=True),
]


@pytest.mark.parametrize("kw", LOADER_CASES, ids=lambda kw: ",".join(sorted(kw)) or "default")
def test_loader_matches_torch(kw):
    ours, theirs = both_loaders(Rich(), **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = [norm(b) for b in ours]
        want = [norm(b) for b in theirs]
    assert got == want
    assert len(ours) == len(theirs)


@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(batch_size=3),
        dict(batch_size=3, drop_last=True),
        dict(batch_size=None),
        dict(batch_size=4, drop_last=True),
    ],
)
def test_iterable_loader_matches_torch(kw):
    ours, theirs = eud.DataLoader(Stream(10), **kw), tud.DataLoader(TorchStream(10), **kw)
    assert [norm(b) for b in ours] == [norm(b) for b in theirs]
    assert len(ours) == len(theirs)


def test_tensor_dataset_loader_matches_torch():
    x = np.random.randn(7, 3).astype(np.float32)
    y = np.arange(7)
    ours = eud.DataLoader(eud.TensorDataset(ember.tensor(x), ember.tensor(y)), batch_size=3)
    theirs = tud.DataLoader(tud.TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size=3)
    assert [norm(b) for b in ours] == [norm(b) for b in theirs]


BAD_LOADER_ARGS = [
    dict(num_workers=-1),
    dict(timeout=-1),
    dict(prefetch_factor=2),
    dict(num_workers=1, prefetch_factor=-1),
    dict(persistent_workers=True),
    dict(sampler=[0, 1], shuffle=True),
    dict(batch_sampler=[[0]], batch_size=2),
    dict(batch_sampler=[[0]], shuffle=True),
    dict(batch_sampler=[[0]], sampler=[0]),
    dict(batch_sampler=[[0]], drop_last=True),
    dict(batch_size=None, drop_last=True),
    dict(batch_size=0),
    dict(batch_size=-2),
]


@pytest.mark.parametrize("kw", BAD_LOADER_ARGS, ids=str)
def test_bad_loader_args_raise_like_torch(kw):
    with pytest.raises(Exception) as theirs:
        tud.DataLoader(Rich(), **kw)
    with pytest.raises(theirs.type) as ours:
        eud.DataLoader(Rich(), **kw)
    assert str(ours.value).split()[:3] == str(theirs.value).split()[:3]


@pytest.mark.parametrize("kw", [dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])])
def test_iterable_dataset_rejects_order_options(kw):
    with pytest.raises(ValueError, match="IterableDataset"):
        tud.DataLoader(TorchStream(3), **kw)
    with pytest.raises(ValueError, match="IterableDataset"):
        eud.DataLoader(Stream(3), **kw)


def test_loader_attributes_are_frozen():
    loader = eud.DataLoader(Rich(), batch_size=2)
    for attr in ("batch_size", "sampler", "batch_sampler", "drop_last", "dataset"):
        with pytest.raises(ValueError, match=f"{attr} attribute should not be set"):
            setattr(loader, attr, None)
    loader.collate_fn = eud.default_collate  # other attributes stay writable, as in PyTorch


def test_shuffle_with_generator_is_reproducible_and_a_permutation():
    ds = eud.TensorDataset(ember.arange(50))

    def run(seed):
        loader = eud.DataLoader(
            ds, batch_size=8, shuffle=True, generator=ember.Generator().manual_seed(seed)
        )
        return [[b[0].tolist() for b in loader] for _ in range(2)]

    a, b = run(3), run(3)
    assert a == b
    for epoch in a:
        assert sorted(sum(epoch, [])) == list(range(50))
        assert [len(x) for x in epoch] == [8] * 6 + [2]
    assert a[0] != a[1], "each epoch should reshuffle"
    assert run(4) != a


def test_shuffle_follows_manual_seed_without_generator():
    ds = list(range(20))
    ember.manual_seed(11)
    a = [b.tolist() for b in eud.DataLoader(ds, batch_size=5, shuffle=True)]
    ember.manual_seed(11)
    b = [b.tolist() for b in eud.DataLoader(ds, batch_size=5, shuffle=True)]
    assert a == b and sorted(sum(a, [])) == ds


# -- datasets -------------------------------------------------------------------------------------


def test_tensor_dataset():
    x, y = np.random.randn(4, 2).astype(np.float32), np.arange(4)
    ours = eud.TensorDataset(ember.tensor(x), ember.tensor(y))
    theirs = tud.TensorDataset(torch.tensor(x), torch.tensor(y))
    assert len(ours) == len(theirs) == 4
    for i in (0, 3, -1):
        assert norm(ours[i]) == norm(theirs[i])
    with pytest.raises(AssertionError, match="Size mismatch"):
        tud.TensorDataset(torch.zeros(3), torch.zeros(4))
    with pytest.raises(AssertionError, match="Size mismatch"):
        eud.TensorDataset(ember.zeros(3), ember.zeros(4))


def test_concat_dataset():
    parts = [[0, 1, 2], [3], [4, 5]]
    ours, theirs = eud.ConcatDataset(parts), tud.ConcatDataset(parts)
    assert ours.cumulative_sizes == theirs.cumulative_sizes
    assert [ours[i] for i in range(-6, 6)] == [theirs[i] for i in range(-6, 6)]
    for bad in (-7,):
        with pytest.raises(ValueError, match="absolute value of index"):
            ours[bad]
    with pytest.raises(IndexError):
        ours[6]
    with pytest.raises(AssertionError):
        eud.ConcatDataset([])
    with pytest.raises(AssertionError):
        eud.ConcatDataset([Stream(2)])
    assert len(Rich(2) + Rich(3)) == 5
    assert isinstance(Rich(2) + Rich(3), eud.ConcatDataset)


def test_chain_subset_stack_datasets():
    assert norm(list(eud.ChainDataset([Stream(2), Stream(1)]))) == norm(
        list(tud.ChainDataset([TorchStream(2), TorchStream(1)]))
    )
    assert isinstance(Stream(1) + Stream(2), eud.ChainDataset)
    sub = eud.Subset(list("abcdef"), [5, 0, 2])
    assert [sub[i] for i in range(3)] == ["f", "a", "c"] and len(sub) == 3
    assert sub.__getitems__([2, 0]) == ["c", "f"]
    st = eud.StackDataset([1, 2], ["a", "b"])
    assert st[1] == tud.StackDataset([1, 2], ["a", "b"])[1] == (2, "b")
    assert eud.StackDataset(x=[1, 2], y=[3, 4])[0] == {"x": 1, "y": 3}
    for args, kwargs in [((), {}), (([1],), {"y": [2]}), (([1], [1, 2]), {})]:
        with pytest.raises(ValueError):
            tud.StackDataset(*args, **kwargs)
        with pytest.raises(ValueError):
            eud.StackDataset(*args, **kwargs)


@pytest.mark.parametrize(
    "lengths", [[0.5, 0.5], [0.3, 0.3, 0.4], [0.1] * 10, [1 / 3] * 3, [4, 7], [0.0, 1.0], [11]]
)
def test_random_split_sizes_match_torch(lengths):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = [len(s) for s in tud.random_split(range(11), lengths)]
        parts = eud.random_split(range(11), lengths, generator=ember.Generator().manual_seed(1))
        again = eud.random_split(range(11), lengths, generator=ember.Generator().manual_seed(1))
    assert [len(p) for p in parts] == want
    assert sorted(i for p in parts for i in p) == list(range(11))
    assert [list(p) for p in parts] == [list(p) for p in again]


@pytest.mark.parametrize("lengths", [[3, 4], [0.5, 0.6], [0.5, 0.4]])
def test_random_split_bad_lengths(lengths):
    with pytest.raises(ValueError):
        tud.random_split(range(11), lengths)
    with pytest.raises(ValueError):
        eud.random_split(range(11), lengths)


# -- samplers -------------------------------------------------------------------------------------


def test_sequential_and_batch_sampler_match_torch():
    assert list(eud.SequentialSampler(range(5))) == list(tud.SequentialSampler(range(5)))
    for n in (0, 1, 7, 8, 9):
        for bs in (1, 3, 8):
            for drop in (False, True):
                ours = eud.BatchSampler(range(n), bs, drop)
                theirs = tud.BatchSampler(range(n), bs, drop)
                assert list(ours) == list(theirs) and len(ours) == len(theirs)


@pytest.mark.parametrize(
    "kw",
    [
        dict(batch_size=0, drop_last=False),
        dict(batch_size=True, drop_last=False),
        dict(batch_size=2.0, drop_last=False),
        dict(batch_size=2, drop_last=1),
    ],
)
def test_batch_sampler_bad_args(kw):
    with pytest.raises(ValueError) as theirs:
        tud.BatchSampler(range(3), **kw)
    with pytest.raises(ValueError) as ours:
        eud.BatchSampler(range(3), **kw)
    assert str(ours.value) == str(theirs.value)


def test_random_sampler():
    g = ember.Generator().manual_seed(0)
    a = list(eud.RandomSampler(range(10), generator=g))
    assert sorted(a) == list(range(10))
    assert a != list(eud.RandomSampler(range(10), generator=g)), "the generator advances"
    assert a == list(eud.RandomSampler(range(10), generator=ember.Generator().manual_seed(0)))
    s = eud.RandomSampler(range(10), num_samples=25)
    drawn = list(s)
    assert len(s) == len(drawn) == 25
    assert sorted(drawn[:10]) == sorted(drawn[10:20]) == list(range(10))
    assert len(set(drawn[20:])) == 5
    r = eud.RandomSampler(range(3), replacement=True, num_samples=100)
    drawn = list(r)
    assert len(drawn) == 100 and set(drawn) == {0, 1, 2}


@pytest.mark.parametrize(
    "kw", [dict(replacement=1), dict(num_samples=0), dict(num_samples=-1), dict(num_samples=2.5)]
)
def test_random_sampler_bad_args(kw):
    with pytest.raises(Exception) as theirs:
        tud.RandomSampler(range(3), **kw)
    with pytest.raises(theirs.type) as ours:
        eud.RandomSampler(range(3), **kw)
    assert str(ours.value) == str(theirs.value)


def test_subset_random_and_weighted_samplers():
    g = ember.Generator().manual_seed(0)
    idx = [10, 20, 30, 40]
    assert sorted(eud.SubsetRandomSampler(idx, generator=g)) == idx
    assert len(eud.SubsetRandomSampler(idx)) == 4
    w = eud.WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 200, generator=g)
    drawn = list(w)
    assert len(w) == len(drawn) == 200 and set(drawn) == {1, 3}
    assert 0.6 < drawn.count(3) / 200 < 0.9
    once = list(eud.WeightedRandomSampler([1.0, 1.0, 5.0, 0.5], 4, replacement=False))
    assert sorted(once) == [0, 1, 2, 3]
    assert w.weights.dtype == ember.float64


@pytest.mark.parametrize(
    "args", [([1.0, 2.0], 0), ([1.0, 2.0], True), ([1.0], 2, 1), ([[1.0, 2.0]], 2)]
)
def test_weighted_sampler_bad_args(args):
    with pytest.raises(ValueError) as theirs:
        tud.WeightedRandomSampler(*args)
    with pytest.raises(ValueError) as ours:
        eud.WeightedRandomSampler(*args)
    assert str(ours.value) == str(theirs.value)


# -- collate --------------------------------------------------------------------------------------


def test_default_collate_nested_matches_torch():
    samples = [Rich()[i] for i in range(4)]
    assert norm(eud.default_collate(samples)) == norm(tud.default_collate(samples))


def test_default_collate_tensors_lists_and_subclasses():
    x = np.random.randn(3, 2, 2).astype(np.float32)
    ours = eud.default_collate([[ember.tensor(x[i]), [i, float(i)]] for i in range(3)])
    theirs = tud.default_collate([[torch.tensor(x[i]), [i, float(i)]] for i in range(3)])
    assert norm(ours) == norm(theirs)
    od = collections.OrderedDict
    batch = [od(b=i, a=np.float64(i)) for i in range(2)]
    assert norm(eud.default_collate(batch)) == norm(tud.default_collate(batch))
    assert eud.default_collate([True, False]).dtype == ember.bool


def test_default_collate_keeps_grad():
    a = ember.ones(2, requires_grad=True)
    out = eud.default_collate([a, a * 2])
    out.sum().backward()
    assert a.grad.tolist() == [3.0, 3.0]


@pytest.mark.parametrize(
    "batch",
    [
        [[1, 2], [3]],
        [object(), object()],
        [np.array(["a"]), np.array(["b"])],
        [np.array([None]), np.array([None])],
    ],
    ids=["ragged", "object", "np-str", "np-object"],
)
def test_default_collate_errors_match_torch(batch):
    with pytest.raises(Exception) as theirs:
        tud.default_collate(batch)
    with pytest.raises(theirs.type) as ours:
        eud.default_collate(batch)
    assert str(ours.value).split(";")[0] == str(theirs.value).split(";")[0]


def test_collate_unequal_tensor_shapes():
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        eud.default_collate([ember.zeros(2), ember.zeros(3)])


def test_default_convert_matches_torch():
    data = {
        "a": np.arange(3),
        "b": (np.float32(1.5), "s"),
        "c": Point(np.zeros(2), 3),
        "d": [np.array(["x"])],
        "e": 4,
    }
    assert norm(eud.default_convert(data)) == norm(tud.default_convert(data))


def test_collate_with_custom_map():
    def tensor_sum(batch, *, collate_fn_map):
        return sum(t.sum().item() for t in batch)

    fmap = dict(eud.default_collate_fn_map)
    fmap[ember.Tensor] = tensor_sum
    assert eud.collate([(ember.ones(2), 1), (ember.ones(2), 2)], collate_fn_map=fmap)[0] == 4.0
