"""scripts/late_decay_curves.py: a run continued with constant and with decaying learning rates."""

from __future__ import annotations

import json

import pytest
from script_modules import load_script

import tinygan
from tinygan import cli


@pytest.mark.slow
def test_both_continuations_train_from_one_checkpoint_and_are_collected(tmp_path, capsys,
                                                                       mnist_data):
    script = load_script("late_decay_curves")
    start, runs = tmp_path / "start", tmp_path / "runs"
    assert cli.main(["train", "mlp-mnist", "--steps", "2", "--batch-size", "8", "--pack", "2",
                     "--track-every", "1", "--out", str(start), "--quiet"]) == 0
    argv = ["--start", str(start), "--runs", str(runs), "--out", str(tmp_path),
            "--from-step", "2", "--steps", "4"]
    assert script.main(argv) == 0
    data = json.loads(script.curves_path(tmp_path).read_text())
    assert (data["from_step"], data["steps"]) == (2, 4)
    for variant, command in (("constant", "tinygan train mlp-mnist --steps 4 --resume"),
                             ("lr-decay", "tinygan train mlp-mnist --steps 4 --resume "
                                          "--lr-decay 2")):
        v = data["variants"][variant]
        assert v["command"] == command
        assert [p["step"] for p in v["points"]] == [2, 3, 4] and "raw" in v["points"][-1]
        assert v["final"]["step"] == 4 and "mean" in v["final"]["parzen"]
    a, b = (tinygan.load(runs / v / "checkpoint.npz") for v in ("constant", "lr-decay"))
    assert a["g_optimizer"]["param_groups"][0]["lr"] == pytest.approx(2e-4)
    assert b["g_optimizer"]["param_groups"][0]["lr"] == 0.0 and b["run"]["lr_decay"] == 2
    assert data["variants"]["constant"]["points"][0] == data["variants"]["lr-decay"]["points"][0]
    capsys.readouterr()
    assert script.main(argv) == 0  # both done: nothing trained again
    assert "tinygan train" not in capsys.readouterr().out


def test_a_start_at_another_step_and_bad_steps_are_refused(tmp_path, capsys, mnist_data):
    script = load_script("late_decay_curves")
    assert script.main(["--from-step", "5", "--steps", "5"]) == 2
    assert "need 0 < --from-step < --steps, got 5 and 5" in capsys.readouterr().err
    start = tmp_path / "start"
    assert cli.main(["train", "gauss1d", "--steps", "3", "--out", str(start), "--quiet"]) == 0
    with pytest.raises(SystemExit, match="is at step 3, not 2"):
        script.main(["--start", str(start), "--runs", str(tmp_path / "runs"),
                     "--from-step", "2", "--steps", "4"])
