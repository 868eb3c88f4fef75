"""The kernels' thread pool: the same results with one thread and with several."""

from __future__ import annotations

import numpy as np
import pytest

import tinygan as tg
from tinygan import optim
from tinygan.ops import kernels, parallel
from tinygan.optim import optimizer

RNG = np.random.default_rng(0)
CONV = ((2, 2), (1, 1), (1, 1))


@pytest.fixture
def threads(monkeypatch):
    """Run with 3 threads and no size threshold, so even small arrays take the parallel path."""
    old = parallel.get_num_threads()
    monkeypatch.setattr(kernels, "PARALLEL_MIN_SIZE", 0)
    monkeypatch.setattr(optimizer, "PARALLEL_MIN_SIZE", 0)
    parallel.set_num_threads(3)
    yield
    parallel.set_num_threads(old)


def _one_thread(fn):
    old = parallel.get_num_threads()
    parallel.set_num_threads(1)
    try:
        return fn()
    finally:
        parallel.set_num_threads(old)


def test_for_blocks_covers_the_range_once_in_order():
    assert parallel.for_blocks(list, 7, threads=3) == [[0, 1], [2, 3], [4, 5, 6]]
    assert parallel.for_blocks(list, 2, threads=4) == [[0], [1]]  # never more blocks than items
    assert parallel.for_blocks(list, 5, threads=1) == [[0, 1, 2, 3, 4]]


def test_for_each_shares_out_by_size():
    seen = []
    parallel.for_each(seen.append, list(range(6)), sizes=[9, 1, 1, 1, 1, 1], threads=2)
    assert sorted(seen) == list(range(6))


def test_set_num_threads_rejects_nonsense():
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="positive int"):
            tg.set_num_threads(bad)


@pytest.mark.parametrize("channels", [1, 2, 5])
def test_im2col_and_col2im_agree_with_one_thread(threads, channels):
    x = RNG.standard_normal((3, channels, 9, 8)).astype(np.float32)
    col = kernels.im2col(x, 4, 4, *CONV)
    np.testing.assert_array_equal(col, _one_thread(lambda: kernels.im2col(x, 4, 4, *CONV)))
    back = kernels.col2im(col, x.shape, *CONV)
    np.testing.assert_array_equal(back, _one_thread(lambda: kernels.col2im(col, x.shape, *CONV)))


def test_adam_agrees_with_one_thread(threads):
    shapes = [(7, 5), (5,), (3, 7), (3,), (11, 3)]

    def train():
        tg.manual_seed(0)
        params = [tg.nn.Parameter(tg.randn(*s)) for s in shapes]
        opt = optim.Adam(params, lr=1e-2)
        for step in range(3):
            for k, p in enumerate(params):
                p.grad = np.sin(p.data * (step + 1) + k).astype(np.float32)
            opt.step()
        return [p.data.copy() for p in params]

    for a, b in zip(train(), _one_thread(train)):
        np.testing.assert_array_equal(a, b)


def test_blocks_inside_a_block_run_in_its_thread(threads):
    """A kernel called from a pool thread (an optimizer's update calling im2col, say) must not
    wait on the pool it is running on: it does its blocks itself."""
    inner = parallel.for_blocks(lambda outer: parallel.for_blocks(list, 4), 2)
    # the calling thread's block is split three ways as usual; the pool thread's is not
    assert inner == [[[0], [1], [2, 3]], [[0, 1, 2, 3]]]
