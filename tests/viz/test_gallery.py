"""scripts/make_gallery.py makes its pictures from short real runs, each a small PNG."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _script():
    path = ROOT / "scripts" / "make_gallery.py"
    spec = importlib.util.spec_from_file_location("make_gallery", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _has_mnist() -> bool:
    from tinygan.data import MNISTError, load_mnist  # noqa: PLC0415

    try:
        load_mnist(split="test", download=False)
    except MNISTError:
        return False
    return True


def test_gallery_pictures_from_short_runs(tmp_path: Path) -> None:
    gallery = _script()
    mnist = _has_mnist()
    args = ["--out", str(tmp_path), "--gauss-steps", "60", "--ring-steps", "20",
            "--mnist-steps", "3"] + ([] if mnist else ["--skip-mnist"])
    assert gallery.main(args) == 0
    names = ["gauss1d_figure1.png", "ring2d.png"] + (["mnist_samples.png"] if mnist else [])
    for name in names:
        path = tmp_path / name
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert 5_000 < path.stat().st_size < 300_000, (name, path.stat().st_size)
    if not mnist:
        pytest.skip("MNIST not found (set TINYGAN_DATA): the MNIST picture was not checked")


def test_a_checkpoint_of_another_setup_is_refused(tmp_path: Path) -> None:
    import tinygan  # noqa: PLC0415
    from tinygan import models  # noqa: PLC0415

    gan = models.build("gauss1d").gan()
    path = tmp_path / "ckpt.npz"
    tinygan.save({**gan.state_dict(), "run": {"setup": "gauss1d"}}, path)
    with pytest.raises(SystemExit, match="expected a checkpoint of `tinygan train mlp-mnist`"):
        _script().main(["--out", str(tmp_path), "--gauss-steps", "1", "--ring-steps", "1",
                        "--mnist-checkpoint", str(path)])
