"""The late decay of both learning rates (recipes.LinearDecay, decay_learning_rates,
lr_scheduler.LambdaLR, tinygan train --lr-decay)."""

import numpy as np
import pytest

import tinygan
from tinygan import cli, models
from tinygan.gan import recipes
from tinygan.optim.lr_scheduler import LambdaLR


def test_linear_decay_is_one_then_a_straight_line_to_zero():
    f = recipes.LinearDecay(start=100, end=300)
    t = np.arange(0, 400)
    expected = np.clip((300 - t) / 200, 0.0, 1.0)
    assert [f(int(s)) for s in t] == pytest.approx(expected.tolist(), abs=0)
    assert f(100) == 1.0 and f(200) == 0.5 and f(300) == 0.0


@pytest.mark.parametrize("start, end, why", [
    (10, 10, "not before the run's last step 10"),
    (12, 10, "not before"),
    (-1, 10, "start must be a step number >= 0"),
    (1.5, 10, "start must be a step number"),
    (True, 10, "start must be"),
])
def test_bad_decays_are_clear_errors(start, end, why):
    with pytest.raises(ValueError, match=why):
        recipes.LinearDecay(start, end)


def _optimizer(lr=0.1):
    return tinygan.optim.Adam([tinygan.nn.Parameter(tinygan.zeros(3))], lr=lr)


def test_lambda_lr_sets_base_times_factor_and_its_state_resumes():
    opt = _optimizer()
    sched = LambdaLR(opt, lambda t: 1.0 / (1 + t))
    assert sched.get_last_lr() == [0.1]
    for _ in range(3):
        sched.step()
    assert sched.get_last_lr() == pytest.approx([0.1 / 4])
    other = LambdaLR(_optimizer(), lambda t: 1.0 / (1 + t))
    other.load_state_dict(sched.state_dict())
    assert other.last_epoch == 3 and other.get_last_lr() == pytest.approx([0.1 / 4])
    with pytest.raises(TypeError, match="lr_lambda must be a function"):
        LambdaLR(opt, 0.5)


def test_lambda_lr_against_torch():
    torch = pytest.importorskip("torch")
    factor = recipes.LinearDecay(2, 7)
    mine = LambdaLR(_optimizer(2e-4), factor)
    theirs = torch.optim.lr_scheduler.LambdaLR(
        torch.optim.Adam([torch.zeros(3, requires_grad=True)], lr=2e-4), factor)
    for _ in range(9):
        assert mine.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-15)
        mine.step()
        theirs.optimizer.step()
        theirs.step()


def test_both_rates_follow_the_decay_step_by_step():
    tinygan.manual_seed(0)
    gan = recipes.decay_learning_rates(models.build("mlp-mnist", batch_size=8).gan(), 2, 6)
    real = tinygan.rand(8, 1, 28, 28) * 2 - 1
    seen = []
    for _ in range(7):
        seen.append((gan.g_optimizer.param_groups[0]["lr"], gan.d_optimizer.param_groups[0]["lr"]))
        gan.step(real)
    expected = [2e-4 * min(1.0, max(0.0, (6 - t) / 4)) for t in range(7)]
    assert [g for g, _ in seen] == pytest.approx(expected, rel=1e-12)
    assert [d for _, d in seen] == pytest.approx(expected, rel=1e-12)


def test_decay_is_refused_on_a_scheduled_gan_and_past_its_start():
    with pytest.raises(ValueError, match="already has a learning-rate schedule"):
        recipes.decay_learning_rates(models.build("gauss1d").gan(), 10, 20)
    gan = models.build("mlp-mnist", batch_size=8).gan()
    gan.step(tinygan.rand(8, 1, 28, 28) * 2 - 1)
    with pytest.raises(ValueError, match="at step 1, past the decay's start 0"):
        recipes.decay_learning_rates(gan, 0, 5)


def test_resume_may_add_the_decay_and_ends_bit_for_bit_where_a_decayed_run_does(tmp_path,
                                                                                 capsys,
                                                                                 mnist_data):
    base = ["train", "mlp-mnist", "--data", mnist_data, "--batch-size", "8", "--quiet"]
    whole, part = str(tmp_path / "whole"), str(tmp_path / "part")
    assert cli.main([*base, "--out", whole, "--steps", "6", "--lr-decay", "3"]) == 0
    assert cli.main([*base, "--out", part, "--steps", "3"]) == 0
    capsys.readouterr()
    assert cli.main([*base, "--out", part, "--steps", "6", "--resume", "--lr-decay", "2"]) == 2
    err = capsys.readouterr().err
    assert "--lr-decay 2 differs from the resumed run's none" in err
    assert "not behind the checkpoint's 3" in err
    assert cli.main([*base, "--out", part, "--steps", "6", "--resume", "--lr-decay", "3"]) == 0
    a, b = (tinygan.load(tmp_path / name / "checkpoint.npz") for name in ("whole", "part"))
    assert a["run"]["lr_decay"] == b["run"]["lr_decay"] == 3
    assert a["g_scheduler"] == b["g_scheduler"] == {"base_lrs": [2e-4], "last_epoch": 6}
    assert a["g_optimizer"]["param_groups"][0]["lr"] == 0.0
    for net in ("generator", "discriminator"):
        for key, value in a[net].items():
            np.testing.assert_array_equal(value, b[net][key], err_msg=f"{net}.{key}")
    assert "both lrs decaying to 0 from step 3" in capsys.readouterr().out


def test_the_command_line_refuses_a_decay_it_cannot_run(tmp_path, capsys):
    out = ["--out", str(tmp_path / "run"), "--quiet"]
    assert cli.main(["train", "gauss1d", "--steps", "20", "--lr-decay", "10", *out]) == 2
    assert "already has a learning-rate schedule" in capsys.readouterr().err
    assert cli.main(["train", "mlp-mnist", "--steps", "20", "--lr-decay", "20", *out]) == 2
    assert "starts at step 20, which is not before the run's last step 20" in (
        capsys.readouterr().err)
    with pytest.raises(SystemExit):
        cli.main(["train", "mlp-mnist", "--lr-decay", "-1", *out])
    assert "argument --lr-decay: must be at least 0, got -1" in capsys.readouterr().err
    assert not (tmp_path / "run" / "checkpoint.npz").exists()
