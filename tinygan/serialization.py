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
checkpoint someone sent you only ever produces arrays, numbers and strings, and the reading is
bounded in time and memory (``tinygan.npz``).

Why the temporary file? ``save`` writes the whole checkpoint next to the target, forces it to
disk, and only then renames it over the target (``os.replace``, atomic). If the program dies
halfway through a save, the previous checkpoint is still there, intact; the temporary file it
leaves (``.NAME.npz.XXXXXXXX.tmp``) is removed by the next save of that checkpoint once it is a
minute old. A new checkpoint gets the mode the umask allows (as any file the program writes); a
replaced one keeps its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from typing import Any

import numpy

from tinygan import backend
from tinygan.autograd.tensor import Tensor
from tinygan.npz import CheckpointError, Reader, open_regular, open_zip

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "CheckpointError", "load", "save"]

FORMAT_NAME = "tinygan-checkpoint"
FORMAT_VERSION = 1
MANIFEST_KEY = "__tinygan__"

_PLAIN = (bool, int, float, str, type(None))

# The bounds of ``load`` (a GAN checkpoint nests 5 levels and unpacks to its own size).
MAX_DEPTH = 64  # nesting of dicts, lists and tuples (the archive's bounds: tinygan.npz)
STALE_SECONDS = 60  # a temporary file of a save untouched this long was left by a killed save


# ----------------------------------------------------------------------------------------------
# save: flatten the structure into (manifest, arrays), then write them atomically.
# ----------------------------------------------------------------------------------------------


def _flatten(obj: Any, where: str, arrays: dict[str, numpy.ndarray], active: set[int],
             depth: int = 0) -> Any:
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
        if depth >= MAX_DEPTH:
            raise ValueError(f"tinygan.save: {where} is nested more than {MAX_DEPTH} levels "
                             "deep, more than tinygan.load reads")
        active.add(id(obj))
        if isinstance(obj, dict):
            for key in obj:
                if not isinstance(key, (str, int)) or isinstance(key, bool):
                    raise TypeError(f"tinygan.save: the dict at {where} has a key {key!r} of type "
                                    f"{type(key).__name__}; keys must be str or int")
            node = {"dict": [[k, _flatten(v, f"{where}[{k!r}]", arrays, active, depth + 1)]
                             for k, v in obj.items()]}
        else:
            kind = "list" if isinstance(obj, list) else "tuple"
            node = {kind: [_flatten(v, f"{where}[{i}]", arrays, active, depth + 1)
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


def _umask() -> int:
    """The process's umask (read by setting it, the only portable way, and setting it back)."""
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def _remove_stale_temporaries(folder: str, prefix: str) -> None:
    """Remove what a killed save of the same checkpoint left: ``prefix*.tmp`` files untouched
    for ``STALE_SECONDS`` (a save under way in another process touches its file constantly)."""
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if entry.name.startswith(prefix) and entry.name.endswith(".tmp"):
                with contextlib.suppress(OSError):
                    if entry.is_file(follow_symlinks=False) and (
                            now - entry.stat(follow_symlinks=False).st_mtime > STALE_SECONDS):
                        os.remove(entry.path)


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
    prefix = f".{os.path.basename(path)}."
    _remove_stale_temporaries(folder, prefix)
    # 1. The whole checkpoint goes to a temporary file in the same folder (same file system,
    #    so the rename below is atomic), and is forced to disk before it replaces anything.
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            numpy.savez(f, **arrays)  # object arrays were refused above: nothing is pickled
            f.flush()
            os.fsync(f.fileno())
        # mkstemp makes the file private (0600); give it the mode of the file it replaces, or
        # the one open() would give a new file: rw-rw-rw- less the umask.
        mode = os.stat(path).st_mode & 0o777 if os.path.exists(path) else 0o666 & ~_umask()
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
# load: open a regular file, read the manifest, then only the members it names, within bounds.
# ----------------------------------------------------------------------------------------------


def _unflatten(node: Any, read: Any, path: str, depth: int = 0) -> Any:
    """Rebuild the object that ``_flatten`` described by ``node``; ``read(name)`` gives an
    array member. Nesting deeper than ``MAX_DEPTH`` is refused (no recursion without end)."""
    if depth > MAX_DEPTH:
        raise CheckpointError(f"{path!r}: the manifest nests deeper than {MAX_DEPTH} levels")
    if not isinstance(node, dict) or len(node) not in (1, 2):
        raise CheckpointError(f"{path!r}: malformed manifest entry {str(node)[:80]}")
    if "value" in node:
        if not isinstance(node["value"], _PLAIN):
            raise CheckpointError(f"{path!r}: malformed manifest value {str(node)[:80]}")
        return node["value"]
    if "dict" in node:
        return {k: _unflatten(v, read, path, depth + 1) for k, v in node["dict"]}
    if "list" in node:
        return [_unflatten(v, read, path, depth + 1) for v in node["list"]]
    if "tuple" in node:
        return tuple(_unflatten(v, read, path, depth + 1) for v in node["tuple"])
    if "array" in node:
        arr = read(node["array"])
        return arr[()] if node.get("scalar") else arr
    raise CheckpointError(f"{path!r}: malformed manifest entry {str(node)[:80]}")


def _manifest(reader: Reader, path: str) -> dict[str, Any]:
    """The manifest member, checked: format, version, and JSON that is not nested absurdly."""
    if MANIFEST_KEY + ".npy" not in reader.members:
        names = reader.names()
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        raise CheckpointError(
            f"{path!r} is an .npz file but not a tinygan checkpoint (it has no "
            f"{MANIFEST_KEY!r} manifest; its arrays: {shown or 'none'}); read plain arrays "
            "with numpy.load")
    raw = reader.array(MANIFEST_KEY)
    try:
        if raw.dtype != numpy.uint8 or raw.ndim != 1:
            raise ValueError(f"expected a 1-d uint8 array, got {raw.dtype} of shape {raw.shape}")
        manifest = json.loads(raw.tobytes().decode("utf-8"))
        fmt, version = manifest["format"], manifest["version"]
    except RecursionError:
        raise CheckpointError(f"{path!r}: the manifest nests deeper than {MAX_DEPTH} "
                              "levels") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"{path!r}: its manifest cannot be read ({exc})") from None
    if fmt != FORMAT_NAME:
        raise CheckpointError(f"{path!r} is not a tinygan checkpoint (format {fmt!r})")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise CheckpointError(f"{path!r}: invalid format version {version!r}")
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"{path!r} was written by a newer tinygan (checkpoint format version {version}; "
            f"this tinygan reads versions up to {FORMAT_VERSION}); upgrade tinygan to read it")
    return manifest


TORCH_LEGACY_HEAD = b"\x80\x02"  # pickle protocol 2, how torch.save's legacy format begins


def _load_torch(path: str, device: Any) -> Any:
    """A file ``torch.save`` wrote, read with torch's weights_only loader (no code runs)."""
    from tinygan.utils import torch_interop

    return torch_interop.load_torch(path, device)


def load(path: str | os.PathLike[str], device: str | backend.Device | None = None, *,
         map_location: Any = None) -> Any:
    """Read a checkpoint written by ``save``; arrays are put on ``device`` if one is given
    (``map_location`` is PyTorch's name for it). A PyTorch ``.pt``/``.pth`` file is read with
    PyTorch's ``weights_only`` loader (``tinygan/utils/torch_interop.py``).

    Reading is bounded (``tinygan.npz``): only a regular file is opened (a FIFO or a device
    is refused), only the members the manifest names are read (each checked against its CRC-32
    and its .npy header), they may unpack to at most 4 times the file's size, and the manifest
    may nest at most ``MAX_DEPTH`` levels.

    Raises:
        FileNotFoundError: no file at ``path``.
        CheckpointError (a ValueError): the file is empty, truncated, corrupted, not a tinygan
            checkpoint, beyond the bounds above, or written by a newer tinygan.
    """
    path = os.fspath(path)
    if map_location is not None and not callable(map_location):  # a callable: keep on host
        device = map_location
    with open_regular(path) as f:
        if f.read(2) == TORCH_LEGACY_HEAD:  # a PyTorch .pt/.pth of before 1.6: a pickle stream
            return _load_torch(path, device)
        f.seek(0)
        size = os.fstat(f.fileno()).st_size
        with open_zip(f, path) as zf:
            if any(n == "data.pkl" or n.endswith("/data.pkl") for n in zf.namelist()):
                return _load_torch(path, device)  # a PyTorch .pt/.pth: torch.save's zip
            reader = Reader(zf, path, size)
            try:
                manifest = _manifest(reader, path)

                def read(name: Any) -> Any:
                    if not isinstance(name, str) or name + ".npy" not in reader.members:
                        raise CheckpointError(f"{path!r}: the manifest names array {name!r}, "
                                              "which the file does not contain")
                    a = reader.array(name)
                    return a if device is None else backend.to_device(a, device)

                return _unflatten(manifest["root"], read, path)
            except CheckpointError:
                raise
            except Exception as exc:  # e.g. a header that lies, or a malformed manifest
                raise CheckpointError(f"{path!r} cannot be read as a tinygan checkpoint: "
                                      f"{type(exc).__name__}: {exc}") from None
