"""A stand-in for CuPy, so that the GPU code path of tinygan is exercised on machines without a GPU.

``fake_cupy`` is an array module (an ``xp``) whose arrays, ``fake_cupy.ndarray``, each wrap a NumPy
array and compute by delegating to NumPy. What makes it useful is what it *refuses*, as CuPy does:

- Implicit conversion to NumPy: ``np.asarray(x)``, ``np.array(x)``, ``x.__array__()``, and so every
  NumPy function given a device array, raise ``TypeError: Implicit conversion to a NumPy array is
  not allowed`` (CuPy's words). ``x.get()``, ``fake_cupy.asnumpy(x)`` (and so
  ``tinygan.backend.to_numpy``) are the explicit device-to-host transfers.
- Mixing: ``x + numpy_array``, ``numpy_array * x``, ``xp.maximum(x, numpy_array)``,
  ``x[...] = numpy_array`` raise ``TypeError: Unsupported type <class 'numpy.ndarray'>`` as in
  CuPy. Python numbers and NumPy scalars (``np.float32(2)``) mix freely, as in CuPy.
- Host-to-device is explicit and allowed: ``xp.asarray(numpy_array)``, ``xp.array(...)``; index
  arrays given as lists or NumPy arrays are copied to the device, as CuPy does.
- Reductions and integer indexing return 0-d device arrays, never Python or NumPy scalars;
  ``float(x)``, ``int(x)``, ``bool(x)``, ``x.item()``, ``x.tolist()`` work (CuPy allows these
  implicit synchronisations) and are counted in ``fake_cupy.transfers["sync"]``.
- ``xp.random.default_rng(seed)`` (in tests/fake_cupy_random.py) returns a generator with CuPy's
  method set: ``random``, ``uniform``, ``integers``, ``standard_normal``,
  ``standard_exponential``, ``exponential`` give device arrays; ``normal``, ``permutation``,
  ``shuffle``, ``choice`` do not exist on ``cupy.random.Generator`` and raise AttributeError
  here too; ``bit_generator.state`` is a
  method (a device pointer), not NumPy's picklable state dict. Its stream deliberately differs
  from NumPy's for the same seed, as CuPy's (XORWOW) does, so nothing can rely on CPU and GPU
  draws agreeing.
- Anything else is refused loudly: a module attribute the double does not provide raises
  AttributeError naming it (``xp.errstate``, ``xp.add.at``, ``xp.random.seed`` ... ), and pickling
  a device array raises TypeError (a checkpoint holding device arrays cannot be loaded where CuPy
  is absent).

Deliberately stricter than CuPy: CuPy would run ``np.exp(cupy_array)`` on the GPU through
``__array_ufunc__``/``__array_function__``; here every NumPy function on a device array raises,
because tinygan's rule is ``xp = backend.get_array_module(arr)`` and never ``np.`` on tensor data.
``x[...] = numpy_array`` is refused for every index (CuPy refuses it for basic indices only).

What passing a test on this double proves: no hidden host<->device transfer, no NumPy call on
device data, no NumPy array mixed into device math, no reliance on NumPy-only APIs that the double
knows CuPy lacks, every array tinygan produces stays on the device it was asked for, and the
explicit transfers (``.numpy()``, ``backend.to_numpy``, ``Tensor.to``) happen where they should.

What it does NOT prove (only ``pytest -m gpu`` on a real GPU does): that CuPy's kernels compile
and give the same numbers (cuBLAS/cuDNN reduction order, TF32 or float16 paths, atomics), CuPy's
own dtype promotion rules where they differ from NumPy 2's, asynchronous streams and the cost of
synchronisations, memory limits and the memory pool, a CuPy function's exact signature where it
differs from NumPy's (the double lends NumPy's signature to every name it exposes), multi-GPU
device selection, and speed.
"""

from __future__ import annotations

import builtins as _b
import collections
import operator
import types
from typing import Any

import numpy as _np

IMPLICIT = ("Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct "
            "a NumPy array explicitly.")
_PRIORITY = 100.0  # cupy.ndarray.__array_priority__

#: counts of explicit transfers ("h2d", "d2h") and implicit synchronisations ("sync")
transfers: collections.Counter[str] = collections.Counter()


def _unsupported(x: Any) -> TypeError:
    why = ("a NumPy array was mixed with a device array: a hidden host-to-device transfer; move "
           "it explicitly first" if isinstance(x, _np.ndarray) else "not a device array or scalar")
    return TypeError(f"Unsupported type {type(x)} (fake_cupy: {why})")


def _is_scalar(x: Any) -> bool:
    return isinstance(x, (bool, int, float, complex, _np.generic))


def _unwrap(x: Any, host_ok: bool = False) -> Any:
    """The NumPy array inside device arrays (recursing into lists and tuples). A NumPy array among
    the operands is a mix of host and device data: TypeError, unless ``host_ok`` (shapes, pad
    widths, index lists ... which CuPy reads on the host or copies over itself)."""
    if isinstance(x, ndarray):
        return x._a
    if isinstance(x, _np.ndarray) and not host_ok:
        raise _unsupported(x)
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v, host_ok) for v in x)
    return x


def _wrap(r: Any) -> Any:
    """NumPy results as device arrays; NumPy scalars become 0-d device arrays, as in CuPy."""
    if isinstance(r, _np.ndarray):
        if r.dtype.kind not in "biufc":
            raise TypeError(f"Unsupported dtype {r.dtype} (CuPy has no object or string arrays)")
        return ndarray(r)
    if isinstance(r, _np.generic):
        return ndarray(_np.asarray(r))
    if isinstance(r, (list, tuple)) and _b.any(isinstance(v, (_np.ndarray, _np.generic))
                                                for v in r):
        return type(r)(_wrap(v) for v in r)
    return r


def _operand(x: Any) -> Any:
    """The right-hand side of an arithmetic dunder: NotImplemented lets e.g. a Tensor answer."""
    if isinstance(x, ndarray):
        return x._a
    if _is_scalar(x):
        return x
    if isinstance(x, _np.ndarray):
        raise _unsupported(x)
    if getattr(x, "__array_priority__", 0.0) > _PRIORITY:
        return NotImplemented
    raise _unsupported(x)


class ndarray:  # noqa: N801  (CuPy's name)
    """A device array of the double: a NumPy array behind CuPy's rules (see the module docstring).

    Made only by the module's functions; ``ndarray(numpy_array)`` wraps without copying.
    """

    __slots__ = ("_a", "__weakref__")
    __array_priority__ = _PRIORITY
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, a: _np.ndarray) -> None:
        if not isinstance(a, _np.ndarray):
            raise TypeError(f"fake_cupy.ndarray wraps a numpy.ndarray, got {type(a).__name__}")
        self._a = a

    # -- the refusals ----------------------------------------------------------------------------
    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(IMPLICIT)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if _b.any(isinstance(x, _np.ndarray) for x in inputs):
            raise _unsupported(next(x for x in inputs if isinstance(x, _np.ndarray)))
        # np.float32(2) * x reaches here through NumPy's scalar operators: CuPy computes it.
        if method == "__call__" and ufunc.nin == 2 and not kwargs and isinstance(
                inputs[0], _np.generic) and isinstance(inputs[1], ndarray):
            return _wrap(ufunc(inputs[0], inputs[1]._a))
        raise TypeError(f"numpy.{ufunc.__name__} was called on a fake_cupy device array: tinygan "
                        "must call xp = backend.get_array_module(arr), never numpy, on tensor data")

    def __array_function__(self, func: Any, types_: Any, args: Any, kwargs: Any) -> Any:
        if func in (_np.shape, _np.ndim, _np.size, _np.result_type):
            return func(*_unwrap(args), **_unwrap(kwargs))
        raise TypeError(f"numpy.{func.__name__} was called on a fake_cupy device array: tinygan "
                        "must call xp = backend.get_array_module(arr), never numpy, on tensor data")

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise TypeError("fake_cupy: pickling a device array; a file holding CuPy arrays cannot be "
                        "read where CuPy is absent. Save backend.to_numpy(array) instead.")

    # -- explicit transfers and implicit synchronisations -----------------------------------------
    def get(self, stream: Any = None, order: str = "C", out: Any = None) -> _np.ndarray:
        """The device-to-host copy (``cupy.ndarray.get``)."""
        transfers["d2h"] += 1
        return _np.array(self._a, order=order, copy=True)

    def item(self, *args: Any) -> Any:
        transfers["sync"] += 1
        return self._a.item(*args)

    def tolist(self) -> Any:
        transfers["sync"] += 1
        return self._a.tolist()

    def __float__(self) -> float:
        transfers["sync"] += 1
        return float(self._a)

    def __int__(self) -> int:
        transfers["sync"] += 1
        return int(self._a)

    def __complex__(self) -> complex:
        transfers["sync"] += 1
        return complex(self._a)

    def __bool__(self) -> bool:
        transfers["sync"] += 1
        return bool(self._a)

    def __format__(self, spec: str) -> str:
        transfers["sync"] += 1
        return format(self._a, spec)

    def __repr__(self) -> str:
        return "fake_cupy." + repr(self._a)

    __str__ = __repr__

    def __copy__(self) -> ndarray:
        return ndarray(self._a.copy())

    def __deepcopy__(self, memo: Any) -> ndarray:
        return ndarray(self._a.copy())

    # -- what an array is -------------------------------------------------------------------------
    shape = property(lambda self: self._a.shape)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    dtype = property(lambda self: self._a.dtype)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: types.SimpleNamespace(  # CuPy's flags: no writeable etc.
        c_contiguous=self._a.flags.c_contiguous, f_contiguous=self._a.flags.f_contiguous,
        owndata=self._a.flags.owndata))
    T = property(lambda self: ndarray(self._a.T))
    real = property(lambda self: ndarray(self._a.real))
    imag = property(lambda self: ndarray(self._a.imag))

    def __len__(self) -> int:
        return len(self._a)

    def __iter__(self) -> Any:
        return (_wrap(v) for v in self._a)

    def __getitem__(self, index: Any) -> Any:
        return _wrap(self._a[_unwrap(index, host_ok=True)])

    def __setitem__(self, index: Any, value: Any) -> None:
        if not (isinstance(value, ndarray) or _is_scalar(value)):
            raise _unsupported(value)
        self._a[_unwrap(index, host_ok=True)] = _unwrap(value)


def _method(name: str) -> Any:
    def method(self: ndarray, *args: Any, **kwargs: Any) -> Any:
        return _wrap(getattr(self._a, name)(*_unwrap(args, True), **_unwrap(kwargs, True)))

    method.__name__ = name
    return method


for _name in ("all any argmax argmin argsort astype clip copy cumprod cumsum diagonal dot fill "
              "flatten max mean min nonzero prod ravel repeat reshape round sort squeeze std sum "
              "swapaxes take trace transpose var view").split():
    setattr(ndarray, _name, _method(_name))


def _binary(op: Any, reflected: bool = False) -> Any:
    def method(self: ndarray, other: Any) -> Any:
        o = _operand(other)
        if o is NotImplemented:
            return o
        return _wrap(op(o, self._a) if reflected else op(self._a, o))

    return method


def _inplace(op: Any) -> Any:
    def method(self: ndarray, other: Any) -> Any:
        o = _operand(other)
        if o is NotImplemented:
            return o
        self._a = op(self._a, o)
        return self

    return method


for _name in ("add sub mul truediv floordiv mod pow matmul and or xor lshift rshift").split():
    _op = getattr(operator, _name + "_" if _name in ("and", "or") else _name)
    setattr(ndarray, f"__{_name}__", _binary(_op))
    setattr(ndarray, f"__r{_name}__", _binary(_op, reflected=True))
    setattr(ndarray, f"__i{_name}__", _inplace(getattr(operator, f"i{_name}")))
for _name in ("lt le gt ge").split():
    setattr(ndarray, f"__{_name}__", _binary(getattr(operator, _name)))


def _equality(op: Any) -> Any:
    def method(self: ndarray, other: Any) -> Any:
        if not (isinstance(other, (ndarray, _np.ndarray)) or _is_scalar(other)):
            return NotImplemented  # x == None, x in a list: Python's identity fallback
        return _wrap(op(self._a, _operand(other)))

    return method


ndarray.__eq__ = _equality(operator.eq)  # type: ignore[assignment,method-assign]
ndarray.__ne__ = _equality(operator.ne)  # type: ignore[assignment,method-assign]
for _name in ("neg pos abs invert").split():
    setattr(ndarray, f"__{_name}__", (lambda op: lambda self: _wrap(op(self._a)))(
        getattr(operator, _name)))


# ------------------------------------------------------------------------------------------------
# Module functions: NumPy's, unwrapping device arrays and refusing host arrays among operands.
# ------------------------------------------------------------------------------------------------

# Arguments that CuPy reads on the host (shapes, axes, widths, split points) or copies over itself
# (index arrays for take): a NumPy array there is not a mix. Positions and keyword names.
_HOST_ARGS: dict[str, set[Any]] = {
    "reshape": {1}, "broadcast_to": {1}, "pad": {1}, "split": {1}, "array_split": {1},
    "tensordot": {2}, "transpose": {1}, "take": {1}, "tile": {1}, "repeat": {1}, "roll": {1},
    "full": {0}, "zeros": {0}, "ones": {0}, "empty": {0}, "expand_dims": {1}, "moveaxis": {1, 2},
}
_HOST_KWARGS = {"shape", "newshape", "axis", "axes", "pad_width", "indices_or_sections",
                "indices", "reps", "repeats", "shift", "source", "destination", "minlength"}


def _function(name: str, func: Any) -> Any:
    host = _HOST_ARGS.get(name, set())

    def function(*args: Any, **kwargs: Any) -> Any:
        a = [_unwrap(v, host_ok=i in host) for i, v in enumerate(args)]
        k = {key: _unwrap(v, host_ok=key in _HOST_KWARGS) for key, v in kwargs.items()}
        return _wrap(func(*a, **k))

    function.__name__ = name
    function.__doc__ = f"numpy.{name} on device arrays (fake_cupy)."
    return function


_FUNCTIONS = (
    "abs absolute add all allclose amax amin any arange argmax argmin argsort argwhere around "
    "average bincount diff fmax fmin isin median "
    "array_equal array_split atleast_1d atleast_2d broadcast_arrays broadcast_to ceil clip "
    "concatenate cos cosh count_nonzero cumprod cumsum diag diagonal divide dot einsum empty "
    "empty_like equal exp expand_dims expm1 eye flip floor floor_divide full full_like greater "
    "greater_equal hstack identity inner isclose isfinite isinf isnan less less_equal linspace "
    "log log10 log1p log2 logaddexp logical_and logical_not logical_or logical_xor matmul max "
    "maximum mean meshgrid min minimum mod moveaxis multiply nan_to_num negative nonzero "
    "not_equal ones ones_like outer pad power prod ravel reciprocal remainder repeat reshape rint "
    "roll round searchsorted sign sin sinh sort split sqrt square squeeze stack std subtract sum "
    "swapaxes take take_along_axis tan tanh tensordot tile trace transpose tril triu true_divide "
    "unique var vstack where zeros zeros_like"
).split()
for _name in _FUNCTIONS:
    globals()[_name] = _function(_name, getattr(_np, _name))

# dtypes and constants are NumPy's own objects in CuPy too
for _name in ("bool_ int8 int16 int32 int64 uint8 uint16 uint32 uint64 intp float16 float32 "
              "float64 complex64 complex128 dtype finfo iinfo promote_types can_cast issubdtype "
              "floating integer number signedinteger unsignedinteger inexact generic isscalar "
              "newaxis pi e inf nan").split():
    globals()[_name] = getattr(_np, _name)


def shape(a: Any) -> tuple[int, ...]:
    return _np.shape(_unwrap(a))


def ndim(a: Any) -> int:
    return _np.ndim(_unwrap(a))


def size(a: Any) -> int:
    return _np.size(_unwrap(a))


def result_type(*arrays_and_dtypes: Any) -> _np.dtype:
    return _np.result_type(*_unwrap(arrays_and_dtypes))


def array(obj: Any, dtype: Any = None, copy: bool = True, order: str = "K",
          ndmin: int = 0) -> ndarray:
    """A new device array from device arrays, NumPy arrays (host-to-device) or nested lists."""
    if not isinstance(obj, ndarray) and not _is_scalar(obj):
        transfers["h2d"] += 1
    out = _np.array(_unwrap(obj, host_ok=True), dtype=dtype, copy=copy, order=order, ndmin=ndmin)
    return _wrap(out)


def asarray(a: Any, dtype: Any = None, order: Any = None) -> ndarray:
    """``a`` as a device array: the same array if it already is one of that dtype."""
    if isinstance(a, ndarray) and (dtype is None or _np.dtype(dtype) == a.dtype):
        return a
    if not isinstance(a, ndarray) and not _is_scalar(a):
        transfers["h2d"] += 1
    return _wrap(_np.asarray(_unwrap(a, host_ok=True), dtype=dtype, order=order))


ascontiguousarray = asarray


def asnumpy(a: Any, stream: Any = None, order: str = "C", out: Any = None,
            blocking: bool = True) -> _np.ndarray:
    """The device-to-host copy (``cupy.asnumpy``); host data is returned as a NumPy array."""
    if isinstance(a, ndarray):
        return a.get(order=order)
    return _np.asarray(a, order=order)


def get_array_module(*args: Any) -> Any:
    import sys  # noqa: PLC0415

    return sys.modules[__name__] if _b.any(isinstance(a, ndarray) for a in args) else _np


linalg = types.SimpleNamespace(norm=_function("norm", _np.linalg.norm))
lib = types.SimpleNamespace(stride_tricks=types.SimpleNamespace(
    as_strided=_function("as_strided", _np.lib.stride_tricks.as_strided),
    sliding_window_view=_function("sliding_window_view", _np.lib.stride_tricks.sliding_window_view),
))

# cupy.random: defined in its own file; imported last because it wraps with _wrap above.
from fake_cupy_random import random as random  # noqa: E402

cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=lambda: 1,
                                                           deviceSynchronize=lambda: None))


def __getattr__(name: str) -> Any:
    raise AttributeError(
        f"fake_cupy has no attribute {name!r}: tinygan asked its xp for something the CuPy double "
        "does not provide. If CuPy has it (docs.cupy.dev), add it to tests/fake_cupy.py; if CuPy "
        "lacks it, hide the difference behind a small helper in tinygan/backend.py"
    )
