"""``tinygan upscale`` (issue 15): a checkpoint of srresnet-mnist upscales (N, 1, 7, 7) to
(N, 1, 28, 28) in [-1, 1] (.npy) or a grid (.png), the same as the library; every bad input is
one line naming what was expected and what came, exit status 2, and nothing is written."""

from __future__ import annotations

import numpy as np
import pytest

import tinygan as tg
from tinygan import cli
from tinygan.gan import superres_setups
from tinygan.gan.superres import degrade


@pytest.fixture(scope="module")
def run(tmp_path_factory, mnist_files):
    out = tmp_path_factory.mktemp("sr")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TINYGAN_DATA", mnist_files)
        mp.setattr(superres_setups, "EVAL_IMAGES", 100)
        assert cli.main(["train", "srresnet-mnist", "--steps", "2", "--batch-size", "8",
                         "--out", str(out / "srresnet"), "--quiet"]) == 0
        assert cli.main(["train", "gauss1d", "--steps", "2", "--out", str(out / "gauss"),
                         "--quiet"]) == 0
    images, _ = tg.data.load_mnist(mnist_files, "test")
    lr = degrade(images[:6])
    np.save(out / "lr.npy", lr)
    return out, lr


def upscale(*args):
    return cli.main(["upscale", *map(str, args)])


def test_upscale_writes_what_the_library_computes(run, capsys):
    out, lr = run
    ckpt = out / "srresnet" / "checkpoint.npz"
    assert upscale(ckpt, out / "lr.npy", "--out", out / "hr.npy") == 0
    assert "upscaled 6 images" in capsys.readouterr().out
    hr = np.load(out / "hr.npy")
    assert hr.shape == (6, 1, 28, 28) and hr.dtype == np.float32
    assert np.abs(hr).max() <= 1.0
    setup, gan = cli.common.restore(cli.common.load_checkpoint(ckpt), ckpt,
                                    tg.backend.get_device("cpu"))
    np.testing.assert_array_equal(hr, gan.upscale(lr))
    assert upscale(ckpt, out / "lr.npy", "--out", out / "hr.png") == 0
    assert (out / "hr.png").stat().st_size > 0


def _bad(run, tmp_path, capsys, array, message, checkpoint=None):
    out, _ = run
    path = tmp_path / "in.npy"
    np.save(path, array)
    ckpt = checkpoint or out / "srresnet" / "checkpoint.npz"
    assert upscale(ckpt, path, "--out", tmp_path / "o.npy") == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err, err
    assert not (tmp_path / "o.npy").exists()


def test_wrong_shape(run, tmp_path, capsys):
    _bad(run, tmp_path, capsys, np.zeros((3, 1, 28, 28), np.float32),
         "expected low-resolution images of shape (N, 1, 7, 7)")
    _bad(run, tmp_path, capsys, np.zeros((3, 1, 28, 28), np.float32), "degrade them first")
    _bad(run, tmp_path, capsys, np.zeros((7, 7), np.float32), "got shape (7, 7)")


def test_wrong_range_nan_and_dtype(run, tmp_path, capsys):
    x = np.zeros((2, 1, 7, 7))
    x[0, 0, 2, 2] = 200.0
    _bad(run, tmp_path, capsys, x, "expected pixel values in [-1, 1], got values in [0, 200]")
    _bad(run, tmp_path, capsys, x, "x / 127.5 - 1")
    x = np.zeros((2, 1, 7, 7))
    x[1, 0, 3, 3] = np.nan
    _bad(run, tmp_path, capsys, x, "1 NaN or infinite value(s) (the first in image 1)")
    x[0, 0, 0, :2] = -np.inf
    _bad(run, tmp_path, capsys, x, "3 NaN or infinite value(s) (the first in image 0)")
    _bad(run, tmp_path, capsys, np.array([["a"] * 49]).reshape(1, 1, 7, 7),
         "expected numbers")


def test_another_set_ups_checkpoint_and_bad_files(run, tmp_path, capsys):
    out, lr = run
    _bad(run, tmp_path, capsys, lr, "is a checkpoint of gauss1d, which does not upscale",
         checkpoint=out / "gauss" / "checkpoint.npz")
    ckpt = out / "srresnet" / "checkpoint.npz"
    assert upscale(ckpt, tmp_path / "missing.npy", "--out", tmp_path / "o.npy") == 2
    assert "no input file" in capsys.readouterr().err
    (tmp_path / "junk.npy").write_bytes(b"not numpy")
    assert upscale(ckpt, tmp_path / "junk.npy", "--out", tmp_path / "o.npy") == 2
    assert "cannot be read as a NumPy .npy array" in capsys.readouterr().err
    assert upscale(ckpt, out / "lr.npy", "--out", tmp_path / "o.jpg") == 2
    assert "must end in .npy" in capsys.readouterr().err
    assert upscale(tmp_path / "none.npz", out / "lr.npy", "--out", tmp_path / "o.npy") == 2
    assert "no checkpoint" in capsys.readouterr().err
