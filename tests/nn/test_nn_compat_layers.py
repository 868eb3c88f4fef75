"""The layers and losses that PyTorch GAN code uses beyond the course's own (issue 12): each
gradchecked in float64 and compared with torch.nn in float64 (forward, input gradient, parameter
gradients), built by the same constructor call in both libraries; then the losses, the tensor
methods with gradients (expand, repeat), RMSprop against torch.optim, and the errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import tinygan as tg
from tinygan import nn
from tinygan.backend import to_numpy as host
from tinygan.nn import functional as F


@dataclass
class LayerCase:
    name: str
    make: Callable[[Any], Any]  # given tinygan.nn or torch.nn, builds the same layer
    shape: tuple[int, ...]


CASES = [
    LayerCase("InstanceNorm2d", lambda m: m.InstanceNorm2d(3), (2, 3, 4, 5)),
    LayerCase("InstanceNorm2d-affine", lambda m: m.InstanceNorm2d(3, eps=1e-3, affine=True),
              (2, 3, 4, 4)),
    LayerCase("PReLU", lambda m: m.PReLU(), (3, 4)),
    LayerCase("PReLU-channels", lambda m: m.PReLU(3, init=0.1), (2, 3, 2, 2)),
    LayerCase("ReflectionPad2d", lambda m: m.ReflectionPad2d(2), (2, 2, 4, 5)),
    LayerCase("ReflectionPad2d-4", lambda m: m.ReflectionPad2d((1, 0, 2, 3)), (1, 2, 4, 5)),
    LayerCase("ReplicationPad2d", lambda m: m.ReplicationPad2d((2, 1, 0, 3)), (1, 2, 3, 3)),
    LayerCase("ZeroPad2d", lambda m: m.ZeroPad2d(1), (1, 2, 3, 3)),
    LayerCase("Upsample-nearest", lambda m: m.Upsample(scale_factor=2), (2, 2, 3, 4)),
    LayerCase("Upsample-nearest-size", lambda m: m.Upsample(size=(5, 7)), (1, 2, 3, 4)),
    LayerCase("Upsample-bilinear", lambda m: m.Upsample(scale_factor=2, mode="bilinear"),
              (2, 2, 3, 4)),
    LayerCase("Upsample-bilinear-corners", lambda m: m.Upsample(
        size=(5, 6), mode="bilinear", align_corners=True), (1, 2, 3, 4)),
    LayerCase("UpsamplingNearest2d", lambda m: m.UpsamplingNearest2d(scale_factor=3),
              (1, 1, 2, 2)),
    LayerCase("MaxPool2d", lambda m: m.MaxPool2d(2), (2, 2, 4, 6)),
    LayerCase("MaxPool2d-overlap-pad", lambda m: m.MaxPool2d(3, stride=2, padding=1),
              (2, 2, 5, 6)),
    LayerCase("AvgPool2d", lambda m: m.AvgPool2d(2), (2, 2, 4, 6)),
    LayerCase("AvgPool2d-pad", lambda m: m.AvgPool2d(3, stride=2, padding=1), (1, 2, 5, 5)),
    LayerCase("AdaptiveAvgPool2d", lambda m: m.AdaptiveAvgPool2d(2), (2, 3, 4, 6)),
    LayerCase("AdaptiveAvgPool2d-1", lambda m: m.AdaptiveAvgPool2d((1, 1)), (2, 3, 3, 3)),
    LayerCase("Dropout2d-eval-or-p0", lambda m: m.Dropout2d(0.0), (2, 3, 2, 2)),
    LayerCase("Sequential-upsampling-G", lambda m: m.Sequential(
        m.Upsample(scale_factor=2), m.ReflectionPad2d(1), m.Conv2d(2, 3, 3),
        m.InstanceNorm2d(3, affine=True), m.PReLU(3), m.AvgPool2d(2)), (2, 2, 3, 3)),
]
IDS = [c.name for c in CASES]


def _input(case: LayerCase, seed: int = 0) -> np.ndarray:
    # shifted away from 0 so that no element sits on the kink of PReLU
    x = np.random.default_rng(seed).standard_normal(case.shape)
    return x + np.where(x >= 0, 0.05, -0.05)


def _randomize(module: nn.Module, seed: int = 1) -> None:
    """Parameters start at 1, 0 or 0.25, which hides a swapped gradient; perturb them."""
    rng = np.random.default_rng(seed)
    for _, p in module.named_parameters():
        if p.ndim == 1:
            p.data[...] = tg.tensor(rng.uniform(0.5, 1.5, p.shape), dtype=p.dtype,
                                    device=p.device).data


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
def test_layer_gradcheck(case: LayerCase):
    tg.manual_seed(0)
    module = case.make(nn).double()
    _randomize(module)
    names = [n for n, _ in module.named_parameters()]
    params = [p for _, p in module.named_parameters()]
    x = tg.tensor(_input(case), requires_grad=True)
    assert tg.gradcheck(lambda x, *ps: _call_with(module, names, ps, x), x, *params)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_layer_gradgradcheck(case: LayerCase):
    """Second derivatives (the recorded backward, as a gradient penalty needs), input only."""
    tg.manual_seed(0)
    module = case.make(nn).double()
    _randomize(module)
    x = tg.tensor(_input(case), requires_grad=True)
    assert tg.autograd.gradgradcheck(module, x)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_layer_matches_torch(case: LayerCase):
    torch = pytest.importorskip("torch")
    tg.manual_seed(0)
    ours = case.make(nn).double()
    _randomize(ours)
    theirs = case.make(torch.nn).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    for step, train in enumerate([True, False]):
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


# -- losses: (name, how to build the module, input maker, target maker) ----------------------


def _probabilities(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(0.05, 0.95, shape)


def _binary(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return (rng.random(shape) > 0.5).astype(np.float64)


def _soft(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(0.0, 1.0, shape)


def _labels(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.integers(0, shape[1], (shape[0], *shape[2:]))


def _normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.standard_normal(shape)


LOSSES = [
    ("BCELoss", lambda m: m.BCELoss(), _probabilities, _binary, (6, 1)),
    ("BCELoss-soft-sum", lambda m: m.BCELoss(reduction="sum"), _probabilities, _soft, (4, 3)),
    ("BCELoss-none", lambda m: m.BCELoss(reduction="none"), _probabilities, _soft, (4, 3)),
    ("BCEWithLogitsLoss", lambda m: m.BCEWithLogitsLoss(), _normal, _binary, (6, 2)),
    ("MSELoss", lambda m: m.MSELoss(), _normal, _normal, (5, 3)),
    ("MSELoss-sum", lambda m: m.MSELoss(reduction="sum"), _normal, _normal, (5, 3)),
    ("L1Loss", lambda m: m.L1Loss(), _normal, _normal, (5, 3)),
    ("CrossEntropyLoss", lambda m: m.CrossEntropyLoss(), _normal, _labels, (6, 4)),
    ("CrossEntropyLoss-2d", lambda m: m.CrossEntropyLoss(), _normal, _labels, (2, 3, 2, 2)),
    ("CrossEntropyLoss-probs", lambda m: m.CrossEntropyLoss(), _normal,
     lambda r, s: np.random.default_rng(3).dirichlet(np.ones(s[1]), s[0]), (5, 4)),
    ("CrossEntropyLoss-none", lambda m: m.CrossEntropyLoss(reduction="none"), _normal, _labels,
     (6, 4)),
]
LOSS_IDS = [c[0] for c in LOSSES]


@pytest.mark.parametrize("name, make, make_input, make_target, shape", LOSSES, ids=LOSS_IDS)
def test_loss_gradcheck(name, make, make_input, make_target, shape):
    rng = np.random.default_rng(0)
    x = tg.tensor(make_input(rng, shape), requires_grad=True)
    target = tg.tensor(make_target(rng, shape))
    assert tg.gradcheck(lambda x: make(nn)(x, target), x)


@pytest.mark.parametrize("name, make, make_input, make_target, shape", LOSSES, ids=LOSS_IDS)
def test_loss_gradgradcheck(name, make, make_input, make_target, shape):
    rng = np.random.default_rng(0)
    x = tg.tensor(make_input(rng, shape), requires_grad=True)
    target = tg.tensor(make_target(rng, shape))
    assert tg.autograd.gradgradcheck(lambda x: make(nn)(x, target), x)


@pytest.mark.parametrize("name, make, make_input, make_target, shape", LOSSES, ids=LOSS_IDS)
def test_loss_matches_torch(name, make, make_input, make_target, shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x, target = make_input(rng, shape), make_target(rng, shape)
    ours = make(nn)(tg.tensor(x, requires_grad=True), tg.tensor(target))
    xt = torch.tensor(x, requires_grad=True)
    theirs = make(torch.nn)(xt, torch.tensor(target))
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-12, atol=1e-14)
    x_ours = tg.tensor(x, requires_grad=True)
    out = make(nn)(x_ours, tg.tensor(target))
    v = np.random.default_rng(2).standard_normal(out.shape)
    out.backward(v)
    theirs.backward(torch.from_numpy(v))
    np.testing.assert_allclose(host(x_ours.grad), xt.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_bce_loss_on_a_saturated_sigmoid_is_finite_as_torch():
    """float32 sigmoid(20) rounds to exactly 1.0, where log(1 - p) = -inf: PyTorch clamps the
    log at -100 and guards the derivative; so does tinygan, to the same numbers."""
    torch = pytest.importorskip("torch")
    a = np.array([20.0, -120.0, 0.3], dtype=np.float32)
    y = np.array([0.0, 1.0, 1.0], dtype=np.float32)
    x = tg.tensor(a, requires_grad=True)
    loss = nn.BCELoss()(x.sigmoid(), tg.tensor(y))
    loss.backward()
    xt = torch.tensor(a, requires_grad=True)
    t_loss = torch.nn.BCELoss()(xt.sigmoid(), torch.tensor(y))
    t_loss.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(host(x.grad)))
    np.testing.assert_allclose(loss.item(), t_loss.item(), rtol=1e-6)
    np.testing.assert_allclose(host(x.grad), xt.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_log_softmax_and_softmax_match_torch_and_gradcheck():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(4).standard_normal((3, 5)) * 30  # large: the max shift matters
    for dim in (0, 1):
        np.testing.assert_allclose(F.log_softmax(tg.tensor(x), dim).numpy(),
                                   torch.log_softmax(torch.tensor(x), dim).numpy(), rtol=1e-12)
        np.testing.assert_allclose(F.softmax(tg.tensor(x), dim).numpy(),
                                   torch.softmax(torch.tensor(x), dim).numpy(), rtol=1e-12,
                                   atol=1e-300)
        t = tg.tensor(x / 30, requires_grad=True)
        assert tg.gradcheck(lambda t, dim=dim: F.log_softmax(t, dim), t)


def test_dropout2d_zeroes_whole_channels_and_rescales():
    tg.manual_seed(0)
    x = tg.ones(64, 8, 3, 3)
    out = nn.Dropout2d(0.5)(x).numpy()
    per_map = out.reshape(64, 8, 9)
    assert set(np.unique(per_map)) <= {0.0, 2.0}
    assert np.all(per_map.min(axis=2) == per_map.max(axis=2))  # a map is all kept or all zero
    assert 0.35 < (per_map[:, :, 0] == 0).mean() < 0.65
    assert nn.Dropout2d(0.5).eval()(x) is x


def test_dropout2d_gradient_is_the_mask():
    tg.manual_seed(3)
    x = tg.tensor(np.random.default_rng(0).standard_normal((4, 3, 2, 2)), requires_grad=True)
    out = F.dropout2d(x, 0.5)
    out.sum().backward()
    np.testing.assert_array_equal(host(x.grad), out.numpy() / x.numpy())


def test_module_list_registers_its_items_under_torch_keys():
    torch = pytest.importorskip("torch")

    def build(m):
        class Net(m.Module):
            def __init__(self):
                super().__init__()
                self.blocks = m.ModuleList([m.Linear(3, 3) for _ in range(2)])
                self.blocks.append(m.Linear(3, 1))

            def forward(self, x):
                for block in self.blocks:
                    x = block(x)
                return x
        return Net()

    ours, theirs = build(nn), build(torch.nn).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.double().state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 3))
    np.testing.assert_allclose(ours(tg.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-12)
    assert len(ours.blocks) == 3 and isinstance(ours.blocks[1:], nn.ModuleList)
    with pytest.raises(TypeError, match="not a Module"):
        nn.ModuleList([nn.Linear(1, 1), "relu"])


def test_data_parallel_is_the_module_on_one_device():
    net = nn.Linear(2, 1)
    x = tg.ones(3, 2)
    np.testing.assert_array_equal(nn.parallel.data_parallel(net, x, range(2)).numpy(),
                                  net(x).numpy())
    wrapped = nn.DataParallel(net, device_ids=[0])
    assert wrapped.module is net and list(wrapped.state_dict()) == ["module.weight", "module.bias"]


# -- the tensor methods with gradients: expand, repeat ---------------------------------------


@pytest.mark.parametrize("shape, sizes", [((3, 1), (3, 4)), ((1, 2, 1), (2, -1, 3)),
                                          ((2, 1), (4, 2, 3))])
def test_expand_gradcheck_and_torch(shape, sizes):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal(shape)
    t = tg.tensor(x, requires_grad=True)
    assert tg.gradcheck(lambda t: t.expand(*sizes), t)
    assert tg.autograd.gradgradcheck(lambda t: t.expand(*sizes) * t.expand(*sizes), t)
    np.testing.assert_array_equal(t.expand(*sizes).numpy(),
                                  torch.tensor(x).expand(*sizes).numpy())


@pytest.mark.parametrize("shape, repeats", [((2, 3), (2, 1)), ((2, 3), (3, 2, 2)), ((4,), (3,))])
def test_repeat_gradcheck_and_torch(shape, repeats):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).standard_normal(shape)
    t = tg.tensor(x, requires_grad=True)
    assert tg.gradcheck(lambda t: t.repeat(*repeats), t)
    assert tg.autograd.gradgradcheck(lambda t: t.repeat(*repeats).tanh(), t)
    np.testing.assert_array_equal(t.repeat(*repeats).numpy(),
                                  torch.tensor(x).repeat(*repeats).numpy())


# -- RMSprop, step by step against torch.optim.RMSprop ------------------------------------------


@pytest.mark.parametrize("options", [{}, {"lr": 5e-3, "momentum": 0.9},
                                     {"centered": True, "weight_decay": 0.1, "alpha": 0.9},
                                     {"centered": True, "momentum": 0.5, "maximize": True}])
def test_rmsprop_matches_torch(options):
    torch = pytest.importorskip("torch")
    w0 = np.random.default_rng(0).standard_normal((3, 2))
    ours = nn.Parameter(tg.tensor(w0).data.copy())
    theirs = torch.tensor(w0, requires_grad=True)
    opt, t_opt = tg.optim.RMSprop([ours], **options), torch.optim.RMSprop([theirs], **options)
    for step in range(5):
        g = np.random.default_rng(10 + step).standard_normal(w0.shape)
        opt.zero_grad()
        t_opt.zero_grad()
        (ours * tg.tensor(g)).sum().backward()
        (theirs * torch.tensor(g)).sum().backward()
        opt.step()
        t_opt.step()
        np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-12, atol=1e-14)
    t_state = t_opt.state[theirs]
    np.testing.assert_allclose(host(opt.state[ours]["square_avg"]),
                               t_state["square_avg"].numpy(), rtol=1e-12)


def test_rmsprop_rejects_bad_options():
    p = nn.Parameter(tg.zeros(2).data)
    with pytest.raises(ValueError, match="lr"):
        tg.optim.RMSprop([p], lr=-1.0)
    with pytest.raises(ValueError, match="alpha"):
        tg.optim.RMSprop([p], alpha=1.5)


# -- bad input: errors that say what was expected -----------------------------------------------


def test_errors_name_what_was_expected():
    x = tg.ones(1, 1, 3, 3)
    with pytest.raises(ValueError, match="smaller than the dimension"):
        nn.ReflectionPad2d(3)(x)
    with pytest.raises(ValueError, match="does not fit"):
        nn.MaxPool2d(5)(x)
    with pytest.raises(ValueError, match="multiple of output_size"):
        nn.AdaptiveAvgPool2d(2)(x)
    with pytest.raises(ValueError, match="mode 'area'"):
        nn.Upsample(scale_factor=2, mode="area")(x)
    with pytest.raises(ValueError, match="probabilities"):
        nn.BCELoss()(tg.tensor([1.5]), tg.tensor([1.0]))
    with pytest.raises(ValueError, match="target has shape"):
        nn.MSELoss()(tg.ones(3), tg.ones(2))
    with pytest.raises(IndexError, match=r"in \[0, 3\)"):
        nn.CrossEntropyLoss()(tg.ones(2, 3), tg.tensor([0, 3]))
    with pytest.raises(TypeError, match="integer class indices"):
        F.nll_loss(tg.ones(2, 3), tg.tensor([[0.5, 0.5]]))
    with pytest.raises(ValueError, match="reduction"):
        nn.L1Loss(reduction="avg")
    with pytest.raises(ValueError, match="track_running_stats"):
        nn.InstanceNorm2d(3, track_running_stats=True)
    with pytest.raises(ValueError, match="expects"):
        nn.InstanceNorm2d(2)(x)


def test_what_is_not_there_is_refused():
    with pytest.raises(TypeError):
        nn.MaxPool2d(2, dilation=2)
    with pytest.raises(TypeError):
        nn.CrossEntropyLoss(label_smoothing=0.1)
    with pytest.raises(TypeError):
        nn.BCEWithLogitsLoss(pos_weight=tg.ones(1))
    with pytest.raises(TypeError):
        nn.AvgPool2d(2, count_include_pad=False)
    with pytest.raises(ValueError, match="no gradient with respect to the target"):
        nn.BCELoss()(tg.tensor([0.5]), tg.tensor([0.5], requires_grad=True))


def test_filling_a_label_before_backward_changes_the_gradient_as_the_readme_says():
    p = tg.tensor([0.3, 0.6], requires_grad=True)
    label = tg.ones(2)
    loss = nn.BCELoss()(p, label)
    label.fill_(0.0)
    loss.backward()
    np.testing.assert_allclose(host(p.grad), (0.5 / (1 - p.numpy())), rtol=1e-6)  # y = 0 now
