"""``tinygan.cuda``: PyTorch's ``torch.cuda`` questions, answered for tinygan's CuPy device.

``is_available()`` is true only where CuPy finds a GPU, so the usual
``device = "cuda" if torch.cuda.is_available() else "cpu"`` picks the right one. The tensor
types (``tinygan.cuda.FloatTensor``) make tensors on the GPU.

    >>> import tinygan
    >>> tinygan.cuda.is_available() in (True, False)
    True
"""

from __future__ import annotations

from tinygan import backend
from tinygan.autograd.tensor_api import TensorType

__all__ = [
    "BoolTensor", "ByteTensor", "DoubleTensor", "FloatTensor", "IntTensor", "LongTensor",
    "current_device", "device_count", "empty_cache", "is_available", "manual_seed",
    "manual_seed_all", "synchronize",
]


def is_available() -> bool:
    """True where CuPy is installed and sees a GPU (tinygan's ``"cuda"`` device)."""
    return backend.cupy_available()


def device_count() -> int:
    """1 with a GPU (tinygan uses one), else 0."""
    return 1 if is_available() else 0


def current_device() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """Seed the GPU's generator: tinygan has one seed for all devices (``manual_seed``), so
    this reseeds them all where a GPU is present, and does nothing where none is."""
    if is_available():
        backend.manual_seed(seed)


manual_seed_all = manual_seed


def synchronize() -> None:
    """Wait for the GPU's queued work (nothing to wait for without one)."""
    if is_available():
        backend.get_device("cuda").xp.cuda.Device().synchronize()


def empty_cache() -> None:
    """Give CuPy's cached, unused GPU memory back (nothing to do without a GPU)."""
    if is_available():
        backend.get_device("cuda").xp.get_default_memory_pool().free_all_blocks()


FloatTensor = TensorType("FloatTensor", "float32", "cuda")
DoubleTensor = TensorType("DoubleTensor", "float64", "cuda")
LongTensor = TensorType("LongTensor", "int64", "cuda")
IntTensor = TensorType("IntTensor", "int32", "cuda")
ByteTensor = TensorType("ByteTensor", "uint8", "cuda")
BoolTensor = TensorType("BoolTensor", "bool", "cuda")
