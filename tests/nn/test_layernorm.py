"""nn.LayerNorm and F.layer_norm against torch.nn.LayerNorm: values, gradients, parameters."""

from __future__ import annotations

import numpy as np
import pytest

import tinygan as tg
from tinygan import nn

pytestmark = pytest.mark.lesson01


@pytest.mark.parametrize(("shape", "normalized", "kw"), [
    ((4, 6), 6, {}),
    ((2, 3, 4), (3, 4), {}),
    ((3, 5), 5, {"elementwise_affine": False}),
    ((3, 5), (5,), {"bias": False, "eps": 1e-3}),
])
def test_matches_torch(shape, normalized, kw):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    ours = nn.LayerNorm(normalized, dtype=np.float64, **kw)
    theirs = torch.nn.LayerNorm(normalized, dtype=torch.float64, **kw)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    for p, q in zip(ours.parameters(), theirs.parameters()):  # non-trivial gamma and beta
        values = rng.standard_normal(p.shape)
        p.data[...] = values
        with torch.no_grad():
            q.copy_(torch.from_numpy(values))
    xt, tt = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = ours(xt), theirs(tt)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    upstream = rng.standard_normal(shape)
    y.backward(upstream)
    ty.backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(xt.grad, tt.grad.numpy(), rtol=1e-10, atol=1e-12)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_defaults_repr_and_float32():
    norm = nn.LayerNorm(3)
    assert norm.normalized_shape == (3,) and norm.eps == 1e-5
    assert repr(norm) == "LayerNorm((3,), eps=1e-05, elementwise_affine=True)"
    np.testing.assert_array_equal(norm.weight.numpy(), np.ones(3, dtype=np.float32))
    np.testing.assert_array_equal(norm.bias.numpy(), np.zeros(3, dtype=np.float32))
    y = norm(tg.tensor([[1.0, 2.0, 6.0]]))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy().mean(), 0.0, atol=1e-6)


def test_each_sample_is_normalised_on_its_own():
    x = np.random.default_rng(1).standard_normal((5, 8))
    norm = nn.LayerNorm(8, dtype=np.float64)
    alone = norm(tg.tensor(x[:1])).numpy()
    batch = norm(tg.tensor(x)).numpy()
    np.testing.assert_allclose(batch[:1], alone, rtol=1e-12)


def test_gradcheck_and_gradgradcheck():
    rng = np.random.default_rng(2)
    xs = [tg.tensor(rng.standard_normal(s), requires_grad=True) for s in ((3, 4), (4,), (4,))]
    fn = lambda x, w, b: tg.functional.layer_norm(x, 4, w, b)  # noqa: E731
    assert tg.gradcheck(fn, *xs)
    assert tg.gradgradcheck(fn, *xs)


@pytest.mark.parametrize(("shape", "match"), [
    ((4, 5), r"layer_norm: expected input of shape \(\*, 6\).*got \(4, 5\)"),
    ((6,), None),
])
def test_bad_input_names_the_expected_shape(shape, match):
    norm = nn.LayerNorm(6)
    if match is None:
        assert norm(tg.zeros(*shape)).shape == shape
        return
    with pytest.raises(ValueError, match=match):
        norm(tg.zeros(*shape))
    with pytest.raises(TypeError, match="input is float64 but the weights are float32"):
        norm(tg.tensor(np.ones((2, 6))))
