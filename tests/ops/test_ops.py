"""Every op of tests/op_table.py through four checks, then the special cases the table cannot
state: ties in max/min/maximum/minimum, extreme logits, and the errors bad input gets."""

from __future__ import annotations

import re
import warnings
import zlib

import numpy as np
import pytest
import tinygan.functional as F
from op_table import CASE_IDS, CASES, OPS_COVERED, OpCase

import tinygan as tg

# float64 against float64: the same math should agree to round-off.
RTOL, ATOL = 1e-10, 1e-12


def _rng(case: OpCase, salt: str = "") -> np.random.Generator:
    return np.random.default_rng(zlib.crc32((case.name + salt).encode()))


def _inputs(case: OpCase, dtype: type = np.float64) -> tuple[list[np.ndarray], list[tg.Tensor]]:
    arrays = list(case.make(_rng(case)))
    needs = case.grads(len(arrays))
    tensors = [tg.tensor(a, dtype=dtype, requires_grad=r) for a, r in zip(arrays, needs)]
    return arrays, tensors


def test_table_covers_every_op():
    for op in OPS_COVERED:
        assert any(name.startswith(op) for name in CASE_IDS), f"no case for {op}"


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_gradcheck(case: OpCase):
    _, xs = _inputs(case)
    assert tg.gradcheck(case.fn, *xs, **case.gradcheck_kw)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_forward_matches_numpy(case: OpCase):
    arrays, xs = _inputs(case)
    out = case.fn(*xs)
    expected = np.asarray(case.ref(*arrays))
    assert out.shape == expected.shape
    assert out.dtype == expected.dtype
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_forward_and_backward_match_torch(case: OpCase):
    torch = pytest.importorskip("torch")
    arrays, xs = _inputs(case)
    needs = case.grads(len(arrays))
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=r) for a, r in zip(arrays, needs)]
    out, t_out = case.fn(*xs), case.torch_fn(torch, *ts)
    assert out.shape == tuple(t_out.shape)
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), rtol=RTOL, atol=ATOL)

    upstream = _rng(case, "upstream").standard_normal(out.shape)  # a random dL/d(out)
    out.backward(upstream)
    t_out.backward(torch.from_numpy(upstream))
    for i, (x, t, r) in enumerate(zip(xs, ts, needs)):
        if r:
            assert x.grad is not None, f"input {i} got no gradient"
            assert x.grad.shape == x.shape
            np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=RTOL, atol=ATOL,
                                       err_msg=f"gradient of input {i}")


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_float32_stays_float32(case: OpCase):
    """No float64 creeps in, forward or backward (python scalars, masks, counts, constants)."""
    arrays, xs = _inputs(case, np.float32)
    out = case.fn(*xs)
    if case.keeps_dtype:
        assert out.dtype == np.float32
    expected = case.ref(*arrays)
    np.testing.assert_allclose(out.numpy(), expected, rtol=2e-5, atol=2e-5)
    out.backward(np.ones(out.shape, dtype=out.dtype))
    for x in xs:
        if x.requires_grad:
            assert x.grad.dtype == np.float32, f"gradient is {x.grad.dtype}"
            assert isinstance(x.grad, np.ndarray)


# -- ties ----------------------------------------------------------------------------------------

TIES = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [5.0, -1.0, 5.0, 5.0]])


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
@pytest.mark.parametrize("which", ["max", "min"])
def test_reduction_ties_share_the_gradient_evenly(which, axis):
    data = TIES if which == "max" else -TIES
    x = tg.tensor(data, dtype=np.float64, requires_grad=True)
    getattr(x, which)(axis=axis, keepdims=True).sum().backward()
    best = data.max(axis=axis, keepdims=True) if which == "max" else data.min(axis=axis,
                                                                                keepdims=True)
    hit = (data == best).astype(np.float64)
    np.testing.assert_array_equal(x.grad, hit / hit.sum(axis=axis, keepdims=True))
    if axis == 1:  # spelled out once: rows with 2, 4 and 3 tied maxima
        expected = np.array([[0, 0.5, 0.5, 0], [0.25] * 4, [1 / 3, 0, 1 / 3, 1 / 3]])
        np.testing.assert_allclose(x.grad, expected)


@pytest.mark.parametrize("axis", [None, 0, 1])
@pytest.mark.parametrize("which", ["max", "min"])
def test_reduction_ties_match_torch_amax(which, axis):
    torch = pytest.importorskip("torch")
    x = tg.tensor(TIES, dtype=np.float64, requires_grad=True)
    t = torch.tensor(TIES, requires_grad=True)
    dims = (0, 1) if axis is None else axis
    upstream = np.random.default_rng(3).standard_normal(TIES.max(axis=axis).shape)
    getattr(x, which)(axis=axis).backward(upstream)
    getattr(torch, "a" + which)(t, dim=dims).backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("which", ["maximum", "minimum"])
def test_elementwise_ties_split_in_half_as_torch(which):
    a_data, b_data = np.array([1.0, 2.0, 3.0, -1.0]), np.array([1.0, 0.0, 4.0, -1.0])
    a = tg.tensor(a_data, dtype=np.float64, requires_grad=True)
    b = tg.tensor(b_data, dtype=np.float64, requires_grad=True)
    getattr(tg, which)(a, b).sum().backward()
    a_wins = np.array([0.5, 1.0, 0.0, 0.5]) if which == "maximum" else np.array([0.5, 0, 1, 0.5])
    np.testing.assert_array_equal(a.grad, a_wins)
    np.testing.assert_array_equal(b.grad, 1 - a_wins)
    torch = pytest.importorskip("torch")
    ta, tb = torch.tensor(a_data, requires_grad=True), torch.tensor(b_data, requires_grad=True)
    getattr(torch, which)(ta, tb).sum().backward()
    np.testing.assert_array_equal(a.grad, ta.grad.numpy())
    np.testing.assert_array_equal(b.grad, tb.grad.numpy())


# -- extreme logits ------------------------------------------------------------------------------

LOGITS = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_family_is_stable_at_extreme_logits(dtype):
    p = 1 / (1 + np.exp(-np.array([-50.0, 0.0, 50.0])))  # the moderate entries, exactly
    expected = {  # value, gradient, for the logits above
        "sigmoid": ([0, p[0], 0.5, 1, 1], [0, p[0] * (1 - p[0]), 0.25, p[0], 0]),
        "softplus": ([0, np.log1p(np.exp(-50.0)), np.log(2), 50, 1000], [0, p[0], 0.5, 1, 1]),
        "logsigmoid": ([-1000, -50 - np.log1p(np.exp(-50.0)), -np.log(2),
                        -np.log1p(np.exp(-50.0)), 0], [1, 1 - p[0], 0.5, p[0], 0]),
    }
    for name, (value, grad) in expected.items():
        x = tg.tensor(LOGITS, dtype=dtype, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # an overflow in exp would warn
            y = getattr(F, name)(x)
            y.backward(np.ones(5, dtype=dtype))
        assert np.isfinite(y.numpy()).all() and np.isfinite(x.grad).all(), name
        assert y.dtype == dtype and x.grad.dtype == dtype
        np.testing.assert_allclose(y.numpy(), value, rtol=1e-6, atol=1e-30, err_msg=name)
        # atol: sigmoid's backward uses its output y(1 - y), and y = 1 exactly at x = 50 (as in
        # PyTorch), so the true 1.9e-22 there comes out 0.
        np.testing.assert_allclose(x.grad, grad, rtol=1e-6, atol=1e-20, err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_is_stable_at_extreme_logits(dtype):
    a = tg.tensor([-1000.0, -1000.0, 1000.0, 1000.0], dtype=dtype, requires_grad=True)
    t = tg.tensor([0.0, 1.0, 0.0, 1.0], dtype=dtype, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.binary_cross_entropy_with_logits(a, t, reduction="none")
        loss.backward(np.ones(4, dtype=dtype))
    # right answers cost nothing, confident wrong answers cost |logit|
    np.testing.assert_allclose(loss.numpy(), [0.0, 1000.0, 1000.0, 0.0], rtol=1e-7)
    np.testing.assert_allclose(a.grad, [0.0, -1.0, 1.0, 0.0], atol=1e-30)
    np.testing.assert_allclose(t.grad, [1000.0, 1000.0, -1000.0, -1000.0])
    assert loss.dtype == dtype and a.grad.dtype == dtype and t.grad.dtype == dtype


def test_extreme_logits_match_torch():
    torch = pytest.importorskip("torch")
    x = tg.tensor(LOGITS, dtype=np.float64, requires_grad=True)
    t = torch.tensor(LOGITS, requires_grad=True)
    target = np.array([0.0, 1.0, 0.5, 0.0, 1.0])
    F.binary_cross_entropy_with_logits(x, tg.tensor(target, dtype=np.float64)).backward()
    torch.nn.functional.binary_cross_entropy_with_logits(t, torch.from_numpy(target)).backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=RTOL, atol=ATOL)


# -- bad input ----------------------------------------------------------------------------------

BINARY_OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
    "maximum": tg.maximum,
    "minimum": tg.minimum,
    "where": lambda a, b: tg.where(np.ones((3, 4), dtype=bool), a, b),
}


@pytest.mark.parametrize("op", list(BINARY_OPS))
def test_shapes_that_cannot_broadcast_name_the_op_and_both_shapes(op):
    a, b = tg.ones(3, 4, requires_grad=True), tg.ones(5)
    with pytest.raises(ValueError, match=rf"{op}.*\(3, 4\).*\(5,\)"):
        BINARY_OPS[op](a, b)


@pytest.mark.parametrize(("sa", "sb"), [((3, 4), (5, 6)), ((4,), (3,)), ((2, 3, 4), (4, 3, 2)),
                                        ((2, 3, 4), (3, 4, 5))])
def test_matmul_shapes_that_cannot_multiply(sa, sb):
    with pytest.raises(ValueError, match="matmul") as info:
        tg.ones(*sa) @ tg.ones(*sb)
    assert str(sa) in str(info.value) and str(sb) in str(info.value)


@pytest.mark.parametrize("data", [np.array(["a", "b"]), np.array([object(), 1], dtype=object),
                                  "abc", [1, [2, 3]], [1 + 2j], {"a": 1}])
def test_tensor_of_non_numbers_is_a_type_error(data):
    with pytest.raises(TypeError, match="tensor"):
        tg.tensor(data)


def test_backward_on_a_non_scalar_without_grad_says_so():
    y = tg.ones(2, 3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=re.escape("(2, 3)")) as info:
        y.backward()
    assert "grad" in str(info.value) and "one-element" in str(info.value)


def test_backward_with_a_grad_of_the_wrong_shape():
    y = tg.ones(2, 3, requires_grad=True) * 2
    with pytest.raises(ValueError, match=r"\(3,\).*\(2, 3\)"):
        y.backward(np.ones(3))


@pytest.mark.parametrize(("fn", "match"), [
    (lambda x: x.transpose(0, 3), "transpose|swapaxes"),
    (lambda x: x.permute(1, 1), "transpose"),
    (lambda x: x.sum(axis=2), "axis 2"),
    (lambda x: x.max(axis=-3), "axis -3"),
    (lambda x: tg.concatenate([x, x], axis=2), "concatenate"),
    (lambda x: tg.concatenate([x, tg.ones(3, 5)], axis=0), "concatenate"),
    (lambda x: tg.stack([x, x], axis=3), "stack"),
    (lambda x: tg.stack([x, tg.ones(3, 3)]), "stack"),
    (lambda x: x.reshape(5, 5), "reshape"),
    (lambda x: tg.pad(x, -1), "pad"),
    (lambda x: x[5], "getitem"),
    (lambda x: tg.pad(x, ((1, 1), (1, 1), (1, 1))), "pad"),
    (lambda x: x.sum(axis=(1, -1)), "same axis twice"),
    (lambda x: x.mean(axis=1.5), "axis must be"),
])
def test_bad_axes_and_shapes_in_shape_ops(fn, match):
    with pytest.raises((ValueError, IndexError, TypeError), match=match):
        fn(tg.ones(2, 3, requires_grad=True))


def test_where_takes_a_list_condition():
    a, b = tg.tensor([1.0, 2.0, 3.0], requires_grad=True), tg.tensor([-1.0, -2.0, -3.0])
    y = tg.where([True, False, True], a, b)
    np.testing.assert_array_equal(y.numpy(), [1.0, -2.0, 3.0])
    y.sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 0.0, 1.0])


def test_relu_gives_plain_zeros():
    """relu(-1) is 0, not -0.0 (which prints as "-0." and is what x * mask gives)."""
    y = F.relu(tg.tensor([-2.0, -0.5, 0.0, 1.5]))
    np.testing.assert_array_equal(y.numpy(), [0.0, 0.0, 0.0, 1.5])
    assert not np.signbit(y.numpy()).any()
    assert "-0." not in repr(y)
