"""tinygan.set_num_threads: the BLAS's threads, under PyTorch's name."""

from __future__ import annotations

import pytest

import tinygan as tg


def test_set_num_threads_sets_the_blas_threads():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    before = tg.get_num_threads()
    try:
        tg.set_num_threads(1)
        assert tg.get_num_threads() == 1
        blas = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
        assert blas and all(i["num_threads"] == 1 for i in blas)
    finally:
        tg.set_num_threads(before)


def test_set_num_threads_rejects_nonsense():
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="positive int"):
            tg.set_num_threads(bad)
