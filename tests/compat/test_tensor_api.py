"""PyTorch's spellings on tinygan (issue 12): Tensor methods, Parameter.data's in-place idioms,
the top-level functions and names, cuda / backends.cudnn / device, the tensor types, dim= and
keepdim=, dtype promotion, torch.Tensor([...]), and the GAN step record as a mapping."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import tinygan
import tinygan as torch  # the swap these tests are about
from tinygan import nn


def test_size_is_the_count_and_the_method():
    x = torch.zeros(4, 3, 2)
    assert x.size == 24 and x.size() == (4, 3, 2) and x.size(0) == 4 and x.size(-1) == 2
    assert x.dim() == 3 and x.numel() == 24 and x.nelement() == 24
    assert sum(p.size for p in nn.Linear(3, 2).parameters()) == 8
    with pytest.raises(IndexError, match="out of range"):
        x.size(3)


def test_shape_methods_match_torch():
    real = pytest.importorskip("torch")
    a = np.arange(24.0).reshape(2, 3, 1, 4)
    ours, theirs = torch.tensor(a), real.tensor(a)
    pairs = [
        (ours.view(6, -1), theirs.view(6, -1)),
        (ours.view(ours.size(0), -1), theirs.view(theirs.size(0), -1)),
        (ours.squeeze(), theirs.squeeze()),
        (ours.squeeze(2), theirs.squeeze(2)),
        (ours.squeeze(1), theirs.squeeze(1)),
        (ours.unsqueeze(0), theirs.unsqueeze(0)),
        (ours.unsqueeze(-1), theirs.unsqueeze(-1)),
        (ours.expand(2, 3, 5, 4), theirs.expand(2, 3, 5, 4)),
        (ours.repeat(1, 2, 2, 1), theirs.repeat(1, 2, 2, 1)),
        (ours.swapaxes(1, 3), theirs.transpose(1, 3)),
        (ours.sum(dim=1, keepdim=True), theirs.sum(dim=1, keepdim=True)),
        (ours.mean(dim=(1, 3)), theirs.mean(dim=(1, 3))),
        (ours.max(dim=3), theirs.amax(dim=3)),
        (ours.var(dim=1, unbiased=True), theirs.var(dim=1)),
        (ours.std(dim=3, unbiased=True), theirs.std(dim=3)),
        (ours.norm(), theirs.norm()),
        (ours.norm(p=1, dim=1), theirs.norm(p=1, dim=1)),
        (ours.clamp(2.0, 9.0), theirs.clamp(2.0, 9.0)),
        (ours.argmax(dim=1), theirs.argmax(dim=1)),
        (torch.mean(ours, dim=1), real.mean(theirs, dim=1)),
        (torch.sum(ours, 1, True), real.sum(theirs, 1, True)),
        (torch.max(ours, 1)[1], real.max(theirs, 1)[1]),
        (torch.max(ours, 1).values, real.max(theirs, 1).values),
        (torch.cat([ours, ours], dim=1), real.cat([theirs, theirs], dim=1)),
        (torch.stack([ours, ours], dim=0), real.stack([theirs, theirs], dim=0)),
        (torch.flatten(ours, 1), real.flatten(theirs, 1)),
        (torch.clamp(ours, max=3.0), real.clamp(theirs, max=3.0)),
        (torch.var(ours, 1), real.var(theirs, 1)),
        (ours[0, :, 0].t(), theirs[0, :, 0].t()),
    ]
    for k, (got, want) in enumerate(pairs):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, err_msg=str(k))
        assert got.shape == tuple(want.shape), k


def test_fill_zero_normal_uniform_copy_in_place():
    torch.manual_seed(0)
    label = torch.full((5,), 1.0)
    assert label.fill_(0.0) is label and label.tolist() == [0.0] * 5
    x = torch.zeros(2000).normal_(3.0, 0.5)
    assert abs(x.numpy().mean() - 3.0) < 0.05 and abs(x.numpy().std() - 0.5) < 0.05
    u = torch.zeros(2000).uniform_(-1.0, 1.0)
    assert u.numpy().min() >= -1.0 and u.numpy().max() < 1.0 and u.numpy().std() > 0.5
    assert u.zero_().numpy().max() == 0.0
    assert torch.zeros(3).copy_(torch.tensor([1.0, 2.0, 3.0])).tolist() == [1.0, 2.0, 3.0]
    assert torch.tensor([-2.0, 0.5, 3.0]).clamp_(-1, 1).tolist() == [-1.0, 0.5, 1.0]


def test_in_place_on_a_tensor_that_requires_grad_is_refused_unless_no_grad():
    w = torch.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w.normal_()
    with torch.no_grad():
        w.fill_(2.0)
    assert w.tolist() == [2.0, 2.0, 2.0]


def test_parameter_data_is_the_array_with_torch_in_place_methods():
    torch.manual_seed(0)
    conv = nn.Conv2d(1, 64, 4, device="cpu")  # on a GPU .data is the bare CuPy array (README)
    conv.weight.data.normal_(0.0, 0.02)
    conv.bias.data.fill_(0)
    assert abs(conv.weight.numpy().std() - 0.02) < 0.003 and conv.bias.numpy().max() == 0.0
    assert conv.weight.data.size(0) == 64 and conv.weight.data.size() == (64, 1, 4, 4)
    assert isinstance(conv.weight.data, np.ndarray)  # still the raw array a student inspects
    before = conv.weight.numpy()
    conv.weight.data.clamp_(-0.01, 0.01)  # WGAN's weight clipping
    np.testing.assert_array_equal(conv.weight.numpy(), before.clip(-0.01, 0.01))
    nn.init.normal_(conv.weight.data, 1.0, 0.02)  # nn.init on .data, as the DCGAN tutorial
    assert abs(conv.weight.numpy().mean() - 1.0) < 0.01
    # arithmetic on it gives plain arrays, so the views never spread into the ops
    assert type(conv.weight.data * 2) is np.ndarray
    w = conv.weight.data
    rows = w.reshape(64, -1)
    for result in (np.sqrt(abs(w)), w + w, rows @ rows.T, w.sum(axis=0)):
        assert type(result) is np.ndarray
    assert type(w.sum()) is np.float32  # a reduction to one value is a scalar, as on arrays
    before = conv.weight.numpy()
    conv.weight.data -= 1.0  # in place on the view: the parameter changes
    np.testing.assert_array_equal(conv.weight.numpy(), before - 1.0)
    assert type(conv(torch.ones(1, 1, 4, 4, device="cpu")).data) is np.ndarray
    assert type(conv.state_dict()["weight"]) is np.ndarray


def test_types_long_float_type_and_tensor_types():
    x = torch.tensor([1.7, -2.2], device="cpu")
    assert x.long().dtype == np.int64 and x.long().tolist() == [1, -2]
    assert x.type() == "tinygan.FloatTensor" and x.long().type() == "tinygan.LongTensor"
    assert x.type(torch.DoubleTensor).dtype == np.float64
    assert x.type(torch.LongTensor).dtype == np.int64
    assert x.type("torch.DoubleTensor").dtype == np.float64
    assert x.type_as(torch.zeros(1, dtype=np.float64)).dtype == np.float64
    assert torch.FloatTensor(2, 3).shape == (2, 3) and torch.FloatTensor(2, 3).dtype == np.float32
    assert torch.FloatTensor(np.zeros(3)).dtype == np.float32
    assert torch.LongTensor([1, 2]).dtype == np.int64
    assert torch.Tensor([1, 2]).dtype == np.float32  # torch.Tensor(list): the default dtype
    assert torch.float32 == np.float32 and torch.long == np.int64 and torch.float == np.float32
    with pytest.raises(TypeError, match="unknown tensor type"):
        x.type("torch.QuantumTensor")
    v = torch.autograd.Variable(torch.ones(2), requires_grad=True)
    assert v.requires_grad and torch.autograd.Variable(v) is v
    assert not x.is_cuda


def test_float_tensor_with_integer_tensor_stays_float32():
    x = torch.ones(3) + torch.tensor([1, 2, 3])
    assert x.dtype == np.float32 and x.tolist() == [2.0, 3.0, 4.0]
    y = torch.tensor([1, 2, 3]) * torch.ones(3, dtype=np.float64)
    assert y.dtype == np.float64


def test_cuda_device_and_cudnn_answer_honestly():
    assert torch.cuda.is_available() == tinygan.backend.cupy_available()
    assert torch.cuda.device_count() == (1 if torch.cuda.is_available() else 0)
    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    assert device.type in ("cpu", "cuda") and torch.device("cpu") == "cpu"
    cudnn = importlib.import_module("tinygan.backends.cudnn")
    cudnn.benchmark = True
    assert torch.backends.cudnn is cudnn
    importlib.import_module("tinygan.cuda").manual_seed_all(0)
    assert importlib.import_module("tinygan.nn.parallel").data_parallel is not None
    with pytest.raises(ValueError, match="one device"):
        torch.device("cuda:1")


def test_random_creation_functions():
    torch.manual_seed(1)
    z = torch.normal(0.0, 1.0, size=(4000,))
    assert abs(z.numpy().mean()) < 0.05 and abs(z.numpy().std() - 1) < 0.05
    labels = torch.randint(0, 10, (500,))
    assert labels.dtype == np.int64 and labels.numpy().min() == 0 and labels.numpy().max() == 9
    assert torch.randint(3, (4,)).numpy().max() < 3
    x = torch.zeros(2, 3, dtype=np.float64)
    filled = torch.full_like(x, 7)
    assert filled.tolist() == [[7.0] * 3] * 2 and filled.dtype == x.dtype
    assert torch.randn_like(x).shape == (2, 3) and torch.rand_like(x).dtype == np.float64
    assert torch.empty(2, 2).shape == (2, 2) and torch.is_tensor(x) and torch.numel(x) == 6
    a = np.ones(3)
    t = torch.from_numpy(a)
    a[0] = 5.0
    assert t.tolist()[0] == 5.0  # shares memory, as torch.from_numpy


def test_step_record_is_a_mapping():
    from tinygan.gan.training import StepRecord

    record = StepRecord(step=1, loss_d=1.2, loss_g_zero_sum=-1.2, value=-1.2,
                        loss_g_non_saturating=0.7, d_real=0.6, d_fake=0.4, grad_norm_g=0.1,
                        grad_norm_d=0.2)
    assert "loss_d" in record and "loss_x" not in record and 0 not in record
    assert list(record) == record.keys() and len(record) == 9
    assert dict(record)["loss_d"] == 1.2 and dict(record) == dict(record.items())
    with pytest.raises(KeyError, match="no term"):
        record["loss_x"]


def test_a_gan_step_record_answers_in():
    tinygan.manual_seed(0)
    g, d = nn.Linear(2, 2), nn.Linear(2, 1)
    gan = tinygan.GAN(g, d, tinygan.optim.Adam(g.parameters()), tinygan.optim.Adam(d.parameters()),
                      latent_dim=2)
    record = gan.step(tinygan.randn(8, 2))
    assert "loss_d" in record and set(dict(record)) == set(record.keys())


def test_transpose_of_two_axes_swaps_them_as_torch():
    real = pytest.importorskip("torch")
    a = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(torch.tensor(a).transpose(0, 2).numpy(),
                                  real.tensor(a).transpose(0, 2).numpy())
    m = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(torch.tensor(m).transpose(0, 1).numpy(), m.T)
    np.testing.assert_array_equal(torch.tensor(a).transpose().numpy(), a.transpose())
    np.testing.assert_array_equal(torch.tensor(a).transpose(2, 0, 1).numpy(), a.transpose(2, 0, 1))
    x = torch.tensor(a, requires_grad=True)
    assert tinygan.gradcheck(lambda x: x.transpose(1, 2), x.double())


def test_to_takes_a_dtype_a_device_or_a_tensor_as_torch():
    x = torch.tensor([1.5, -2.0], requires_grad=True, device="cpu")
    assert x.to("cpu") is x and x.to(torch.float32) is x
    y = x.to(torch.float64)
    assert y.dtype == np.float64 and y.requires_grad
    assert x.to("cpu", dtype=torch.float64).dtype == np.float64
    assert x.to(torch.zeros(1, dtype=np.int64, device="cpu")).dtype == np.int64
    y.sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [1.0, 1.0]


def test_zeros_like_and_ones_like_take_dtype_and_device():
    x = torch.ones(2, 3)
    assert torch.zeros_like(x, dtype=torch.float64).dtype == np.float64
    assert torch.ones_like(x, device="cpu").tolist() == [[1.0] * 3] * 2
    assert torch.ones_like(x).dtype == x.dtype


def test_add_module_builds_a_sequential_as_torch():
    real = pytest.importorskip("torch")

    def build(m):
        main = m.Sequential()
        main.add_module("initial:4-3:convt", m.Linear(4, 3))
        main.add_module("initial:3:relu", m.ReLU())
        main.add_module("final:3-1:linear", m.Linear(3, 1))
        return main

    ours, theirs = build(nn).double(), build(real.nn).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: real.from_numpy(v) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 4))
    np.testing.assert_allclose(ours(torch.tensor(x)).numpy(),
                               theirs(real.tensor(x)).detach().numpy(), rtol=1e-12)
    with pytest.raises(TypeError, match="not a Module"):
        ours.add_module("x", 3)


def test_one_hot_and_normal_with_tensor_arguments():
    real = pytest.importorskip("torch")
    labels = np.array([2, 0, 1, 2])
    np.testing.assert_array_equal(
        torch.nn.functional.one_hot(torch.tensor(labels), 4).numpy(),
        real.nn.functional.one_hot(real.tensor(labels), 4).numpy())
    assert torch.nn.functional.one_hot(torch.tensor(labels)).shape == (4, 3)
    torch.manual_seed(0)
    mean = torch.full((3000,), 2.0, dtype=np.float64)
    z = torch.normal(mean, 0.5)
    assert z.dtype == np.float64 and abs(z.numpy().mean() - 2.0) < 0.05


def test_linspace_eye_randperm_transpose_reshape_as_torch():
    real = pytest.importorskip("torch")
    np.testing.assert_allclose(torch.linspace(-1, 1, 7).numpy(), real.linspace(-1, 1, 7).numpy(),
                               atol=1e-7)
    np.testing.assert_array_equal(torch.eye(3, 2).numpy(), real.eye(3, 2).numpy())
    torch.manual_seed(0)
    perm = torch.randperm(10)
    assert perm.dtype == np.int64 and sorted(perm.tolist()) == list(range(10))
    a = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(torch.transpose(torch.tensor(a), 0, 2).numpy(),
                                  real.transpose(real.tensor(a), 0, 2).numpy())
    assert torch.reshape(torch.tensor(a), (6, 4)).shape == (6, 4)


def test_assigning_a_tensor_to_parameter_data_stores_its_array():
    lin = nn.Linear(2, 2, device="cpu")
    lin.weight.data = torch.ones(2, 2, device="cpu")
    assert type(lin.weight.data) is not torch.Tensor and lin.weight.numpy().sum() == 4.0
    lin.weight.data = lin.weight.data * 0.5
    assert lin(torch.ones(1, 2, device="cpu")).shape == (1, 2) and lin.weight.numpy().max() == 0.5


def test_norm_of_zero_has_the_nan_gradient_the_readme_names():
    x = torch.zeros(3, requires_grad=True, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        x.norm().backward()
    assert np.isnan(tinygan.backend.to_numpy(x.grad)).all()
