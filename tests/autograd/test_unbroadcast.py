"""unbroadcast, the backward of broadcasting, against a sum-to-shape reference on random shapes.

unbroadcast(g, shape) must give, for each element of an array of ``shape``, the sum of the
entries of ``g`` that element was copied to when it was broadcast. The reference below computes
exactly that by visiting every entry of g, and shares no code with unbroadcast.
"""

from __future__ import annotations

import itertools

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygan as tg
from tinygan import unbroadcast

PROPERTY = settings(max_examples=50, deadline=None)


@st.composite
def broadcast_pair(draw):
    """(shape, a shape it broadcasts to): some axes of size 1 grow, some axes are prepended."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=3))
    grown = tuple(draw(st.integers(1, 3)) if n == 1 else n for n in shape)
    leading = draw(st.lists(st.integers(1, 3), max_size=2))
    return shape, (*leading, *grown)


def sum_to_shape(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Visit every entry of g and add it to the element of ``shape`` it was copied from."""
    out = np.zeros(shape)
    offset = g.ndim - len(shape)
    for index in itertools.product(*(range(n) for n in g.shape)):
        source = tuple(0 if n == 1 else i for i, n in zip(index[offset:], shape))
        out[source] += g[index]
    return out


@PROPERTY
@given(broadcast_pair(), st.integers(0, 2**31))
def test_unbroadcast_equals_sum_to_shape(pair, seed):
    shape, target = pair
    g = np.random.default_rng(seed).standard_normal(target)
    result = unbroadcast(g, shape)
    assert result.shape == shape
    np.testing.assert_allclose(result, sum_to_shape(g, shape), rtol=1e-12, atol=1e-12)


@PROPERTY
@given(broadcast_pair(), st.integers(0, 2**31))
def test_unbroadcast_of_a_broadcast_counts_the_copies(pair, seed):
    shape, target = pair
    x = np.random.default_rng(seed).standard_normal(shape)
    copies = int(np.prod(target)) // int(np.prod(shape))  # every element is copied this often
    result = unbroadcast(np.broadcast_to(x, target), shape)
    np.testing.assert_allclose(result, copies * x, rtol=1e-12)
    np.testing.assert_allclose(result, sum_to_shape(np.broadcast_to(x, target), shape),
                               rtol=1e-12, atol=1e-12)


@PROPERTY
@given(broadcast_pair(), st.integers(0, 2**31))
def test_unbroadcast_is_the_adjoint_of_broadcasting(pair, seed):
    """<broadcast(x), g> = <x, unbroadcast(g)>: what makes it the right backward."""
    shape, target = pair
    rng = np.random.default_rng(seed)
    x, g = rng.standard_normal(shape), rng.standard_normal(target)
    left = float((np.broadcast_to(x, target) * g).sum())
    right = float((x * unbroadcast(g, shape)).sum())
    assert left == pytest.approx(right, rel=1e-10, abs=1e-10)


@PROPERTY
@given(broadcast_pair(), st.integers(0, 2**31))
def test_gradients_of_broadcasting_binary_ops(pair, seed):
    """x of a small shape added to and multiplied with y of the broadcast shape."""
    shape, target = pair
    rng = np.random.default_rng(seed)
    x_np, y_np, g = (rng.standard_normal(shape), rng.standard_normal(target),
                     rng.standard_normal(target))
    x = tg.tensor(x_np, requires_grad=True)
    y = tg.tensor(y_np, requires_grad=True)
    (x * y + x).backward(g)
    np.testing.assert_allclose(x.grad, sum_to_shape(g * y_np + g, shape), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(y.grad, g * x_np, rtol=1e-12, atol=1e-12)


def test_unbroadcast_returns_the_gradient_itself_when_nothing_was_broadcast():
    g = np.ones((2, 3))
    assert unbroadcast(g, (2, 3)) is g


@pytest.mark.parametrize(("grad_shape", "shape"), [((2, 3), (3, 2)), ((3,), (2, 3)),
                                                   ((2, 3), (2,)), ((4,), (3,))])
def test_unbroadcast_to_a_shape_that_was_not_broadcast_is_an_error(grad_shape, shape):
    with pytest.raises(ValueError, match="unbroadcast"):
        unbroadcast(np.ones(grad_shape), shape)


def test_unbroadcast_keeps_float32():
    assert unbroadcast(np.ones((4, 2, 3), dtype=np.float32), (2, 1)).dtype == np.float32
