"""Gradients of gradients: ``tinygan.autograd.grad(create_graph=True)`` and ``gradgradcheck``.

Every op of tests/op_table.py goes through ``gradgradcheck`` (the recorded first derivative and
its own derivative, against central differences) and against PyTorch twice differentiated in
float64. Then ``grad``'s semantics (as ``torch.autograd.grad``), ``backward(create_graph=True)``,
a deliberately broken double backward that ``gradgradcheck`` must catch, and the WGAN-GP
gradient penalty on a small MLP critic and a small conv critic against PyTorch.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from op_table import CASE_IDS, CASES, OpCase

import tinygan as tg
from tinygan import nn
from tinygan.autograd.function import Function

pytestmark = pytest.mark.lesson01

RTOL, ATOL = 1e-10, 1e-12


def _rng(case: OpCase, salt: str = "") -> np.random.Generator:
    return np.random.default_rng(zlib.crc32((case.name + salt).encode()))


def _inputs(case: OpCase) -> tuple[list[np.ndarray], list[tg.Tensor]]:
    arrays = list(case.make(_rng(case)))
    needs = case.grads(len(arrays))
    return arrays, [tg.tensor(a, dtype=np.float64, requires_grad=r) for a, r in zip(arrays, needs)]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_gradgradcheck(case: OpCase):
    _, xs = _inputs(case)
    assert tg.gradgradcheck(case.fn, *xs, **case.gradcheck_kw)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_second_derivatives_match_torch(case: OpCase):
    """g = v^T J_f with create_graph, then d<u, g>/dx: tinygan and torch, float64."""
    torch = pytest.importorskip("torch")
    arrays, xs = _inputs(case)
    needs = case.grads(len(arrays))
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=r) for a, r in zip(arrays, needs)]
    out, t_out = case.fn(*xs), case.torch_fn(torch, *ts)
    v = _rng(case, "v").standard_normal(out.shape)
    wrt = [x for x, r in zip(xs, needs) if r]
    t_wrt = [t for t, r in zip(ts, needs) if r]
    g = tg.autograd.grad(out, wrt, v, create_graph=True, allow_unused=True)
    t_g = torch.autograd.grad(t_out, t_wrt, torch.from_numpy(v), create_graph=True,
                              allow_unused=True)
    for k, (a, b) in enumerate(zip(g, t_g)):
        a = np.zeros(wrt[k].shape) if a is None else a.numpy()
        b = np.zeros(wrt[k].shape) if b is None else b.detach().numpy()
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL, err_msg=f"first order, input {k}")
    us = [_rng(case, f"u{k}").standard_normal(x.shape) for k, x in enumerate(wrt)]
    live = [(gk, u) for gk, u in zip(g, us) if gk is not None and gk.requires_grad]
    t_live = [(gk, u) for gk, u in zip(t_g, us) if gk is not None and gk.requires_grad]
    second = [None] * len(wrt)
    if live:
        total = sum((gk * tg.tensor(u)).sum() for gk, u in live)
        second = tg.autograd.grad(total, wrt, allow_unused=True)
    t_second = [None] * len(wrt)
    if t_live:
        t_total = sum((gk * torch.from_numpy(u)).sum() for gk, u in t_live)
        t_second = torch.autograd.grad(t_total, t_wrt, allow_unused=True)
    for k, (a, b) in enumerate(zip(second, t_second)):
        a = np.zeros(wrt[k].shape) if a is None else a.numpy()
        b = np.zeros(wrt[k].shape) if b is None else b.numpy(force=True)
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL, err_msg=f"second order, input {k}")


# -- grad's semantics -----------------------------------------------------------------------------


def t64(data, requires_grad=True):
    return tg.tensor(np.asarray(data, dtype=np.float64), requires_grad=requires_grad)


def test_grad_returns_a_tuple_and_leaves_dot_grad_alone():
    x, w = t64([1.0, 2.0]), t64([3.0, -1.0])
    y = (w * x).sum()
    gx, gw = tg.autograd.grad(y, [x, w])
    np.testing.assert_array_equal(gx.numpy(), [3.0, -1.0])
    np.testing.assert_array_equal(gw.numpy(), [1.0, 2.0])
    assert x.grad is None and w.grad is None
    assert not gx.requires_grad  # no create_graph: plain values
    (gx_only,) = tg.autograd.grad((w * x).sum(), x)
    np.testing.assert_array_equal(gx_only.numpy(), [3.0, -1.0])


def test_grad_of_an_intermediate_tensor_and_of_several_outputs():
    x = t64([1.0, 2.0])
    h = x * 3.0
    y1, y2 = (h * h).sum(), h.sum()
    (gh,) = tg.autograd.grad([y1, y2], h, retain_graph=True)
    np.testing.assert_allclose(gh.numpy(), 2 * h.numpy() + 1)
    (gx,) = tg.autograd.grad([y1, y2], x, grad_outputs=[np.array(1.0), np.array(2.0)])
    np.testing.assert_allclose(gx.numpy(), 3 * (2 * h.numpy() + 2))


def test_grad_errors_as_torch():
    x, unused = t64([1.0, 2.0]), t64([5.0])
    y = (x * x).sum()
    with pytest.raises(RuntimeError, match="not have been used in the graph.*allow_unused"):
        tg.autograd.grad(y, [x, unused], retain_graph=True)
    gx, gu = tg.autograd.grad(y, [x, unused], allow_unused=True, retain_graph=True)
    assert gu is None and gx is not None
    with pytest.raises(RuntimeError, match="scalar outputs"):
        tg.autograd.grad(x * 2.0, x)
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.autograd.grad(y, t64([1.0], requires_grad=False))
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.autograd.grad(t64([1.0], requires_grad=False).sum(), x)


def test_grad_releases_the_graph_unless_retained_or_recorded():
    x = t64([1.0, 2.0])
    y = (x * x).sum()
    tg.autograd.grad(y, x)
    with pytest.raises(RuntimeError, match="second time"):
        tg.autograd.grad(y, x)
    z = (x * x * x).sum()
    (g,) = tg.autograd.grad(z, x, create_graph=True)  # retain_graph defaults to create_graph
    # g's graph reuses z's nodes (x * x), so this walk must keep them for the next one
    (gg,) = tg.autograd.grad(g.sum(), x, retain_graph=True)
    np.testing.assert_allclose(gg.numpy(), 6 * x.numpy())
    tg.autograd.grad(z, x)
    with pytest.raises(RuntimeError, match="second time"):
        tg.autograd.grad(z, x)


def test_third_derivative():
    x = t64([0.5, -1.0, 2.0])
    (g1,) = tg.autograd.grad(tg.exp(x * 2.0).sum(), x, create_graph=True)
    (g2,) = tg.autograd.grad(g1.sum(), x, create_graph=True)
    (g3,) = tg.autograd.grad(g2.sum(), x)
    np.testing.assert_allclose(g3.numpy(), 8 * np.exp(2 * x.numpy()), rtol=1e-12)


def test_backward_with_create_graph_gives_grads_with_a_graph():
    x = t64([1.0, 2.0])
    (x ** 3).sum().backward(create_graph=True)
    assert isinstance(x.grad, tg.Tensor) and x.grad.requires_grad
    np.testing.assert_allclose(x.grad.numpy(), 3 * x.numpy() ** 2)
    g = x.grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad, 6 * x.numpy())


def test_without_create_graph_the_grads_stay_arrays():
    x = t64([1.0, 2.0])
    (x ** 3).sum().backward()
    assert isinstance(x.grad, np.ndarray)


def test_an_op_without_backward_graph_says_so():
    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    x = t64([1.0, 2.0])
    y = Square.apply(x).sum()
    assert np.allclose(tg.autograd.grad(y, x, retain_graph=True)[0].numpy(), [2.0, 4.0])
    with pytest.raises(RuntimeError, match="Square has no backward written in tensor ops"):
        tg.autograd.grad(y, x, create_graph=True)


# -- gradgradcheck catches a wrong double backward -----------------------------------------------


class Cube(Function):
    """f(x) = x^3, f' = 3 x^2, f'' = 6 x.  backward is right; backward_graph has a ``bug``:
    "detached": 3 x^2 as a constant (right value, no second derivative);
    "factor": 2 x^2 (a wrong first derivative on the recorded path only)."""

    bug = ""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 3 * x**2 * grad

    @classmethod
    def backward_graph(cls, ctx, grad, x):
        if cls.bug == "detached":
            return grad * tg.Tensor(3 * x.data**2)
        return grad * (2.0 if cls.bug == "factor" else 3.0) * x * x


@pytest.mark.parametrize(("bug", "what"), [
    ("detached", r"^gradgradcheck failed: input 0 \(shape \(2, 3\)\), element \(0, 0\): "
                 r"backward gives 0, finite differences give -?\d"),
    ("factor", r"^gradgradcheck \(the recorded first derivative\) failed: input 0 .*element "
               r"\(0, 0\)"),
])
def test_gradgradcheck_catches_a_wrong_double_backward(monkeypatch, bug, what):
    x = t64(np.random.default_rng(1).uniform(0.5, 2.0, (2, 3)))
    assert tg.gradcheck(lambda x: Cube.apply(x), x)  # first order: right either way
    assert tg.gradgradcheck(lambda x: Cube.apply(x), x)
    monkeypatch.setattr(Cube, "bug", bug)
    assert tg.gradcheck(lambda x: Cube.apply(x), x)
    with pytest.raises(tg.GradcheckError, match=what):
        tg.gradgradcheck(lambda x: Cube.apply(x), x)
    assert not tg.gradgradcheck(lambda x: Cube.apply(x), x, raise_exception=False)


def test_gradgradcheck_takes_given_grad_outputs_and_random_directions():
    x = t64(np.random.default_rng(2).standard_normal((30, 30)))
    assert tg.gradgradcheck(lambda x: tg.ops.tanh(x) * x, x, max_elements=100,
                            grad_outputs=np.ones((30, 30)))
    assert tg.autograd.gradgradcheck is tg.gradgradcheck


# -- the WGAN-GP gradient penalty against PyTorch ------------------------------------------------


def _penalty(critic, x):
    """lambda E[(||dD/dx|| - 1)^2], lambda = 10, with the grad recorded."""
    (g,) = tg.autograd.grad(critic(x).sum(), x, create_graph=True)
    norms = (g * g).reshape(g.shape[0], -1).sum(axis=1).sqrt()
    return ((norms - 1.0) ** 2).mean() * 10.0


def _torch_penalty(torch, critic, x):
    (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    norms = g.pow(2).reshape(g.shape[0], -1).sum(dim=1).sqrt()
    return ((norms - 1.0) ** 2).mean() * 10.0


def _copy_weights(ours, theirs, torch):
    with torch.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters()):
            q.copy_(torch.from_numpy(p.numpy()))


@pytest.mark.parametrize("kind", ["mlp", "conv"])
def test_gradient_penalty_matches_torch(kind):
    torch = pytest.importorskip("torch")
    T = torch.nn
    tg.manual_seed(0)
    if kind == "mlp":
        ours = nn.Sequential(nn.Linear(4, 8, dtype=np.float64), nn.LeakyReLU(0.2),
                             nn.Linear(8, 8, dtype=np.float64), nn.LayerNorm(8, dtype=np.float64),
                             nn.Tanh(), nn.Linear(8, 1, dtype=np.float64))
        theirs = T.Sequential(T.Linear(4, 8), T.LeakyReLU(0.2), T.Linear(8, 8), T.LayerNorm(8),
                              T.Tanh(), T.Linear(8, 1)).double()
        shape = (5, 4)
    else:
        ours = nn.Sequential(nn.Conv2d(1, 3, 4, 2, 1, dtype=np.float64), nn.LeakyReLU(0.2),
                             nn.Conv2d(3, 4, 3, 2, 1, dtype=np.float64), nn.Sigmoid(),
                             nn.Flatten(), nn.Linear(16, 1, dtype=np.float64))
        theirs = T.Sequential(T.Conv2d(1, 3, 4, 2, 1), T.LeakyReLU(0.2), T.Conv2d(3, 4, 3, 2, 1),
                              T.Sigmoid(), T.Flatten(), T.Linear(16, 1)).double()
        shape = (3, 1, 8, 8)
    _copy_weights(ours, theirs, torch)
    rng = np.random.default_rng(5)
    real, fake, eps = rng.standard_normal(shape), rng.standard_normal(shape), rng.uniform(
        size=(shape[0],) + (1,) * (len(shape) - 1))
    x_hat = eps * real + (1 - eps) * fake  # the random interpolates of WGAN-GP
    gp = _penalty(ours, tg.tensor(x_hat, requires_grad=True))
    gp.backward()
    t_gp = _torch_penalty(torch, theirs, torch.tensor(x_hat, requires_grad=True))
    t_gp.backward()
    np.testing.assert_allclose(gp.item(), t_gp.item(), rtol=RTOL)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        expected = np.zeros(p.shape) if q.grad is None else q.grad.numpy()
        got = np.zeros(p.shape) if p.grad is None else tg.backend.to_numpy(p.grad)
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12, err_msg=name)
