"""tinygan.gradcheck must pass correct backwards and catch wrong ones.

Each wrong backward below is a bug students really write: a forgotten transpose, a gradient off
by a factor, an indexing backward that assigns where repeated indices need a sum. Each Function
takes a ``bug`` flag, so the same code with the bug switched off is the control that passes.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import tinygan as tg
from tinygan.autograd.function import Function

RNG = np.random.default_rng(7)
W_SQUARE = RNG.standard_normal((4, 4))  # not symmetric, so W and W^T differ
W_LARGE = RNG.standard_normal((20, 20))


def t64(data, requires_grad=True):
    return tg.tensor(np.asarray(data, dtype=np.float64), requires_grad=requires_grad)


class Linear(Function):
    """f(A, W) = A @ W.  Correct: dA = G W^T, dW = A^T G.
    bug="transposed": dA = G W (W^T forgotten; same shape because W is square).
    bug="scaled_w": dW = 2 A^T G."""

    @staticmethod
    def forward(ctx, a, w, bug):
        ctx.save_for_backward(a, w)
        ctx.bug = bug
        return a @ w

    @staticmethod
    def backward(ctx, grad):
        a, w = ctx.saved_tensors
        ga = grad @ (w if ctx.bug == "transposed" else w.T)
        gw = a.T @ grad * (2.0 if ctx.bug == "scaled_w" else 1.0)
        return ga, gw, None


class Exp(Function):
    """f(x) = e^x.  Correct: dx = G e^x.  bug="factor": dx = 2 G e^x."""

    @staticmethod
    def forward(ctx, x, bug):
        out = np.exp(x)
        ctx.save_for_backward(out)
        ctx.bug = bug
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out * (2.0 if ctx.bug else 1.0), None


class Gather(Function):
    """f(x) = x[rows] with repeated rows.  Correct: each row's gradient is the SUM over its
    copies.  bug="assign": out[rows] = G, so a repeated row keeps only its last copy."""

    @staticmethod
    def forward(ctx, x, rows, bug):
        ctx.shape, ctx.rows, ctx.bug = x.shape, rows, bug
        return x[rows]

    @staticmethod
    def backward(ctx, grad):
        out = np.zeros(ctx.shape)
        if ctx.bug == "assign":
            out[ctx.rows] = grad
        else:
            for k, r in enumerate(ctx.rows):  # a loop is fine in a test: it is the reference
                out[r] += grad[k]
        return out, None, None


class MatMulCotangentT(Function):
    """f(A, B) = A @ B with A (3, 4), B (4, 3), so the output is square.
    bug="cotangent_transposed": dA = G^T B^T, dB = A^T G^T. For an all-ones G (symmetric) this
    equals the right answer, so only a random cotangent can see it."""

    @staticmethod
    def forward(ctx, a, b, bug):
        ctx.save_for_backward(a, b)
        ctx.bug = bug
        return a @ b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        g = grad.T if ctx.bug else grad
        return g @ b.T, a.T @ g, None


def linear(bug=None):
    return lambda a, w: Linear.apply(a, w, bug)


MESSAGE = re.compile(r"input (\d+) \(shape \(([\d, ]*)\)\), (element \(([\d, ]*)\)|random "
                     r"direction \d+): backward gives (\S+), finite differences give (\S+)$")


def parse(error: tg.GradcheckError) -> tuple[int, str, float, float]:
    """(input index, where, backward's value, finite differences' value) from the message."""
    match = MESSAGE.search(str(error))
    assert match, f"unexpected message: {error}"
    return int(match[1]), match[3], float(match[5]), float(match[6])


# -- correct backwards pass ----------------------------------------------------------------------


def test_returns_true_on_correct_backwards():
    a, w, x = t64(RNG.standard_normal((3, 4))), t64(W_SQUARE), t64(RNG.standard_normal((3, 4)))
    assert tg.gradcheck(linear(), a, w) is True
    assert tg.gradcheck(lambda x: Exp.apply(x, False), x) is True
    assert tg.gradcheck(lambda x: Gather.apply(x, [0, 2, 0, 0], None), x) is True
    b = t64(RNG.standard_normal((4, 3)))
    assert tg.gradcheck(lambda a, b: MatMulCotangentT.apply(a, b, False), x, b) is True
    assert tg.gradcheck(lambda x: (x * x).sum(axis=1), x) is True
    assert tg.gradcheck(lambda x: x * x, t64(1.5)) is True  # a 0-d input


def test_leaves_the_callers_tensors_untouched():
    x = t64(RNG.standard_normal((3, 4)))
    before = x.numpy()
    tg.gradcheck(lambda x: x.exp(), x)
    np.testing.assert_array_equal(x.data, before)
    assert x.grad is None


def test_non_tensor_and_constant_inputs_are_passed_through():
    a, w = t64(RNG.standard_normal((3, 4))), t64(W_SQUARE, requires_grad=False)
    assert tg.gradcheck(lambda a, w, bug: Linear.apply(a, w, bug), a, w, None)
    with pytest.raises(tg.GradcheckError):
        tg.gradcheck(lambda a, w, bug: Linear.apply(a, w, bug), a, w, "transposed")


# -- wrong backwards are caught, and the message says where and by how much ----------------------


def test_catches_a_transposed_backward_of_a_non_square_matmul():
    a, w = t64(RNG.standard_normal((3, 4))), t64(W_SQUARE)
    with pytest.raises(tg.GradcheckError) as info:
        tg.gradcheck(linear("transposed"), a, w)
    index, where, ana, num = parse(info.value)
    assert index == 0 and where.startswith("element (")
    assert "shape (3, 4)" in str(info.value)
    assert abs(ana - num) > 1e-3


def test_catches_a_gradient_off_by_a_factor_and_reports_both_values():
    x = t64(RNG.standard_normal((3, 4)))
    with pytest.raises(tg.GradcheckError) as info:
        tg.gradcheck(lambda x: Exp.apply(x, True), x)
    index, where, ana, num = parse(info.value)
    assert (index, where) == (0, "element (0, 0)")  # the very first element is already wrong
    assert ana == pytest.approx(2 * num, rel=1e-6)


def test_names_the_input_whose_gradient_is_wrong():
    a, w = t64(RNG.standard_normal((3, 4))), t64(W_SQUARE)
    with pytest.raises(tg.GradcheckError, match="input 1") as info:
        tg.gradcheck(linear("scaled_w"), a, w)
    _, _, ana, num = parse(info.value)
    assert ana == pytest.approx(2 * num, rel=1e-6)


def test_catches_a_missing_accumulation_over_repeated_indices():
    x = t64(RNG.standard_normal((3, 4)))
    with pytest.raises(tg.GradcheckError) as info:
        tg.gradcheck(lambda x: Gather.apply(x, [0, 2, 0, 0], "assign"), x)
    index, where, _, _ = parse(info.value)
    assert (index, where) == (0, "element (0, 0)")  # row 0 is the repeated one
    # rows used once are right: the same bug with no repeats passes
    assert tg.gradcheck(lambda x: Gather.apply(x, [2, 0, 1], "assign"), x)


def test_raise_exception_false_returns_false():
    a, w = t64(RNG.standard_normal((3, 4))), t64(W_SQUARE)
    assert tg.gradcheck(linear("transposed"), a, w, raise_exception=False) is False
    assert tg.gradcheck(linear(), a, w, raise_exception=False) is True


def test_gradcheck_error_is_an_assertion_error():
    assert issubclass(tg.GradcheckError, AssertionError)


# -- the random cotangent matters ----------------------------------------------------------------


def ones_cotangent_check(fn, *inputs, eps=1e-6):
    """What a weaker gradcheck would do: compare backward of sum(f) (an all-ones cotangent)
    with finite differences of sum(f). Returns the largest disagreement."""
    out = fn(*inputs)
    out.sum().backward()
    worst = 0.0
    for x in inputs:
        flat = x.data.reshape(-1)
        for k in range(x.size):
            keep = flat[k]
            flat[k] = keep + eps
            plus = float(fn(*inputs).data.sum())
            flat[k] = keep - eps
            minus = float(fn(*inputs).data.sum())
            flat[k] = keep
            worst = max(worst, abs(x.grad.reshape(-1)[k] - (plus - minus) / (2 * eps)))
    return worst


def test_a_transposed_cotangent_is_invisible_to_all_ones_but_caught_by_gradcheck():
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal((4, 3))

    def buggy(a, b):
        return MatMulCotangentT.apply(a, b, "cotangent_transposed")

    # all-ones cotangent: the output is summed symmetrically, G = G^T, the bug does not show
    assert ones_cotangent_check(buggy, t64(a), t64(b)) < 1e-7
    # gradcheck's random cotangent is not symmetric, for any seed
    for seed in range(5):
        with pytest.raises(tg.GradcheckError):
            tg.gradcheck(buggy, t64(a), t64(b), seed=seed)


# -- large inputs: random directions -------------------------------------------------------------


def test_random_directions_on_a_large_input_catch_a_wrong_backward():
    a, w = t64(RNG.standard_normal((30, 20))), t64(W_LARGE)  # 600 elements > 512
    assert tg.gradcheck(linear(), a, w)
    with pytest.raises(tg.GradcheckError, match="random direction") as info:
        tg.gradcheck(linear("transposed"), a, w)
    index, where, ana, num = parse(info.value)
    assert index == 0 and where.startswith("random direction")
    assert abs(ana - num) > 1e-3


def test_random_directions_catch_a_single_missing_accumulation():
    x = t64(RNG.standard_normal((40, 16)))  # 640 elements: checked along random directions
    rows = [*range(40), 5]  # row 5 twice
    assert tg.gradcheck(lambda x: Gather.apply(x, rows, None), x)
    with pytest.raises(tg.GradcheckError, match="random direction"):
        tg.gradcheck(lambda x: Gather.apply(x, rows, "assign"), x)


def test_a_non_contiguous_input_is_perturbed_correctly():
    a = t64(np.asfortranarray(RNG.standard_normal((3, 4))))
    assert tg.gradcheck(linear(), a, t64(W_SQUARE))
    with pytest.raises(tg.GradcheckError):
        tg.gradcheck(linear("transposed"), a, t64(W_SQUARE))


# -- misuse ---------------------------------------------------------------------------------------


def test_float32_inputs_are_rejected_with_a_clear_type_error():
    x = tg.tensor(RNG.standard_normal((2, 3)), dtype=np.float32, requires_grad=True)
    with pytest.raises(TypeError, match=r"input 0 is float32.*float64"):
        tg.gradcheck(lambda x: x.exp(), x)


def test_nothing_to_check_is_an_error():
    with pytest.raises(ValueError, match="requires_grad"):
        tg.gradcheck(lambda x: x.exp(), t64([1.0], requires_grad=False))
