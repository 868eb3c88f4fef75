"""scripts/recipe_curves.py: one seeded run per recipe, the quality tracks collected in one file."""

from __future__ import annotations

import json

import pytest
from script_modules import load_script


def test_every_variant_keeps_the_average_so_each_run_gives_both_curves():
    curves = load_script("recipe_curves")
    assert set(curves.VARIANTS) == {"plain", "pack-2", "label-smoothing", "ttur", "pack-2-r1"}
    assert curves.VARIANTS["pack-2-r1"] == [*curves.VARIANTS["pack-2"], "--r1", "1"]
    assert all(flags[:2] == ["--ema", "0.999"] for flags in curves.VARIANTS.values())


@pytest.mark.slow
def test_a_quick_try_trains_collects_and_resumes(tmp_path, monkeypatch, capsys, mnist_data):
    curves = load_script("recipe_curves")
    monkeypatch.setitem(curves.CURVES, "mlp-mnist", {"steps": 40_000, "track_every": 2})
    argv = ["mlp-mnist", "--steps", "4", "--variants", "ttur", "--out", str(tmp_path)]
    assert curves.main(argv) == 0
    data = json.loads(curves.curves_path("mlp-mnist", tmp_path).read_text())
    assert list(data["variants"]) == ["ttur"] and data["steps"] == 4
    ttur = data["variants"]["ttur"]
    assert [p["step"] for p in ttur["points"]] == [0, 2, 4] and "raw" in ttur["points"][-1]
    assert ttur["command"] == ("tinygan train mlp-mnist --steps 4 --seed 0 --ema 0.999 "
                               "--pack 1 --g-lr 1e-4 --d-lr 4e-4")
    assert len(ttur["runs"]) == 1 and ttur["complete"]
    capsys.readouterr()
    assert curves.main(argv) == 0  # done already: nothing trained, nothing logged again
    assert "tinygan train" not in capsys.readouterr().out
    data = json.loads(curves.curves_path("mlp-mnist", tmp_path).read_text())
    assert len(data["variants"]["ttur"]["runs"]) == 1


def test_bad_arguments_are_refused(tmp_path, capsys):
    curves = load_script("recipe_curves")
    assert curves.main(["mlp-mnist", "--out", str(tmp_path / "absent")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert curves.main(["mlp-mnist", "--steps", "0", "--out", str(tmp_path)]) == 2
    assert "--steps must be at least 1, got 0" in capsys.readouterr().err


def test_flags_read_as_options_and_a_step_is_timed(mnist_data):
    curves = load_script("recipe_curves")
    assert curves._options(curves.VARIANTS["pack-2"]) == {"ema": 0.999, "pack": 2}
    assert curves._options(curves.VARIANTS["ttur"]) == {"ema": 0.999, "pack": 1, "g_lr": 1e-4,
                                                         "d_lr": 4e-4}
    assert curves._options(curves.VARIANTS["pack-2-r1"]) == {"ema": 0.999, "pack": 2, "r1": 1.0}
    assert 0 < curves.step_cost("mlp-mnist", "label-smoothing", steps=2, repeats=1) < 10
    assert 0 < curves.step_cost("mlp-mnist", "pack-2-r1", steps=2, repeats=1) < 10


def test_step_costs_timed_later_join_the_file_and_keep_the_first_timing(tmp_path):
    curves = load_script("recipe_curves")
    path = tmp_path / "step_costs.json"
    path.write_text(json.dumps({"seconds_per_step": {"plain": 0.2, "pack-2": 0.1},  # old form
                                "load_average_before": [0.6, 1.0, 2.0],
                                "load_average_after": [0.9, 1.0, 1.9], "blas_threads": "1"}))
    curves.write_step_costs(path, {"pack-2-r1": 0.15, "pack-2": 0.11}, (0.3, 0.4, 0.5))
    data = json.loads(path.read_text())
    assert data["seconds_per_step"] == {"plain": 0.2, "pack-2": 0.11, "pack-2-r1": 0.15}
    first, second = data["timings"]
    assert first == {"variants": ["plain", "pack-2"], "load_average_before": [0.6, 1.0, 2.0],
                     "load_average_after": [0.9, 1.0, 1.9], "blas_threads": "1"}
    assert second["variants"] == ["pack-2-r1", "pack-2"]
    assert second["load_average_before"] == [0.3, 0.4, 0.5]
    curves.write_step_costs(tmp_path / "new.json", {"plain": 0.3}, (0.1, 0.1, 0.1))
    assert len(json.loads((tmp_path / "new.json").read_text())["timings"]) == 1
