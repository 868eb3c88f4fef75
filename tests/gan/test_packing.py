"""PacGAN's packing on the MNIST set-ups (``pack=m``, ``tinygan train --pack M``)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygan
from tinygan import cli, models, nn
from tinygan.gan.networks import Pack


def test_images_pack_along_channels_and_flattened_packs_are_the_same_numbers():
    x = tinygan.tensor(np.arange(4 * 1 * 2 * 3, dtype=np.float32).reshape(4, 1, 2, 3))
    packed = Pack(2)(x).numpy()
    assert packed.shape == (2, 2, 2, 3)
    np.testing.assert_array_equal(packed[1, 0], x.numpy()[2, 0])  # image 2 is channel 0 of pack 1
    np.testing.assert_array_equal(packed[1, 1], x.numpy()[3, 0])
    flat = Pack(2)(x.reshape(4, 6)).numpy()
    np.testing.assert_array_equal(flat, packed.reshape(2, 12))


@pytest.mark.parametrize("name, first", [("mlp-mnist", nn.Linear), ("dcgan-mnist", nn.Conv2d)])
def test_a_packed_d_scores_one_logit_per_pack(name, first):
    tinygan.manual_seed(0)
    setup = models.build(name, pack=2)
    d = setup.discriminator
    layer = next(m for m in d.modules() if isinstance(m, first))
    assert (layer.in_features == 784 * 2) if first is nn.Linear else (layer.in_channels == 2)
    assert any(isinstance(m, Pack) and m.m == 2 for m in d.modules())
    out = d(tinygan.randn(8, 1, 28, 28))
    assert out.shape == (4, 1)
    assert not any(isinstance(m, Pack) for m in models.build(name).discriminator.modules())


@pytest.mark.parametrize("options, message", [
    ({"pack": 0}, "pack must be a whole number of samples >= 1, got 0"),
    ({"pack": 3}, "a batch of 128 samples does not split into packs of 3"),
    ({"pack": 2, "loss": "wgan-gp"}, "WGAN-GP's critic judges single samples"),
])
def test_bad_packs_are_refused_when_the_set_up_is_built(options, message):
    with pytest.raises(ValueError, match=message):
        models.build("mlp-mnist", **options)


def test_the_command_line_records_the_pack_and_a_resumed_run_keeps_it(tmp_path, capsys,
                                                                       mnist_data):
    data = mnist_data
    out = str(tmp_path / "run")
    base = ["train", "mlp-mnist", "--data", data, "--out", out, "--quiet"]
    assert cli.main([*base, "--pack", "2", "--steps", "2"]) == 0
    state = tinygan.load(tmp_path / "run" / "checkpoint.npz")
    assert state["run"]["pack"] == 2 and "2.weight" in state["discriminator"]
    assert cli.main([*base, "--steps", "3", "--resume"]) == 0
    assert tinygan.load(tmp_path / "run" / "checkpoint.npz")["step"] == 3
    capsys.readouterr()
    assert cli.main([*base, "--steps", "4", "--resume", "--pack", "4"]) == 2
    assert "--pack 4 differs from the resumed run's 2" in capsys.readouterr().err
    assert cli.main(["train", "cgan-mnist", "--pack", "2", "--out", str(tmp_path / "c")]) == 2
    assert "cgan-mnist's D has no packing" in capsys.readouterr().err


def test_the_default_mlp_run_takes_its_recipe_and_flags_turn_each_part_off(tmp_path,
                                                                            mnist_data):
    data = mnist_data

    def run(*flags):
        out = tmp_path / "-".join(flags or ("default",))
        assert cli.main(["train", "mlp-mnist", "--data", data, "--out", str(out), "--quiet",
                         "--steps", "2", *flags]) == 0
        return tinygan.load(out / "checkpoint.npz")

    default = run()
    assert (default["run"]["pack"], default["run"]["ema"], default["run"]["r1"]) == (2, 0.999, 1.0)
    assert default["ema"]["beta"] == 0.999 and "2.weight" in default["discriminator"]
    assert default["history"]["r1_penalty"].shape == (2,)
    plain = run("--ema", "0", "--pack", "1", "--r1", "0")
    assert (plain["run"]["pack"], plain["run"]["ema"]) == (1, None) and not plain.get("ema")
    assert plain["run"]["r1"] == 0.0 and "r1_penalty" not in plain["history"]
    wgan = run("--loss", "wgan-gp")
    assert wgan["run"]["pack"] is None and wgan["run"]["ema"] is None and wgan["run"]["r1"] is None
