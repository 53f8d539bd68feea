"""ember.vision.datasets: the IDX reader on the real MNIST files and on corrupted copies,
MNIST's fast path, downloads (offline), the other IDX datasets, image folders, FakeData."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import shutil
import struct
import urllib.error
from pathlib import Path

import numpy as np
import pytest

import ember
from ember.utils.data import DataLoader
from ember.vision import datasets, transforms
from ember.vision.datasets import mnist as mnist_mod
from ember.vision.datasets import utils as dl_utils

RAW = Path(__file__).resolve().parent.parent / "data" / "MNIST" / "raw"
DATA = RAW.parent.parent
# Published class counts (see data/MNIST/raw/README.md).
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
MNIST_T = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])


@pytest.fixture(scope="module")
def test_set():
    return datasets.MNIST(DATA, train=False, transform=MNIST_T)


def idx_bytes(arr: np.ndarray) -> bytes:
    """An IDX file written independently of the reader under test."""
    code = {
        np.uint8: 0x08,
        np.int8: 0x09,
        np.int16: 0x0B,
        np.int32: 0x0C,
        np.float32: 0x0D,
        np.float64: 0x0E,
    }[arr.dtype.type]
    header = bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def write_split(
    raw: Path,
    images: np.ndarray,
    labels: np.ndarray,
    prefix="t10k",
    gz=True,
    names=("images-idx3", "labels-idx1"),
):
    raw.mkdir(parents=True, exist_ok=True)
    for name, arr in zip(names, (images, labels)):
        data = idx_bytes(arr)
        path = raw / f"{prefix}-{name}-ubyte"
        if gz:
            path = path.with_name(path.name + ".gz")
            data = gzip.compress(data)
        path.write_bytes(data)


# -- the real files -------------------------------------------------------------------------------


def test_real_files_checksums_and_counts(test_set):
    sums = dict(line.split()[::-1] for line in (RAW / "SHA256SUMS").read_text().splitlines())
    for name, digest in sums.items():
        assert hashlib.sha256((RAW / name).read_bytes()).hexdigest() == digest
    assert test_set.data.shape == (10000, 28, 28) and test_set.data.dtype == ember.uint8
    assert test_set.targets.dtype == ember.int64
    assert np.bincount(test_set.targets.numpy()).tolist() == TEST_COUNTS
    assert len(test_set) == 10000 and test_set.train is False
    assert test_set.classes[7] == "7 - seven" and test_set.class_to_idx["7 - seven"] == 7
    assert test_set.raw_folder == os.path.join(str(DATA), "MNIST", "raw")


@pytest.mark.slow
def test_real_training_set():
    train = datasets.MNIST(str(DATA), train=True)
    assert train.data.shape == (60000, 28, 28)
    assert np.bincount(train.targets.numpy()).tolist() == TRAIN_COUNTS
    assert abs(train.data.numpy().mean() / 255 - 0.1307) < 1e-4


def test_uncompressed_files_load_identically(tmp_path, test_set):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    sums = dict(
        line.split()[::-1] for line in (RAW / "SHA256SUMS.uncompressed").read_text().splitlines()
    )
    for stem in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        data = gzip.decompress((RAW / f"{stem}.gz").read_bytes())
        assert hashlib.sha256(data).hexdigest() == sums[stem]
        (raw / stem).write_bytes(data)
    plain = datasets.MNIST(tmp_path, train=False)
    assert np.array_equal(plain.data.numpy(), test_set.data.numpy())
    assert np.array_equal(plain.targets.numpy(), test_set.targets.numpy())


def test_getitem_is_a_pil_image_like_torchvision():
    from PIL import Image

    ds = datasets.MNIST(DATA, train=False)
    img, label = ds[0]
    assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (28, 28)
    assert label == 7 and isinstance(label, int)
    assert np.array_equal(np.asarray(img), ds.data[0].numpy())
    assert np.array_equal(np.asarray(ds[-1][0]), ds.data[9999].numpy())


def test_fast_path_equals_the_pil_path(test_set):
    pil = datasets.MNIST(DATA, train=False)
    idx = [0, 5, 9999, 123, 5]
    fast = test_set.__getitems__(idx)
    for i, (x, y) in zip(idx, fast):
        img, label = pil[i]
        ref = (np.asarray(img, np.float32)[None] / np.float32(255) - np.float32(0.1307)) / (
            np.float32(0.3081)
        )
        assert y == label
        assert x.dtype == ember.float32 and x.shape == (1, 28, 28)
        np.testing.assert_array_equal(x.numpy(), MNIST_T(img).numpy())
        np.testing.assert_allclose(x.numpy(), ref, rtol=1e-6)
        np.testing.assert_array_equal(test_set[i][0].numpy(), x.numpy())


def test_random_crop_runs_batched_and_equals_the_pil_path():
    # examples/mnist.py's training transform: the batched path draws the same crops.
    t = transforms.Compose(
        [transforms.RandomCrop(28, padding=1), transforms.ToTensor(), MNIST_T.transforms[-1]]
    )
    ds = datasets.MNIST(DATA, train=False, transform=t)
    idx = [3, 1, 4, 1, 5, 9, 2, 6]
    ember.manual_seed(5)
    fast = ds.__getitems__(idx)
    ember.manual_seed(5)
    slow = [ds[i] for i in idx]
    for (x, y), (xs, ys) in zip(fast, slow):
        assert y == ys
        np.testing.assert_array_equal(x.numpy(), xs.numpy())
    ember.manual_seed(6)
    again = ds.__getitems__(idx)
    assert any(not np.array_equal(a[0].numpy(), f[0].numpy()) for a, f in zip(again, fast))


def test_random_transforms_and_target_transform_use_the_per_sample_path():
    t = transforms.Compose([transforms.RandomRotation((90, 90)), transforms.PILToTensor()])
    ds = datasets.MNIST(DATA, train=False, transform=t, target_transform=lambda y: y + 100)
    x, y = ds[0]
    assert y == 107 and x.dtype == ember.uint8
    assert np.array_equal(x.numpy()[0], np.rot90(ds.data[0].numpy()))
    batch = ds.__getitems__([0, 1])
    assert [b[1] for b in batch] == [107, 102]
    fast = datasets.MNIST(
        DATA, train=False, transform=transforms.PILToTensor(), target_transform=lambda y: -y
    )
    assert [b[1] for b in fast.__getitems__([0, 1])] == [-7, -2]
    assert np.array_equal(fast[1][0].numpy()[0], fast.data[1].numpy())


def test_loader_over_mnist_with_and_without_workers(test_set):
    sub = ember.utils.data.Subset(test_set, range(300))
    a = [(x.numpy(), y.numpy()) for x, y in DataLoader(sub, batch_size=64)]
    b = [(x.numpy(), y.numpy()) for x, y in DataLoader(sub, batch_size=64, num_workers=2)]
    assert len(a) == 5 and a[0][0].shape == (64, 1, 28, 28)
    for (xa, ya), (xb, yb) in zip(a, b):
        assert np.array_equal(xa, xb) and np.array_equal(ya, yb)
    assert a[0][1][:3].tolist() == [7, 2, 1]


def test_replacing_data_and_targets_subsets_the_dataset():
    ds = datasets.MNIST(DATA, train=False, transform=MNIST_T)
    ds.data, ds.targets = ds.data[:10], ds.targets[:10]
    assert len(ds) == 10 and len(list(DataLoader(ds, batch_size=4))) == 3


def test_repr():
    text = repr(datasets.MNIST(DATA, train=False, transform=MNIST_T))
    assert "Dataset MNIST" in text and "Number of datapoints: 10000" in text
    assert "Split: Test" in text and "Normalize(mean=(0.1307,), std=(0.3081,))" in text


# -- corrupted files ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small():
    ds = datasets.MNIST(DATA, train=False)
    return ds.data.numpy()[:50].copy(), ds.targets.numpy()[:50].astype(np.uint8)


def _images(small):
    return idx_bytes(small[0])


CORRUPTIONS = {
    "truncated-data": (lambda b: b[:-100], "truncated IDX file"),
    "truncated-header": (lambda b: b[:6], "truncated IDX file"),
    "tiny": (lambda b: b[:2], "too short for the 4-byte magic"),
    "empty": (lambda b: b"", "too short for the 4-byte magic"),
    "wrong-magic": (lambda b: b"\x01\x00" + b[2:], "wrong magic number 0x0100"),
    "text-file": (lambda b: b"<html>not found</html>", "wrong magic number"),
    "bad-type": (lambda b: b[:2] + b"\x07" + b[3:], "unknown IDX element type code 0x07"),
    "wrong-ndim": (lambda b: b[:3] + b"\x02" + b[4:], "expected an IDX file with 3 dimension"),
    "trailing-bytes": (lambda b: b + b"\x00" * 7, "7 unexpected bytes"),
    "count-too-big": (lambda b: b[:4] + struct.pack(">I", 51) + b[8:], "truncated IDX file"),
}


@pytest.mark.parametrize("gz", [True, False], ids=["gz", "raw"])
@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_corrupt_image_file_raises_naming_file_and_problem(tmp_path, small, case, gz):
    corrupt, message = CORRUPTIONS[case]
    write_split(tmp_path / "MNIST" / "raw", *small, gz=gz)
    name = "t10k-images-idx3-ubyte" + (".gz" if gz else "")
    path = tmp_path / "MNIST" / "raw" / name
    data = corrupt(_images(small))
    path.write_bytes(gzip.compress(data) if gz else data)
    with pytest.raises(mnist_mod.IDXError, match=message) as err:
        datasets.MNIST(tmp_path, train=False)
    assert str(path) in str(err.value)
    assert isinstance(err.value, RuntimeError)


@pytest.mark.parametrize("damage", ["cut-stream", "flipped-byte", "not-gzip"])
def test_corrupt_gzip_stream(tmp_path, small, damage):
    write_split(tmp_path / "MNIST" / "raw", *small)
    path = tmp_path / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz"
    blob = bytearray(path.read_bytes())
    if damage == "cut-stream":
        blob = blob[: len(blob) // 2]
    elif damage == "flipped-byte":
        blob[-6] ^= 0xFF  # inside the CRC32 trailer
    else:
        blob = b"plain text, not gzip at all"
    path.write_bytes(bytes(blob))
    with pytest.raises(mnist_mod.IDXError, match="corrupt or truncated gzip") as err:
        datasets.MNIST(tmp_path, train=False)
    assert str(path) in str(err.value)


def test_label_count_and_range_are_checked(tmp_path, small):
    images, labels = small
    write_split(tmp_path / "a" / "MNIST" / "raw", images, labels[:49])
    with pytest.raises(mnist_mod.IDXError, match="holds 50 images but .* holds 49 labels"):
        datasets.MNIST(tmp_path / "a", train=False)
    bad = labels.copy()
    bad[3] = 10
    write_split(tmp_path / "b" / "MNIST" / "raw", images, bad)
    with pytest.raises(mnist_mod.IDXError, match="label 10 is out of range for 10 classes"):
        datasets.MNIST(tmp_path / "b", train=False)
    write_split(tmp_path / "c" / "MNIST" / "raw", images.astype(np.int32), labels)
    with pytest.raises(mnist_mod.IDXError, match="expected uint8 images, found int32"):
        datasets.MNIST(tmp_path / "c", train=False)


def test_read_idx_other_dtypes(tmp_path):
    for dt in (np.int16, np.int32, np.float32, np.float64, np.int8):
        arr = (np.arange(24).reshape(2, 3, 4) - 5).astype(dt)
        path = tmp_path / f"x-{np.dtype(dt).name}.idx"
        path.write_bytes(idx_bytes(arr))
        out = mnist_mod.read_idx(path)
        assert out.dtype == dt and np.array_equal(out, arr) and out.flags.writeable


# -- missing files and downloads ------------------------------------------------------------------


def test_missing_files_say_where_to_put_them(tmp_path):
    with pytest.raises(RuntimeError) as err:
        datasets.MNIST(tmp_path, train=False)
    msg = str(err.value)
    assert str(tmp_path / "MNIST" / "raw") in msg
    assert "t10k-images-idx3-ubyte.gz" in msg and "download=True" in msg


def test_download_offline_tries_every_mirror_and_says_where_to_put_files(tmp_path, monkeypatch):
    tried = []

    def offline(url):
        tried.append(url)
        raise urllib.error.URLError("Temporary failure in name resolution")

    monkeypatch.setattr(dl_utils, "_urlopen", offline)
    with pytest.raises(RuntimeError) as err:
        datasets.MNIST(tmp_path, train=False, download=True)
    msg = str(err.value)
    assert tried == [m + "train-images-idx3-ubyte.gz" for m in datasets.MNIST.mirrors]
    assert "Could not download train-images-idx3-ubyte.gz from any mirror" in msg
    assert "Temporary failure in name resolution" in msg
    assert str(tmp_path / "MNIST" / "raw") in msg and "Offline?" in msg
    assert not list((tmp_path / "MNIST" / "raw").glob("*.part"))


def test_download_falls_back_across_mirrors_and_verifies_checksums(tmp_path, monkeypatch):
    mirrors = datasets.MNIST.mirrors
    calls = []

    def fake(url):
        calls.append(url)
        if url.startswith(mirrors[0]):
            raise urllib.error.URLError("connection refused")
        name = url.rsplit("/", 1)[1]
        if url.startswith(mirrors[1]):
            return io.BytesIO(b"corrupted download")  # fails the checksum
        return io.BytesIO((RAW / name).read_bytes())  # same data, re-compressed

    monkeypatch.setattr(dl_utils, "_urlopen", fake)
    ds = datasets.MNIST(tmp_path, train=False, download=True, transform=MNIST_T)
    assert len(calls) == 12 and len(ds) == 10000 and ds[0][1] == 7
    raw = tmp_path / "MNIST" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == sorted(n for n, _ in datasets.MNIST.resources)
    calls.clear()
    datasets.MNIST(tmp_path, train=True, download=True)
    assert calls == [], "files already present are not downloaded again"


def test_download_url_md5(tmp_path, monkeypatch):
    payload = b"hello idx"
    monkeypatch.setattr(dl_utils, "_urlopen", lambda url: io.BytesIO(payload))
    good = hashlib.md5(payload).hexdigest()
    path = dl_utils.download_url("https://x/y/file.bin", tmp_path, md5=good)
    assert Path(path).read_bytes() == payload and dl_utils.check_integrity(path, good)
    with pytest.raises(RuntimeError, match="checksum mismatch"):
        dl_utils.download_url("https://x/y/other.bin", tmp_path, md5="0" * 32)
    assert not (tmp_path / "other.bin").exists()


# -- the other IDX datasets -----------------------------------------------------------------------


def test_fashion_kmnist_emnist_layouts(tmp_path, small):
    images, labels = small
    for cls in (datasets.FashionMNIST, datasets.KMNIST):
        write_split(tmp_path / cls.__name__ / "raw", images, labels)
        ds = cls(tmp_path, train=False)
        assert len(ds) == 50 and ds.raw_folder.endswith(os.path.join(cls.__name__, "raw"))
        assert len(ds.classes) == 10
    assert datasets.FashionMNIST.classes[9] == "Ankle boot"
    raw = tmp_path / "EMNIST" / "raw"
    write_split(raw, images, labels, prefix="emnist-letters-test")
    letters = datasets.EMNIST(tmp_path, split="letters", train=False, transform=MNIST_T)
    assert len(letters) == 50 and letters.classes[:3] == ["N/A", "a", "b"]
    assert letters[0][0].shape == (1, 28, 28)
    assert len(datasets.EMNIST.classes_split_dict["byclass"]) == 62
    assert len(datasets.EMNIST.classes_split_dict["balanced"]) == 47
    with pytest.raises(ValueError, match="Unknown value 'nope' for argument split"):
        datasets.EMNIST(tmp_path, split="nope")
    with pytest.raises(RuntimeError, match="emnist-digits-train-images-idx3-ubyte"):
        datasets.EMNIST(tmp_path, split="digits")


# -- folders and fake data ------------------------------------------------------------------------


@pytest.fixture
def image_tree(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    arrays = {}
    for cls, names in {"cat": ["b.png", "a.PNG"], "dog": ["z.bmp"], "empty": []}.items():
        (tmp_path / cls).mkdir()
        for name in names:
            arr = rng.integers(0, 256, (5, 6, 3), dtype=np.uint8)
            Image.fromarray(arr).save(tmp_path / cls / name)
            arrays[f"{cls}/{name}"] = arr
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    (tmp_path / "stray.png").write_bytes(b"")
    return tmp_path, arrays


def test_image_folder(image_tree):
    root, arrays = image_tree
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes empty"):
        datasets.ImageFolder(root)
    ds = datasets.ImageFolder(root, transform=transforms.PILToTensor(), allow_empty=True)
    assert ds.classes == ["cat", "dog", "empty"]
    assert ds.class_to_idx == {"cat": 0, "dog": 1, "empty": 2}
    rel = [os.path.relpath(p, root).replace(os.sep, "/") for p, _ in ds.samples]
    assert rel == ["cat/a.PNG", "cat/b.png", "dog/z.bmp"] and ds.targets == [0, 0, 1]
    assert ds.imgs == ds.samples and len(ds) == 3
    for i, key in enumerate(rel):
        x, y = ds[i]
        assert y == ds.targets[i] and np.array_equal(x.numpy().transpose(1, 2, 0), arrays[key])


def test_dataset_folder(image_tree):
    root, _ = image_tree
    ds = datasets.DatasetFolder(
        root, loader=lambda p: Path(p).read_text(), extensions=(".txt",), allow_empty=True
    )
    assert ds[0] == ("not an image", 0) and len(ds) == 1
    only_bmp = datasets.DatasetFolder(
        root, loader=os.path.basename, allow_empty=True, is_valid_file=lambda p: p.endswith(".bmp")
    )
    assert [s for s, _ in only_bmp] == ["z.bmp"]
    with pytest.raises(ValueError, match="Both extensions and is_valid_file"):
        datasets.DatasetFolder(root, loader=open, extensions=(".txt",), is_valid_file=bool)
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        datasets.ImageFolder(root / "dog")


def test_fake_data():
    ds = datasets.FakeData(
        size=5, image_size=(3, 8, 6), num_classes=4, transform=transforms.ToTensor()
    )
    x0, y0 = ds[0]
    assert x0.shape == (3, 8, 6) and 0 <= y0 < 4 and len(ds) == 5
    x0b, y0b = ds[0]
    assert np.array_equal(x0.numpy(), x0b.numpy()) and y0 == y0b
    assert not np.array_equal(ds[1][0].numpy(), x0.numpy())
    shifted = datasets.FakeData(
        size=5, image_size=(3, 8, 6), random_offset=1, transform=transforms.ToTensor()
    )
    assert np.array_equal(shifted[0][0].numpy(), ds[1][0].numpy())
    with pytest.raises(IndexError):
        ds[5]
    state = ember.get_rng_state()
    ds[2]
    assert ember.equal(ember.get_rng_state(), state), "FakeData must not touch the global RNG"


def test_copy_of_repo_data_folder_works_from_anywhere(tmp_path, monkeypatch):
    shutil.copytree(RAW, tmp_path / "MNIST" / "raw")
    monkeypatch.chdir(tmp_path)
    assert len(datasets.MNIST(".", train=False)) == 10000
