"""Deliberately wrong answers to the exercises, and what the check must say about each.

tests/course/test_course.py runs every lesson notebook's solution version in a kernel and, after
each check cell that has entries here, puts each wrong answer in place of the solution cell,
runs it and the check cell again, and asserts that the check fails with ``ExerciseFailed`` whose
message contains the expected text; then it restores the right solution and goes on.

Format: one dict per notebook, in its own section below, owned by that notebook's author::

    NBxx = {
        "<grade_id of the solution cell>": [
            (WRONG_SOURCE, "a substring expected in the failure message"),
            ...
        ],
    }

``WRONG_SOURCE`` is the *whole* replacement source of the solution cell, as a student might
have written it (the ``def`` line and all, no BEGIN/END SOLUTION markers). Each exercise should
have at least one entry showing the slip its check exists to catch (a sign error, a transposed
gradient, a missing unbroadcast, a wrong shape, a frozen network that moves ...). grade_ids are
unique across the course (``ex01-...``, ``ex02-...``), so the sections are merged into
``WRONG_ANSWERS`` at the end.
"""

from __future__ import annotations

WrongAnswers = dict[str, list[tuple[str, str]]]

# ==============================================================================================
# Notebook 01: autograd from scratch
# ==============================================================================================

NB01: WrongAnswers = {
    "ex01-tanh-backward": [
        ('''class Tanh(Function):
    """y = tanh(x);  dy/dx = 1 - y^2."""

    @staticmethod
    def forward(ctx, x):
        xp = tinygan.backend.get_array_module(x)
        y = xp.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (y * y - 1)          # the sign of the derivative flipped
''', "wrong sign"),
        ('''class Tanh(Function):
    """y = tanh(x);  dy/dx = 1 - y^2."""

    @staticmethod
    def forward(ctx, x):
        xp = tinygan.backend.get_array_module(x)
        y = xp.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return 1 - y * y                   # the upstream gradient forgotten
''', "is wrong at element"),
    ],
    "ex01-matmul-backward": [
        ('''class MatMul(Function):
    """C = A @ B for A (n, k), B (k, m);  dL/dA = G B^T,  dL/dB = A^T G."""

    @staticmethod
    def forward(ctx, A, B):
        ctx.save_for_backward(A, B)
        return A @ B

    @staticmethod
    def backward(ctx, grad):
        A, B = ctx.saved_tensors
        return grad @ B.T, grad.T @ A      # dL/dB transposed
''', "it is transposed"),
        ('''class MatMul(Function):
    """C = A @ B for A (n, k), B (k, m);  dL/dA = G B^T,  dL/dB = A^T G."""

    @staticmethod
    def forward(ctx, A, B):
        ctx.save_for_backward(A, B)
        return A @ B

    @staticmethod
    def backward(ctx, grad):
        A, B = ctx.saved_tensors
        return grad @ B, A.T @ grad        # B where B^T belongs: the shapes do not fit
''', "your backward raised ValueError"),
    ],
    "ex01-softplus-function": [
        ('''class Softplus(Function):
    """y = log(1 + e^x), computed as max(x, 0) + log(1 + e^-|x|);  dy/dx = sigmoid(x)."""

    @staticmethod
    def forward(ctx, x):
        xp = tinygan.backend.get_array_module(x)
        ctx.save_for_backward(x)
        return xp.log(1 + xp.exp(x))       # the naive form: overflows for large x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        xp = tinygan.backend.get_array_module(x)
        return grad / (1 + xp.exp(-x))
''', "expected 800"),
        ('''class Softplus(Function):
    """y = log(1 + e^x), computed as max(x, 0) + log(1 + e^-|x|);  dy/dx = sigmoid(x)."""

    @staticmethod
    def forward(ctx, x):
        xp = tinygan.backend.get_array_module(x)
        ctx.save_for_backward(x)
        return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        xp = tinygan.backend.get_array_module(x)
        return grad / (1 + xp.exp(x))      # sigmoid(-x) instead of sigmoid(x)
''', "the gradient for input 0 (x) is wrong"),
    ],
    "ex01-unbroadcast": [
        ('''def sum_to_shape(grad, shape):
    """Sum grad down to shape, the backward of broadcasting an array of that shape."""
    return grad.sum(axis=tuple(range(grad.ndim - len(shape))))   # the size-1 axes forgotten
''', "expected shape"),
    ],
    "ex01-broadcast-mul": [
        ('''class Mul(Function):
    """c = a * b with broadcasting;  dL/da = unbroadcast(g b),  dL/db = unbroadcast(g a)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * b, grad * a          # not summed back to the inputs' shapes
''', "unbroadcast(grad, shape)"),
    ],
    "ex01-im2col-offset": [
        ('''def offset_slice(x, i, j, k, stride, padding):
    """im2col's rows for kernel offset (i, j): shape (C, OH, OW, N)."""
    n, c, h, w = x.shape
    oh = (h + 2 * padding - k) // stride + 1
    ow = (w + 2 * padding - k) // stride + 1
    xpad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    rows = xpad[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]
    return rows                            # still (N, C, OH, OW): not moved to im2col's layout
''', "expected shape"),
        ('''def offset_slice(x, i, j, k, stride, padding):
    """im2col's rows for kernel offset (i, j): shape (C, OH, OW, N)."""
    n, c, h, w = x.shape
    oh = (h + 2 * padding - k) // stride + 1
    ow = (w + 2 * padding - k) // stride + 1
    xpad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    rows = xpad[:, :, j:j + stride * oh:stride, i:i + stride * ow:stride]  # i and j swapped
    return rows.transpose(1, 2, 3, 0)
''', "elements differ"),
    ],
}

# ==============================================================================================
# Notebook 02: the GAN chapter on a 1-D Gaussian (its author's section)
# ==============================================================================================

NB02: WrongAnswers = {}

# ==============================================================================================
# Notebook 03: mode collapse in 2-D (its author's section)
# ==============================================================================================

NB03: WrongAnswers = {}

# ==============================================================================================
# Notebooks 04 and 05: MNIST, DCGAN and the conditional GAN (their author's section)
# ==============================================================================================

NB04: WrongAnswers = {}

NB05: WrongAnswers = {}

# ==============================================================================================

WRONG_ANSWERS: WrongAnswers = {}
for _section in (NB01, NB02, NB03, NB04, NB05):
    _clash = sorted(set(WRONG_ANSWERS) & set(_section))
    if _clash:
        raise ValueError(f"wrong_answers.py: grade_ids listed twice: {_clash}")
    WRONG_ANSWERS.update(_section)
