"""Weights to and from PyTorch: read a ``.pt``/``.pth`` state dict, write one torch loads.

Reading goes through PyTorch's own restricted loader, ``torch.load(path, weights_only=True)``,
which rebuilds tensors and plain containers and refuses anything else (a ``.pth`` file is a
pickle, and a general unpickler can run code the file carries). Where PyTorch is not installed
the error names the file and the fix. tinygan itself never unpickles.

    sd = tinygan.load("netG.pth")          # a PyTorch state dict -> {name: numpy array}
    G.load_state_dict(sd)                  # the same keys as the PyTorch model's
    save_torch(G.state_dict(), "G.pt")     # torch.load("G.pt") -> {name: torch.Tensor}

``save_torch`` needs PyTorch as well; without it, the one-liner to run where torch is::

    torch.save({k: torch.from_numpy(v) for k, v in tinygan.load("G.npz").items()}, "G.pt")
"""

from __future__ import annotations

import os
import zipfile
from typing import Any

import numpy

from tinygan import backend
from tinygan.autograd.tensor import Tensor

__all__ = ["is_torch_file", "load_torch", "save_torch"]

# A PyTorch file written before version 1.6 (or with _use_new_zipfile_serialization=False) is a
# bare pickle stream: protocol 2 starts with these two bytes.
_PICKLE_PROTOCOL_2 = b"\x80\x02"


def is_torch_file(path: str) -> bool:
    """True if ``path`` is a file ``torch.save`` wrote: a zip with a ``data.pkl`` member (the
    format since PyTorch 1.6), or a bare pickle stream (the legacy format)."""
    with open(path, "rb") as f:
        head = f.read(2)
    if head == _PICKLE_PROTOCOL_2:
        return True
    try:
        with zipfile.ZipFile(path) as zf:
            return any(name.endswith("/data.pkl") or name == "data.pkl" for name in zf.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def _import_torch(path: str, what: str) -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError(
            f"{path!r} is a PyTorch file (written by torch.save); {what} needs PyTorch, which "
            "is not installed here. Install it (pip install torch), or convert the file where "
            "PyTorch is installed: tinygan.save({k: v.numpy() for k, v in torch.load(path, "
            "weights_only=True).items()}, 'weights.npz')"
        ) from None
    return torch


def _to_numpy(obj: Any, torch: Any) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu().numpy().copy()
    if isinstance(obj, dict):
        return {k: _to_numpy(v, torch) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_numpy(v, torch) for v in obj)
    return obj


def load_torch(path: str | os.PathLike[str], device: Any = None) -> Any:
    """Read a PyTorch file (a state dict, or nested dicts/lists of tensors) with PyTorch's
    ``weights_only=True`` loader; tensors come back as NumPy arrays (on ``device`` if given).

    Raises:
        ImportError: PyTorch is not installed (the message names the file and the fix).
        ValueError: the file holds more than tensors and plain containers (weights_only refused
            it), or is damaged; the message names the file.
    """
    path = os.fspath(path)
    torch = _import_torch(path, "reading it")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # the loader's own errors: unsafe globals, a damaged archive
        raise ValueError(
            f"{path!r} is a PyTorch file but cannot be read as weights: torch.load(..., "
            f"weights_only=True) refused it ({type(exc).__name__}: {str(exc).splitlines()[0]}). "
            "tinygan reads state dicts (tensors in dicts and lists), never pickled objects"
        ) from None
    arrays = _to_numpy(obj, torch)
    if device is not None:
        arrays = _map_arrays(arrays, lambda a: backend.to_device(a, device))
    return arrays


def _map_arrays(obj: Any, fn: Any) -> Any:
    if isinstance(obj, numpy.ndarray):
        return fn(obj)
    if isinstance(obj, dict):
        return {k: _map_arrays(v, fn) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_map_arrays(v, fn) for v in obj)
    return obj


def save_torch(state_dict: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Write ``state_dict`` (arrays or Tensors by name) as a file ``torch.load`` reads into
    ``torch.Tensor`` values (PyTorch's own format, loadable with ``weights_only=True``)."""
    path = os.fspath(path)
    torch = _import_torch(path, "writing it")
    out = {}
    for key, value in state_dict.items():
        array = value.data if isinstance(value, Tensor) else value
        out[key] = torch.from_numpy(numpy.array(backend.to_numpy(array), copy=True))
    torch.save(out, path)
