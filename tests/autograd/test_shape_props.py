"""Shape ops under random shapes (hypothesis): reshape, transpose, concatenate, stack and pad
undo each other, and each one's backward puts the gradient back where the forward took the
values from."""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygan as tg

PROPERTY = settings(max_examples=50, deadline=None)
shapes = hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4)
seeds = st.integers(0, 2**31)


def leaf(array: np.ndarray) -> tg.Tensor:
    return tg.tensor(array, dtype=np.float64, requires_grad=True)


@st.composite
def reshape_target(draw, n: int) -> tuple[int, ...]:
    """A shape with n elements to reshape into: a few divisors, then the rest (or -1)."""
    shape, left = [], n
    for _ in range(draw(st.integers(0, 3))):
        d = draw(st.sampled_from([d for d in range(1, left + 1) if left % d == 0]))
        shape.append(d)
        left //= d
    return (*shape, draw(st.sampled_from([left, -1])))


@PROPERTY
@given(shapes, seeds, st.data())
def test_reshape_round_trip_and_gradient(shape, seed, data):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    new_shape = data.draw(reshape_target(a.size))
    x = leaf(a)
    y = x.reshape(new_shape)
    np.testing.assert_array_equal(y.numpy(), a.reshape(new_shape))
    np.testing.assert_array_equal(y.reshape(shape).numpy(), a)
    g = rng.standard_normal(y.shape)
    y.backward(g)
    np.testing.assert_array_equal(x.grad, g.reshape(shape))


@PROPERTY
@given(shapes, seeds, st.data())
def test_transpose_round_trip_and_gradient(shape, seed, data):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    axes = tuple(data.draw(st.permutations(range(a.ndim))))
    inverse = tuple(np.argsort(axes))
    x = leaf(a)
    y = x.transpose(axes)
    np.testing.assert_array_equal(y.numpy(), a.transpose(axes))
    np.testing.assert_array_equal(y.permute(*inverse).numpy(), a)
    g = rng.standard_normal(y.shape)
    y.backward(g)
    np.testing.assert_array_equal(x.grad, g.transpose(inverse))


@PROPERTY
@given(shapes, seeds, st.data())
def test_concatenate_split_round_trip_and_gradient(shape, seed, data):
    rng = np.random.default_rng(seed)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=4))
    parts = []
    for n in sizes:
        s = list(shape)
        s[axis] = n
        parts.append(rng.standard_normal(s))
    xs = [leaf(p) for p in parts]
    y = tg.concatenate(xs, axis=axis)
    np.testing.assert_array_equal(y.numpy(), np.concatenate(parts, axis=axis))
    g = rng.standard_normal(y.shape)
    y.backward(g)
    cuts = np.cumsum(sizes)[:-1]
    for x, p, gp in zip(xs, parts, np.split(g, cuts, axis=axis)):
        np.testing.assert_array_equal(x.grad, gp)
        assert x.grad.shape == p.shape


@PROPERTY
@given(shapes, seeds, st.data())
def test_stack_round_trip_and_gradient(shape, seed, data):
    rng = np.random.default_rng(seed)
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    n = data.draw(st.integers(1, 4))
    parts = [rng.standard_normal(shape) for _ in range(n)]
    xs = [leaf(p) for p in parts]
    y = tg.stack(xs, axis=axis)
    np.testing.assert_array_equal(y.numpy(), np.stack(parts, axis=axis))
    for i, p in enumerate(parts):  # indexing along the new axis gives the parts back
        index = (slice(None),) * (axis % y.ndim) + (i,)
        np.testing.assert_array_equal(y[index].numpy(), p)
    g = rng.standard_normal(y.shape)
    y.backward(g)
    for i, x in enumerate(xs):
        np.testing.assert_array_equal(x.grad, np.take(g, i, axis=axis))


@PROPERTY
@given(shapes, seeds, st.data())
def test_pad_round_trip_and_gradient(shape, seed, data):
    rng = np.random.default_rng(seed)
    widths = tuple(tuple(data.draw(st.lists(st.integers(0, 2), min_size=2, max_size=2)))
                   for _ in shape)
    value = data.draw(st.sampled_from([0.0, -1.0, 2.5]))
    a = rng.standard_normal(shape)
    x = leaf(a)
    y = tg.pad(x, widths, value=value)
    expected = np.pad(a, widths, constant_values=value)
    np.testing.assert_array_equal(y.numpy(), expected)
    inner = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, shape))
    np.testing.assert_array_equal(y[inner].numpy(), a)
    border = np.ones(expected.shape, dtype=bool)
    border[inner] = False
    assert (y.numpy()[border] == value).all()
    g = rng.standard_normal(y.shape)
    y.backward(g)
    np.testing.assert_array_equal(x.grad, g[inner])


@settings(max_examples=15, deadline=None)
@given(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3), seeds, st.data())
def test_composed_shape_ops_pass_gradcheck(shape, seed, data):
    """A random transpose, a reshape, a pad and a concatenate, one after another."""
    rng = np.random.default_rng(seed)
    axes = tuple(data.draw(st.permutations(range(len(shape)))))
    x = leaf(rng.standard_normal(shape))

    def fn(x):
        y = x.transpose(axes).reshape(-1)
        y = tg.pad(y, (1, 2), value=0.5)
        return tg.concatenate([y, y * y], axis=0)

    assert tg.gradcheck(fn, x)
