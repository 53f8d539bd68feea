"""Downloading and checking dataset files (torchvision.datasets.utils' role)."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

__all__ = [
    "calculate_md5",
    "check_md5",
    "check_integrity",
    "download_url",
    "download_and_extract_archive",
    "extract_archive",
]

_USER_AGENT = "ember/0.1 (dataset download)"
_TIMEOUT = 30.0


def calculate_md5(fpath: str | os.PathLike, chunk_size: int = 1024 * 1024) -> str:
    """The MD5 hex digest of a file.

    Example:
        >>> calculate_md5(__file__)  # doctest: +SKIP
    """
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        while chunk := f.read(chunk_size):
            md5.update(chunk)
    return md5.hexdigest()


def check_md5(fpath, md5: str, **kwargs) -> bool:
    """Whether the file's MD5 is ``md5``."""
    return md5 == calculate_md5(fpath, **kwargs)


def check_integrity(fpath, md5: str | None = None) -> bool:
    """Whether the file exists and (when ``md5`` is given) has that checksum.

    Example:
        >>> check_integrity("/no/such/file")
        False
    """
    if not os.path.isfile(fpath):
        return False
    return md5 is None or check_md5(fpath, md5)


def _urlopen(url: str):
    # One place that touches the network, so that tests can stand in for it.
    req = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    return urllib.request.urlopen(req, timeout=_TIMEOUT)


def download_url(
    url: str, root: str | os.PathLike, filename: str | None = None, md5: str | None = None
) -> str:
    """Download ``url`` into ``root`` (atomically) and check its MD5; returns the file path.

    A file that is already there with the right checksum is not downloaded again. Raises
    ``RuntimeError`` on a network error or a checksum mismatch (the bad file is removed).

    Example:
        >>> download_url("https://example.com/x.gz", "data")  # doctest: +SKIP
    """
    root = Path(root).expanduser()
    fpath = root / (filename or os.path.basename(url))
    if check_integrity(fpath, md5):
        return str(fpath)
    root.mkdir(parents=True, exist_ok=True)
    tmp = fpath.with_name(fpath.name + ".part")
    try:
        with _urlopen(url) as response, open(tmp, "wb") as out:
            shutil.copyfileobj(response, out, 1024 * 1024)
    except (urllib.error.URLError, OSError, TimeoutError) as e:
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"could not download {url}: {e}") from e
    if md5 is not None and not check_md5(tmp, md5):
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"checksum mismatch for {url}: expected MD5 {md5}")
    os.replace(tmp, fpath)
    return str(fpath)


def extract_archive(
    from_path: str | os.PathLike,
    to_path: str | os.PathLike | None = None,
    remove_finished: bool = False,
) -> str:
    """Extract a .zip, or decompress a .gz file; returns the destination folder or file.

    Example:
        >>> extract_archive("data/x.zip")  # doctest: +SKIP
    """
    from_path = Path(from_path)
    to_path = Path(to_path) if to_path is not None else from_path.parent
    if from_path.suffix == ".zip":
        with zipfile.ZipFile(from_path) as z:
            z.extractall(to_path)
        out = to_path
    elif from_path.suffix == ".gz":
        out = to_path / from_path.stem if to_path.is_dir() else to_path
        with gzip.open(from_path, "rb") as src, open(out, "wb") as dst:
            shutil.copyfileobj(src, dst)
    else:
        raise RuntimeError(f"Extraction of {from_path} not supported")
    if remove_finished:
        from_path.unlink()
    return str(out)


def download_and_extract_archive(
    url: str,
    download_root,
    extract_root=None,
    filename: str | None = None,
    md5: str | None = None,
    remove_finished: bool = False,
) -> None:
    """:func:`download_url`, then :func:`extract_archive` into ``extract_root``."""
    path = download_url(url, download_root, filename, md5)
    extract_archive(path, extract_root or download_root, remove_finished)
