"""The GPU code path without a GPU: tinygan run on the CuPy double of tests/fake_cupy.py.

The double's arrays refuse implicit conversion to NumPy and refuse to be mixed with NumPy arrays,
as CuPy's do, so a hidden host<->device transfer or a ``np.`` call on device data anywhere in
tinygan makes these tests fail. What that proves, and what only a real GPU can show
(``pytest -m gpu``, tests/test_gpu.py), is written out in fake_cupy's docstring.

This file: first that the double really refuses (so it cannot pass silently), then the device
plumbing (``Tensor.to``, the default device, the error without CuPy), then every op of
tests/op_table.py on the device. Layers, optimizers, checkpoints, data, metrics and the GAN:
tests/test_fake_device_training.py.
"""

from __future__ import annotations

import pickle
import sys
import types
import zlib

import numpy as np
import pytest
from op_table import CASE_IDS, CASES, OpCase

import tinygan as tg
from tinygan import backend
from tinygan.autograd.function import Function

# Cases whose function closes over a NumPy constant used as an operand (the condition of
# ``where``): on a device that is a host array mixed into device math, which must be refused.
HOST_CONSTANT_CASES = {"where"}


@pytest.fixture
def cuda(fake_cuda):
    """The double as "cuda" and as the default device (its transfer counters at zero)."""
    backend.set_default_device("cuda")
    return fake_cuda


# ----------------------------------------------------------------------------------------------
# The double refuses what CuPy refuses (if it did not, every test below could pass silently).
# ----------------------------------------------------------------------------------------------


def test_double_refuses_implicit_conversion_to_numpy(fake_cuda):
    x = fake_cuda.asarray(np.arange(6.0).reshape(2, 3))
    for convert in (np.asarray, np.array, lambda a: a.__array__(), lambda a: np.float64(a),
                    lambda a: np.testing.assert_allclose(a, 0.0), lambda a: [1.0] + a):
        with pytest.raises(TypeError, match="Implicit conversion to a NumPy array|Unsupported"):
            convert(x)
    np.testing.assert_array_equal(fake_cuda.asnumpy(x), np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(backend.to_numpy(x), x.get())
    assert fake_cuda.transfers["d2h"] == 3


def test_double_refuses_mixing_with_numpy_arrays(fake_cuda):
    x, host = fake_cuda.ones((2, 3)), np.ones(3)
    mixes = [lambda: x + host, lambda: host * x, lambda: x @ host,
             lambda: fake_cuda.maximum(x, host), lambda: fake_cuda.where(x > 0, host, x),
             lambda: fake_cuda.concatenate([x, host[None]])]
    for mix in mixes:
        with pytest.raises(TypeError, match="Unsupported type <class 'numpy.ndarray'>"):
            mix()
    with pytest.raises(TypeError, match="Unsupported type"):
        x[0] = host
    for numpy_call in (lambda: np.exp(x), lambda: np.concatenate([x, x]), lambda: np.sum(x),
                       lambda: np.save("never_written.npy", x)):
        with pytest.raises(TypeError, match="never numpy, on tensor data"):
            numpy_call()
    # What CuPy allows: numbers and NumPy scalars, explicit host-to-device copies, index arrays.
    y = np.float32(2) * x + 1.5 + fake_cuda.asarray(host)
    y[np.array([0, 0])] = np.float32(0.0)
    assert isinstance(y, fake_cuda.ndarray) and isinstance(y[np.array([1])], fake_cuda.ndarray)


def test_double_gives_0d_device_arrays_from_reductions_and_indexing(fake_cuda):
    x = fake_cuda.arange(6, dtype=np.float32)
    for value in (x.sum(), x.max(), x[2], fake_cuda.mean(x), next(iter(x))):
        assert isinstance(value, fake_cuda.ndarray) and value.shape == ()
    assert float(x.sum()) == 15.0 and x[2].item() == 2.0  # allowed implicit synchronisations
    assert fake_cuda.transfers["sync"] == 2
    view = x.reshape(2, 3)
    view[1, 1] = 40.0  # views share memory, as on a GPU
    assert float(x[4]) == 40.0


def test_double_generator_has_cupys_methods_only(fake_cuda):
    gen = fake_cuda.random.default_rng(0)
    z = gen.standard_normal((3,), dtype=np.float32)
    assert isinstance(z, fake_cuda.ndarray) and z.dtype == np.float32
    assert isinstance(gen.random(), fake_cuda.ndarray) and gen.integers(0, 4, 5).dtype == np.int64
    for missing in ("normal", "permutation", "shuffle", "choice"):
        with pytest.raises(AttributeError, match="cupy.random.Generator has no such method"):
            getattr(gen, missing)
    assert callable(gen.bit_generator.state)  # CuPy's state is a device pointer, not a dict
    cpu = np.random.default_rng(0).standard_normal(3, dtype=np.float32)
    assert not np.allclose(z.get(), cpu)  # the device stream is not NumPy's for the same seed


def test_double_fails_loudly_on_what_it_does_not_provide(fake_cuda):
    for name in ("errstate", "seterr", "fromfile"):
        with pytest.raises(AttributeError, match="does not provide"):
            getattr(fake_cuda, name)
    with pytest.raises(AttributeError):
        fake_cuda.add.at  # noqa: B018  (CuPy's ufuncs are not NumPy's; tinygan bans add.at)
    with pytest.raises(AttributeError, match="seeded generator"):
        fake_cuda.random.randn  # noqa: B018
    with pytest.raises(TypeError, match="pickling a device array"):
        pickle.dumps(fake_cuda.zeros(2))


class _HiddenNumpyExp(Function):
    """exp written with NumPy instead of xp: right on the CPU, wrong on a GPU."""

    @staticmethod
    def forward(ctx, x):
        return np.exp(x)

    @staticmethod
    def backward(ctx, grad):
        return grad


class _HiddenHostConstant(Function):
    """x + a NumPy constant: a hidden host-to-device transfer on a GPU."""

    @staticmethod
    def forward(ctx, x):
        return x + np.ones(x.shape, dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad


@pytest.mark.parametrize("op", [_HiddenNumpyExp, _HiddenHostConstant])
def test_a_hidden_host_call_in_an_op_passes_on_cpu_and_fails_on_the_device(op, cuda):
    """The canary: the pipeline these tests rely on does catch the mistakes it exists for."""
    op.apply(tg.ones(3, device="cpu"))
    with pytest.raises(TypeError, match="never numpy|Unsupported type"):
        op.apply(tg.ones(3))


# ----------------------------------------------------------------------------------------------
# Devices: asking for "cuda" without CuPy, moving tensors, the default device.
# ----------------------------------------------------------------------------------------------


def _no_cuda_registered(monkeypatch, cupy_module):
    monkeypatch.setattr(backend, "_default_device", backend.CPU)
    monkeypatch.delitem(backend._devices, "cuda", raising=False)
    monkeypatch.setitem(sys.modules, "cupy", cupy_module)


def _asks_for_cuda():
    yield lambda: tg.tensor([1.0], device="cuda")
    yield lambda: tg.ones(2).to("cuda")
    yield lambda: tg.set_default_device("cuda")
    yield lambda: tg.nn.Linear(2, 1).to("cuda")
    yield lambda: tg.randn(2, device="cuda")


def test_cuda_without_cupy_says_what_is_missing_and_how_to_install(monkeypatch):
    _no_cuda_registered(monkeypatch, None)  # `import cupy` raises ImportError
    for ask in _asks_for_cuda():
        with pytest.raises(RuntimeError, match="CuPy is not installed") as info:
            ask()
        assert 'pip install "tinygan[cuda12]"' in str(info.value)
    assert not backend.cupy_available()
    assert backend.get_default_device() == "cpu"


def test_cuda_with_cupy_but_no_gpu_says_so(monkeypatch):
    def no_driver():
        raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")

    broken = types.SimpleNamespace(cuda=types.SimpleNamespace(
        runtime=types.SimpleNamespace(getDeviceCount=no_driver)))
    _no_cuda_registered(monkeypatch, broken)
    with pytest.raises(RuntimeError, match="CuPy is installed but .*no CUDA-capable device"):
        tg.ones(2).to("cuda")
    broken.cuda.runtime.getDeviceCount = lambda: 0
    with pytest.raises(RuntimeError, match="no CUDA GPU was found"):
        tg.ones(2).to("cuda")


def test_to_moves_tensors_and_is_differentiable(fake_cuda):
    x = tg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = x.to("cuda")
    assert y.device == "cuda" and isinstance(y.data, fake_cuda.ndarray)
    assert x.cuda().device == "cuda"
    assert y.to("cuda") is y
    z = (y * y).sum().to("cpu")
    assert isinstance(z.data, np.ndarray)
    z.backward()
    assert isinstance(x.grad, np.ndarray)
    np.testing.assert_array_equal(x.grad, [2.0, -4.0, 6.0])
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    assert "device='cuda'" in repr(y)


def test_mixing_devices_in_one_op_is_a_clear_error(fake_cuda):
    a, b = tg.ones(3), tg.ones(3, device="cuda")
    with pytest.raises(RuntimeError, match="expected all tensors on one device"):
        a + b
    with pytest.raises(RuntimeError, match="expected an array on cuda"):
        b + np.ones(3)  # a host array given to a device tensor


def test_default_device_makes_everything_on_the_device(cuda):
    made = [tg.zeros(2, 3), tg.ones(2), tg.full((2,), 3.0), tg.arange(4), tg.randn(2, 2),
            tg.rand(3), tg.tensor([1.0, 2.0]), tg.tensor(np.ones(2)), tg.zeros_like(tg.ones(2)),
            tg.nn.Linear(3, 2).weight]
    for t in made:
        assert isinstance(t.data, cuda.ndarray), t
    assert tg.get_default_device() == "cuda"
    assert cuda.transfers["h2d"] == 2  # only the two tensors made from host data


def test_random_numbers_are_drawn_on_the_device_from_the_seeded_generator(cuda):
    tg.manual_seed(3)
    a = tg.randn(4, 2)
    tg.manual_seed(3)
    b = tg.randn(4, 2)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert cuda.transfers["h2d"] == 0


# ----------------------------------------------------------------------------------------------
# Every op of the op table, forward and backward, on the device.
# ----------------------------------------------------------------------------------------------


def _run(case: OpCase, arrays: list[np.ndarray], upstream: np.ndarray | None = None):
    needs = case.grads(len(arrays))
    xs = [tg.tensor(a, dtype=np.float64, requires_grad=r) for a, r in zip(arrays, needs)]
    out = case.fn(*xs)
    if upstream is None:
        upstream = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(tg.tensor(upstream, dtype=np.float64))
    return xs, out, upstream


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_op_on_the_device_matches_the_cpu_and_stays_there(case: OpCase, fake_cuda):
    arrays = list(case.make(np.random.default_rng(zlib.crc32(case.name.encode()))))
    cpu_xs, cpu_out, upstream = _run(case, arrays)
    backend.set_default_device("cuda")
    if case.name in HOST_CONSTANT_CASES:
        with pytest.raises(RuntimeError, match="device"):
            _run(case, arrays, upstream)
        return
    xs, out, _ = _run(case, arrays, upstream)
    assert isinstance(out.data, fake_cuda.ndarray)
    np.testing.assert_allclose(out.numpy(), cpu_out.numpy(), rtol=1e-12, atol=1e-14)
    for i, (x, cpu_x) in enumerate(zip(xs, cpu_xs)):
        if x.requires_grad:
            assert isinstance(x.grad, fake_cuda.ndarray), f"gradient of input {i} left the device"
            np.testing.assert_allclose(backend.to_numpy(x.grad), cpu_x.grad, rtol=1e-12,
                                       atol=1e-14, err_msg=f"gradient of input {i}")
    assert tg.gradcheck(case.fn, *xs, **case.gradcheck_kw)


def test_gradcheck_in_random_directions_on_the_device(cuda):
    """Inputs above max_elements are checked along random directions made on the host."""
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((30, 25)), dtype=np.float64, requires_grad=True)
    w = tg.tensor(rng.standard_normal((25, 3)), dtype=np.float64, requires_grad=True)
    assert tg.gradcheck(lambda x, w: (x @ w).tanh(), x, w, max_elements=64)
    assert isinstance(x.data, cuda.ndarray)
