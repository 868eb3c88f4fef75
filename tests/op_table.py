"""The op table: every differentiable op of tinygan written once, and the tests read it.

Each ``OpCase`` says how to call one op (with one choice of shapes and arguments) three ways:
in tinygan, as a NumPy reference, and as the matching PyTorch function. ``make`` draws the
inputs, kept off the op's kinks and domain edges (relu/abs/leaky_relu away from 0, log/sqrt/pow
on positive numbers, max/min without ties, clip away from its bounds), because a finite
difference across a kink measures neither side's derivative. tests/test_ops.py runs every case
through ``tinygan.gradcheck`` (float64), against the NumPy reference, against PyTorch (forward
and backward, float64), and in float32 (no promotion to float64 anywhere).

Constants that are not differentiated (indices, masks, the condition of ``where``) are fixed
below and captured by the three functions, so the three see the same values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tinygan.functional as F

import tinygan as tg
from tinygan.ops.conv_reference import conv2d_naive, conv_transpose2d_naive

Shape = tuple[int, ...]


@dataclass(frozen=True)
class OpCase:
    """One op with one set of shapes/arguments.

    fn: tinygan tensors -> Tensor.  ref: NumPy arrays -> array.  torch_fn: (torch, *tensors) ->
    torch tensor (torch is passed in, so this file imports without PyTorch).  make: a NumPy
    Generator -> the input arrays (float64).  requires_grad: which inputs are differentiated
    (default: all).  keeps_dtype: the output has the inputs' dtype (False for casts).
    """

    name: str
    fn: Callable[..., Any]
    ref: Callable[..., Any]
    torch_fn: Callable[..., Any]
    make: Callable[[np.random.Generator], tuple[np.ndarray, ...]]
    requires_grad: tuple[bool, ...] | None = None
    gradcheck_kw: dict[str, Any] = field(default_factory=dict)
    keeps_dtype: bool = True

    def grads(self, n: int) -> tuple[bool, ...]:
        return self.requires_grad if self.requires_grad is not None else (True,) * n


# ----------------------------------------------------------------------------------------------
# Input generators: each takes (rng, shape) and returns a float64 array.
# ----------------------------------------------------------------------------------------------


def _away(x: np.ndarray, points: tuple[float, ...], margin: float = 0.1) -> np.ndarray:
    """Move every value closer than ``margin`` to one of ``points`` out to distance ``margin``."""
    for p in points:
        d = x - p
        x = np.where(np.abs(d) < margin, p + np.where(d >= 0, margin, -margin), x)
    return x


def normal(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    return rng.standard_normal(shape)


def positive(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """In [0.5, 2]: the domain of log, sqrt and of a tensor power's base."""
    return rng.uniform(0.5, 2.0, shape)


def nonzero(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """In [-2, 2] but at least 0.1 from 0 (the kink of relu, abs, leaky_relu; a divisor)."""
    return _away(rng.uniform(-2.0, 2.0, shape), (0.0,))


def unit(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """In [0.05, 0.95]: probabilities, BCE targets."""
    return rng.uniform(0.05, 0.95, shape)


def distinct(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """All values at least 0.15 apart: no ties anywhere for max/min."""
    n = int(np.prod(shape))
    values = (rng.permutation(n) - n / 2) * 0.25 + rng.uniform(-0.05, 0.05, n)
    return values.reshape(shape)


def grid_a(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """k/2 + 1/4 (+-0.05): never within 0.15 of a ``grid_b`` value, so maximum has no ties."""
    return rng.integers(-4, 4, shape) / 2 + 0.25 + rng.uniform(-0.05, 0.05, shape)


def grid_b(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    return rng.integers(-4, 4, shape) / 2 + rng.uniform(-0.05, 0.05, shape)


def off_clip(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """In [-1.5, 1.5], at least 0.1 from the clip bounds -0.5 and 0.5."""
    return _away(rng.uniform(-1.5, 1.5, shape), (-0.5, 0.5))


def off_softplus_threshold(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    """Both sides of softplus(beta=2, threshold=1)'s switch at x = 0.5, at least 0.1 from it."""
    return _away(rng.uniform(-1.0, 2.0, shape), (0.5,))


def draw(*specs: tuple[Callable[..., np.ndarray], Shape]) -> Callable[..., tuple]:
    """``make`` for a case: one (generator, shape) per input."""
    return lambda rng: tuple(gen(rng, shape) for gen, shape in specs)


# ----------------------------------------------------------------------------------------------
# Fixed, non-differentiated constants.
# ----------------------------------------------------------------------------------------------

_const = np.random.default_rng(20240601)
MASK_34 = _const.random((3, 4)) > 0.5  # boolean mask for getitem, condition for where
MASK_34[0, 0], MASK_34[0, 1] = True, False  # both branches present
COND_31 = np.array([[True], [False], [True]])
REPEATS = np.array([0, 2, 0, 0])  # index 0 taken three times: its gradient is a sum
REPEATS_2D = np.array([[0, 1], [1, 1]])
PAIR_ROWS, PAIR_COLS = np.array([0, 0, 1, 2]), np.array([1, 1, 3, 1])  # (0, 1) twice
COLS = np.array([3, 0, 3])
NEG_REPEATS = np.array([-1, -1, 0])


def _dims(axis: Any, ndim: int) -> tuple[int, ...]:
    """A NumPy axis argument as an explicit tuple of dims (PyTorch's reductions want dims)."""
    if axis is None:
        return tuple(range(ndim))
    return (axis,) if isinstance(axis, int) else tuple(axis)


def _torch_pad(pad_width: Any, ndim: int) -> list[int]:
    """NumPy pad widths as ``torch.nn.functional.pad``'s list (last axis first)."""
    widths = np.broadcast_to(np.asarray(pad_width), (ndim, 2))
    return [int(w) for pair in widths[::-1] for w in pair]


# ----------------------------------------------------------------------------------------------
# The table.
# ----------------------------------------------------------------------------------------------

CASES: list[OpCase] = []


def case(name: str, fn: Callable, ref: Callable, torch_fn: Callable, make: Callable,
         **kw: Any) -> None:
    CASES.append(OpCase(name, fn, ref, torch_fn, make, **kw))


# Broadcasting binary ops: equal shapes, a trailing vector, both sides broadcast, a 0-d operand.
PAIRS: list[tuple[Shape, Shape]] = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)),
                                    ((), (2, 3))]
BINARY = [
    # name, tinygan, numpy, torch, generator of a, generator of b
    ("add", lambda a, b: a + b, np.add, lambda T, a, b: a + b, normal, normal),
    ("sub", lambda a, b: a - b, np.subtract, lambda T, a, b: a - b, normal, normal),
    ("mul", lambda a, b: a * b, np.multiply, lambda T, a, b: a * b, normal, normal),
    ("div", lambda a, b: a / b, np.divide, lambda T, a, b: a / b, normal, nonzero),
    ("pow_tensor", lambda a, b: a**b, np.power, lambda T, a, b: T.pow(a, b), positive, normal),
    ("maximum", tg.maximum, np.maximum, lambda T, a, b: T.maximum(a, b), grid_a, grid_b),
    ("minimum", tg.minimum, np.minimum, lambda T, a, b: T.minimum(a, b), grid_a, grid_b),
]
for _name, _fn, _ref, _tfn, _ga, _gb in BINARY:
    for _sa, _sb in PAIRS:
        case(f"{_name}{_sa}x{_sb}", _fn, _ref, _tfn, draw((_ga, _sa), (_gb, _sb)))

# A Python number on either side.
case("add_scalar", lambda x: x + 2.5, lambda x: x + 2.5, lambda T, x: x + 2.5,
     draw((normal, (3, 4))))
case("rsub_scalar", lambda x: 2.5 - x, lambda x: 2.5 - x, lambda T, x: 2.5 - x,
     draw((normal, (3, 4))))
case("rmul_scalar", lambda x: 3 * x, lambda x: 3 * x, lambda T, x: 3 * x, draw((normal, (3, 4))))
case("rdiv_scalar", lambda x: 2.0 / x, lambda x: 2.0 / x, lambda T, x: 2.0 / x,
     draw((nonzero, (3, 4))))
case("rpow_scalar", lambda x: 2.0**x, lambda x: 2.0**x, lambda T, x: 2.0**x, draw((normal, (3, 4))))
for _p in (2, 3, 0.5, -1.5):
    case(f"pow_scalar_{_p}", lambda x, p=_p: x**p, lambda x, p=_p: x**p, lambda T, x, p=_p: x**p,
         draw((positive, (3, 4))))

# Unary elementwise ops and activations.
UNARY = [
    ("neg", lambda x: -x, np.negative, lambda T, x: -x, normal),
    ("exp", tg.exp, np.exp, lambda T, x: T.exp(x), normal),
    ("log", tg.log, np.log, lambda T, x: T.log(x), positive),
    ("sqrt", tg.sqrt, np.sqrt, lambda T, x: T.sqrt(x), positive),
    ("abs", tg.abs, np.abs, lambda T, x: T.abs(x), nonzero),
    ("relu", F.relu, lambda x: np.maximum(x, 0), lambda T, x: T.relu(x), nonzero),
    ("leaky_relu", F.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x),
     lambda T, x: T.nn.functional.leaky_relu(x), nonzero),
    ("leaky_relu_0.2", lambda x: F.leaky_relu(x, negative_slope=0.2),
     lambda x: np.where(x > 0, x, 0.2 * x),
     lambda T, x: T.nn.functional.leaky_relu(x, negative_slope=0.2), nonzero),
    ("tanh", F.tanh, np.tanh, lambda T, x: T.tanh(x), normal),
    ("sigmoid", F.sigmoid, lambda x: 1 / (1 + np.exp(-x)), lambda T, x: T.sigmoid(x), normal),
    ("softplus", F.softplus, lambda x: np.logaddexp(0, x),
     lambda T, x: T.nn.functional.softplus(x), normal),
    ("softplus_beta2", lambda x: F.softplus(x, beta=2.0), lambda x: np.logaddexp(0, 2 * x) / 2,
     lambda T, x: T.nn.functional.softplus(x, beta=2.0), normal),
    ("softplus_beta2_threshold1", lambda x: F.softplus(x, beta=2.0, threshold=1.0),
     lambda x: np.where(2 * x > 1, x, np.logaddexp(0, 2 * x) / 2),
     lambda T, x: T.nn.functional.softplus(x, beta=2.0, threshold=1.0), off_softplus_threshold),
    ("log_sigmoid", F.logsigmoid, lambda x: -np.logaddexp(0, -x),
     lambda T, x: T.nn.functional.logsigmoid(x), normal),
]
for _name, _fn, _ref, _tfn, _gen in UNARY:
    case(_name, _fn, _ref, _tfn, draw((_gen, (3, 4))))
case("exp_0d", tg.exp, np.exp, lambda T, x: T.exp(x), draw((normal, ())))
case("sigmoid_3d", F.sigmoid, lambda x: 1 / (1 + np.exp(-x)), lambda T, x: T.sigmoid(x),
     draw((normal, (2, 3, 4))))

# clip (torch.clamp), kept away from its bounds.
case("clip", lambda x: tg.clip(x, -0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5),
     lambda T, x: T.clamp(x, -0.5, 0.5), draw((off_clip, (3, 4))))
case("clip_min", lambda x: x.clip(min=-0.5), lambda x: np.maximum(x, -0.5),
     lambda T, x: T.clamp(x, min=-0.5), draw((off_clip, (3, 4))))
case("clip_max", lambda x: tg.clip(x, max=0.5), lambda x: np.minimum(x, 0.5),
     lambda T, x: T.clamp(x, max=0.5), draw((off_clip, (3, 4))))

# matmul: 2-D, batched, broadcast batch axes, 1-D operands (a row on the left, a column on
# the right, both: a dot product).
MATMUL: list[tuple[str, Shape, Shape]] = [
    ("2d", (3, 4), (4, 5)),
    ("batched", (2, 3, 4), (2, 4, 5)),
    ("broadcast_batch", (2, 1, 3, 4), (5, 4, 2)),
    ("2d_by_batched", (3, 4), (2, 4, 5)),
    ("1d_left", (4,), (4, 5)),
    ("1d_left_batched", (4,), (2, 4, 3)),
    ("1d_right", (2, 3, 4), (4,)),
    ("1d_both", (4,), (4,)),
]
for _name, _sa, _sb in MATMUL:
    case(f"matmul_{_name}", lambda a, b: a @ b, np.matmul, lambda T, a, b: T.matmul(a, b),
         draw((normal, _sa), (normal, _sb)))

# Reductions over a (2, 3, 4) input.
for _axis in (None, 0, -1, (0, 2)):
    for _keep in (False, True):
        _tag = f"axis={_axis},keepdims={_keep}"
        case(f"sum[{_tag}]", lambda x, a=_axis, k=_keep: x.sum(axis=a, keepdims=k),
             lambda x, a=_axis, k=_keep: np.sum(x, axis=a, keepdims=k),
             lambda T, x, a=_axis, k=_keep: T.sum(x, dim=_dims(a, x.ndim), keepdim=k),
             draw((normal, (2, 3, 4))))
        case(f"mean[{_tag}]", lambda x, a=_axis, k=_keep: x.mean(axis=a, keepdims=k),
             lambda x, a=_axis, k=_keep: np.mean(x, axis=a, keepdims=k),
             lambda T, x, a=_axis, k=_keep: T.mean(x, dim=_dims(a, x.ndim), keepdim=k),
             draw((normal, (2, 3, 4))))
for _axis in (None, 1, (0, 2)):
    for _keep in (False, True):
        _tag = f"axis={_axis},keepdims={_keep}"
        case(f"max[{_tag}]", lambda x, a=_axis, k=_keep: x.max(axis=a, keepdims=k),
             lambda x, a=_axis, k=_keep: np.max(x, axis=a, keepdims=k),
             lambda T, x, a=_axis, k=_keep: T.amax(x, dim=_dims(a, x.ndim), keepdim=k),
             draw((distinct, (2, 3, 4))))
        case(f"min[{_tag}]", lambda x, a=_axis, k=_keep: x.min(axis=a, keepdims=k),
             lambda x, a=_axis, k=_keep: np.min(x, axis=a, keepdims=k),
             lambda T, x, a=_axis, k=_keep: T.amin(x, dim=_dims(a, x.ndim), keepdim=k),
             draw((distinct, (2, 3, 4))))
for _axis, _ddof, _keep in ((None, 0, False), (1, 0, True), ((0, 2), 1, False), (-1, 1, True)):
    case(f"var[axis={_axis},ddof={_ddof},keepdims={_keep}]",
         lambda x, a=_axis, d=_ddof, k=_keep: x.var(axis=a, keepdims=k, ddof=d),
         lambda x, a=_axis, d=_ddof, k=_keep: np.var(x, axis=a, ddof=d, keepdims=k),
         lambda T, x, a=_axis, d=_ddof, k=_keep: T.var(x, dim=_dims(a, x.ndim), correction=d,
                                                       keepdim=k),
         draw((normal, (2, 3, 4))))

# Shape ops.
for _shape in ((6, 4), (-1,), (4, -1, 2)):
    case(f"reshape{_shape}", lambda x, s=_shape: x.reshape(s), lambda x, s=_shape: x.reshape(s),
         lambda T, x, s=_shape: x.reshape(s), draw((normal, (2, 3, 4))))
case("reshape_varargs", lambda x: x.reshape(4, 6), lambda x: x.reshape(4, 6),
     lambda T, x: x.reshape(4, 6), draw((normal, (2, 3, 4))))
case("transpose_reverse", lambda x: x.transpose(), lambda x: x.transpose(),
     lambda T, x: x.permute(2, 1, 0), draw((normal, (2, 3, 4))))
case("transpose(1,0,2)", lambda x: x.transpose(1, 0, 2), lambda x: x.transpose(1, 0, 2),
     lambda T, x: x.permute(1, 0, 2), draw((normal, (2, 3, 4))))
case("permute(2,0,1)", lambda x: x.permute(2, 0, 1), lambda x: x.transpose(2, 0, 1),
     lambda T, x: x.permute(2, 0, 1), draw((normal, (2, 3, 4))))
case("T_2d", lambda x: x.T, lambda x: x.T, lambda T, x: x.T, draw((normal, (3, 4))))

# Indexing: basic (slices, ints, None, Ellipsis) and advanced (integer arrays with repeated
# indices, whose gradients must add up; boolean masks).
INDEXING: list[tuple[str, Shape, Any, Callable]] = [
    ("slices", (3, 4), (slice(1, None), slice(None, None, 2)), lambda T, x: x[1:, ::2]),
    ("int", (3, 4), 2, lambda T, x: x[2]),
    ("int_and_slice", (3, 4, 5), (-1, slice(1, 4)), lambda T, x: x[-1, 1:4]),
    ("ellipsis_none", (3, 4, 5), (Ellipsis, None, 1), lambda T, x: x[..., None, 1]),
    ("reversed", (3, 4), (slice(None), slice(None, None, -1)), lambda T, x: T.flip(x, (1,))),
    ("int_array_repeats", (3, 4), REPEATS, lambda T, x: x[T.from_numpy(REPEATS)]),
    ("int_array_2d_repeats", (3, 4), REPEATS_2D, lambda T, x: x[T.from_numpy(REPEATS_2D)]),
    ("int_array_pair_repeats", (3, 4), (PAIR_ROWS, PAIR_COLS),
     lambda T, x: x[T.from_numpy(PAIR_ROWS), T.from_numpy(PAIR_COLS)]),
    ("slice_and_int_array", (3, 4), (slice(None), COLS), lambda T, x: x[:, T.from_numpy(COLS)]),
    ("negative_int_array", (3, 4), NEG_REPEATS, lambda T, x: x[T.from_numpy(NEG_REPEATS)]),
    ("int_list", (3, 4), [1, 1, 2], lambda T, x: x[[1, 1, 2]]),
    ("bool_mask", (3, 4), MASK_34, lambda T, x: x[T.from_numpy(MASK_34)]),
]
for _name, _shape, _index, _tfn in INDEXING:
    case(f"getitem_{_name}", lambda x, i=_index: x[i], lambda x, i=_index: x[i], _tfn,
         draw((normal, _shape)))

# Joining and padding.
case("concatenate_axis0", lambda a, b, c: tg.concatenate([a, b, c]), lambda a, b, c:
     np.concatenate([a, b, c]), lambda T, a, b, c: T.cat([a, b, c]),
     draw((normal, (2, 3)), (normal, (4, 3)), (normal, (1, 3))))
case("concatenate_axis1", lambda a, b: tg.concatenate([a, b], axis=1),
     lambda a, b: np.concatenate([a, b], axis=1), lambda T, a, b: T.cat([a, b], dim=1),
     draw((normal, (2, 1)), (normal, (2, 3))))
case("cat_axis-1", lambda a, b: tg.cat([a, b], axis=-1),
     lambda a, b: np.concatenate([a, b], axis=-1), lambda T, a, b: T.cat([a, b], dim=-1),
     draw((normal, (2, 3, 1)), (normal, (2, 3, 2))))
for _axis in (0, 1, -1):
    case(f"stack_axis{_axis}", lambda a, b, c, ax=_axis: tg.stack([a, b, c], axis=ax),
         lambda a, b, c, ax=_axis: np.stack([a, b, c], axis=ax),
         lambda T, a, b, c, ax=_axis: T.stack([a, b, c], dim=ax),
         draw((normal, (2, 3)), (normal, (2, 3)), (normal, (2, 3))))
PADS: list[tuple[str, Shape, Any, float]] = [
    ("int", (2, 3), 1, 0.0),
    ("pairs", (2, 3), ((1, 0), (2, 3)), 0.0),
    ("value", (2, 3), ((0, 2), (1, 1)), 1.5),
    ("3d", (2, 3, 4), ((0, 0), (1, 1), (2, 0)), -0.5),
]
for _name, _shape, _width, _value in PADS:
    case(f"pad_{_name}", lambda x, w=_width, v=_value: tg.pad(x, w, value=v),
         lambda x, w=_width, v=_value: np.pad(x, w, constant_values=v),
         lambda T, x, w=_width, v=_value: T.nn.functional.pad(x, _torch_pad(w, x.ndim), value=v),
         draw((normal, _shape)))

# where: the condition broadcasts with both values.
case("where", lambda a, b: tg.where(MASK_34, a, b), lambda a, b: np.where(MASK_34, a, b),
     lambda T, a, b: T.where(T.from_numpy(MASK_34), a, b), draw((normal, (3, 4)), (normal, (4,))))
case("where_broadcast_cond", lambda a, b: tg.where(tg.tensor(COND_31), a, b),
     lambda a, b: np.where(COND_31, a, b), lambda T, a, b: T.where(T.from_numpy(COND_31), a, b),
     draw((normal, (3, 4)), (normal, ())))

# Binary cross-entropy with logits (inputs: logits, targets, weights).
_BCE_T = lambda T, a, t, w, r: T.nn.functional.binary_cross_entropy_with_logits(  # noqa: E731
    a, t, weight=w, reduction=r)
_BCE_NP = lambda a, t, w: w * (np.logaddexp(0, a) - t * a)  # noqa: E731
_BCE_REDUCE = {"mean": np.mean, "sum": np.sum, "none": lambda v: v}
for _red in ("mean", "sum", "none"):
    case(f"bce_with_logits_{_red}",
         lambda a, t, r=_red: F.binary_cross_entropy_with_logits(a, t, reduction=r),
         lambda a, t, r=_red: _BCE_REDUCE[r](_BCE_NP(a, t, 1.0)),
         lambda T, a, t, r=_red: _BCE_T(T, a, t, None, r),
         draw((normal, (4, 3)), (unit, (4, 3))), requires_grad=(True, False))
    case(f"bce_with_logits_{_red}_weight_target_grad",
         lambda a, t, w, r=_red: F.binary_cross_entropy_with_logits(a, t, weight=w, reduction=r),
         lambda a, t, w, r=_red: _BCE_REDUCE[r](_BCE_NP(a, t, w)),
         lambda T, a, t, w, r=_red: _BCE_T(T, a, t, w, r),
         draw((normal, (4, 3)), (unit, (4, 3)), (positive, (3,))),
         requires_grad=(True, True, False))

# Casting: float64 -> float32 -> float64 rounds to float32, so its finite differences need a
# larger step (the function is linear, so a large step costs nothing).
case("astype_roundtrip", lambda x: x.astype(np.float32).astype(np.float64),
     lambda x: x.astype(np.float32).astype(np.float64),
     lambda T, x: x.to(T.float32).to(T.float64), draw((normal, (3, 4))),
     gradcheck_kw={"eps": 1e-2}, keeps_dtype=False)
case("astype_float64", lambda x: x.astype(np.float64), lambda x: x.astype(np.float64),
     lambda T, x: x.to(T.float64), draw((normal, (3, 4))), keeps_dtype=False)

# The layers' ops: linear (x W^T + b), conv2d and conv_transpose2d (against the naive loops),
# layer_norm and batch_norm (training: the batch's statistics; evaluation: fixed running ones).

case("linear", F.linear, lambda x, w, b: x @ w.T + b,
     lambda T, x, w, b: T.nn.functional.linear(x, w, b),
     draw((normal, (2, 3, 4)), (normal, (5, 4)), (normal, (5,))))
case("linear_no_bias", lambda x, w: F.linear(x, w), lambda x, w: x @ w.T,
     lambda T, x, w: T.nn.functional.linear(x, w), draw((normal, (3, 4)), (normal, (2, 4))))
CONVS: list[tuple[str, Shape, Shape, dict[str, Any]]] = [
    ("k3", (2, 2, 5, 5), (3, 2, 3, 3), {}),
    ("k4_s2_p1", (2, 2, 6, 6), (3, 2, 4, 4), {"stride": 2, "padding": 1}),
    ("s2_odd", (1, 2, 7, 6), (2, 2, 3, 3), {"stride": 2}),
    ("dilation2_p1", (1, 1, 6, 6), (2, 1, 3, 3), {"padding": 1, "dilation": 2}),
]
for _name, _sx, _sw, _kw in CONVS:
    _arr = {k: (v, v) for k, v in _kw.items()}
    case(f"conv2d_{_name}", lambda x, w, b, kw=_kw: F.conv2d(x, w, b, **kw),
         lambda x, w, b, kw=_arr: conv2d_naive(x, w, b, **kw),
         lambda T, x, w, b, kw=_kw: T.nn.functional.conv2d(x, w, b, **kw),
         draw((normal, _sx), (normal, _sw), (normal, (_sw[0],))))
CONVS_T: list[tuple[str, Shape, Shape, dict[str, Any]]] = [
    ("k3", (2, 3, 3, 3), (3, 2, 3, 3), {}),
    ("k4_s2_p1", (2, 3, 3, 3), (3, 2, 4, 4), {"stride": 2, "padding": 1}),
    ("s2_output_padding1", (1, 2, 3, 2), (2, 2, 3, 3), {"stride": 2, "output_padding": 1}),
]
for _name, _sx, _sw, _kw in CONVS_T:
    _arr = {k: (v, v) for k, v in _kw.items()}
    case(f"conv_transpose2d_{_name}", lambda x, w, b, kw=_kw: F.conv_transpose2d(x, w, b, **kw),
         lambda x, w, b, kw=_arr: conv_transpose2d_naive(x, w, b, **kw),
         lambda T, x, w, b, kw=_kw: T.nn.functional.conv_transpose2d(x, w, b, **kw),
         draw((normal, _sx), (normal, _sw), (normal, (_sw[1],))))

EMBED_IDX = np.array([[0, 2, 2], [4, 1, 0]])  # row 2 and row 0 looked up twice: their sums
case("embedding", lambda w: F.embedding(EMBED_IDX, w), lambda w: w[EMBED_IDX],
     lambda T, w: T.nn.functional.embedding(T.from_numpy(EMBED_IDX), w), draw((normal, (5, 3))))


def _layer_norm_np(x: np.ndarray, w: Any, b: Any, k: int) -> np.ndarray:
    axes = tuple(range(x.ndim - k, x.ndim))
    xhat = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + 1e-5)
    return xhat * (1 if w is None else w) + (0 if b is None else b)


case("layer_norm", lambda x, w, b: F.layer_norm(x, (4,), w, b),
     lambda x, w, b: _layer_norm_np(x, w, b, 1),
     lambda T, x, w, b: T.nn.functional.layer_norm(x, (4,), w, b),
     draw((normal, (3, 4)), (normal, (4,)), (normal, (4,))))
case("layer_norm_2axes", lambda x, w, b: F.layer_norm(x, (3, 4), w, b),
     lambda x, w, b: _layer_norm_np(x, w, b, 2),
     lambda T, x, w, b: T.nn.functional.layer_norm(x, (3, 4), w, b),
     draw((normal, (2, 3, 4)), (normal, (3, 4)), (normal, (3, 4))))
case("layer_norm_no_affine", lambda x: F.layer_norm(x, 5), lambda x: _layer_norm_np(x, None,
     None, 1), lambda T, x: T.nn.functional.layer_norm(x, (5,)), draw((normal, (2, 3, 5))))


def _batch_norm_np(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    axes = (0, *range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    xhat = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + 1e-5)
    return xhat * w.reshape(shape) + b.reshape(shape)


RUNNING_MEAN, RUNNING_VAR = np.array([0.3, -0.2, 0.1]), np.array([1.5, 0.7, 1.1])
case("batch_norm_training", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
     _batch_norm_np, lambda T, x, w, b: T.nn.functional.batch_norm(x, None, None, w, b, True),
     draw((normal, (4, 3, 2, 2)), (normal, (3,)), (normal, (3,))))
case("batch_norm_1d_training", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
     _batch_norm_np, lambda T, x, w, b: T.nn.functional.batch_norm(x, None, None, w, b, True),
     draw((normal, (5, 3)), (normal, (3,)), (normal, (3,))))
case("batch_norm_eval",
     lambda x, w, b: F.batch_norm(x, tg.tensor(RUNNING_MEAN, dtype=x.dtype),
                                  tg.tensor(RUNNING_VAR, dtype=x.dtype), w, b, training=False),
     lambda x, w, b: ((x - RUNNING_MEAN.reshape(1, 3, 1)) / np.sqrt(RUNNING_VAR.reshape(1, 3, 1)
                                                                    + 1e-5)) * w.reshape(1, 3, 1)
     + b.reshape(1, 3, 1),
     lambda T, x, w, b: T.nn.functional.batch_norm(x, T.from_numpy(RUNNING_MEAN),
                                                   T.from_numpy(RUNNING_VAR), w, b, False),
     draw((normal, (4, 3, 2)), (normal, (3,)), (normal, (3,))))

CASE_IDS = [c.name for c in CASES]
assert len(set(CASE_IDS)) == len(CASE_IDS), "op table names must be unique"

# The ops the table covers (checked by test_ops.py so that a new op is not forgotten).
OPS_COVERED = sorted({
    "add", "sub", "mul", "div", "neg", "pow_scalar", "pow_tensor", "exp", "log", "sqrt", "abs",
    "matmul", "sum", "mean", "max", "min", "var", "reshape", "transpose", "permute", "getitem",
    "concatenate", "stack", "pad", "where", "clip", "maximum", "minimum", "relu", "leaky_relu",
    "tanh", "sigmoid", "softplus", "log_sigmoid", "bce_with_logits", "astype", "linear",
    "conv2d", "conv_transpose2d", "layer_norm", "batch_norm", "embedding",
})
