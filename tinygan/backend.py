"""The one place where tinygan chooses its array library: NumPy on the CPU, CuPy on a GPU.

Every op asks its arrays which module they belong to (``get_array_module``) and calls that
module, conventionally named ``xp``, so the same line of code runs on NumPy and on CuPy. CuPy is
imported lazily and only when a GPU is asked for, so nothing here needs it installed.

Also here: the default floating dtype (float32, as in PyTorch), the default device, and the
package's seeded random generators (one per device).

    >>> import tinygan
    >>> xp = tinygan.backend.get_array_module(tinygan.zeros(3).data)   # numpy
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy

__all__ = [
    "Device",
    "as_array",
    "cupy_available",
    "device_of",
    "get_array_module",
    "get_default_device",
    "get_default_dtype",
    "get_rng_state",
    "manual_seed",
    "generator",
    "set_default_device",
    "set_default_dtype",
    "set_rng_state",
    "to_device",
    "to_numpy",
]

CUPY_INSTALL_HINT = (
    'install CuPy for your CUDA version, e.g. pip install "tinygan[cuda12]" '
    "(which pulls cupy-cuda12x), on a machine with an NVIDIA GPU and its driver"
)

# ----------------------------------------------------------------------------------------------
# Devices: "cpu" is NumPy, "cuda" is CuPy. A device is a name plus the array module behind it.
# ----------------------------------------------------------------------------------------------


class Device:
    """A place where arrays live: a name (``"cpu"``, ``"cuda"``) and its array module ``xp``."""

    def __init__(self, name: str, xp: Any, array_type: type) -> None:
        self.name = name
        self.xp = xp
        self.array_type = array_type

    def __repr__(self) -> str:
        return f"device(type='{self.name}')"

    @property
    def type(self) -> str:
        """PyTorch's name for the kind of device (``"cpu"`` or ``"cuda"``)."""
        return self.name

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return self.name == other
        return isinstance(other, Device) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)


CPU = Device("cpu", numpy, numpy.ndarray)

# name -> Device; "cuda" is added on first use by _load_cuda(). Tests may register a stand-in
# array module with register_device() (see tests/fake_cupy.py).
_devices: dict[str, Device] = {"cpu": CPU}
_cuda_error: str | None = None


def _load_cuda() -> Device:
    """Import CuPy and check for a GPU; raise a RuntimeError that says what is missing."""
    global _cuda_error
    if "cuda" in _devices:
        return _devices["cuda"]
    try:
        import cupy  # lazy on purpose: CuPy is optional
    except ImportError as exc:
        _cuda_error = f"CuPy is not installed ({exc}); {CUPY_INSTALL_HINT}"
        raise RuntimeError(f"device 'cuda' is not available: {_cuda_error}") from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDA driver missing or broken: CuPy raises its own error types
        count, why = 0, str(exc)
    else:
        why = "no CUDA GPU was found"
    if count == 0:
        raise RuntimeError(
            f"device 'cuda' is not available: CuPy is installed but {why}; "
            "run on a machine with an NVIDIA GPU, or use device='cpu'"
        )
    _devices["cuda"] = Device("cuda", cupy, cupy.ndarray)
    return _devices["cuda"]


def register_device(name: str, xp: Any, array_type: type) -> Device:
    """Make ``name`` a device backed by array module ``xp`` (used by the tests' CuPy stand-in)."""
    _devices[name] = Device(name, xp, array_type)
    return _devices[name]


def unregister_device(name: str) -> None:
    """Forget a device added by ``register_device`` (and its random generator)."""
    if name != "cpu":
        _devices.pop(name, None)
        _generators.pop(name, None)


def cupy_available() -> bool:
    """True when CuPy imports and sees at least one GPU."""
    try:
        _load_cuda()
    except RuntimeError:
        return False
    return True


def get_device(device: str | Device | None = None) -> Device:
    """The Device for a name (``"cpu"``, ``"cuda"``, ``"cuda:0"``), or the default device."""
    if device is None:
        return _default_device
    if isinstance(device, Device):
        return device
    if not isinstance(device, str):
        raise TypeError(f"device must be a string such as 'cpu' or 'cuda', got {device!r}")
    name = device.split(":")[0]
    if name in _devices:
        return _devices[name]
    if name == "cuda":
        return _load_cuda()
    raise ValueError(f"unknown device {device!r}; expected 'cpu' or 'cuda'")


def device_of(array: Any) -> Device:
    """The device an array lives on. NumPy arrays and Python numbers are on the CPU."""
    if isinstance(array, (numpy.ndarray, numpy.generic, int, float, bool)):
        return CPU
    for dev in _devices.values():
        if isinstance(array, dev.array_type):
            return dev
    raise TypeError(f"expected a NumPy or CuPy array, got {type(array).__name__}")


def get_array_module(*arrays: Any) -> Any:
    """The array module (``numpy`` or ``cupy``) of the given arrays: the ``xp`` of every op."""
    for a in arrays:
        if not isinstance(a, (numpy.ndarray, numpy.generic, int, float, bool)):
            return device_of(a).xp
    return numpy


def to_device(array: Any, device: str | Device) -> Any:
    """Copy ``array`` to ``device`` (no copy when it is already there)."""
    target = get_device(device)
    source = device_of(array)
    if source == target:
        return array
    host = to_numpy(array)
    if target is CPU:
        return host
    return target.xp.asarray(host)


def as_array(value: Any) -> Any:
    """``value`` as an array: NumPy gives a scalar (``numpy.float32``), not a 0-d array, from
    math on 0-d arrays; tinygan keeps arrays everywhere (as CuPy does), so ``.data`` and
    ``.grad`` can always be written into and indexed."""
    if isinstance(value, numpy.generic):
        return numpy.asarray(value)
    if isinstance(value, (list, tuple)):  # Tensor([...]): the default dtype, as torch.Tensor
        return numpy.array(value, dtype=_default_dtype)
    return value


def to_numpy(array: Any) -> numpy.ndarray:
    """A NumPy array on the host: the one explicit device-to-host transfer in tinygan."""
    if isinstance(array, numpy.ndarray):
        return array
    if isinstance(array, (numpy.generic, int, float, bool)):
        return numpy.asarray(array)
    return device_of(array).xp.asnumpy(array)


_default_device: Device = CPU


def get_default_device() -> Device:
    """The device new tensors and modules are made on (``"cpu"`` unless changed)."""
    return _default_device


def set_default_device(device: str | Device) -> None:
    """Make ``device`` (``"cpu"`` or ``"cuda"``) where new tensors and parameters are made."""
    global _default_device
    _default_device = get_device(device)


# ----------------------------------------------------------------------------------------------
# The default floating dtype: float32, as in PyTorch; float64 for gradient checks.
# ----------------------------------------------------------------------------------------------

_default_dtype = numpy.dtype(numpy.float32)


def get_default_dtype() -> numpy.dtype:
    """The floating dtype of new tensors and parameters (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(dtype: Any) -> None:
    """Set the floating dtype of new tensors and parameters: float32 or float64 (or float16)."""
    global _default_dtype
    dt = numpy.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"the default dtype must be a floating dtype, got {dt}")
    _default_dtype = dt


@contextlib.contextmanager
def default_dtype(dtype: Any) -> Iterator[None]:
    """Temporarily change the default dtype: ``with default_dtype(np.float64): ...``."""
    old = _default_dtype
    set_default_dtype(dtype)
    try:
        yield
    finally:
        set_default_dtype(old)


# ----------------------------------------------------------------------------------------------
# Random numbers: one seeded generator per device, so runs are reproducible.
# ----------------------------------------------------------------------------------------------

_seed: int = 0
_generators: dict[str, Any] = {}


def manual_seed(seed: int) -> None:
    """Seed every random draw tinygan makes (initialisation, noise z, dropout, batch order)."""
    global _seed
    _seed = int(seed)
    _generators.clear()


def generator(device: str | Device | None = None) -> Any:
    """The seeded random generator of a device (``numpy.random.Generator`` on the CPU)."""
    dev = get_device(device)
    if dev.name not in _generators:
        _generators[dev.name] = dev.xp.random.default_rng(_seed)
    return _generators[dev.name]


def randn(shape: tuple[int, ...], dtype: Any = None, device: str | Device | None = None) -> Any:
    """Standard normal samples N(0, 1) of ``shape``, drawn on ``device``."""
    dt = numpy.dtype(dtype or _default_dtype)
    return generator(device).standard_normal(shape, dtype=dt)


def rand(shape: tuple[int, ...], dtype: Any = None, device: str | Device | None = None) -> Any:
    """Uniform samples in [0, 1) of ``shape``, drawn on ``device``."""
    dt = numpy.dtype(dtype or _default_dtype)
    return generator(device).random(shape, dtype=dt)


def randint(low: int, high: int, shape: tuple[int, ...], device: str | Device | None = None) -> Any:
    """Integers in [low, high) of ``shape`` (int64), drawn on ``device``."""
    return generator(device).integers(low, high, size=shape, dtype=numpy.int64)


def get_rng_state(gen: Any) -> Any:
    """The state of a generator from ``generator(device)`` as host data, for a checkpoint.

    NumPy keeps it as a dict of plain numbers (``bit_generator.state``). CuPy keeps it in GPU
    memory, where ``bit_generator.state`` is a method returning a device pointer: there the
    state is a host copy of that memory, or None if this CuPy version does not expose it (a
    resumed GPU run then continues from a freshly seeded stream).
    """
    bits = gen.bit_generator
    state = getattr(bits, "state", None)
    if isinstance(state, dict):
        return state
    device_state = getattr(bits, "_state", None)  # CuPy's curand states, an int8 device array
    return None if device_state is None else to_numpy(device_state).copy()


def set_rng_state(gen: Any, state: Any) -> None:
    """Put a generator back in a state from ``get_rng_state`` (None leaves it as it is)."""
    if state is None:
        return
    bits = gen.bit_generator
    if isinstance(state, dict):
        bits.state = state
        return
    device_state = getattr(bits, "_state", None)
    if device_state is None or tuple(device_state.shape) != tuple(numpy.shape(state)):
        raise ValueError("set_rng_state: the saved random state is not one of this device's "
                         "generator (saved on another device or CuPy version?)")
    device_state[...] = get_array_module(device_state).asarray(state)


manual_seed(0)
