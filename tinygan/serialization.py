"""Checkpoints: ``tinygan.save(obj, path)`` and ``tinygan.load(path)``.

A checkpoint is whatever you need to resume training, as nested dicts and lists::

    tinygan.save({"G": G.state_dict(), "D": D.state_dict(),
                  "opt_G": opt_G.state_dict(), "opt_D": opt_D.state_dict(),
                  "step": step, "config": {"lr": 2e-4, "betas": (0.5, 0.999)}}, "ckpt.npz")
    ckpt = tinygan.load("ckpt.npz")

The file is an ordinary NumPy ``.npz`` (a zip of ``.npy`` arrays) that ``numpy.load`` can open:

- every array (NumPy, CuPy copied to the host, or a Tensor's data) is one member ``arr_0``,
  ``arr_1``, ...;
- the member ``__tinygan__`` holds a JSON *manifest*, as UTF-8 bytes in a uint8 array: the format
  name and version, and the nested structure, with the plain values (numbers, strings, bools,
  None) written in it and each array replaced by the name of its member.

Why not pickle (as ``torch.save`` does by default)? Unpickling a file can run any code in it.
Here the file is read with ``allow_pickle=False`` and the manifest with ``json``: loading a
checkpoint someone sent you only ever produces arrays, numbers and strings.

Why the temporary file? ``save`` writes the whole checkpoint next to the target, forces it to
disk, and only then renames it over the target (``os.replace``, atomic). If the program dies
halfway through a save, the previous checkpoint is still there, intact.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import zipfile
from typing import Any

import numpy

from tinygan import backend
from tinygan.autograd.tensor import Tensor

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "CheckpointError", "load", "save"]

FORMAT_NAME = "tinygan-checkpoint"
FORMAT_VERSION = 1
MANIFEST_KEY = "__tinygan__"

_PLAIN = (bool, int, float, str, type(None))


class CheckpointError(ValueError):
    """A file that cannot be read as a tinygan checkpoint (truncated, corrupted or foreign)."""


# ----------------------------------------------------------------------------------------------
# save: flatten the structure into (manifest, arrays), then write them atomically.
# ----------------------------------------------------------------------------------------------


def _flatten(obj: Any, where: str, arrays: dict[str, numpy.ndarray], active: set[int]) -> Any:
    """The manifest node for ``obj``; its arrays are added to ``arrays``.

    Nodes: ``{"value": v}`` for a plain value, ``{"array": "arr_3"}`` (plus ``"scalar": true``
    for a NumPy scalar), and ``{"dict": [[key, node], ...]}``, ``{"list": [...]}``,
    ``{"tuple": [...]}``. Dict entries are pairs, so int keys (as in an optimizer's state) stay
    ints, where a JSON object would have turned them into strings.
    """
    if isinstance(obj, _PLAIN):
        return {"value": obj}
    if isinstance(obj, (dict, list, tuple)):
        if id(obj) in active:
            raise ValueError(f"tinygan.save: {where} contains itself; cannot save a cycle")
        active.add(id(obj))
        if isinstance(obj, dict):
            for key in obj:
                if not isinstance(key, (str, int)) or isinstance(key, bool):
                    raise TypeError(f"tinygan.save: the dict at {where} has a key {key!r} of type "
                                    f"{type(key).__name__}; keys must be str or int")
            node = {"dict": [[k, _flatten(v, f"{where}[{k!r}]", arrays, active)]
                             for k, v in obj.items()]}
        else:
            kind = "list" if isinstance(obj, list) else "tuple"
            node = {kind: [_flatten(v, f"{where}[{i}]", arrays, active)
                           for i, v in enumerate(obj)]}
        active.discard(id(obj))
        return node
    scalar = isinstance(obj, numpy.generic)
    if isinstance(obj, Tensor):
        obj = obj.data
    if not isinstance(obj, (numpy.ndarray, numpy.generic)):
        try:
            backend.device_of(obj)  # a CuPy array (or another registered device's)?
        except TypeError:
            raise TypeError(
                f"tinygan.save cannot store {where}, of type {type(obj).__name__}: a checkpoint "
                "holds arrays, Tensors, int, float, str, bool, None, and dicts, lists and tuples "
                "of them"
            ) from None
    host = backend.to_numpy(obj)  # the explicit device-to-host copy (CuPy -> NumPy)
    if host.dtype.hasobject:
        raise TypeError(f"tinygan.save: {where} is an array of Python objects (dtype "
                        f"{host.dtype}), which could only be stored with pickle; use a numeric "
                        "array")
    name = f"arr_{len(arrays)}"
    arrays[name] = host
    return {"array": name, "scalar": True} if scalar else {"array": name}


def save(obj: Any, path: str | os.PathLike[str]) -> None:
    """Write ``obj`` (nested dicts/lists/tuples of arrays, Tensors and plain values) to ``path``.

    Tensors are stored as their arrays (``load`` gives arrays back); CuPy arrays are copied to
    the host. The file is replaced atomically: an interrupted save leaves the old file intact.
    """
    path = os.fspath(path)
    arrays: dict[str, numpy.ndarray] = {}
    root = _flatten(obj, "obj", arrays, set())
    manifest = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "root": root}
    text = json.dumps(manifest, separators=(",", ":"))
    arrays[MANIFEST_KEY] = numpy.frombuffer(text.encode("utf-8"), dtype=numpy.uint8)

    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"tinygan.save: cannot write {path!r}: folder {folder!r} does "
                                "not exist")
    # 1. The whole checkpoint goes to a temporary file in the same folder (same file system,
    #    so the rename below is atomic), and is forced to disk before it replaces anything.
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            numpy.savez(f, **arrays)  # object arrays were refused above: nothing is pickled
            f.flush()
            os.fsync(f.fileno())
        # mkstemp makes the file private (0600); give it the mode of the file it replaces, or
        # the usual rw-r--r--.
        mode = os.stat(path).st_mode & 0o777 if os.path.exists(path) else 0o644
        os.chmod(tmp, mode)
        # 2. The atomic step: readers see either the old checkpoint or the new one, never half.
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    # 3. Make the rename itself durable (POSIX: the folder's entry is data too).
    if os.name == "posix":
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


# ----------------------------------------------------------------------------------------------
# load: check the file, read the manifest, rebuild the structure.
# ----------------------------------------------------------------------------------------------


def _open_checked(path: str) -> None:
    """Raise a CheckpointError saying what is wrong if ``path`` is not an intact zip archive."""
    with open(path, "rb") as f:
        head = f.read(4)
    if not head:
        raise CheckpointError(f"{path!r} is empty: not a tinygan checkpoint (an interrupted "
                              "copy?)")
    try:
        with zipfile.ZipFile(path) as zf:
            # Read every member and check its CRC-32 before parsing anything, so that a flipped
            # byte is reported as corruption rather than as a puzzling error from deeper down.
            bad = zf.testzip()
    except zipfile.BadZipFile as exc:
        if head == b"PK\x03\x04":  # starts like a zip, but its directory (at the end) is gone
            raise CheckpointError(f"{path!r} is truncated or corrupted: it starts like a "
                                  f".npz archive but cannot be read ({exc})") from None
        raise CheckpointError(f"{path!r} is not a tinygan checkpoint: it is not an .npz (zip) "
                              "archive") from None
    except Exception as exc:  # a corrupted directory can raise many kinds of error
        raise CheckpointError(f"{path!r} is corrupted: its zip structure cannot be read "
                              f"({type(exc).__name__}: {exc})") from None
    if bad is not None:
        raise CheckpointError(f"{path!r} is corrupted: member {bad!r} fails its CRC check")


def _unflatten(node: Any, arrays: dict[str, Any], path: str) -> Any:
    """Rebuild the object that ``_flatten`` described by ``node``."""
    if not isinstance(node, dict) or len(node) not in (1, 2):
        raise CheckpointError(f"{path!r}: malformed manifest entry {node!r}")
    if "value" in node:
        return node["value"]
    if "dict" in node:
        return {k: _unflatten(v, arrays, path) for k, v in node["dict"]}
    if "list" in node:
        return [_unflatten(v, arrays, path) for v in node["list"]]
    if "tuple" in node:
        return tuple(_unflatten(v, arrays, path) for v in node["tuple"])
    if "array" in node:
        if node["array"] not in arrays:
            raise CheckpointError(f"{path!r}: the manifest names array {node['array']!r}, "
                                  "which the file does not contain")
        arr = arrays[node["array"]]
        return arr[()] if node.get("scalar") else arr
    raise CheckpointError(f"{path!r}: malformed manifest entry {node!r}")


def load(path: str | os.PathLike[str], device: str | backend.Device | None = None) -> Any:
    """Read a checkpoint written by ``save``; arrays are put on ``device`` if one is given.

    Raises:
        FileNotFoundError: no file at ``path``.
        CheckpointError (a ValueError): the file is empty, truncated, corrupted, not a tinygan
            checkpoint, or written by a newer tinygan.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"tinygan.load: no checkpoint at {path!r} (no such file)")
    _open_checked(path)
    try:
        with numpy.load(path, allow_pickle=False) as npz:
            names = list(npz.files)
            if MANIFEST_KEY not in names:
                shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
                raise CheckpointError(
                    f"{path!r} is an .npz file but not a tinygan checkpoint (it has no "
                    f"{MANIFEST_KEY!r} manifest; its arrays: {shown or 'none'}); read plain "
                    "arrays with numpy.load"
                )
            arrays = {name: npz[name] for name in names}
    except CheckpointError:
        raise
    except Exception as exc:  # e.g. an object array, refused (allow_pickle=False), not unpickled
        raise CheckpointError(f"{path!r} cannot be read as a tinygan checkpoint: "
                              f"{type(exc).__name__}: {exc}") from None
    for name, a in arrays.items():
        if not isinstance(a, numpy.ndarray):  # numpy.load gives bytes for a non-.npy member
            raise CheckpointError(f"{path!r}: member {name!r} is not a .npy array")

    raw = arrays.pop(MANIFEST_KEY)
    try:
        if raw.dtype != numpy.uint8 or raw.ndim != 1:
            raise ValueError(f"expected a 1-d uint8 array, got {raw.dtype} of shape {raw.shape}")
        manifest = json.loads(raw.tobytes().decode("utf-8"))
        fmt, version = manifest["format"], manifest["version"]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"{path!r}: its manifest cannot be read ({exc})") from None
    if fmt != FORMAT_NAME:
        raise CheckpointError(f"{path!r} is not a tinygan checkpoint (format {fmt!r})")
    if not isinstance(version, int) or version < 1:
        raise CheckpointError(f"{path!r}: invalid format version {version!r}")
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"{path!r} was written by a newer tinygan (checkpoint format version {version}; "
            f"this tinygan reads versions up to {FORMAT_VERSION}); upgrade tinygan to read it"
        )
    if device is not None:
        arrays = {name: backend.to_device(a, device) for name, a in arrays.items()}
    try:
        return _unflatten(manifest["root"], arrays, path)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, CheckpointError):
            raise
        raise CheckpointError(f"{path!r}: malformed manifest ({exc})") from None
