"""tinygan.nn layers: each gradchecked in float64 and compared with torch.nn in float64 (forward,
input gradient, parameter gradients, running statistics), built by the same constructor call in
both libraries; then BatchNorm, Dropout and Embedding specifics and the errors bad input gets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import tinygan as tg
from tinygan import nn
from tinygan.backend import to_numpy as host


@dataclass
class LayerCase:
    name: str
    make: Callable[[Any], Any]  # given tinygan.nn or torch.nn, builds the same layer
    shape: tuple[int, ...]


CASES = [
    LayerCase("Linear", lambda m: m.Linear(5, 3), (4, 5)),
    LayerCase("Linear-nobias-3d", lambda m: m.Linear(5, 3, bias=False), (2, 4, 5)),
    LayerCase("Conv2d", lambda m: m.Conv2d(3, 4, 3, stride=2, padding=1), (2, 3, 7, 6)),
    LayerCase("Conv2d-rect", lambda m: m.Conv2d(2, 3, (3, 2), stride=(1, 2), padding=(1, 0),
                                                 dilation=(2, 1), bias=False), (2, 2, 6, 7)),
    LayerCase("ConvTranspose2d", lambda m: m.ConvTranspose2d(3, 2, 4, stride=2, padding=1),
              (2, 3, 4, 5)),
    LayerCase("ConvTranspose2d-op", lambda m: m.ConvTranspose2d(
        2, 3, (3, 2), stride=2, padding=1, output_padding=1, dilation=(1, 2)), (2, 2, 3, 4)),
    LayerCase("BatchNorm1d", lambda m: m.BatchNorm1d(4), (6, 4)),
    LayerCase("BatchNorm1d-3d", lambda m: m.BatchNorm1d(3, momentum=0.3), (4, 3, 5)),
    LayerCase("BatchNorm2d", lambda m: m.BatchNorm2d(3, eps=1e-3), (4, 3, 3, 3)),
    LayerCase("BatchNorm2d-noaffine-cma", lambda m: m.BatchNorm2d(2, affine=False, momentum=None),
              (3, 2, 2, 3)),
    LayerCase("BatchNorm2d-nobias", lambda m: m.BatchNorm2d(3, bias=False), (2, 3, 2, 2)),
    LayerCase("BatchNorm1d-nostats", lambda m: m.BatchNorm1d(3, track_running_stats=False), (5, 3)),
    LayerCase("ReLU", lambda m: m.ReLU(), (3, 4)),
    LayerCase("LeakyReLU", lambda m: m.LeakyReLU(0.2), (3, 4)),
    LayerCase("Tanh", lambda m: m.Tanh(), (3, 4)),
    LayerCase("Sigmoid", lambda m: m.Sigmoid(), (3, 4)),
    LayerCase("Flatten", lambda m: m.Flatten(), (2, 3, 2, 2)),
    LayerCase("Flatten-mid", lambda m: m.Flatten(1, 2), (2, 3, 2, 2)),
    LayerCase("Unflatten", lambda m: m.Unflatten(1, (2, 3)), (4, 6)),
    LayerCase("Dropout-p0", lambda m: m.Dropout(0.0), (3, 4)),
    LayerCase("Sequential-D", lambda m: m.Sequential(
        m.Conv2d(1, 2, 4, 2, 1), m.LeakyReLU(0.2), m.Conv2d(2, 3, 4, 2, 1), m.BatchNorm2d(3),
        m.LeakyReLU(0.2), m.Flatten(), m.Linear(12, 1)), (3, 1, 8, 8)),
    LayerCase("Sequential-G", lambda m: m.Sequential(
        m.Linear(4, 2 * 2 * 3), m.BatchNorm1d(12), m.ReLU(), m.Unflatten(1, (3, 2, 2)),
        m.ConvTranspose2d(3, 2, 4, 2, 1), m.BatchNorm2d(2), m.ReLU(),
        m.ConvTranspose2d(2, 1, 4, 2, 1), m.Tanh()), (3, 4)),
]
IDS = [c.name for c in CASES]


def _input(case: LayerCase, seed: int = 0) -> np.ndarray:
    # shifted away from 0 so that no element sits on the kink of relu / leaky_relu
    x = np.random.default_rng(seed).standard_normal(case.shape)
    return x + np.where(x >= 0, 0.05, -0.05)


def _randomize_affine(module: nn.Module, seed: int = 1) -> None:
    """BatchNorm starts at gamma = 1, beta = 0, which hides a swapped gradient; perturb them."""
    rng = np.random.default_rng(seed)
    for name, p in module.named_parameters():
        if (name.endswith("weight") and p.ndim == 1) or name.endswith("bias"):
            values = tg.tensor(rng.uniform(0.5, 1.5, p.shape), dtype=p.dtype, device=p.device)
            p.data[...] = values.data


def _call_with(module: nn.Module, names: list[str], values: tuple[tg.Tensor, ...], x: Any) -> Any:
    """Run module(x) with the named parameters replaced by ``values`` (gradcheck's copies)."""
    saved = []
    for name, value in zip(names, values):
        *path, attr = name.split(".")
        owner = module
        for part in path:
            owner = getattr(owner, part)
        saved.append((owner, attr, getattr(owner, attr)))
        setattr(owner, attr, value)
    try:
        return module(x)
    finally:
        for owner, attr, old in saved:
            setattr(owner, attr, old)


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_layer_gradcheck(case: LayerCase, mode: str):
    tg.manual_seed(0)
    module = case.make(nn).double()
    _randomize_affine(module)
    if mode == "eval":
        module(tg.tensor(_input(case, seed=5)))  # move the running statistics off 0 and 1
        module.eval()
    names = [n for n, _ in module.named_parameters()]
    params = [p for _, p in module.named_parameters()]
    x = tg.tensor(_input(case), requires_grad=True)
    assert tg.gradcheck(lambda x, *ps: _call_with(module, names, ps, x), x, *params)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_layer_matches_torch(case: LayerCase):
    torch = pytest.importorskip("torch")
    tg.manual_seed(0)
    ours = case.make(nn).double()
    _randomize_affine(ours)
    theirs = case.make(torch.nn).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    for step, train in enumerate([True, True, False]):  # two training steps, then evaluation
        ours.train(train)
        theirs.train(train)
        x = _input(case, seed=step)
        xt = torch.tensor(x, requires_grad=True)
        x = tg.tensor(x, requires_grad=True)
        ours.zero_grad()
        theirs.zero_grad()
        out, t_out = ours(x), theirs(xt)
        assert out.dtype == np.float64 and out.shape == tuple(t_out.shape)
        np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
        v = np.random.default_rng(10 + step).standard_normal(out.shape)
        out.backward(v)
        t_out.backward(torch.from_numpy(v))
        np.testing.assert_allclose(host(x.grad), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
        t_params = dict(theirs.named_parameters())
        for name, p in ours.named_parameters():
            np.testing.assert_allclose(host(p.grad), t_params[name].grad.numpy(), rtol=1e-10,
                                       atol=1e-12, err_msg=name)
        t_state = theirs.state_dict()  # running statistics after the step
        for name, value in ours.state_dict().items():
            np.testing.assert_allclose(value, t_state[name].numpy(), rtol=1e-12, err_msg=name)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_layer_float32_in_float32_out(case: LayerCase):
    tg.manual_seed(0)
    module = case.make(nn)
    x = tg.tensor(_input(case), dtype=np.float32, requires_grad=True)
    out = module(x)
    out.sum().backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32
    for name, p in module.named_parameters():
        assert p.dtype == np.float32 and p.grad.dtype == np.float32, name
    for name, b in module.named_buffers():
        assert b.dtype == (np.int64 if name.endswith("num_batches_tracked") else np.float32)


# -- BatchNorm ------------------------------------------------------------------------------


def test_batchnorm_running_stats_rule():
    """running = 0.9 running + 0.1 batch, the variance unbiased (m / (m - 1)), as PyTorch."""
    bn = nn.BatchNorm2d(2).double()
    x = np.random.default_rng(0).standard_normal((4, 2, 3, 3)) * 3 + 1
    out = bn(tg.tensor(x))
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    m = 4 * 3 * 3
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.1 * mean, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.9 + 0.1 * var * m / (m - 1), rtol=1e-12)
    assert int(bn.num_batches_tracked.item()) == 1
    # the output is normalised with the biased variance
    expected = (x - mean.reshape(1, 2, 1, 1)) / np.sqrt(var.reshape(1, 2, 1, 1) + 1e-5)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12)


def test_batchnorm_eval_uses_running_stats_and_leaves_them():
    bn = nn.BatchNorm1d(3).double()
    state = bn.state_dict()
    state["running_mean"] = np.array([1.0, -2.0, 0.5])
    state["running_var"] = np.array([4.0, 0.25, 1.0])
    bn.load_state_dict(state)
    bn.eval()
    x = np.random.default_rng(0).standard_normal((1, 3))  # a batch of one is fine in eval
    out = bn(tg.tensor(x))
    np.testing.assert_allclose(out.numpy(), (x - [1.0, -2.0, 0.5]) / np.sqrt(
        np.array([4.0, 0.25, 1.0]) + 1e-5), rtol=1e-12)
    assert int(bn.num_batches_tracked.item()) == 0
    np.testing.assert_array_equal(bn.running_mean.numpy(), [1.0, -2.0, 0.5])


def test_batchnorm_needs_two_values_per_channel_in_training():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(tg.zeros(1, 3))


def test_functional_batch_norm_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((5, 3, 2)), rng.standard_normal(3), rng.standard_normal(3)
    rm, rv = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    for training in (True, False):
        ours_rm, ours_rv = tg.tensor(rm.copy()), tg.tensor(rv.copy())
        t_rm, t_rv = torch.tensor(rm.copy()), torch.tensor(rv.copy())
        out = tg.functional.batch_norm(tg.tensor(x), ours_rm, ours_rv, tg.tensor(w),
                                       tg.tensor(b), training, 0.2, 1e-4)
        ref = torch.nn.functional.batch_norm(torch.tensor(x), t_rm, t_rv, torch.tensor(w),
                                             torch.tensor(b), training, 0.2, 1e-4)
        np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours_rm.numpy(), t_rm.numpy(), rtol=1e-12)
        np.testing.assert_allclose(ours_rv.numpy(), t_rv.numpy(), rtol=1e-12)


# -- Dropout ---------------------------------------------------------------------------------


def test_dropout_train_masks_and_scales_eval_is_identity():
    tg.manual_seed(3)
    layer = nn.Dropout(0.25)
    x = tg.ones(200, 50, requires_grad=True)
    out = layer(x)
    kept = out.numpy() != 0
    assert 0.72 < kept.mean() < 0.78  # 10,000 draws: 0.75 +- 0.017 at 4 sigma
    np.testing.assert_allclose(out.numpy()[kept], 1 / 0.75, rtol=1e-6)
    v = np.random.default_rng(0).standard_normal(out.shape).astype(np.float32)
    out.backward(v)
    np.testing.assert_allclose(host(x.grad), v * kept / 0.75, rtol=1e-6)
    assert out.dtype == np.float32
    layer.eval()
    assert layer(x) is x


def test_dropout_is_reproducible_from_the_seed():
    x = tg.ones(64, 64)
    tg.manual_seed(7)
    a = nn.Dropout(0.5)(x).numpy()
    b = nn.Dropout(0.5)(x).numpy()
    tg.manual_seed(7)
    np.testing.assert_array_equal(nn.Dropout(0.5)(x).numpy(), a)
    assert not np.array_equal(a, b)


def test_dropout_edge_probabilities():
    x = tg.randn(4, 5)
    assert tg.functional.dropout(x, 0.0) is x
    assert (tg.functional.dropout(x, 1.0).numpy() == 0).all()
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\]"):
        nn.Dropout(1.5)


# -- Embedding -------------------------------------------------------------------------------


def test_embedding_matches_torch_with_repeats_and_padding():
    torch = pytest.importorskip("torch")
    tg.manual_seed(0)
    ours = nn.Embedding(6, 3, padding_idx=2).double()
    theirs = torch.nn.Embedding(6, 3, padding_idx=2).double()
    assert np.all(ours.weight.numpy()[2] == 0)
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    idx = np.array([[1, 2, 1], [5, 0, 1]])
    out, t_out = ours(idx), theirs(torch.from_numpy(idx))
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), rtol=1e-12)
    v = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(v)
    t_out.backward(torch.from_numpy(v))
    np.testing.assert_allclose(host(ours.weight.grad), theirs.weight.grad.numpy(), rtol=1e-12)


def test_embedding_gradcheck():
    w = tg.tensor(np.random.default_rng(0).standard_normal((5, 3)), requires_grad=True)
    idx = np.array([0, 3, 3, 4, 0, 0])
    assert tg.gradcheck(lambda w: tg.functional.embedding(idx, w), w)


def test_embedding_bad_indices():
    layer = nn.Embedding(4, 2)
    with pytest.raises(IndexError, match=r"\[0, 4\).*from 0 to 4"):
        layer(np.array([0, 4]))
    with pytest.raises(TypeError, match="integers"):
        layer(np.array([0.0, 1.0]))


# -- errors that name the layer, what it expected and what it got ----------------------------


@pytest.mark.parametrize("layer, shape, message", [
    (nn.Linear(5, 3), (4, 6),
     r"Linear\(in_features=5, out_features=3, bias=True\): expected input of shape \(\*, 5\), "
     r"got \(4, 6\)"),
    (nn.Conv2d(3, 4, 3), (2, 2, 7, 7),
     r"Conv2d\(3, 4, kernel_size=\(3, 3\), stride=\(1, 1\)\): expected input of shape "
     r"\(N, 3, H, W\), got \(2, 2, 7, 7\)"),
    (nn.Conv2d(3, 4, 3), (3, 7, 7), r"Conv2d\(3, 4.*\(N, 3, H, W\), got \(3, 7, 7\)"),
    (nn.ConvTranspose2d(128, 64, 4, 2, 1), (2, 64, 7, 7),
     r"ConvTranspose2d\(128, 64, .*\(N, 128, H, W\), got \(2, 64, 7, 7\)"),
    (nn.BatchNorm1d(8), (4, 6), r"BatchNorm1d\(8, .*\(N, 8\) or \(N, 8, L\), got \(4, 6\)"),
    (nn.BatchNorm1d(8), (4, 8, 2, 2), r"BatchNorm1d\(8, .*got \(4, 8, 2, 2\)"),
    (nn.BatchNorm2d(3), (4, 3), r"BatchNorm2d\(3, .*\(N, 3, H, W\), got \(4, 3\)"),
    (nn.Unflatten(1, (2, 3)), (4, 5), r"Unflatten\(.*must have 6 elements, got shape \(4, 5\)"),
])
def test_wrong_input_shape_names_layer_expected_and_received(layer, shape, message):
    with pytest.raises(ValueError, match=message):
        layer(tg.zeros(*shape))


def test_unsupported_settings_are_refused():
    with pytest.raises(ValueError, match="groups=1"):
        nn.Conv2d(4, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode='zeros'"):
        nn.Conv2d(4, 4, 3, padding_mode="reflect")
    with pytest.raises(TypeError, match="kernel_size must be an int or a pair"):
        nn.Conv2d(4, 4, (3, 3, 3))


def test_dropout_gradcheck_with_a_fixed_mask():
    """Reseeding inside the function gives every evaluation the same mask."""
    x = tg.tensor(np.random.default_rng(0).standard_normal((4, 5)), requires_grad=True)

    def fn(x):
        tg.manual_seed(11)
        return tg.functional.dropout(x, 0.4)

    assert tg.gradcheck(fn, x)


def test_functional_linear_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((5, 4)), rng.standard_normal(5)
    for bias in (b, None):
        ours = tg.functional.linear(tg.tensor(x), tg.tensor(w),
                                    None if bias is None else tg.tensor(bias))
        theirs = torch.nn.functional.linear(torch.tensor(x), torch.tensor(w),
                                            None if bias is None else torch.tensor(bias))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    xs = [tg.tensor(a, requires_grad=True) for a in (x, w, b)]
    assert tg.gradcheck(tg.functional.linear, *xs)


@pytest.mark.parametrize("make, shape", [
    (lambda: nn.Linear(3, 2), (4, 3)), (lambda: nn.Conv2d(1, 2, 3), (1, 1, 4, 4)),
    (lambda: nn.ConvTranspose2d(1, 2, 3), (1, 1, 4, 4)), (lambda: nn.BatchNorm1d(3), (4, 3)),
])
def test_input_dtype_must_match_the_weights(make, shape):
    """float32 weights and a float64 input would give the weights float64 gradients."""
    layer = make()
    x = tg.tensor(np.ones(shape))  # a NumPy float64 array keeps its dtype
    with pytest.raises(TypeError, match="input is float64 but the weights are float32"):
        layer(x)
    layer(x.float())
