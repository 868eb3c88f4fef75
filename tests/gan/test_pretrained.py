"""The shipped pretrained generators (tinygan.pretrained, tinygan sample --pretrained): every
file loads, draws digits the classifier reads, and is verified; bad names and broken files give
clear errors; the files are package data. None of this needs MNIST."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from script_modules import load_script

import tinygan
from tinygan import backend, cli
from tinygan.evaluation.classifier import classifier_score, predict
from tinygan.gan.pretrained import (
    PRETRAINED,
    WEIGHTS_FORMAT,
    PretrainedError,
    metrics_path,
    pretrained_setup,
    weights_path,
)

ROOT = Path(__file__).resolve().parents[2]


def draw(G, n, seed=0, labels=None):
    z = tinygan.tensor(np.random.default_rng(seed).standard_normal((n, G.latent_dim))
                       .astype(np.float32))
    with tinygan.no_grad():
        if G.num_classes is None:
            return G(z).numpy()
        return G(z, tinygan.tensor(np.asarray(labels, dtype=np.int64))).numpy()


@pytest.mark.parametrize("name", PRETRAINED)
def test_each_shipped_generator_draws_digits(name):
    G = tinygan.pretrained(name)
    assert not G.training, "pretrained() returns the generator in eval mode"
    assert G.setup_name == name and G.training_info["setup"] == name
    assert all(p.device == backend.get_default_device() for p in G.parameters())
    labels = np.arange(500) % 10
    x = draw(G, 500, labels=labels)
    assert x.shape == (500, 1, 28, 28) and x.dtype == np.float32
    assert x.min() >= -1.0 and x.max() <= 1.0 and np.isfinite(x).all()
    score = classifier_score(x)
    assert score["classes_covered"] == 10, score["class_counts"]
    assert score["mean_confidence"] > 0.8, score
    if name == "cgan-mnist":
        read = predict(x)[0].argmax(axis=1)
        assert np.mean(read == labels) > 0.85, "the conditional G draws the digit it is asked for"


@pytest.mark.parametrize("name", PRETRAINED)
def test_files_are_small_float32_with_their_metrics(name):
    path = weights_path(name)
    assert path.stat().st_size < 4_000_000, f"{path} is {path.stat().st_size} bytes"
    state = tinygan.load(path)
    assert state["format"] == WEIGHTS_FORMAT and state["setup"] == name
    assert {v.dtype for v in state["state_dict"].values()} == {np.dtype(np.float32)}
    metrics = json.loads(metrics_path(name).read_text())
    assert metrics["setup"] == name and metrics["weights"] == path.name
    assert metrics["weights_bytes"] == path.stat().st_size, "the metrics describe this file"
    assert metrics["training"]["steps"] == state["training"]["steps"] > 0
    ev = metrics["evaluation"]
    assert ev["n_samples"] == 10_000 and "parzen" in ev and "class_balance" in ev
    assert {"frechet_distance", "classes_covered", "class_counts"} <= set(ev["classifier"])
    assert tinygan.pretrained(name).metrics == metrics


def test_metrics_file_matches_the_weights():
    """The classifier's Fréchet distance recorded for mlp-mnist is reproduced from the file
    (same samples: seed and n as recorded)."""
    setup = pretrained_setup("mlp-mnist")
    recorded = setup.generator.metrics["evaluation"]
    samples = setup.gan().sample(recorded["n_samples"], seed=recorded["sample_seed"]).numpy()
    assert classifier_score(samples)["frechet_distance"] == pytest.approx(
        recorded["classifier"]["frechet_distance"], rel=1e-4)


def test_a_bad_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="valid names: mlp-mnist, dcgan-mnist, cgan-mnist"):
        tinygan.pretrained("dcgan")
    with pytest.raises(ValueError, match="no pretrained weights named 'gauss1d'"):
        tinygan.pretrained("gauss1d")


def test_loading_leaves_the_seeded_stream_alone():
    tinygan.manual_seed(3)
    expected = tinygan.randn(5).numpy()
    tinygan.manual_seed(3)
    tinygan.pretrained("mlp-mnist")
    np.testing.assert_array_equal(tinygan.randn(5).numpy(), expected)


def test_broken_files_are_named(tmp_path):
    name = "dcgan-mnist"
    target = weights_path(name, tmp_path)
    shutil.copyfile(weights_path(name), target)
    with open(target, "r+b") as f:  # cut the file in half, as an interrupted download
        f.truncate(target.stat().st_size // 2)
    with pytest.raises(PretrainedError, match=f"the weights file {target} is broken"):
        pretrained_setup(name, folder=tmp_path)

    target.unlink()
    with pytest.raises(PretrainedError, match=f"the weights file {target} is missing"):
        pretrained_setup(name, folder=tmp_path)

    shutil.copyfile(weights_path("mlp-mnist"), target)  # another set-up's file under this name
    with pytest.raises(PretrainedError, match="holds the weights of the set-up 'mlp-mnist'"):
        pretrained_setup(name, folder=tmp_path)

    tinygan.save({"step": 3}, target)  # a tinygan file of another kind
    with pytest.raises(PretrainedError, match="not pretrained generator weights"):
        pretrained_setup(name, folder=tmp_path)

    state = tinygan.load(weights_path(name))
    del state["state_dict"]["0.weight"]
    tinygan.save(state, target)
    with pytest.raises(PretrainedError, match="do not fit the set-up's generator"):
        pretrained_setup(name, folder=tmp_path)


# -- tinygan sample --pretrained ------------------------------------------------------------------


def test_cli_samples_as_from_a_checkpoint(tmp_path, capsys):
    out = tmp_path / "s.npy"
    assert cli.main(["sample", "--pretrained", "dcgan-mnist", "-n", "40", "--out", str(out)]) == 0
    x = np.load(out)
    assert x.shape == (40, 1, 28, 28) and x.dtype == np.float32
    assert x.min() >= -1.0 and x.max() <= 1.0
    np.testing.assert_array_equal(x, pretrained_setup("dcgan-mnist").gan().sample(40, seed=0)
                                  .numpy())
    assert "dcgan-mnist" in capsys.readouterr().out
    assert cli.main(["sample", "--pretrained", "mlp-mnist", "-n", "16", "--out",
                     str(tmp_path / "s.png")]) == 0
    assert (tmp_path / "s.png").stat().st_size > 1000


def test_cli_conditional_labels(tmp_path):
    out = tmp_path / "threes.npy"
    assert cli.main(["sample", "--pretrained", "cgan-mnist", "-n", "50", "--labels", "3",
                     "--out", str(out)]) == 0
    read = predict(np.load(out))[0].argmax(axis=1)
    assert np.mean(read == 3) > 0.9, np.bincount(read, minlength=10)


def test_cli_errors(tmp_path, capsys):
    out = str(tmp_path / "s.npy")
    assert cli.main(["sample", "--pretrained", "dcgan", "--out", out]) == 2
    assert "valid names: mlp-mnist, dcgan-mnist, cgan-mnist" in capsys.readouterr().err
    assert cli.main(["sample", "--out", out]) == 2
    assert "--pretrained" in capsys.readouterr().err
    assert cli.main(["sample", "ckpt.npz", "--pretrained", "mlp-mnist", "--out", out]) == 2
    assert "not both" in capsys.readouterr().err


# -- package data ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_files_are_in_a_built_wheel(tmp_path):
    pytest.importorskip("setuptools")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps",
                            "--no-build-isolation", "-q", "-w", str(tmp_path)],
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = tmp_path.glob("tinygan-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in PRETRAINED:
        assert f"tinygan/weights/{name}-generator.npz" in names
        assert f"tinygan/weights/{name}-generator.json" in names


@pytest.mark.slow
def test_the_script_that_makes_them_runs(tmp_path, monkeypatch, mnist_data):
    """scripts/make_notebook_weights.py 04 --steps 3 (scripts/pretrained_weights.py): a seeded
    `tinygan train` run, its G written in the shipped format with its metrics, loadable by the
    same loader."""
    make_notebook_weights = load_script("make_notebook_weights")
    assert make_notebook_weights.main(["04", "--steps", "3", "--out", str(tmp_path)]) == 0
    metrics = json.loads(metrics_path("mlp-mnist", tmp_path).read_text())
    assert metrics["training"]["steps"] == 3 and metrics["training"]["runs"][0]["to_step"] == 3
    G = pretrained_setup("mlp-mnist", folder=tmp_path).generator
    assert G.training_info["command"] == ("tinygan train mlp-mnist --steps 3 --seed 0 --pack 2 "
                                          "--ema 0.999 --r1 1")
    assert draw(G, 4).shape == (4, 1, 28, 28)


@pytest.mark.slow
def test_an_ema_run_ships_the_average_with_its_track_and_resumes(tmp_path, monkeypatch,
                                                                  mnist_data):
    """A run with --ema ships the moving average (what the run samples from), records the
    recipe in the command, the quality track and the nearest-neighbour distances; continuing
    it adds a log record whose wall time is that invocation's own."""
    pretrained_weights = load_script("pretrained_weights")
    monkeypatch.setitem(pretrained_weights.PRETRAINED_RUNS, "mlp-mnist",
                        {"steps": 10_000, "flags": ["--ema", "0.9", "--pack", "2"],
                         "track_every": 2})
    for steps in (4, 6):
        assert pretrained_weights.main(["mlp-mnist", "--steps", str(steps), "--out",
                                        str(tmp_path)]) == 0
    ckpt = tinygan.load(tmp_path / "runs" / "mlp-mnist" / "checkpoint.npz")
    shipped = tinygan.load(weights_path("mlp-mnist", tmp_path))["state_dict"]
    for key, value in ckpt["ema"]["averaged"].items():
        np.testing.assert_array_equal(shipped[key], value, err_msg=key)
    assert any(not np.array_equal(shipped[k], v) for k, v in ckpt["generator"].items())
    metrics = json.loads(metrics_path("mlp-mnist", tmp_path).read_text())
    training = metrics["training"]
    assert training["command"] == ("tinygan train mlp-mnist --steps 6 --seed 0 --pack 2 --ema 0.9 "
                                   "--r1 1")  # R1 from the default run: the flags name no --r1
    assert training["recipes"] == {"pack": 2, "ema": 0.9, "r1": 1.0}
    assert training["weights_of"] == "the moving average of G"
    assert [p["step"] for p in training["track"]] == [0, 2, 4, 6]
    assert "raw" in training["track"][-1]
    runs = training["runs"]
    assert [(r["from_step"], r["to_step"]) for r in runs] == [(0, 4), (4, 6)]
    assert training["wall_seconds"] == pytest.approx(ckpt["run"]["train_seconds"], abs=0.2)
    nn_report = metrics["evaluation"]["nearest_neighbour"]
    assert nn_report["n_samples"] == 500 and nn_report["n_train"] == 60_000
    assert nn_report["samples_median"] > 0
