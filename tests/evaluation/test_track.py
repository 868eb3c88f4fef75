"""The quality track: sample metrics against the training's wall time (--track-every)."""

from __future__ import annotations

import json
import os
import signal

import numpy as np
import pytest

import tinygan
from tinygan import cli, models
from tinygan.evaluation.report import evaluate
from tinygan.evaluation.track import TRACK_SEED, QualityTrack, summary
from tinygan.gan import recipes


def _trained(track_every=None, ema=None, steps=20):
    tinygan.manual_seed(0)
    setup = models.build("gauss1d")
    gan = recipes.with_recipes(setup.gan(), ema=ema)
    track = QualityTrack(setup, gan, track_every, n=500) if track_every else None
    gan.fit(setup.target, steps, batch_size=32, callbacks=[track] if track else [],
            progress=False)
    return setup, gan, track


def test_tracking_changes_nothing_of_the_training():
    _, plain, _ = _trained()
    _, tracked, track = _trained(track_every=5)
    assert [p["step"] for p in track.points] == [5, 10, 15, 20]
    for key, value in plain.generator.state_dict().items():
        np.testing.assert_array_equal(value, tracked.generator.state_dict()[key], err_msg=key)
    np.testing.assert_array_equal(plain.history["loss_d"], tracked.history["loss_d"])


def test_a_point_is_evaluate_on_the_track_seed_and_with_ema_the_raw_g_beside_it():
    setup, gan, track = _trained(track_every=10, ema=0.9)
    last = track.points[-1]
    assert last["w1"] == summary(evaluate(setup, gan, 500, seed=TRACK_SEED))["w1"]
    with recipes.raw_generator(gan):
        raw = summary(evaluate(setup, gan, 500, seed=TRACK_SEED))
    assert last["raw"] == raw and last["raw"]["w1"] != last["w1"]


def test_seconds_leave_out_the_time_the_track_took():
    tinygan.manual_seed(0)
    setup = models.build("gauss1d")
    gan = setup.gan()
    track = QualityTrack(setup, gan, 1, n=500, clock=lambda: 100.0, spent=3.0)
    first = track.measure()
    assert first["seconds"] == 97.0 and track.spent > 3.0
    spent = track.spent
    second = track.measure()  # the same step again: replaced, not appended
    assert second["seconds"] == round(100.0 - spent, 2) <= 97.0
    assert track.points == [second]


def test_the_mnist_summary_names_fréchet_confidence_and_class_balance():
    result = {"classifier": {"class_counts": [80, 120] + [100] * 8, "frechet_distance": 12.3456,
                             "mean_confidence": 0.912345, "classes_covered": 10}}
    assert summary(result) == {"frechet_distance": 12.346, "mean_confidence": 0.9123,
                               "classes_covered": 10, "min_of_fair_share": 0.8,
                               "max_of_fair_share": 1.2}
    assert summary({"modes_captured": 8, "modes_fair_share": 7,
                    "high_quality_percent": 91.234}) == {
        "modes_captured": 8, "modes_fair_share": 7, "high_quality_percent": 91.23}


@pytest.mark.parametrize("every, n, message", [
    (0, 100, "every must be a whole number of steps >= 1, got 0"),
    (2.5, 100, "every must be a whole number of steps >= 1, got 2.5"),
    (10, 1, "n must be a whole number of samples >= 2, got 1"),
])
def test_bad_arguments_say_what_was_expected(every, n, message):
    setup = models.build("gauss1d")
    with pytest.raises(ValueError, match=message):
        QualityTrack(setup, setup.gan(), every, n)


def _cli(out, *extra):
    return cli.main(["train", "gauss1d", "--steps", "30", "--checkpoint-every", "15",
                     "--track-every", "10", "--out", str(out), "--quiet", *extra])


def test_the_command_line_writes_track_json_and_a_resumed_run_continues_it(tmp_path,
                                                                           monkeypatch):
    assert _cli(tmp_path / "full") == 0
    full = json.loads((tmp_path / "full" / "track.json").read_text())
    assert full["setup"] == "gauss1d" and full["run"]["track_every"] == 10
    assert [p["step"] for p in full["points"]] == [0, 10, 20, 30]
    seconds = [p["seconds"] for p in full["points"]]
    assert seconds == sorted(seconds) and seconds[0] == 0.0

    real_draw = cli.train.draw_samples

    def draw_then_press_ctrl_c(setup, gan, path, **kw):
        real_draw(setup, gan, path, **kw)
        if gan.global_step == 15:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(cli.train, "draw_samples", draw_then_press_ctrl_c)
    assert _cli(tmp_path / "cut") == 130
    cut = json.loads((tmp_path / "cut" / "track.json").read_text())
    assert [p["step"] for p in cut["points"]] == [0, 10]
    monkeypatch.setattr(cli.train, "draw_samples", real_draw)
    assert cli.main(["train", "gauss1d", "--out", str(tmp_path / "cut"), "--resume",
                     "--quiet"]) == 0
    cut = json.loads((tmp_path / "cut" / "track.json").read_text())
    assert [p["w1"] for p in cut["points"]] == [p["w1"] for p in full["points"]]


def test_a_resumed_run_keeps_its_track_interval(tmp_path, capsys):
    assert _cli(tmp_path / "run", "--steps", "10") == 0
    capsys.readouterr()
    assert cli.main(["train", "gauss1d", "--out", str(tmp_path / "run"), "--resume",
                     "--steps", "20", "--track-every", "5", "--quiet"]) == 2
    assert "--track-every 5 differs from the resumed run's 10" in capsys.readouterr().err


def test_super_resolution_set_ups_refuse_the_track(tmp_path, capsys):
    assert cli.main(["train", "srresnet-mnist", "--track-every", "10", "--out",
                     str(tmp_path / "sr"), "--quiet"]) == 2
    assert "--track-every" in capsys.readouterr().err
