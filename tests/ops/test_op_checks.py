"""tinygan/ops/checks.py: each check names who asked, what was expected and what came."""

from __future__ import annotations

import numpy as np
import pytest

import tinygan as tg
from tinygan import nn
from tinygan.ops import checks

pytestmark = pytest.mark.lesson01


@pytest.mark.parametrize("bad", [0, -3, 2.0, True, "4", None])
def test_positive_int_refuses_what_is_not_one(bad):
    with pytest.raises(ValueError, match=rf"Who: n must be a positive integer, got {bad!r}"):
        checks.positive_int(bad, "n", "Who")
    assert checks.positive_int(np.int64(3), "n", "Who") == 3


@pytest.mark.parametrize("make, match", [
    (lambda: nn.Linear(0, 3), "Linear: in_features must be a positive integer, got 0"),
    (lambda: nn.Linear(3, -1), "Linear: out_features must be a positive integer, got -1"),
    (lambda: nn.Conv2d(1, 0, 3), "Conv2d: out_channels must be a positive integer, got 0"),
    (lambda: nn.ConvTranspose2d(2.5, 1, 3), "ConvTranspose2d: in_channels .* got 2.5"),
    (lambda: nn.BatchNorm2d(0), "BatchNorm2d: num_features must be a positive integer"),
    (lambda: nn.LayerNorm((4, 0)), "LayerNorm: normalized_shape must be a positive integer"),
])
def test_layers_refuse_sizes_that_are_not_positive_integers(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("shape, layouts, ok", [
    ((4, 5), [("*", 5)], True),
    ((5,), [("*", 5)], True),
    ((2, 3, 5), [("*", 5)], True),
    ((4, 6), [("*", 5)], False),
    ((), [("*", 5)], False),
    ((2, 3, 7, 7), [("N", 3, "H", "W")], True),
    ((3, 7, 7), [("N", 3, "H", "W")], False),
    ((4, 8), [("N", 8), ("N", 8, "L")], True),
    ((4, 8, 2), [("N", 8), ("N", 8, "L")], True),
    ((4, 8, 2, 2), [("N", 8), ("N", 8, "L")], False),
])
def test_input_shape(shape, layouts, ok):
    x = tg.zeros(*shape)
    if ok:
        checks.input_shape("op", x, *layouts)
        return
    expected = " or ".join("(" + ", ".join(map(str, lay)) + ")" for lay in layouts)
    with pytest.raises(ValueError) as info:
        checks.input_shape("op", x, *layouts)
    assert str(info.value) == f"op: expected input of shape {expected}, got {shape}"


def test_dtype_shape_and_pair_checks():
    x, w = tg.zeros(2, 3, dtype=np.float64), tg.zeros(3)
    with pytest.raises(TypeError, match="op: input is float64 but the weights are float32"):
        checks.same_dtype("op", x, w, None)
    with pytest.raises(ValueError, match=r"op: bias of shape \(3,\), expected \(4,\)"):
        checks.shape_is("op", "bias", w, (4,))
    checks.shape_is("op", "bias", None, (4,))
    assert checks.int_pair(2, "stride", "op") == (2, 2)
    assert checks.int_pair([1, 3], "stride", "op") == (1, 3)
    with pytest.raises(TypeError, match=r"op: stride must be an int or a pair of ints, got 1.5"):
        checks.int_pair(1.5, "stride", "op")
