"""Each fast kernel of tinygan/ops/kernels/ agrees with the plain form its docstring names."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pytest

from tinygan.ops import kernels

pytestmark = pytest.mark.lesson01

RNG = np.random.default_rng(11)

# (x shape, kernel, stride, padding, dilation)
CONVS = [((2, 3, 6, 5), (3, 2), (1, 1), (0, 0), (1, 1)),
         ((1, 2, 7, 7), (4, 4), (2, 2), (1, 1), (1, 1)),
         ((2, 1, 8, 6), (3, 3), (2, 1), (2, 0), (2, 1)),
         ((1, 2, 7, 8), (2, 2), (3, 3), (0, 1), (1, 1))]  # stride > kernel: pixels no patch sees


def _im2col_plain(x, kh, kw, stride, padding, dilation):
    """col[c, i, j, oh, ow, n] = xpad[n, c, oh * sh + i * dh, ow * sw + j * dw], loop by loop."""
    n, c, h, w = x.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    oh = kernels.get_conv_outsize(h, kh, sh, ph, dh)
    ow = kernels.get_conv_outsize(w, kw, sw, pw, dw)
    xpad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    col = np.zeros((c, kh, kw, oh, ow, n))
    for i in range(kh):
        for j in range(kw):
            for y in range(oh):
                for z in range(ow):
                    col[:, i, j, y, z, :] = xpad[:, :, y * sh + i * dh, z * sw + j * dw].T
    return col


@pytest.mark.parametrize("conv", CONVS)
def test_im2col_is_its_definition(conv):
    shape, (kh, kw), s, p, d = conv
    x = RNG.standard_normal(shape)
    np.testing.assert_array_equal(kernels.im2col(x, kh, kw, s, p, d),
                                  _im2col_plain(x, kh, kw, s, p, d))


@pytest.mark.parametrize("conv", CONVS)
def test_col2im_adds_each_entry_back_onto_its_pixel(conv):
    shape, (kh, kw), s, p, d = conv
    n, c, h, w = shape
    col = RNG.standard_normal(_im2col_plain(np.zeros(shape), kh, kw, s, p, d).shape)
    (sh, sw), (ph, pw), (dh, dw) = s, p, d
    img = np.zeros((n, c, h + 2 * ph, w + 2 * pw))
    for i in range(kh):
        for j in range(kw):
            for y in range(col.shape[3]):
                for z in range(col.shape[4]):
                    img[:, :, y * sh + i * dh, z * sw + j * dw] += col[:, i, j, y, z, :].T
    expected = img[:, :, ph:ph + h, pw:pw + w]
    np.testing.assert_allclose(kernels.col2im(col, shape, s, p, d), expected, rtol=1e-12)



@pytest.mark.parametrize("conv", CONVS)
def test_col2im_sums_in_the_plain_forms_order(conv):
    """Phase by phase, each pixel still gets its entries added in the order of the plain form
    (one strided += per kernel offset onto zeros): the same sums to the last bit."""
    shape, (kh, kw), (sh, sw), (ph, pw), (dh, dw) = conv
    n, c, h, w = shape
    col = RNG.standard_normal(_im2col_plain(np.zeros(shape), kh, kw, (sh, sw), (ph, pw),
                                            (dh, dw)).shape).astype(np.float32)
    img = np.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=np.float32)
    oh, ow = col.shape[3:5]
    for i in range(kh):
        for j in range(kw):
            img[:, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                j * dw:j * dw + sw * (ow - 1) + 1:sw] += col[:, i, j]
    plain = img[:, ph:ph + h, pw:pw + w].transpose(3, 0, 1, 2)
    np.testing.assert_array_equal(kernels.col2im(col, shape, (sh, sw), (ph, pw), (dh, dw)), plain)


def test_rows_round_trip_and_layout():
    a = RNG.standard_normal((2, 3, 4, 5))
    rows = kernels.to_rows(a)
    np.testing.assert_array_equal(rows, a.transpose(1, 2, 3, 0).reshape(3, -1))
    back = kernels.from_rows(rows, 2, 4, 5)
    np.testing.assert_array_equal(back, a)
    assert np.shares_memory(back, rows)  # a view: the batch-last order is kept, nothing copied
    np.testing.assert_array_equal(kernels.to_rows(back), rows)
    assert np.shares_memory(kernels.to_rows(back), rows)



def test_memory_order_names_the_layout():
    a = RNG.standard_normal((2, 3, 4, 5))
    assert kernels.memory_order(a) == (0, 1, 2, 3)
    batch_last = kernels.from_rows(kernels.to_rows(a), 2, 4, 5)
    assert kernels.memory_order(batch_last) == (1, 2, 3, 0)
    assert kernels.memory_order(a[:, :, ::2]) is None  # not one block of memory


@pytest.mark.parametrize("order", [(0, 1, 2, 3), (1, 2, 3, 0), (3, 1, 0, 2)])
def test_in_memory_order_keeps_the_values_and_sets_the_layout(order):
    a = RNG.standard_normal((2, 3, 4, 5))
    b = kernels.in_memory_order(a, order)
    np.testing.assert_array_equal(b, a)
    assert kernels.memory_order(b) == order
    assert (b is a) == (order == (0, 1, 2, 3))  # no copy when the layout is already right




@pytest.mark.parametrize("a_shape, b_shape", [((6, 1), (1, 5)), ((2, 3, 1), (1, 4)),
                                              ((6, 2), (2, 5)), ((6, 1), (1, 1))])
def test_matmul_is_the_matrix_product(a_shape, b_shape):
    a, b = RNG.standard_normal(a_shape), RNG.standard_normal(b_shape)
    np.testing.assert_array_equal(kernels.matmul(a, b), a @ b)  # one product each: exact


def test_matmul_like_lays_the_product_out_as_its_model():
    a, b = RNG.standard_normal((6, 1)), RNG.standard_normal((1, 20))
    column_major = np.asfortranarray(RNG.standard_normal((6, 20)))
    for like, flag in ((column_major, "f_contiguous"), (column_major.copy(), "c_contiguous")):
        out = kernels.matmul_like(a, b, like)
        np.testing.assert_allclose(out, a @ b, rtol=1e-12)
        assert getattr(out.flags, flag)



@pytest.mark.parametrize("shape", [(3000, 7), (7, 3000), (1, 5), (5, 1), (0, 4), (64, 64)])
def test_transpose_2d_is_a_contiguous_transpose(shape):
    a = RNG.standard_normal(shape).astype(np.float32)
    out = kernels.transpose_2d(a)
    np.testing.assert_array_equal(out, a.T)
    assert out.flags.c_contiguous and not np.shares_memory(out, a)


def test_the_batch_last_round_trip_goes_through_transpose_2d(monkeypatch):
    calls = []
    plain = kernels.transpose_2d
    monkeypatch.setattr(kernels.layout, "transpose_2d", lambda a: calls.append(a.shape) or plain(a))
    a = RNG.standard_normal((4, 3, 5, 6))
    bl = kernels.in_memory_order(a, (1, 2, 3, 0))
    back = kernels.in_memory_order(bl, (0, 1, 2, 3))
    np.testing.assert_array_equal(back, a)
    assert back.flags.c_contiguous and calls == [(4, 90), (90, 4)]


def test_matmul_at_b_t():
    a, b = RNG.standard_normal((4, 50)), RNG.standard_normal((6, 50))
    out = kernels.matmul_at_b_t(a, b)
    np.testing.assert_allclose(out, a @ b.T, rtol=1e-12)
    assert out.flags.c_contiguous


@pytest.mark.parametrize("slope", [0.0, 0.2, 0.01])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_leaky_slope_is_where(slope, dtype):
    x = RNG.standard_normal((5, 7))
    x[0, :3] = 0.0  # at 0 the slope is s, as PyTorch's
    out = kernels.leaky_slope(x.T, slope, dtype)
    assert out.dtype == dtype and out.flags.f_contiguous  # laid out as its x
    np.testing.assert_array_equal(out, np.where(x.T > 0, 1.0, slope).astype(dtype))


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 6), (4, 3, 2, 5)])
@pytest.mark.parametrize("batch_last", [False, True])
def test_channel_sums_are_the_sums_over_every_axis_but_1(shape, batch_last):
    a, b = RNG.standard_normal(shape), RNG.standard_normal(shape)
    if batch_last:  # the memory order conv outputs have
        a = np.ascontiguousarray(np.moveaxis(a, 0, -1)).transpose(-1, *range(len(shape) - 1))
    axes = (0, *range(2, len(shape)))
    np.testing.assert_allclose(kernels.channel_sums(a), a.sum(axis=axes), rtol=1e-12)
    np.testing.assert_allclose(kernels.channel_sums(a, b), (a * b).sum(axis=axes), rtol=1e-12)


@pytest.mark.parametrize("scratch", [False, True])
def test_moving_average_is_in_place(scratch):
    avg, value = RNG.standard_normal(6), RNG.standard_normal(6)
    expected = 0.9 * avg + 0.1 * value
    out = kernels.moving_average_(avg, value, 0.9, np.empty(6) if scratch else None)
    assert out is avg
    np.testing.assert_allclose(avg, expected, rtol=1e-12)


def test_adam_step_is_the_formula_in_torch_order():
    m, v = RNG.standard_normal(8), RNG.uniform(0.1, 1.0, 8)
    lr, bc1, bc2, eps = 1e-3, 1 - 0.9**3, 1 - 0.999**3, 1e-8
    expected = (m / (np.sqrt(v) / math.sqrt(bc2) + eps)) * (lr / bc1)
    np.testing.assert_array_equal(kernels.adam_step(m, v, lr, bc1, bc2, eps, np.empty(8)),
                                  expected)



def _adam_plain(param, grad, m, v, v_max, betas, lr, bc1, bc2, eps):
    """adam_update_'s plain form, on whole arrays."""
    scratch = np.empty_like(param)
    kernels.moving_average_(m, grad, betas[0], scratch)
    kernels.moving_average_(v, grad * grad, betas[1], scratch)
    if v_max is not None:
        v = np.maximum(v_max, v, out=v_max)
    param -= kernels.adam_step(m, v, lr, bc1, bc2, eps, scratch)


@pytest.mark.parametrize("shape, dtype, layout", [
    ((300, 700), np.float32, "C"),   # several cache blocks, the last one partial
    ((7,), np.float64, "C"),          # one short block
    ((0, 3), np.float32, "C"),        # nothing to update
    ((40, 30), np.float64, "F"),      # not C-contiguous: the whole arrays at once
])
@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_update_is_its_plain_form(shape, dtype, layout, amsgrad):
    def state():
        arrays = [RNG.standard_normal(shape).astype(dtype) for _ in range(3)]
        arrays[2] = np.abs(arrays[2])  # v >= 0
        arrays.append(np.abs(RNG.standard_normal(shape)).astype(dtype) if amsgrad else None)
        return [None if a is None else np.asarray(a, order=layout) for a in arrays]
    grad = np.asfortranarray(RNG.standard_normal(shape).astype(dtype))  # any layout
    args = ((0.5, 0.999), 2e-4, 1 - 0.5**3, 1 - 0.999**3, 1e-8)
    fast = state()
    plain = [None if a is None else a.copy(order=layout) for a in fast]
    ids = [id(a) for a in fast]
    kernels.adam_update_(fast[0], grad, *fast[1:], *args)
    _adam_plain(plain[0], grad, *plain[1:], *args)
    for got, want in zip(fast, plain):
        if want is not None:
            np.testing.assert_array_equal(got, want)
    assert [id(a) for a in fast] == ids  # in place
    if shape == (300, 700):  # several blocks, the last one partial
        assert fast[0].nbytes > 2 * kernels.CACHE_BLOCK_BYTES
        assert fast[0].nbytes % kernels.CACHE_BLOCK_BYTES


FAULTS_PER_ROUND = """
import resource, numpy as np, tinygan
def round_of_arrays():  # like a training step: several arrays of a few MiB alive, then freed
    arrays = [np.ones(1 << 20, dtype=np.float32) for _ in range(8)]
    del arrays
round_of_arrays()  # the first round grows the heap
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(5):
    round_of_arrays()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 5)
"""


def _faults_per_round(keep: str) -> float:
    """Minor page faults per round of eight fresh 4 MiB arrays, in a new process that imports
    tinygan."""
    pytest.importorskip("resource")
    env = {**os.environ, "TINYGAN_KEEP_FREED_MEMORY": keep}
    out = subprocess.run([sys.executable, "-c", FAULTS_PER_ROUND], env=env, check=True,
                         capture_output=True, text=True).stdout
    return float(out.split()[-1])


def test_keep_freed_memory_stops_page_faults_on_fresh_arrays():
    if not kernels.keep_freed_memory():
        pytest.skip("not glibc (or TINYGAN_KEEP_FREED_MEMORY=0): nothing to check")
    assert kernels.keep_freed_memory(False) and kernels.keep_freed_memory()  # both settable
    assert _faults_per_round("1") < 50  # the memory of the last round is reused
    assert _faults_per_round("0") > 1000  # glibc's defaults: trimmed and faulted in again


def test_adam_update_many_is_adam_update_on_each():
    shapes = [(3, 4), (7,), (1,), (2, 3, 2)]
    def arrays():
        rng = np.random.default_rng(5)
        return [[rng.standard_normal(s).astype(np.float32) for s in shapes] for _ in range(4)]
    args = ((0.5, 0.999), 2e-4, 1 - 0.5**2, 1 - 0.999**2, 1e-8)
    (p1, g1, m1, v1), (p2, g2, m2, v2) = arrays(), arrays()
    v1 = [np.abs(v) for v in v1]
    v2 = [np.abs(v) for v in v2]
    kernels.adam_update_many_(p1, g1, m1, v1, *args)
    for p, g, m, v in zip(p2, g2, m2, v2):
        kernels.adam_update_(p, g, m, v, None, *args)
    for a, b in zip(p1 + m1 + v1, p2 + m2 + v2):
        np.testing.assert_array_equal(a, b)
