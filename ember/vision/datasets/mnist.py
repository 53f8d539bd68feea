"""MNIST and its relatives (FashionMNIST, KMNIST, EMNIST), read from IDX files.

The folder layout is torchvision's: ``root/MNIST/raw/train-images-idx3-ubyte`` (or the same name
ending in ``.gz``), so a data folder prepared for torchvision works as is.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import string
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ember._tensor import Tensor, _make

from .utils import check_md5, download_url, extract_archive
from .vision import VisionDataset

__all__ = [
    "MNIST",
    "FashionMNIST",
    "KMNIST",
    "EMNIST",
    "read_idx",
    "read_image_file",
    "read_label_file",
    "IDXError",
]


class IDXError(RuntimeError):
    """An IDX file that is truncated, corrupt or not an IDX file at all."""


# IDX type codes -> big-endian element types (http://yann.lecun.com/exdb/mnist/).
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _read_bytes(path: str) -> bytes:
    try:
        if path.endswith(".gz"):
            with gzip.open(path, "rb") as f:
                return f.read()
        with open(path, "rb") as f:
            return f.read()
    except (EOFError, gzip.BadGzipFile, zlib.error) as e:
        raise IDXError(f"{path}: corrupt or truncated gzip file ({e})") from e


def read_idx(path: str | os.PathLike, ndim: int | None = None) -> np.ndarray:
    """Read an IDX file (optionally gzip-compressed) into a native-endian NumPy array.

    Every inconsistency raises :class:`IDXError` naming the file: a wrong magic number, an
    unknown element type, an unexpected number of dimensions (``ndim``), a header or data
    shorter than the header promises, or bytes left over after the data.

    Example:
        >>> read_idx("data/MNIST/raw/t10k-labels-idx1-ubyte.gz", ndim=1)[:3]
        array([7, 2, 1], dtype=uint8)
    """
    path = os.fspath(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise IDXError(
            f"{path}: truncated IDX file: {len(raw)} bytes, too short for the 4-byte magic number"
        )
    magic = raw[:4].hex()
    if raw[0] != 0 or raw[1] != 0:
        raise IDXError(
            f"{path}: not an IDX file: wrong magic number 0x{magic} (an IDX file "
            "starts with two zero bytes, a type code and the number of dimensions)"
        )
    code, nd = raw[2], raw[3]
    if code not in _IDX_TYPES:
        raise IDXError(
            f"{path}: wrong magic number 0x{magic}: unknown IDX element type code 0x{code:02x}"
        )
    if ndim is not None and nd != ndim:
        raise IDXError(
            f"{path}: wrong magic number 0x{magic}: expected an IDX file with {ndim} "
            f"dimension(s), the header says {nd}"
        )
    start = 4 + 4 * nd
    if len(raw) < start:
        raise IDXError(
            f"{path}: truncated IDX file: the header needs {start} bytes for {nd} "
            f"dimensions, the file has {len(raw)}"
        )
    dims = struct.unpack(f">{nd}I", raw[4:start])
    dtype = np.dtype(_IDX_TYPES[code])
    need = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    have = len(raw) - start
    shape = "x".join(map(str, dims))
    if have < need:
        raise IDXError(
            f"{path}: truncated IDX file: the header promises {shape} values of "
            f"{dtype.name} ({need} bytes) but only {have} bytes follow"
        )
    if have > need:
        raise IDXError(
            f"{path}: corrupt IDX file: {have - need} unexpected bytes after the "
            f"{need} bytes of {shape} {dtype.name} values"
        )
    arr = np.frombuffer(raw, dtype, offset=start).reshape(dims)
    return arr.astype(dtype.newbyteorder("="))  # a native-endian, writable copy


def read_image_file(path: str | os.PathLike) -> Tensor:
    """An IDX image file (N x H x W) as a uint8 tensor.

    Example:
        >>> read_image_file("data/MNIST/raw/t10k-images-idx3-ubyte.gz").shape
        ember.Size([10000, 28, 28])
    """
    arr = read_idx(path, ndim=3)
    if arr.dtype != np.uint8:
        raise IDXError(f"{os.fspath(path)}: expected uint8 images, found {arr.dtype}")
    return _make(arr)


def read_label_file(path: str | os.PathLike) -> Tensor:
    """An IDX label file (N) as an int64 tensor.

    Example:
        >>> read_label_file("data/MNIST/raw/t10k-labels-idx1-ubyte.gz")[:3]
        tensor([7, 2, 1])
    """
    arr = read_idx(path, ndim=1)
    if arr.dtype != np.uint8:
        raise IDXError(f"{os.fspath(path)}: expected uint8 labels, found {arr.dtype}")
    return _make(arr.astype(np.int64))


class MNIST(VisionDataset):
    """The MNIST handwritten digits (60,000 training and 10,000 test images, 28 x 28).

    Args:
        root: the folder that holds ``MNIST/raw/`` (torchvision's layout).
        train: the training set (else the test set).
        transform: applied to each PIL image (``transforms.ToTensor()`` and friends).
        target_transform: applied to each label.
        download: fetch missing files from the public mirrors, one after another, checking
            their checksums.

    Samples are ``(PIL image, int label)`` before the transform, as in torchvision. When the
    transform is made only of ToTensor / PILToTensor / Normalize, whole batches are
    transformed at once (``__getitems__``) with the same result, so the DataLoader is cheap.

    Example:
        >>> from ember.vision import transforms
        >>> ds = MNIST("data", train=False, transform=transforms.ToTensor())
        >>> img, label = ds[0]; img.shape, label
        (ember.Size([1, 28, 28]), 7)
    """

    mirrors = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    # SHA-256 of the uncompressed IDX files: a re-compressed copy of the right data passes.
    content_sha256 = dict(
        zip(
            [
                "train-images-idx3-ubyte",
                "train-labels-idx1-ubyte",
                "t10k-images-idx3-ubyte",
                "t10k-labels-idx1-ubyte",
            ],
            [
                "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
                "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
                "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
                "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            ],
        )
    )
    training_file = "training.pt"
    test_file = "test.pt"
    classes = [
        "0 - zero",
        "1 - one",
        "2 - two",
        "3 - three",
        "4 - four",
        "5 - five",
        "6 - six",
        "7 - seven",
        "8 - eight",
        "9 - nine",
    ]

    def __init__(
        self,
        root: str | os.PathLike,
        train: bool = True,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        download: bool = False,
    ) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        missing = self._missing_files(self._split_stems())
        if missing:
            raise RuntimeError(
                f"Dataset not found: {self._where_to_put(missing)} You can also "
                "use download=True to download it."
            )
        self.data, self.targets = self._load_data()

    # -- files ------------------------------------------------------------------------------------

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def processed_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "processed")

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.classes)}

    def _split_stems(self) -> tuple[str, str]:
        prefix = "train" if self.train else "t10k"
        return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"

    def _all_stems(self) -> list[str]:
        return [name.removesuffix(".gz") for name, _ in self.resources]

    def _find(self, stem: str) -> str | None:
        for name in (stem, stem + ".gz"):
            path = os.path.join(self.raw_folder, name)
            if os.path.isfile(path):
                return path
        return None

    def _missing_files(self, stems) -> list[str]:
        return [s for s in stems if self._find(s) is None]

    def _where_to_put(self, missing) -> str:
        names = ", ".join(f"{s}.gz" for s in missing)
        return (
            f"missing {names} in {os.path.abspath(self.raw_folder)}. Put the files there "
            "(gzip-compressed or uncompressed, as torchvision's download leaves them)."
        )

    def _check_exists(self) -> bool:
        return not self._missing_files(self._all_stems())

    def _load_data(self):
        image_stem, label_stem = self._split_stems()
        images = read_image_file(self._find(image_stem))
        targets = read_label_file(self._find(label_stem))
        if images.shape[0] != targets.shape[0]:
            raise IDXError(
                f"{self._find(image_stem)} holds {images.shape[0]} images but "
                f"{self._find(label_stem)} holds {targets.shape[0]} labels"
            )
        if targets.numel() and int(targets._data.max()) >= len(self.classes):
            raise IDXError(
                f"{self._find(label_stem)}: label {int(targets._data.max())} is out "
                f"of range for {len(self.classes)} classes"
            )
        return images, targets

    def _verified(self, path: str, md5: str | None) -> bool:
        if md5 is not None and check_md5(path, md5):
            return True
        expected = self.content_sha256.get(Path(path).name.removesuffix(".gz"))
        if expected is None:
            return False
        try:
            data = _read_bytes(path)
        except IDXError:
            return False
        return hashlib.sha256(data).hexdigest() == expected

    def download(self) -> None:
        """Fetch the missing files into ``raw_folder``, trying each mirror in turn."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        for filename, md5 in self.resources:
            if self._find(filename.removesuffix(".gz")) is not None:
                continue
            errors = []
            for mirror in self.mirrors:
                url = f"{mirror}{filename}"
                try:
                    path = download_url(url, self.raw_folder, filename)
                except RuntimeError as e:
                    errors.append(f"  {url}: {e}")
                    continue
                if self._verified(path, md5):
                    break
                os.remove(path)
                errors.append(f"  {url}: checksum mismatch (expected MD5 {md5})")
            else:
                raise RuntimeError(
                    f"Could not download {filename} from any mirror:\n"
                    + "\n".join(errors)
                    + "\nOffline? Download the files by hand and "
                    + self._where_to_put(self._missing_files(self._all_stems()))
                )

    # -- samples ----------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.data)

    def _images(self) -> np.ndarray:
        data = self.data
        return data._data if isinstance(data, Tensor) else np.asarray(data)

    def _labels(self) -> np.ndarray:
        t = self.targets
        return t._data if isinstance(t, Tensor) else np.asarray(t)

    def _batched_images(self, images: np.ndarray):
        """The transform applied to a batch at once, or None when it cannot be."""
        fn = getattr(self.transform, "_batched", None)
        if fn is None or images.dtype != np.uint8:
            return None
        state = fn(("pil_l", images))
        return state[1] if state is not None and state[0] == "tensor" else None

    def __getitem__(self, index: int):
        index = int(index)
        images = self._images()
        batched = self._batched_images(images[[index]])
        target = int(self._labels()[index])
        if batched is not None:
            img = _make(batched[0])
        else:
            from PIL import Image

            img = Image.fromarray(np.ascontiguousarray(images[index]))
            if self.transform is not None:
                img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __getitems__(self, indices: list[int]) -> list:
        batched = self._batched_images(self._images()[np.asarray(indices, dtype=np.int64)])
        if batched is None:
            return [self[i] for i in indices]
        targets = self._labels()[indices].tolist()
        if self.target_transform is not None:
            targets = [self.target_transform(t) for t in targets]
        return [(_make(batched[k]), targets[k]) for k in range(len(indices))]

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 28 x 28 grey images of 10 kinds of clothing (MNIST's layout).

    Example:
        >>> FashionMNIST("data", download=False)  # doctest: +SKIP
    """

    mirrors = [
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    content_sha256 = {}
    classes = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ]


class KMNIST(MNIST):
    """Kuzushiji-MNIST: 28 x 28 images of 10 cursive Japanese characters (MNIST's layout).

    Example:
        >>> KMNIST("data", download=False)  # doctest: +SKIP
    """

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
    ]
    content_sha256 = {}
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


class EMNIST(MNIST):
    """EMNIST letters and digits; ``split`` is byclass, bymerge, balanced, letters, digits or
    mnist. Files: ``root/EMNIST/raw/emnist-<split>-<train|test>-images-idx3-ubyte[.gz]``.

    Example:
        >>> EMNIST("data", split="letters")  # doctest: +SKIP
    """

    url = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"
    md5 = "58c8d27c78d21e728a6bc7b3cc06412e"
    splits = ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
    _merged = set("cijklmopsuvwxyz")
    _all = set(string.digits + string.ascii_letters)
    classes_split_dict = {
        "byclass": sorted(_all),
        "bymerge": sorted(_all - _merged),
        "balanced": sorted(_all - _merged),
        "letters": ["N/A", *string.ascii_lowercase],
        "digits": list(string.digits),
        "mnist": list(string.digits),
    }
    content_sha256 = {}

    def __init__(self, root: str | os.PathLike, split: str, **kwargs) -> None:
        if split not in self.splits:
            raise ValueError(
                f"Unknown value '{split}' for argument split. Valid values are "
                f"{{{', '.join(repr(s) for s in self.splits)}}}."
            )
        self.split = split
        self.classes = self.classes_split_dict[split]
        super().__init__(root, **kwargs)

    def _split_stems(self) -> tuple[str, str]:
        kind = "train" if self.train else "test"
        return (
            f"emnist-{self.split}-{kind}-images-idx3-ubyte",
            f"emnist-{self.split}-{kind}-labels-idx1-ubyte",
        )

    def _all_stems(self) -> list[str]:
        return [
            f"emnist-{s}-{k}-{f}-ubyte"
            for s in self.splits
            for k in ("train", "test")
            for f in ("images-idx3", "labels-idx1")
        ]

    def _check_exists(self) -> bool:
        return not self._missing_files(self._split_stems())

    def download(self) -> None:
        """Fetch the EMNIST archive and unpack its IDX files into ``raw_folder``."""
        if self._check_exists():
            return
        try:
            path = download_url(self.url, self.raw_folder, md5=self.md5)
        except RuntimeError as e:
            raise RuntimeError(
                f"{e}\nOffline? Download the files by hand and "
                + self._where_to_put(self._missing_files(self._split_stems()))
            ) from e
        tmp = os.path.join(self.raw_folder, "_unpack")
        extract_archive(path, tmp)
        gz_dir = os.path.join(tmp, "gzip")
        for name in os.listdir(gz_dir):
            os.replace(os.path.join(gz_dir, name), os.path.join(self.raw_folder, name))
        os.rmdir(gz_dir)
        os.rmdir(tmp)

    def extra_repr(self) -> str:
        return f"Split: {self.split} ({'Train' if self.train else 'Test'})"
