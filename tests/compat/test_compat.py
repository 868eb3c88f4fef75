"""PyTorch code runs on tinygan with the imports swapped (issue 12).

Each script of gan_scripts.py is run twice, unchanged: with ``torch``, ``torch.nn``,
``torch.nn.functional``, ``torch.optim``, ``torch.utils.data``, and with ``tinygan``,
``tinygan.nn``, ``tinygan.nn.functional``, ``tinygan.optim``, ``tinygan.utils.data``, in float64,
from the same initial weights (the PyTorch run's state_dicts, loaded strictly), on the same data
and noise, for 3 steps. Every loss and every trained weight must agree to 1e-10.

No script has a bias right before a BatchNorm: the norm removes it, so its gradient is pure
round-off, which Adam and RMSprop divide by its own size into steps of size lr - a comparison
of noise, not of the two libraries.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import pytest
from gan_scripts import SCRIPTS

import tinygan

IMAGE_SIZE = {"mlp_gan": 6, "dcgan": 64, "conditional_gan": 6, "wgan_clipped": 64,
              "wgan_gp": 6}


class Inputs:
    """What both runs read: data, noise, and the weights the first run hands to the second."""

    def __init__(self, script: str, record: bool, weights: dict[str, Any]) -> None:
        rng = np.random.default_rng(12)
        self.images = np.tanh(rng.standard_normal((24, IMAGE_SIZE[script])))
        self.labels = rng.integers(0, 3, 24)
        self.noise = rng.standard_normal((3, 8, 8))
        self.record, self.weights = record, weights

    def sync(self, model: Any, name: str) -> Any:
        if self.record:
            self.weights[name] = {k: v.detach().numpy().copy()
                                  for k, v in model.state_dict().items()}
        else:
            model.load_state_dict(self.weights[name], strict=True)
        return model


def _as_numpy(value: Any) -> np.ndarray:
    return value.detach().numpy() if hasattr(value, "detach") else np.asarray(value)


def _run_both(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    torch = pytest.importorskip("torch")
    importlib.import_module("torch.utils.data")
    weights: dict[str, Any] = {}
    old_torch, old_tg = torch.get_default_dtype(), tinygan.get_default_dtype()
    old_device, old_threads = tinygan.get_default_device(), torch.get_num_threads()
    try:
        torch.set_num_threads(1)  # one summation order, run after run
        torch.set_default_dtype(torch.float64)
        theirs = SCRIPTS[name](torch, torch.nn, torch.nn.functional, torch.optim,
                               torch.utils.data, Inputs(name, True, weights))
        tinygan.set_default_dtype(np.float64)
        # the scripts pick "cuda" only where torch.cuda.is_available(); else they are CPU code
        tinygan.set_default_device("cpu")
        ours = SCRIPTS[name](tinygan, tinygan.nn, tinygan.nn.functional, tinygan.optim,
                             tinygan.utils.data, Inputs(name, False, weights))
    finally:
        torch.set_default_dtype(old_torch)
        tinygan.set_default_dtype(old_tg)
        tinygan.set_default_device(old_device)
        torch.set_num_threads(old_threads)
    return ours, theirs


@pytest.fixture(autouse=True)
def _as_torch_sees_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The PyTorch run is a CPU build, so the scripts take their CPU path there; tinygan's run
    answers torch.cuda.is_available() the same way (under --device fakecuda it would say yes)."""
    monkeypatch.setattr(tinygan.cuda, "is_available", lambda: False)


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_script_runs_unchanged_and_agrees_with_torch(name: str):
    ours, theirs = _run_both(name)
    assert len(ours["losses"]) == len(theirs["losses"]) == 3
    np.testing.assert_allclose(np.array(ours["losses"]), np.array(theirs["losses"]),
                               rtol=1e-10, atol=1e-12)
    for model in ("G", "D"):
        assert list(ours[model]) == list(theirs[model])
        for key, value in theirs[model].items():
            got = _as_numpy(ours[model][key])
            assert got.dtype == _as_numpy(value).dtype, key
            np.testing.assert_allclose(got, _as_numpy(value), rtol=1e-10, atol=1e-12,
                                       err_msg=f"{name}: {model}.{key}")


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_the_weights_moved(name: str):
    """The agreement above is about training: three steps changed the weights."""
    ours, _ = _run_both(name)
    start = _run_start(name)
    for model in ("G", "D"):
        moved = [k for k, v in ours[model].items() if np.asarray(v).dtype.kind == "f"
                 and not np.allclose(np.asarray(v), start[model][k], rtol=0, atol=1e-6)]
        assert moved, f"{name}: no weight of {model} changed in 3 steps"


def _run_start(name: str) -> dict[str, Any]:
    """The initial weights of the PyTorch run (what sync hands over)."""
    torch = pytest.importorskip("torch")
    importlib.import_module("torch.utils.data")
    weights: dict[str, Any] = {}

    class Stop(Exception):
        pass

    class Recorder(Inputs):
        def sync(self, model: Any, key: str) -> Any:
            super().sync(model, key)
            if key == "D":
                raise Stop
            return model

    old = torch.get_default_dtype()
    try:
        torch.set_default_dtype(torch.float64)
        SCRIPTS[name](torch, torch.nn, torch.nn.functional, torch.optim, torch.utils.data,
                      Recorder(name, True, weights))
    except Stop:
        pass
    finally:
        torch.set_default_dtype(old)
    return weights
