"""Nearest-neighbour distances of samples to the training set (the memorisation check)."""

from __future__ import annotations

import numpy as np
import pytest

from tinygan.evaluation.nearest import nearest_neighbour_distance, nearest_neighbour_report


def test_the_distance_is_the_brute_force_minimum_over_the_training_set():
    rng = np.random.default_rng(0)
    samples, train = rng.normal(size=(37, 12)), rng.normal(size=(101, 12))
    brute = np.sqrt(((samples[:, None, :] - train[None, :, :]) ** 2).sum(-1)).min(1)
    # a tiny memory budget makes one row per chunk: the chunking changes nothing
    for memory_mb in (256.0, 1e-6):
        np.testing.assert_allclose(nearest_neighbour_distance(samples, train, memory_mb),
                                   brute, rtol=1e-10, atol=1e-12)


def test_copies_of_training_images_are_at_distance_zero_and_flagged():
    rng = np.random.default_rng(1)
    train, test = rng.random((200, 16)), rng.random((100, 16))
    copies = train[:50] + 1e-9
    report = nearest_neighbour_report(copies, train, test)
    assert report["samples_median"] < 1e-6 and report["ratio"] < 1e-6
    assert report["share_closer_than_test_1pct"] == 1.0
    fresh = nearest_neighbour_report(rng.random((100, 16)), train, test)
    assert 0.8 < fresh["ratio"] < 1.25 and fresh["share_closer_than_test_1pct"] < 0.1
    assert (fresh["n_samples"], fresh["n_test"], fresh["n_train"]) == (100, 100, 200)


def test_images_are_flattened_and_mismatched_shapes_say_so():
    train = np.zeros((3, 1, 2, 2))
    np.testing.assert_array_equal(nearest_neighbour_distance(np.ones((2, 4)), train), [2.0, 2.0])
    with pytest.raises(ValueError, match=r"samples of shape \(2, 5\) and train of shape \(3, 4\)"):
        nearest_neighbour_distance(np.ones((2, 5)), train)
