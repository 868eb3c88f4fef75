"""tinygan.conv: im2col/col2im, conv2d and conv_transpose2d against the naive loops, their
adjoint identities, gradient checks over a grid of settings, and torch.nn.functional."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import tinygan as tg
from tinygan.backend import to_numpy as host
from tinygan.ops import checks, conv, kernels

# (kernel, stride, padding, dilation, output_padding, (H, W)): odd and even sizes, square and
# non-square kernels, strides 1-3, padding 0-2, dilation 1-2, output_padding up to stride - 1.
GRID = [
    ((3, 3), 1, 0, 1, 0, (5, 5)),
    ((4, 4), 2, 1, 1, 1, (6, 6)),
    ((4, 4), 2, 1, 1, 0, (7, 7)),
    ((3, 2), 2, 1, 1, 0, (7, 6)),
    ((2, 3), (2, 1), (0, 1), 1, (1, 0), (6, 7)),
    ((3, 3), 3, 2, 1, 2, (8, 5)),
    ((3, 2), 1, 1, 2, 0, (7, 8)),
    ((2, 2), 2, 0, (2, 1), 1, (9, 6)),
    ((1, 1), 1, 0, 1, 0, (3, 4)),
]
IDS = [f"k{k[0]}x{k[1]}-s{s}-p{p}-d{d}-op{op}-{h}x{w}" for k, s, p, d, op, (h, w) in GRID]
N, CIN, COUT = 2, 3, 2


def _pairs(*values):
    return [checks.int_pair(v, "arg", "test") for v in values]


def _arrays(case, seed=0, transposed=False):
    k, _, _, _, _, (h, w) = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, CIN, h, w))
    wshape = (CIN, COUT, *k) if transposed else (COUT, CIN, *k)
    return x, rng.standard_normal(wshape), rng.standard_normal(COUT)


def _t(a, grad=True):
    return tg.tensor(a, dtype=np.float64, requires_grad=grad)


def test_output_size_formulas():
    assert conv.get_conv_outsize(28, 4, 2, 1) == 14
    assert conv.get_conv_outsize(14, 4, 2, 1) == 7
    assert conv.get_conv_outsize(7, 3, 2, 0) == 3  # the floor drops a pixel
    assert conv.get_conv_outsize(9, 3, 1, 0, d=3) == 3  # a dilated 3-tap kernel spans 7
    assert conv.get_deconv_outsize(7, 4, 2, 1) == 14
    assert conv.get_deconv_outsize(3, 3, 2, 0, output_padding=1) == 8
    for size in range(5, 12):  # output_padding puts back exactly what the conv's floor dropped
        out = conv.get_conv_outsize(size, 3, 3, 1)
        lost = size - conv.get_deconv_outsize(out, 3, 3, 1)
        assert 0 <= lost < 3
        assert conv.get_deconv_outsize(out, 3, 3, 1, output_padding=lost) == size


@pytest.mark.parametrize("case", GRID, ids=IDS)
def test_im2col_col2im_are_adjoint(case):
    k, s, p, d, _, _ = case
    s, p, d = _pairs(s, p, d)
    x, _, _ = _arrays(case)
    col = conv.im2col(x, *k, s, p, d)
    assert col.flags.c_contiguous
    y = np.random.default_rng(1).standard_normal(col.shape)
    back = conv.col2im(y, x.shape, s, p, d)
    assert back.shape == x.shape
    np.testing.assert_allclose(np.vdot(col, y), np.vdot(x, back), rtol=1e-12)


@pytest.mark.parametrize("case", GRID, ids=IDS)
def test_conv_transpose_is_adjoint_of_conv(case):
    """<conv2d(x, W), y> = <x, conv_transpose2d(y, W)>: the transposed conv is conv's adjoint."""
    k, s, p, d, _, (h, w) = case
    s, p, d = _pairs(s, p, d)
    x, wt, _ = _arrays(case)
    y_shape = conv.conv2d_naive(x, wt, None, s, p, d).shape
    # the output_padding that makes conv_transpose2d's output exactly x's size
    op = tuple(size - conv.get_deconv_outsize(y_shape[2 + a], k[a], s[a], p[a], d[a])
               for a, size in enumerate((h, w)))
    y = np.random.default_rng(2).standard_normal(y_shape)
    lhs = np.vdot(conv.conv2d(_t(x), _t(wt), None, s, p, d).numpy(), y)
    rhs = np.vdot(x, conv.conv_transpose2d(_t(y), _t(wt), None, s, p, op, 1, d).numpy())
    np.testing.assert_allclose(lhs, rhs, rtol=1e-12)


@pytest.mark.parametrize("case", GRID, ids=IDS)
def test_conv2d_matches_naive_reference(case):
    _, s, p, d, _, _ = case
    x, w, b = _arrays(case)
    out = conv.conv2d(_t(x), _t(w), _t(b), s, p, d)
    expected = conv.conv2d_naive(x, w, b, *_pairs(s, p, d))
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", GRID, ids=IDS)
def test_conv_transpose2d_matches_naive_reference(case):
    _, s, p, d, op, _ = case
    x, w, b = _arrays(case, transposed=True)
    out = conv.conv_transpose2d(_t(x), _t(w), _t(b), s, p, op, 1, d)
    expected = conv.conv_transpose2d_naive(x, w, b, *_pairs(s, p, op, d))
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", GRID, ids=IDS)
def test_conv2d_gradcheck(case):
    _, s, p, d, _, _ = case
    x, w, b = (_t(a) for a in _arrays(case))
    assert tg.gradcheck(lambda x, w, b: conv.conv2d(x, w, b, s, p, d), x, w, b)


@pytest.mark.parametrize("case", GRID, ids=IDS)
def test_conv_transpose2d_gradcheck(case):
    _, s, p, d, op, _ = case
    x, w, b = (_t(a) for a in _arrays(case, transposed=True))
    assert tg.gradcheck(lambda x, w, b: conv.conv_transpose2d(x, w, b, s, p, op, 1, d), x, w, b)


def _torch_check(torch, ours, theirs, arrays):
    xs = [_t(a) for a in arrays]
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out, t_out = ours(*xs), theirs(*ts)
    assert out.shape == tuple(t_out.shape)
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    v = np.random.default_rng(3).standard_normal(out.shape)
    out.backward(v)
    t_out.backward(torch.from_numpy(v))
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(host(x.grad), t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", GRID, ids=IDS)
def test_conv2d_matches_torch(case):
    torch = pytest.importorskip("torch")
    _, s, p, d, _, _ = case
    _torch_check(torch, lambda x, w, b: conv.conv2d(x, w, b, s, p, d),
                 lambda x, w, b: torch.nn.functional.conv2d(x, w, b, s, p, d), _arrays(case))


@pytest.mark.parametrize("case", GRID, ids=IDS)
def test_conv_transpose2d_matches_torch(case):
    torch = pytest.importorskip("torch")
    _, s, p, d, op, _ = case
    _torch_check(torch, lambda x, w, b: conv.conv_transpose2d(x, w, b, s, p, op, 1, d),
                 lambda x, w, b: torch.nn.functional.conv_transpose2d(x, w, b, s, p, op, 1, d),
                 _arrays(case, transposed=True))


def test_naive_references_match_torch():
    """The oracle itself is checked once against an independent implementation."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    case = GRID[4]
    k, s, p, d, op, _ = case
    x, w, b = _arrays(case)
    got = conv.conv2d_naive(x, w, b, *_pairs(s, p, d))
    ref = F.conv2d(*(torch.from_numpy(a) for a in (x, w, b)), s, p, d).numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)
    x, w, b = _arrays(case, transposed=True)
    got = conv.conv_transpose2d_naive(x, w, b, *_pairs(s, p, op, d))
    ref = F.conv_transpose2d(*(torch.from_numpy(a) for a in (x, w, b)), s, p, op, 1, d).numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)


def test_float32_stays_float32_and_outputs_are_batch_last_views():
    """Conv outputs are (N, C, H, W) views of a batch-last (C, H, W, N) buffer, so the next
    conv's im2col reads them without a transpose; the leaves' gradients are contiguous."""
    tg.manual_seed(0)
    x = tg.randn(2, 3, 8, 8, requires_grad=True)
    w = tg.randn(4, 3, 4, 4, requires_grad=True)
    wt = tg.randn(4, 2, 4, 4, requires_grad=True)
    y = conv.conv2d(x, w, None, 2, 1)
    z = conv.conv_transpose2d(y, wt, None, 2, 1)
    assert y.dtype == np.float32 and z.dtype == np.float32 and z.shape == (2, 2, 8, 8)
    z.sum().backward()
    for t in (x, w, wt):
        assert t.grad.dtype == np.float32 and t.grad.shape == t.shape
    if isinstance(z.data, np.ndarray):  # memory order as NumPy reports it (the CuPy double's
        # ascontiguousarray is a plain asarray, so it cannot be checked there)
        for out in (y.data, z.data):
            assert out.transpose(1, 2, 3, 0).flags.c_contiguous  # (C, H, W, N) in memory
        # a leaf's .grad is laid out like the leaf, as in PyTorch
        assert all(t.grad.flags.c_contiguous for t in (x, w, wt))
        assert np.shares_memory(kernels.to_rows(y.data), y.data)  # to_rows copies nothing


def test_no_scatter_tricks_in_conv():
    source = inspect.getsource(conv)
    assert ".add.at(" not in source and "bincount(" not in source


def _zeros(*shape):
    return tg.zeros(*shape, dtype=np.float64)


@pytest.mark.parametrize("call, message", [
    (lambda x: conv.conv2d(x, _zeros(2, 2, 3, 3)), r"\(N, 2, H, W\), got \(2, 3, 5, 5\)"),
    (lambda x: conv.conv2d(x[0], _zeros(2, 3, 3, 3)), r"expected input of shape \(N, 3, H, W\)"),
    (lambda x: conv.conv2d(x, _zeros(2, 3, 7, 7)), r"smaller than"),
    (lambda x: conv.conv2d(x, _zeros(2, 3, 3, 3), None, 0), r"stride >= 1"),
    (lambda x: conv.conv2d(x, _zeros(2, 3, 3, 3), _zeros(3)), r"bias of shape \(3,\)"),
    (lambda x: conv.conv_transpose2d(x, _zeros(2, 2, 3, 3)), r"\(N, 2, H, W\), got"),
    (lambda x: conv.conv_transpose2d(x, _zeros(3, 2, 3, 3), None, 2, 0, 2), r"output_padding"),
    (lambda x: conv.conv_transpose2d(x, _zeros(3, 2, 3, 3), None, 1, 0, 0, 2), r"groups=1"),
    (lambda x: conv.conv2d(x, _zeros(2, 3, 3, 3), None, 1, 0, 1, 3), r"groups=1"),
])
def test_bad_input_is_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call(_zeros(2, 3, 5, 5))


def test_stride_must_be_int_or_pair():
    x, w = tg.zeros(1, 1, 4, 4), tg.zeros(1, 1, 2, 2)
    with pytest.raises(TypeError, match="stride must be an int or a pair"):
        conv.conv2d(x, w, None, (1, 2, 3))


def test_a_flatten_hands_the_gradient_back_batch_last():
    """Between a conv and a Linear (a discriminator's head), the flatten's gradient goes back
    in the conv output's batch-last order, the order of the arrays the layers before it saved
    (their elementwise backward is several times slower on mixed layouts); values unchanged."""
    from tinygan.autograd.function import Context
    from tinygan.ops.shape import Reshape

    tg.manual_seed(0)
    y = conv.conv2d(tg.randn(4, 2, 8, 8, dtype=np.float64), tg.randn(3, 2, 4, 4,
                    dtype=np.float64), None, 2, 1).data
    ctx = Context()
    flat = Reshape.forward(ctx, y, (4, -1))
    g = np.random.default_rng(0).standard_normal(flat.shape)
    back, _ = Reshape.backward(ctx, g)
    np.testing.assert_array_equal(back, g.reshape(y.shape))
    if isinstance(y, np.ndarray):
        assert kernels.memory_order(y) == kernels.memory_order(back) == (1, 2, 3, 0)
        ctx = Context()
        Reshape.forward(ctx, np.ascontiguousarray(y), (4, -1))
        assert Reshape.backward(ctx, g)[0].flags.c_contiguous  # a C-ordered input: as it was
