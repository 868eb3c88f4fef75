"""The command line end to end on gauss1d (a few steps, in tmp_path): train, sample, eval, resume
after Ctrl-C, a loss gone NaN, and the clear errors of issue 4."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

import tinygan
from tinygan import cli
from tinygan.data import Gaussian1D


def train(out, *extra):
    return cli.main(["train", "gauss1d", "--steps", "30", "--checkpoint-every", "15", "--out",
                     str(out), "--quiet", *extra])


def test_train_sample_eval(tmp_path, capsys):
    out = tmp_path / "run"
    assert train(out) == 0
    for name in ("checkpoint.npz", "history.npz", "metrics.json", "losses.png", "samples.png",
                 "samples/step_000015.png", "samples/step_000030.png"):
        assert (out / name).is_file(), name
    history = np.load(out / "history.npz")
    np.testing.assert_array_equal(history["step"], np.arange(1, 31))
    assert {"loss_d", "value", "loss_g_non_saturating", "d_real", "d_fake"} <= set(history)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["setup"] == "gauss1d" and metrics["step"] == 30 and metrics["w1"] > 0
    assert tinygan.load(out / "checkpoint.npz")["step"] == 30
    capsys.readouterr()

    ckpt = str(out / "checkpoint.npz")
    assert cli.main(["sample", ckpt, "-n", "50", "--out", str(tmp_path / "s.npy")]) == 0
    samples = np.load(tmp_path / "s.npy")
    assert samples.shape == (50, 1) and samples.dtype == np.float32
    assert cli.main(["sample", ckpt, "-n", "50", "--out", str(tmp_path / "s.png")]) == 0
    assert (tmp_path / "s.png").stat().st_size > 1000
    capsys.readouterr()
    assert cli.main(["eval", ckpt]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["w1"] == metrics["w1"]  # same checkpoint, same seed, same number


def test_resume_after_ctrl_c_equals_uninterrupted(tmp_path, monkeypatch):
    assert train(tmp_path / "full") == 0

    real_draw = cli.draw_samples

    def draw_then_press_ctrl_c(setup, gan, path, **kw):
        real_draw(setup, gan, path, **kw)
        if gan.global_step == 15:
            os.kill(os.getpid(), signal.SIGINT)  # as if the user pressed Ctrl-C now

    monkeypatch.setattr(cli, "draw_samples", draw_then_press_ctrl_c)
    assert train(tmp_path / "cut") == 130
    assert tinygan.load(tmp_path / "cut" / "checkpoint.npz")["step"] == 15
    monkeypatch.setattr(cli, "draw_samples", real_draw)
    assert train(tmp_path / "cut", "--resume") == 0

    full = tinygan.load(tmp_path / "full" / "checkpoint.npz")
    cut = tinygan.load(tmp_path / "cut" / "checkpoint.npz")
    for part in ("generator", "discriminator"):
        for key, value in full[part].items():
            np.testing.assert_array_equal(value, cut[part][key], err_msg=f"{part}.{key}")
    for key in full["history"]:
        np.testing.assert_array_equal(full["history"][key], cut["history"][key], err_msg=key)
    assert (json.loads((tmp_path / "full" / "metrics.json").read_text())["w1"]
            == json.loads((tmp_path / "cut" / "metrics.json").read_text())["w1"])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_keeps_the_last_good_checkpoint(tmp_path, monkeypatch, capsys):
    calls = []
    real_sample = Gaussian1D.sample

    def sample_going_bad(self, n, device=None, dtype=None):
        calls.append(1)
        x = real_sample(self, n, device=device, dtype=dtype)
        if len(calls) >= 16:
            x.data[0, 0] = np.nan
        return x

    monkeypatch.setattr(Gaussian1D, "sample", sample_going_bad)
    assert train(tmp_path) == 1
    err = capsys.readouterr().err
    assert "training stopped at step 16" in err and "loss_d=nan" in err
    assert "the last good checkpoint, of step 15" in err
    assert tinygan.load(tmp_path / "checkpoint.npz")["step"] == 15


def test_errors_say_what_to_do(tmp_path, capsys):
    def fails(argv, *needles):
        assert cli.main(argv) == 2
        err = capsys.readouterr().err
        for needle in needles:
            assert needle in err, (needle, err)

    fails(["train", "gauss2d"], "unknown set-up 'gauss2d'", "gauss1d, ring2d, grid2d, mlp-mnist")
    (tmp_path / "a_file").write_text("x")
    fails(["train", "gauss1d", "--out", str(tmp_path / "a_file" / "run")],
          "cannot write to the output folder", "--out")
    fails(["train", "gauss1d", "--out", str(tmp_path / "new"), "--resume"],
          "no checkpoint at", "without --resume")
    empty = tmp_path / "no_mnist"
    empty.mkdir()
    fails(["train", "mlp-mnist", "--data", str(empty), "--out", str(tmp_path / "m")],
          "not found in", "--data")
    fails(["eval", str(tmp_path / "a_file")], "cannot be read as a tinygan checkpoint")
    fails(["sample", str(tmp_path / "missing.npz"), "--out", "x.png"], "no checkpoint at")
    fails(["sample", str(tmp_path / "missing.npz"), "--out", "x.jpg"], "must end in .png")


def test_checkpoint_of_another_setup(tmp_path, capsys):
    assert cli.main(["train", "gauss1d", "--steps", "2", "--out", str(tmp_path), "--quiet"]) == 0
    capsys.readouterr()
    assert cli.main(["train", "ring2d", "--out", str(tmp_path), "--resume"]) == 2
    err = capsys.readouterr().err
    assert "checkpoint of the set-up 'gauss1d', not 'ring2d'" in err
    assert cli.main(["train", "gauss1d", "--out", str(tmp_path), "--resume", "--k", "3"]) == 2
    assert "--k 3 differs from the resumed run's 1" in capsys.readouterr().err


def test_python_dash_m_runs_the_same_command_line():
    result = subprocess.run([sys.executable, "-m", "tinygan", "train", "no-such-setup"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "valid set-ups: gauss1d, ring2d, grid2d, mlp-mnist, dcgan-mnist, cgan-mnist" in (
        result.stderr)
