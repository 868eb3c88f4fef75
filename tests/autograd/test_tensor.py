"""Tensor: its attributes, tensor()'s dtype rules, no_grad, the graph walk (long chains, shared
inputs, accumulation, released graphs, retain_grad), operators, methods, seeding and devices."""

from __future__ import annotations

import importlib.util
import sys
import time

import numpy as np
import pytest

import tinygan as tg


@pytest.fixture
def float64_default():
    """Make float64 the default dtype for one test, and always put float32 back."""
    tg.set_default_dtype(np.float64)
    try:
        yield
    finally:
        tg.set_default_dtype(np.float32)


def t64(data, requires_grad=True):
    return tg.tensor(data, dtype=np.float64, requires_grad=requires_grad)


# -- attributes ----------------------------------------------------------------------------------


def test_attributes():
    x = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert isinstance(x.data, np.ndarray)
    assert x.grad is None and x.requires_grad and x.is_leaf and x.grad_fn is None
    assert x.shape == (2, 3) and x.ndim == 2 and x.dtype == np.float32
    assert x.device == "cpu" and x.device == tg.backend.CPU
    np.testing.assert_array_equal(x.numpy(), [[1, 2, 3], [4, 5, 6]])


def test_numpy_is_a_copy_and_item_is_a_python_number():
    x = tg.tensor([1.0, 2.0])
    host = x.numpy()
    host[0] = 100.0
    assert x.data[0] == 1.0
    value = tg.tensor([[2.5]]).item()
    assert type(value) is float and value == 2.5
    assert type(tg.tensor(3).item()) is int
    with pytest.raises(ValueError, match="one element"):
        x.item()


def test_tensor_copies_its_input():
    a = np.array([1.0, 2.0])
    x = tg.tensor(a)
    a[0] = 100.0
    assert x.data[0] == 1.0


def test_detach_shares_values_and_leaves_the_graph():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    assert np.shares_memory(d.data, y.data)
    (d * x).sum().backward()  # only x's own use reaches x
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


# -- dtype rules ---------------------------------------------------------------------------------


def test_tensor_dtype_rules():
    assert tg.tensor([1.0, 2.0]).dtype == np.float32  # Python floats: the default dtype
    assert tg.tensor(3.5).dtype == np.float32
    assert tg.tensor([1, 2]).dtype == np.int64  # Python ints stay integers
    assert tg.tensor([True, False]).dtype == np.bool_
    assert tg.tensor(np.array([1.0])).dtype == np.float64  # an array keeps its dtype
    assert tg.tensor(np.array([1.0], dtype=np.float16)).dtype == np.float16
    assert tg.tensor([1, 2], dtype=np.float64).dtype == np.float64  # dtype= wins
    assert tg.tensor(np.array([1.0]), dtype=np.float32).dtype == np.float32
    assert tg.zeros(2).dtype == tg.ones(2).dtype == tg.randn(2).dtype == np.float32


def test_set_default_dtype_float64(float64_default):
    assert tg.get_default_dtype() == np.float64
    assert tg.tensor([1.0]).dtype == np.float64
    assert tg.zeros(2).dtype == tg.randn(3).dtype == tg.rand(3).dtype == np.float64
    assert tg.tensor([1, 2]).dtype == np.int64
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x * 0.5).sum().backward()
    assert x.grad.dtype == np.float64


def test_set_default_dtype_rejects_integers():
    with pytest.raises(TypeError, match="floating"):
        tg.set_default_dtype(np.int32)
    assert tg.get_default_dtype() == np.float32


def test_only_floating_tensors_require_grad():
    with pytest.raises(TypeError, match="floating"):
        tg.tensor([1, 2], requires_grad=True)


# -- no_grad -------------------------------------------------------------------------------------


def test_no_grad_records_nothing():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with tg.no_grad():
        assert not tg.is_grad_enabled()
        y = (x * 3).exp().sum()
        with tg.enable_grad():
            z = x * 3
    assert tg.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    assert z.requires_grad and z.grad_fn is not None
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()
    assert x.grad is None
    assert (x * 3).requires_grad  # recording resumes after the block


def test_no_grad_is_restored_after_an_exception():
    with pytest.raises(ZeroDivisionError), tg.no_grad():
        1 / 0  # noqa: B018
    assert tg.is_grad_enabled()


# -- the graph walk ------------------------------------------------------------------------------


def test_a_chain_of_10000_ops_backpropagates():
    assert sys.getrecursionlimit() < 10_000  # a recursive walk would fail here
    x = t64([1.0, 2.0])
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    start = time.perf_counter()
    y.sum().backward()
    assert time.perf_counter() - start < 5.0
    np.testing.assert_allclose(x.grad, [1.0001**10_000] * 2, rtol=1e-9)


def test_a_wide_diamond_accumulates_every_path():
    x = t64([0.5, -1.5, 2.0])
    a, b = x * x, x * 3.0  # x used by two ops, and twice by one of them
    (a + b + x).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.data + 3.0 + 1.0)


def test_the_same_intermediate_used_many_times():
    x = t64([0.3, 0.7])
    h = x.exp()
    y = h * h * h + h  # h is read by three multiplications and one addition
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 3 * np.exp(3 * x.data) + np.exp(x.data))


def test_leaf_grads_accumulate_until_zeroed():
    x = t64([1.0, 2.0])
    (x * x).sum().backward()
    (x * x).sum().backward()  # a fresh graph: adds to .grad, as in PyTorch
    np.testing.assert_allclose(x.grad, 2 * 2 * x.data)
    x.zero_grad()
    assert x.grad is None
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad, [3.0, 3.0])


def test_leaf_grads_are_separate_arrays():
    """a + b hands the same upstream array to both inputs; their .grads must not alias it, or
    an in-place update of one (gradient clipping, an optimizer) would change the other."""
    a, b = t64([1.0, 2.0]), t64([3.0, 4.0])
    upstream = np.ones(2)
    (a + b).backward(upstream)
    assert not np.shares_memory(a.grad, b.grad)
    assert not np.shares_memory(a.grad, upstream)
    a.grad *= 10.0
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])
    np.testing.assert_array_equal(upstream, [1.0, 1.0])


def test_leaf_grads_are_writable_arrays_of_their_own():
    """sum's backward broadcasts the upstream gradient (a read-only view with zero strides);
    the .grad a student or an optimizer receives must be an ordinary writable array."""
    x = t64(np.ones((3, 4)))
    x.sum().backward()
    assert x.grad.flags.writeable and x.grad.flags.c_contiguous
    x.grad *= 0.5
    np.testing.assert_array_equal(x.grad, np.full((3, 4), 0.5))


def test_a_second_backward_through_a_released_graph_raises():
    x = t64([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    np.testing.assert_allclose(x.grad, 2 * x.data)  # unchanged by the failed call


@pytest.mark.parametrize("w_first", [False, True])
def test_a_released_shared_subgraph_raises_before_any_grad_changes(w_first):
    x, w = t64([1.0, 2.0]), t64([3.0, 4.0])
    h = x * x
    loss1, loss2 = h.sum(), ((w * h) if w_first else (h * w)).sum()
    loss1.backward()  # releases h's node
    with pytest.raises(RuntimeError, match="second time"):
        loss2.backward()
    assert w.grad is None  # nothing half-accumulated
    np.testing.assert_allclose(x.grad, 2 * x.data)


def test_retain_graph_allows_a_second_backward_with_correct_sums():
    x = t64([1.0, -2.0, 0.5])
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.copy()
    np.testing.assert_allclose(first, np.exp(x.data) * (x.data + 1))
    y.backward(retain_graph=True)
    np.testing.assert_allclose(x.grad, 2 * first)
    y.backward()  # the last call may release
    np.testing.assert_allclose(x.grad, 3 * first)
    with pytest.raises(RuntimeError):
        y.backward()


def test_retain_grad_keeps_an_intermediate_gradient():
    x = t64([1.0, 2.0])
    h = x * 2.0
    h.retain_grad()
    g = h * 5.0  # not retained
    (h * h + g).sum().backward()
    np.testing.assert_allclose(h.grad, 2 * h.data + 5.0)
    np.testing.assert_allclose(x.grad, 2.0 * (2 * h.data + 5.0))
    assert g.grad is None


def test_backward_on_a_non_scalar_with_a_grad():
    x = t64([1.0, 2.0, 3.0])
    y = x * x
    y.backward(np.array([1.0, 0.0, -1.0]))
    np.testing.assert_allclose(x.grad, [2.0, 0.0, -6.0])


def test_inputs_that_do_not_require_grad_get_none():
    x, c = t64([1.0, 2.0]), t64([3.0, 4.0], requires_grad=False)
    (x * c).sum().backward()
    assert c.grad is None
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


# -- operators -----------------------------------------------------------------------------------


def test_operators_forward_and_backward():
    a_np, b_np = np.array([[1.5, -2.0], [0.5, 3.0]]), np.array([[2.0, 0.5], [-1.0, 4.0]])
    a, b = t64(a_np), t64(b_np)
    out = (a + b) * (a - b) / b + a ** 2 @ b - (-a) + abs(b) ** 0.5
    expected = ((a_np + b_np) * (a_np - b_np) / b_np + a_np**2 @ b_np + a_np
                + np.abs(b_np) ** 0.5)
    np.testing.assert_allclose(out.numpy(), expected)
    assert tg.gradcheck(lambda a, b: (a + b) * (a - b) / b + a**2 @ b - (-a) + abs(b) ** 0.5,
                        a, b)


@pytest.mark.parametrize("other", [2.0, 3, np.array([2.0, -0.5, 4.0])], ids=["float", "int",
                                                                             "array"])
def test_reflected_operators(other):
    x_np = np.array([0.5, 1.0, 2.0])
    x = t64(x_np)
    results = {
        "radd": (other + x, other + x_np, np.ones(3)),
        "rsub": (other - x, other - x_np, -np.ones(3)),
        "rmul": (other * x, other * x_np, np.ones(3) * other),
        "rdiv": (other / x, other / x_np, -other / x_np**2),
    }
    for name, (out, value, grad) in results.items():
        assert isinstance(out, tg.Tensor), f"{name} did not return a Tensor"
        np.testing.assert_allclose(out.numpy(), value, err_msg=name)
        x.grad = None
        out.sum().backward()
        np.testing.assert_allclose(x.grad, grad, err_msg=name)


def test_rpow_and_rmatmul():
    x = t64([0.5, 1.0, 2.0])
    y = 2.0**x
    np.testing.assert_allclose(y.numpy(), 2.0 ** x.numpy())
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.log(2.0) * 2.0 ** x.numpy())
    m = np.arange(6.0).reshape(2, 3)
    z = m @ x
    assert isinstance(z, tg.Tensor)
    np.testing.assert_allclose(z.numpy(), m @ x.numpy())


def test_python_scalars_keep_float32():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    for y in (x + 1, 1 - x, x * 2.5, 2.5 / x, x**2, 2.0**x, -x, x / 3):
        assert y.dtype == np.float32


def test_comparisons_return_boolean_tensors_without_grad():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    other = np.array([2.0, 2.0, 2.0])
    checks = {
        "lt": (x < 2.0, [True, False, False]),
        "le": (x <= 2.0, [True, True, False]),
        "gt": (x > other, [False, False, True]),
        "ge": (x >= 2, [False, True, True]),
        "eq": (x == 2.0, [False, True, False]),
        "ne": (x != tg.tensor([1.0, 0.0, 3.0]), [False, True, False]),
        "reflected": (other < x, [False, False, True]),
    }
    for name, (result, expected) in checks.items():
        assert isinstance(result, tg.Tensor), name
        assert result.dtype == np.bool_ and not result.requires_grad and result.grad_fn is None
        np.testing.assert_array_equal(result.numpy(), expected, err_msg=name)


# -- methods -------------------------------------------------------------------------------------


def test_methods_follow_numpy_and_pytorch_names():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 3, 4))
    x = t64(a)
    np.testing.assert_allclose(x.sum(axis=1, keepdims=True).numpy(), a.sum(1, keepdims=True))
    np.testing.assert_allclose(x.sum().numpy(), a.sum())
    np.testing.assert_allclose(x.mean(axis=(0, 2)).numpy(), a.mean((0, 2)))
    np.testing.assert_allclose(x.max(axis=2).numpy(), a.max(2))
    np.testing.assert_allclose(x.min().numpy(), a.min())
    np.testing.assert_allclose(x.var(axis=0, ddof=1).numpy(), a.var(0, ddof=1))
    assert x.transpose().shape == (4, 3, 2)
    np.testing.assert_array_equal(x.transpose(1, 0, 2).numpy(), a.transpose(1, 0, 2))
    np.testing.assert_array_equal(x.transpose((2, 0, 1)).numpy(), a.transpose(2, 0, 1))
    np.testing.assert_array_equal(x.permute(2, 0, 1).numpy(), a.transpose(2, 0, 1))
    np.testing.assert_array_equal(x.reshape(6, 4).numpy(), a.reshape(6, 4))
    np.testing.assert_array_equal(x.reshape((4, -1)).numpy(), a.reshape(4, -1))
    np.testing.assert_array_equal(x.flatten(1).numpy(), a.reshape(2, -1))
    np.testing.assert_allclose(x.sigmoid().numpy(), 1 / (1 + np.exp(-a)))
    np.testing.assert_array_equal(x.relu().numpy(), np.maximum(a, 0))
    np.testing.assert_allclose(x.tanh().numpy(), np.tanh(a))
    np.testing.assert_allclose(x.exp().numpy(), np.exp(a))
    np.testing.assert_allclose(x.abs().numpy(), np.abs(a))
    np.testing.assert_allclose(x.clip(-0.5, 0.5).numpy(), np.clip(a, -0.5, 0.5))
    assert tg.gradcheck(lambda x: x.permute(2, 0, 1).reshape(4, 6).sigmoid().max(axis=1), x)


# -- random numbers and devices ------------------------------------------------------------------


def test_manual_seed_makes_randn_reproducible():
    tg.manual_seed(123)
    first = tg.randn(4, 5).numpy()
    uniform = tg.rand(3).numpy()
    tg.manual_seed(123)
    np.testing.assert_array_equal(tg.randn(4, 5).numpy(), first)
    np.testing.assert_array_equal(tg.rand(3).numpy(), uniform)
    tg.manual_seed(124)
    assert not np.array_equal(tg.randn(4, 5).numpy(), first)
    assert first.dtype == np.float32 and uniform.min() >= 0 and uniform.max() < 1


def test_to_cpu_is_a_no_op():
    x = tg.tensor([1.0, 2.0])
    assert x.to("cpu") is x and x.cpu() is x


@pytest.mark.skipif(importlib.util.find_spec("cupy") is not None, reason="CuPy is installed")
def test_to_cuda_without_cupy_says_how_to_install():
    x = tg.tensor([1.0, 2.0])
    for move in (lambda: x.to("cuda"), x.cuda, lambda: tg.tensor([1.0], device="cuda")):
        with pytest.raises(RuntimeError, match="cuda") as info:
            move()
        message = str(info.value)
        assert "tinygan[cuda12]" in message and "cupy" in message.lower()
    assert not tg.backend.cupy_available()


def test_unknown_device_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        tg.tensor([1.0]).to("tpu")
