"""tinygan.nn.Module: finding parameters by walking attributes, modes, freezing, devices and
dtypes, state_dict round trips with PyTorch, load_state_dict errors, repr; and tinygan.nn.init."""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import pytest

import tinygan as tg
from tinygan import nn
from tinygan.backend import to_numpy as host


def dcgan_generator(m):
    """The dcgan-mnist generator (docs/setups.md), built from ``m`` = tinygan.nn or torch.nn."""
    return m.Sequential(
        m.Linear(100, 128 * 7 * 7), m.BatchNorm1d(128 * 7 * 7), m.ReLU(),
        m.Unflatten(1, (128, 7, 7)),
        m.ConvTranspose2d(128, 64, 4, 2, 1), m.BatchNorm2d(64), m.ReLU(),
        m.ConvTranspose2d(64, 1, 4, 2, 1), m.Tanh())


def dcgan_discriminator(m):
    return m.Sequential(
        m.Conv2d(1, 64, 4, 2, 1), m.LeakyReLU(0.2), m.Conv2d(64, 128, 4, 2, 1), m.BatchNorm2d(128),
        m.LeakyReLU(0.2), m.Flatten(), m.Linear(6272, 1))


class Net(nn.Module):
    """Parameters in plain attributes, a list, a dict and a nested module; one shared layer."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Linear(2, 3)
        self.blocks = [nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 3)]
        self.heads = {"a": nn.Linear(3, 1), "b": nn.BatchNorm1d(3)}
        self.shared = self.stem  # the same layer twice: its parameters count once
        self.scale = nn.Parameter(tg.ones(1))
        self.not_a_parameter = tg.ones(1)

    def forward(self, x):
        for block in self.blocks:
            x = block(self.stem(x) if block is self.blocks[0] else x)
        return self.heads["a"](self.heads["b"](x)) * self.scale


# -- finding what a module holds -------------------------------------------------------------


def test_parameters_found_by_walking_attributes():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["scale", "stem.weight", "stem.bias", "blocks.0.weight", "blocks.0.bias",
                     "blocks.2.weight", "blocks.2.bias", "heads.a.weight", "heads.a.bias",
                     "heads.b.weight", "heads.b.bias"]
    assert len(list(net.parameters())) == len(names)
    assert [n for n, _ in net.named_buffers()] == [
        "heads.b.running_mean", "heads.b.running_var", "heads.b.num_batches_tracked"]
    assert [n for n, _ in net.named_children()] == [
        "stem", "blocks.0", "blocks.1", "blocks.2", "heads.a", "heads.b"]
    assert len(list(net.modules())) == 7  # net + 6 distinct layers (shared counted once)


def test_forward_through_found_parameters_reaches_all_of_them():
    net = Net()
    net(tg.randn(4, 2)).sum().backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, name
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_parameter_is_a_tensor_that_requires_grad():
    p = nn.Parameter(tg.zeros(2, 3))
    assert isinstance(p, tg.Tensor) and p.requires_grad and p.is_leaf
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert not isinstance(p * 2, nn.Parameter)
    with pytest.raises(TypeError, match="floating-point"):
        nn.Parameter(tg.arange(3))


def test_module_without_forward():
    with pytest.raises(NotImplementedError, match="must define forward"):
        nn.Module()(tg.ones(1))


def test_sequential_indexing():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    assert len(seq) == 2 and isinstance(seq[0], nn.Linear) and isinstance(seq[-1], nn.ReLU)
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU"]
    assert isinstance(seq[1:], nn.Sequential) and len(seq[1:]) == 1
    seq.append(nn.Linear(3, 1))
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    named = nn.Sequential(OrderedDict(fc=nn.Linear(2, 2), act=nn.Tanh()))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"]
    with pytest.raises(TypeError, match="not a Module"):
        nn.Sequential(nn.ReLU(), lambda x: x)


def test_apply_visits_every_module_children_first():
    seq = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Tanh()))
    seen = []
    assert seq.apply(lambda m: seen.append(type(m).__name__)) is seq
    assert seen[-1] == "Sequential" and sorted(seen[:-1]) == sorted(
        ["Linear", "Sequential", "ReLU", "Tanh"])
    assert seen.index("ReLU") < seen.index("Sequential")  # a child before its parent


# -- modes, freezing, devices, dtypes ----------------------------------------------------------


def test_train_eval_reach_every_submodule():
    net = Net()
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_freezing_stops_parameter_grads_but_not_the_input_grad():
    d = dcgan_discriminator(nn)
    assert d.requires_grad_(False) is d
    x = tg.randn(2, 1, 28, 28, requires_grad=True)
    d(x).sum().backward()
    assert x.grad is not None and np.abs(host(x.grad)).sum() > 0
    assert all(p.grad is None for p in d.parameters())
    d.requires_grad_(True)
    d(x).sum().backward()
    assert all(p.grad is not None for p in d.parameters())


def test_to_cpu_float_double_keep_the_same_parameter_objects():
    g = dcgan_generator(nn)
    before = list(g.parameters())
    assert g.to("cpu") is g and g.cpu() is g
    assert g.double() is g
    assert all(a is b for a, b in zip(before, g.parameters()))
    assert all(p.dtype == np.float64 for p in g.parameters())
    assert g[1].running_mean.dtype == np.float64
    assert g[1].num_batches_tracked.dtype == np.int64  # integer buffers are not cast
    g.float()
    assert all(p.dtype == np.float32 for p in g.parameters())
    with pytest.raises(ValueError, match="unknown device"):
        g.to("tpu")


def test_repr_matches_torch():
    torch = pytest.importorskip("torch")
    for build in (dcgan_generator, dcgan_discriminator):
        assert repr(build(nn)) == repr(build(torch.nn))
    for make in (lambda m: m.Dropout(0.3), lambda m: m.Embedding(10, 4),
                 lambda m: m.ConvTranspose2d(2, 3, (3, 2), 2, 1, 1, bias=False, dilation=2),
                 lambda m: m.Conv2d(1, 2, 3, padding=1, bias=False, dilation=(2, 1)),
                 lambda m: m.BatchNorm1d(5, affine=False, track_running_stats=False),
                 lambda m: m.BatchNorm2d(5, momentum=None, bias=False)):
        assert repr(make(nn)) == repr(make(torch.nn))


# -- state_dict and load_state_dict ------------------------------------------------------------


@pytest.mark.parametrize("build", [dcgan_generator, dcgan_discriminator])
def test_state_dict_keys_shapes_and_dtypes_are_torchs(build):
    torch = pytest.importorskip("torch")
    ours = build(nn)
    theirs = build(torch.nn).state_dict()
    sd = ours.state_dict()
    assert list(sd) == list(theirs)
    for k, v in sd.items():
        assert isinstance(v, np.ndarray) and v.shape == tuple(theirs[k].shape), k
        assert v.dtype == theirs[k].numpy().dtype, k


def test_state_dict_is_a_copy():
    lin = nn.Linear(2, 2)
    sd = lin.state_dict()
    sd["weight"][...] = 7
    assert not (lin.weight.data == 7).any()


def _train_step_outputs(model, x):
    model.train()
    y_train = model(x)
    model.eval()
    return y_train, model(x)


@pytest.mark.parametrize("build, shape", [(dcgan_generator, (4, 100)),
                                          (dcgan_discriminator, (4, 1, 28, 28))])
def test_torch_loads_tinygan_weights_and_gives_the_same_outputs(build, shape):
    torch = pytest.importorskip("torch")
    tg.manual_seed(1)
    ours = build(nn).double()
    ours(tg.tensor(np.random.default_rng(0).standard_normal(shape)))  # running stats move
    theirs = build(torch.nn).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(1).standard_normal(shape)
    for a, b in zip(_train_step_outputs(ours, tg.tensor(x)),
                    _train_step_outputs(theirs, torch.from_numpy(x))):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("build, shape", [(dcgan_generator, (4, 100)),
                                          (dcgan_discriminator, (4, 1, 28, 28))])
def test_tinygan_loads_torch_weights_and_gives_the_same_outputs(build, shape):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = build(torch.nn)  # float32, PyTorch's own initialisation
    theirs(torch.randn(*shape))  # running stats and num_batches_tracked move
    ours = build(nn)
    result = ours.load_state_dict(theirs.state_dict())  # torch tensors straight in
    assert result == nn.IncompatibleKeys([], [])
    assert all(p.dtype == np.float32 for p in ours.parameters())
    for k, v in ours.state_dict().items():
        np.testing.assert_array_equal(v, theirs.state_dict()[k].numpy(), err_msg=k)
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    for a, b in zip(_train_step_outputs(ours, tg.tensor(x)),
                    _train_step_outputs(theirs, torch.from_numpy(x))):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_load_state_dict_round_trip_in_place():
    a, b = dcgan_discriminator(nn), dcgan_discriminator(nn)
    a(tg.randn(2, 1, 28, 28))
    params_before = list(b.parameters())
    b.load_state_dict(a.state_dict())
    assert all(x is y for x, y in zip(params_before, b.parameters()))  # optimizers keep working
    for k, v in b.state_dict().items():
        np.testing.assert_array_equal(v, a.state_dict()[k], err_msg=k)
    b.load_state_dict({k: tg.tensor(v) for k, v in a.state_dict().items()})  # Tensors work too


def test_load_state_dict_strict_lists_every_problem():
    g = dcgan_discriminator(nn)
    sd = g.state_dict()
    del sd["0.bias"], sd["3.num_batches_tracked"]
    sd["9.weight"] = np.zeros(3)
    sd["6.weight"] = np.zeros((1, 100))
    with pytest.raises(nn.StateDictError) as info:
        g.load_state_dict(sd)
    msg = str(info.value)
    assert "for Sequential" in msg
    assert "missing key(s): 0.bias, 3.num_batches_tracked" in msg
    assert "unexpected key(s): 9.weight" in msg
    assert "size mismatch for 6.weight: checkpoint has shape (1, 100), the model (1, 6272)" in msg
    assert isinstance(info.value, ValueError) and isinstance(info.value, RuntimeError)


def test_load_state_dict_non_strict_reports_and_loads_the_rest():
    src, dst = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)), nn.Sequential(
        nn.Linear(2, 3), nn.BatchNorm1d(3))
    sd = src.state_dict()
    del sd["1.running_var"]
    sd["extra"] = np.ones(2)
    missing, unexpected = dst.load_state_dict(sd, strict=False)
    assert missing == ["1.running_var"] and unexpected == ["extra"]
    np.testing.assert_array_equal(dst[0].weight.numpy(), src[0].weight.numpy())
    sd = src.state_dict()
    sd["0.weight"] = np.zeros((3, 3))
    with pytest.raises(nn.StateDictError, match="size mismatch for 0.weight"):
        dst.load_state_dict(sd, strict=False)  # a wrong shape is never silently skipped


# -- init ------------------------------------------------------------------------------------


def test_default_initialisation_bounds_are_torchs():
    tg.manual_seed(0)
    for layer, fan_in in ((nn.Linear(300, 200), 300), (nn.Conv2d(16, 32, 3), 16 * 9),
                          (nn.ConvTranspose2d(32, 16, 4), 16 * 16)):  # fan_in: W.shape[1] k k
        bound = 1 / math.sqrt(fan_in)
        for p in (layer.weight, layer.bias):
            assert np.abs(p.numpy()).max() <= bound
        assert np.abs(layer.weight.numpy()).max() > 0.98 * bound
        assert abs(layer.weight.numpy().std() - bound / math.sqrt(3)) < 0.05 * bound
    bn = nn.BatchNorm2d(4)
    assert (bn.weight.numpy() == 1).all() and (bn.bias.numpy() == 0).all()
    assert (bn.running_var.numpy() == 1).all() and int(bn.num_batches_tracked.item()) == 0
    emb = nn.Embedding(1000, 50)
    assert abs(emb.weight.numpy().std() - 1) < 0.02


def test_initialisation_is_reproducible_from_the_seed():
    tg.manual_seed(5)
    a = dcgan_generator(nn).state_dict()
    tg.manual_seed(5)
    b = dcgan_generator(nn).state_dict()
    c = dcgan_generator(nn).state_dict()
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["0.weight"], c["0.weight"])


@pytest.mark.parametrize("fill, expected_std", [
    (lambda t: nn.init.xavier_uniform_(t), math.sqrt(2 / (400 + 200))),
    (lambda t: nn.init.xavier_normal_(t, gain=2.0), 2 * math.sqrt(2 / (400 + 200))),
    (lambda t: nn.init.kaiming_uniform_(t, nonlinearity="relu"), math.sqrt(2 / 400)),
    (lambda t: nn.init.kaiming_normal_(t, a=0.2, mode="fan_out"), math.sqrt(2 / 1.04 / 200)),
    (lambda t: nn.init.normal_(t, 3.0, 0.5), 0.5),
    (lambda t: nn.init.uniform_(t, -1.0, 3.0), 4 / math.sqrt(12)),
])
def test_init_schemes_have_their_variance(fill, expected_std):
    t = nn.Parameter(tg.zeros(200, 400))  # fan_in 400, fan_out 200
    assert fill(t) is t
    assert t.dtype == np.float32
    assert abs(t.numpy().std() - expected_std) < 0.02 * expected_std


def test_calculate_gain_matches_torch():
    torch = pytest.importorskip("torch")
    for name, param in (("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None),
                        ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2)):
        assert nn.init.calculate_gain(name, param) == pytest.approx(
            torch.nn.init.calculate_gain(name, param), rel=1e-12)
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        nn.init.calculate_gain("swish")


def test_dcgan_init_recipe():
    tg.manual_seed(0)
    g = tg.models.dcgan_init(dcgan_generator(nn))
    for layer in (g[0], g[4], g[7]):
        w = layer.weight.numpy()
        assert abs(w.mean()) < 0.002 and abs(w.std() - 0.02) < 0.002
        assert (layer.bias.numpy() == 0).all()
    for bn in (g[1], g[5]):
        gamma = bn.weight.numpy()
        assert abs(gamma.mean() - 1) < 0.01 and 0.01 < gamma.std() < 0.03
        assert (bn.bias.numpy() == 0).all()
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        nn.init.xavier_uniform_(tg.zeros(3))
