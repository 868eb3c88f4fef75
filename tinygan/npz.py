"""The bounded reader of ``.npz`` archives under ``tinygan.load``: what a file may make it do.

A checkpoint comes from anywhere (a colleague, a download), so reading one is bounded:

- only a regular file is opened, without waiting (``O_NONBLOCK``): a FIFO would block for ever,
  ``/dev/zero`` would give bytes without end; both are refused, as is a folder;
- the zip directory may list at most ``MAX_MEMBERS`` members;
- a member is read only when the manifest names it, and members may unpack to at most
  ``MAX_EXPANSION`` times the file's size in all (``np.savez`` stores them uncompressed, so a
  real checkpoint unpacks to its own size; 4.2 MB deflating to 4 GiB is a zip bomb);
- each member's CRC-32 is checked as it is read, and its .npy header must describe exactly the
  bytes that follow (a header claiming a 4 GiB array over 16 bytes is refused before NumPy
  allocates anything); object arrays are refused, never unpickled.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
from typing import Any

import numpy
from numpy.lib import format as npy_format

__all__ = ["MAX_EXPANSION", "MAX_MEMBERS", "CheckpointError", "Reader", "open_regular",
           "open_zip"]

MAX_MEMBERS = 100_000  # members of the zip archive
MAX_EXPANSION = 4  # bytes read per byte of file
MIN_BUDGET = 1 << 20  # ...but at least this many, for tiny files


class CheckpointError(ValueError):
    """A file that cannot be read as a tinygan checkpoint (truncated, corrupted or foreign)."""



def open_regular(path: str) -> Any:
    """``path`` opened for reading, if it is a regular file: never waits on a FIFO, never reads
    a device such as /dev/zero without end (both are refused)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise FileNotFoundError(f"tinygan.load: no checkpoint at {path!r} (no such file)") from None
    kind = stat.S_IFMT(os.fstat(fd).st_mode)
    if kind != stat.S_IFREG:
        os.close(fd)
        what = {stat.S_IFDIR: "a folder", stat.S_IFIFO: "a FIFO (named pipe)",
                stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
                stat.S_IFSOCK: "a socket"}.get(kind, "not a regular file")
        raise CheckpointError(f"{path!r} is {what}, not a checkpoint file")
    return os.fdopen(fd, "rb")


def open_zip(f: Any, path: str) -> zipfile.ZipFile:
    """The zip archive in ``f``, or a CheckpointError saying what the file is instead."""
    head = f.read(4)
    if not head:
        raise CheckpointError(f"{path!r} is empty: not a tinygan checkpoint (an interrupted "
                              "copy?)")
    f.seek(0)
    try:
        zf = zipfile.ZipFile(f)
    except zipfile.BadZipFile as exc:
        if head == b"PK\x03\x04":  # starts like a zip, but its directory (at the end) is gone
            raise CheckpointError(f"{path!r} is truncated or corrupted: it starts like a "
                                  f".npz archive but cannot be read ({exc})") from None
        raise CheckpointError(f"{path!r} is not a tinygan checkpoint: it is not an .npz (zip) "
                              "archive") from None
    except Exception as exc:  # a corrupted directory can raise many kinds of error
        raise CheckpointError(f"{path!r} is corrupted: its zip structure cannot be read "
                              f"({type(exc).__name__}: {exc})") from None
    if len(zf.infolist()) > MAX_MEMBERS:
        zf.close()
        raise CheckpointError(f"{path!r} has {len(zf.infolist())} members, more than the "
                              f"{MAX_MEMBERS} a checkpoint may have")
    return zf


class Reader:
    """Reads members of one archive as arrays, within a budget of decompressed bytes."""

    def __init__(self, zf: zipfile.ZipFile, path: str, file_size: int) -> None:
        self.zf, self.path = zf, path
        self.members = {info.filename: info for info in zf.infolist()}
        self.budget = max(MIN_BUDGET, MAX_EXPANSION * file_size)
        self.file_size = file_size

    def names(self) -> list[str]:
        return [n[:-4] if n.endswith(".npy") else n for n in self.members]

    def array(self, name: str) -> numpy.ndarray:
        info = self.members[name + ".npy"]
        if info.file_size > self.budget:
            raise CheckpointError(
                f"{self.path!r}: member {name!r} would unpack to {info.file_size} bytes, more "
                f"than a {self.file_size}-byte checkpoint can hold (a zip bomb, or a corrupted "
                "directory)")
        self.budget -= info.file_size
        try:
            with self.zf.open(info) as member:
                raw = member.read()
        except zipfile.BadZipFile as exc:
            if "CRC" in str(exc):
                raise CheckpointError(f"{self.path!r} is corrupted: member {name!r} fails its "
                                      "CRC check") from None
            raise CheckpointError(f"{self.path!r} is corrupted: member {name!r} cannot be read "
                                  f"({exc})") from None
        buffer = io.BytesIO(raw)
        version = npy_format.read_magic(buffer)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"member {name!r} is a .npy file of version {version}")
        read_header = (npy_format.read_array_header_1_0 if version == (1, 0)
                       else npy_format.read_array_header_2_0)
        shape, _, dtype = read_header(buffer)
        if dtype.hasobject:
            raise ValueError(f"member {name!r} is an array of Python objects, which only pickle "
                             "could read; refused (allow_pickle=False), nothing was unpickled")
        nbytes = int(numpy.prod(shape, dtype=numpy.int64)) * dtype.itemsize
        if nbytes != len(raw) - buffer.tell():
            raise ValueError(f"member {name!r} declares shape {shape} of {dtype} ({nbytes} "
                             f"bytes) but holds {len(raw) - buffer.tell()} bytes of data")
        buffer.seek(0)
        return npy_format.read_array(buffer, allow_pickle=False)
