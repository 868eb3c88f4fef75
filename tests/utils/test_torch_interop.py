"""Weights to and from PyTorch without tinygan unpickling: tinygan.load reads torch.save's
files (zip and legacy) through torch's weights_only loader, refuses pickled objects, says what
to do where torch is missing; save_torch writes files torch.load(weights_only=True) reads."""

from __future__ import annotations

import builtins
import os

import numpy as np
import pytest

import tinygan
from tinygan import nn
from tinygan.utils import torch_interop


def _net(m):
    return m.Sequential(m.Linear(3, 4), m.BatchNorm1d(4), m.ReLU(), m.Linear(4, 1))


@pytest.mark.parametrize("zipfile", [True, False])
def test_load_a_torch_state_dict_into_the_same_model(tmp_path, zipfile):
    torch = pytest.importorskip("torch")
    theirs = _net(torch.nn).double()
    theirs(torch.randn(5, 3, dtype=torch.float64))  # running statistics off 0 and 1
    path = os.path.join(tmp_path, "net.pth")
    torch.save(theirs.state_dict(), path, _use_new_zipfile_serialization=zipfile)
    sd = tinygan.load(path)
    assert set(sd) == set(theirs.state_dict()) and isinstance(sd["0.weight"], np.ndarray)
    ours = _net(nn).double()
    ours.load_state_dict(sd, strict=True)
    theirs.eval()
    ours.eval()
    x = np.random.default_rng(0).standard_normal((2, 3))
    np.testing.assert_allclose(ours(tinygan.tensor(x)).numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12)


def test_nested_checkpoints_come_back_as_arrays(tmp_path):
    torch = pytest.importorskip("torch")
    path = os.path.join(tmp_path, "ckpt.pt")
    torch.save({"G": {"w": torch.ones(2)}, "epoch": 3, "hist": [torch.zeros(1)]}, path)
    ckpt = tinygan.load(path, device="cpu")
    assert ckpt["epoch"] == 3 and ckpt["G"]["w"].tolist() == [1.0, 1.0]
    assert isinstance(ckpt["hist"][0], np.ndarray)


class Payload:
    """Something a weights-only loader must not rebuild."""


def test_a_pickled_object_is_refused_with_the_file_named(tmp_path):
    torch = pytest.importorskip("torch")
    path = os.path.join(tmp_path, "model.pth")
    torch.save({"model": Payload()}, path)
    with pytest.raises(ValueError, match=r"model\.pth.*weights_only=True"):
        tinygan.load(path)


def test_without_torch_the_message_names_the_file_and_the_fix(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    path = os.path.join(tmp_path, "netG.pth")
    torch.save({"w": torch.ones(1)}, path)
    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("No module named 'torch'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    with pytest.raises(ImportError, match=r"netG\.pth.*PyTorch file.*pip install torch"):
        tinygan.load(path)


def test_save_torch_writes_what_torch_loads_weights_only(tmp_path):
    torch = pytest.importorskip("torch")
    ours = _net(nn)
    path = os.path.join(tmp_path, "G.pt")
    torch_interop.save_torch(ours.state_dict(), path)
    sd = torch.load(path, weights_only=True)
    theirs = _net(torch.nn)
    theirs.load_state_dict(sd, strict=True)
    for key, value in ours.state_dict().items():
        np.testing.assert_array_equal(sd[key].numpy(), value)
    # and tinygan reads its own export back
    back = tinygan.load(path)
    np.testing.assert_array_equal(back["0.weight"], ours.state_dict()["0.weight"])


def test_is_torch_file_tells_the_formats_apart(tmp_path):
    npz = os.path.join(tmp_path, "ckpt.npz")
    tinygan.save({"w": np.ones(2)}, npz)
    assert not torch_interop.is_torch_file(npz)
    text = os.path.join(tmp_path, "notes.pth")
    with open(text, "w") as f:
        f.write("not weights")
    assert not torch_interop.is_torch_file(text)
    with pytest.raises(tinygan.serialization.CheckpointError, match="not an .npz"):
        tinygan.load(text)


def test_map_location_is_device(tmp_path):
    path = os.path.join(tmp_path, "ckpt.npz")
    tinygan.save({"w": np.ones(2)}, path)
    assert tinygan.load(path, map_location="cpu")["w"].tolist() == [1.0, 1.0]
