"""The command line end to end on gauss1d (a few steps, in tmp_path): train, sample, eval, resume
after Ctrl-C, a loss gone NaN, the clear errors of issue 4, and issue 11's failure paths (bad
numbers, resume with new steps, non-finite weights, a full disk, signals, bad files)."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygan
from tinygan import cli, models
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

    real_draw = cli.train.draw_samples

    def draw_then_press_ctrl_c(setup, gan, path, **kw):
        real_draw(setup, gan, path, **kw)
        if gan.global_step == 15:
            os.kill(os.getpid(), signal.SIGINT)  # as if the user pressed Ctrl-C now

    monkeypatch.setattr(cli.train, "draw_samples", draw_then_press_ctrl_c)
    assert train(tmp_path / "cut") == 130
    assert tinygan.load(tmp_path / "cut" / "checkpoint.npz")["step"] == 15
    monkeypatch.setattr(cli.train, "draw_samples", real_draw)
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


# -- nothing lost, nothing silent (issue 11) -------------------------------------------------------

REPO = Path(__file__).resolve().parents[1]


def _mnist_folder() -> Path:
    folder = Path(os.environ.get("TINYGAN_DATA") or REPO.parent / "shared" / "mnist")
    if not (folder / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"the MNIST files are not in {folder} (set TINYGAN_DATA)")
    return folder


@pytest.mark.parametrize("argv", [
    ["train", "gauss1d", "--k", "0"], ["train", "gauss1d", "--checkpoint-every", "0"],
    ["train", "gauss1d", "--steps", "0"], ["train", "gauss1d", "--steps", "-5"],
    ["train", "gauss1d", "--batch-size", "0"], ["train", "gauss1d", "--threads", "0"],
    ["sample", "ckpt.npz", "-n", "0", "--out", "x.png"], ["eval", "ckpt.npz", "-n", "-4"],
    ["train", "gauss1d", "--steps", "ten"],
])
def test_numbers_out_of_range_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "must be at least 1" in err or "expected a whole number" in err, err
    assert "Traceback" not in err


def test_version_and_the_exit_statuses_in_help(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"tinygan {tinygan.__version__}"
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for status in ("0 ", "1 ", "2 ", "130", "143"):
        assert f"\n  {status}" in out, status


def _g_weights(path):
    return {k: v for k, v in tinygan.load(path)["generator"].items()}


def test_resume_with_more_steps_trains_both_networks(tmp_path, capsys):
    assert train(tmp_path) == 0  # 30 steps: G's learning rate has decayed to 0
    first = _g_weights(tmp_path / "checkpoint.npz")
    capsys.readouterr()
    assert train(tmp_path, "--resume", "--steps", "45") == 0
    out = capsys.readouterr().out
    assert "15 steps (from step 30 to 45)" in out
    assert "rebuilt the schedules for --steps 45: G's learning rate now 0.000333 (was 0)" in out
    ckpt = tinygan.load(tmp_path / "checkpoint.npz")
    assert ckpt["step"] == 45 and ckpt["run"]["steps"] == 45
    assert ckpt["g_scheduler"]["total_iters"] == 45 and ckpt["g_scheduler"]["last_epoch"] == 45
    moved = [k for k, v in ckpt["generator"].items() if not np.array_equal(v, first[k])]
    assert moved == list(first)  # every weight of G trained on
    assert json.loads((tmp_path / "metrics.json").read_text())["step"] == 45


def test_resume_with_fewer_steps_is_refused(tmp_path, capsys):
    assert train(tmp_path) == 0
    before = (tmp_path / "checkpoint.npz").read_bytes()
    capsys.readouterr()
    assert train(tmp_path, "--resume", "--steps", "20") == 2
    err = capsys.readouterr().err
    assert "--steps 20: the run in" in err and "already at step 30" in err
    assert (tmp_path / "checkpoint.npz").read_bytes() == before


def test_resume_of_a_finished_run_says_so_and_rewrites_nothing(tmp_path, capsys):
    assert train(tmp_path) == 0
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    capsys.readouterr()
    assert train(tmp_path, "--resume") == 0
    captured = capsys.readouterr()
    assert "already finished at step 30" in captured.out and "nothing to do" in captured.out
    assert "0 steps" not in captured.out and captured.err == ""
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == files


def test_a_checkpoint_is_never_written_from_non_finite_weights(tmp_path, monkeypatch, capsys):
    """G's rate set to 1e39 from step 15 on: step 15's update overflows G's weights to inf
    (its loss and gradient were finite). It is undone, and the checkpoint of step 10 stays the
    last one, finite and usable (before, step 15's checkpoint held G's infinite weights)."""
    built = []
    real_gauss1d = models.SETUPS["gauss1d"]

    def gauss1d(**options):
        built.append(real_gauss1d(**options))
        return built[-1]

    monkeypatch.setitem(models.SETUPS, "gauss1d", gauss1d)
    real_sample = Gaussian1D.sample
    calls = []

    def sample(self, n, device=None, dtype=None):
        calls.append(1)
        if len(calls) == 14:
            built[-1].g_scheduler.base_lrs = [1e39]
        return real_sample(self, n, device=device, dtype=dtype)

    monkeypatch.setattr(Gaussian1D, "sample", sample)
    assert cli.main(["train", "gauss1d", "--steps", "30", "--checkpoint-every", "5", "--out",
                     str(tmp_path), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "at step 15: the generator's parameters after the update is not finite" in err
    assert "the last good checkpoint, of step 10" in err
    ckpt = tinygan.load(tmp_path / "checkpoint.npz")
    assert ckpt["step"] == 10
    for part in ("generator", "discriminator"):
        assert all(np.isfinite(v).all() for v in ckpt[part].values())
    for entries in ckpt["g_optimizer"]["state"].values():
        assert all(np.isfinite(v).all() for v in entries.values())
    monkeypatch.undo()
    assert cli.main(["sample", str(tmp_path / "checkpoint.npz"), "-n", "20", "--out",
                     str(tmp_path / "s.npy")]) == 0
    assert np.isfinite(np.load(tmp_path / "s.npy")).all()


def test_a_full_disk_leaves_the_old_checkpoint_and_says_so(tmp_path, monkeypatch, capsys):
    from tinygan import serialization

    real_savez = serialization.numpy.savez
    calls = []

    def savez(f, **arrays):
        calls.append(hasattr(f, "write"))  # tinygan.save's file, not history.npz's path
        if sum(calls) == 2 and calls[-1]:
            f.write(b"PK\x03\x04 half")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_savez(f, **arrays)

    monkeypatch.setattr(serialization.numpy, "savez", savez)
    assert train(tmp_path) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "No space left on device" in err
    assert "the previous checkpoint, of step 15, is intact" in err
    assert tinygan.load(tmp_path / "checkpoint.npz")["step"] == 15
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_file_size_limit_ends_in_one_line_not_a_traceback(tmp_path):
    resource = pytest.importorskip("resource")
    limit = 60_000  # bytes: the checkpoints (47 kB) fit, the picture of the losses does not

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = subprocess.run(
        [sys.executable, "-m", "tinygan", "train", "gauss1d", "--steps", "30",
         "--checkpoint-every", "15", "--out", str(tmp_path), "--quiet"],
        capture_output=True, text=True, timeout=120, preexec_fn=small_files)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "losses.png (File too large); the checkpoint of step 30 is saved" in result.stderr
    assert tinygan.load(tmp_path / "checkpoint.npz")["step"] == 30


def test_sigterm_is_handled_as_ctrl_c(tmp_path, monkeypatch, capsys):
    real_draw = cli.train.draw_samples

    def draw_then_sigterm(setup, gan, path, **kw):
        real_draw(setup, gan, path, **kw)
        if gan.global_step == 15:
            os.kill(os.getpid(), signal.SIGTERM)  # as `kill PID` does

    monkeypatch.setattr(cli.train, "draw_samples", draw_then_sigterm)
    assert train(tmp_path) == 143
    assert "SIGTERM: checkpoint of step 15 saved" in capsys.readouterr().err
    assert tinygan.load(tmp_path / "checkpoint.npz")["step"] == 15
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


@pytest.mark.parametrize("where, code", [("blas_threads", 130), ("_data", 143)])
def test_a_signal_during_start_up_says_what_was_kept(tmp_path, monkeypatch, capsys, where, code):
    def interrupted(*args, **kwargs):
        if code == 130:
            raise KeyboardInterrupt
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(cli.train, where, interrupted)
    assert train(tmp_path / "run") == code
    err = capsys.readouterr().err
    what = "Ctrl-C" if code == 130 else "SIGTERM"
    stage = "start-up" if where == "blas_threads" else "loading the data"
    assert f"stopped by {what} during {stage}; nothing was written" in err
    assert not (tmp_path / "run" / "checkpoint.npz").exists()
    assert not (tmp_path / "run" / "samples").exists()


def test_ctrl_c_during_the_final_evaluation_keeps_the_checkpoint(tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.train, "evaluate", interrupted)
    assert train(tmp_path) == 130
    err = capsys.readouterr().err
    assert "during the final evaluation; the checkpoint of step 30 is saved" in err
    assert "metrics.json was not written" in err and "--resume" in err
    assert not (tmp_path / "metrics.json").exists()
    history = (tmp_path / "history.npz").read_bytes()
    monkeypatch.undo()
    assert train(tmp_path, "--resume") == 0  # finishes the evaluation, trains nothing
    assert json.loads((tmp_path / "metrics.json").read_text())["step"] == 30
    assert (tmp_path / "history.npz").read_bytes() == history


def test_every_mnist_file_is_checked_before_the_first_step(tmp_path, capsys):
    folder = _mnist_folder()
    data = tmp_path / "mnist"
    data.mkdir()
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                 "t10k-labels-idx1-ubyte.gz"):
        (data / name).symlink_to(folder / name)
    damaged = bytearray((folder / "t10k-images-idx3-ubyte.gz").read_bytes())
    (data / "t10k-images-idx3-ubyte.gz").write_bytes(bytes(damaged[: len(damaged) // 2]))
    out = tmp_path / "run"
    assert cli.main(["train", "mlp-mnist", "--data", str(data), "--out", str(out), "--quiet",
                     "--steps", "5"]) == 2
    captured = capsys.readouterr()
    assert "t10k-images-idx3-ubyte.gz" in captured.err and "--data" in captured.err
    assert "root=" not in captured.err
    assert not (out / "checkpoint.npz").exists() and not (out / "samples").exists()


def test_a_checkpoint_of_the_wrong_content_is_named(tmp_path, capsys):
    assert train(tmp_path) == 0
    state = tinygan.load(tmp_path / "checkpoint.npz")
    state["run"]["setup"] = "ring2d"
    tinygan.save(state, tmp_path / "relabelled.npz")
    del state["generator"]["0.weight"]
    state["run"]["setup"] = "gauss1d"
    tinygan.save(state, tmp_path / "missing.npz")
    capsys.readouterr()
    for name, needle in (("relabelled.npz", "does not fit the set-up ring2d"),
                         ("missing.npz", "missing key(s): 0.weight")):
        path = tmp_path / name
        assert cli.main(["sample", str(path), "--out", str(tmp_path / "x.npy")]) == 2
        err = capsys.readouterr().err
        assert str(path) in err and needle in err, err


def test_labels_on_a_set_up_without_classes_is_an_error(tmp_path, capsys):
    assert train(tmp_path) == 0
    capsys.readouterr()
    assert cli.main(["sample", str(tmp_path / "checkpoint.npz"), "--labels", "3", "--out",
                     str(tmp_path / "x.npy")]) == 2
    assert "gauss1d has no classes" in capsys.readouterr().err
    assert not (tmp_path / "x.npy").exists()


def test_bad_files_from_the_shell_end_in_one_line(tmp_path):
    fifo = tmp_path / "fifo.npz"
    os.mkfifo(fifo)
    for path in (fifo, "/dev/zero"):
        result = subprocess.run([sys.executable, "-m", "tinygan", "eval", str(path)],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert "not a checkpoint file" in result.stderr


def test_mode_counts_say_how_many_samples_back_them(tmp_path, capsys):
    assert cli.main(["train", "ring2d", "--steps", "2", "--batch-size", "64", "--out",
                     str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "modes with a fair share (at least 62.5 of the 2,500 samples" in out
    assert "per mode: " in out


def test_blas_threads_are_chosen_and_printed(tmp_path, monkeypatch, capsys):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    before, threads = threadpoolctl.threadpool_info(), tinygan.get_num_threads()
    for name in cli.common.BLAS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    try:
        assert train(tmp_path / "a") == 0
        assert "BLAS threads: 1 (gauss1d's matrices are small; --threads N to change)" in (
            capsys.readouterr().out)
        assert tinygan.get_num_threads() == 1  # tinygan.set_num_threads follows the choice
        assert train(tmp_path / "b", "--threads", "2") == 0
        assert "BLAS threads: 2 (--threads" in capsys.readouterr().out
        blas = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
        assert all(i["num_threads"] == min(2, i["num_threads"]) for i in blas)
        assert tinygan.get_num_threads() == 2
    finally:
        tinygan.set_num_threads(threads)
        threadpoolctl.threadpool_limits(limits={i["prefix"]: i["num_threads"] for i in before})


def test_evaluation_shows_its_progress(tmp_path, monkeypatch, capsys):
    from tinygan.evaluation import report

    setup = models.build("mlp-mnist")
    result = report.evaluate(setup, setup.gan(), 200, parzen=False, progress=True)
    assert result["n_samples"] == 200
    err = capsys.readouterr().err
    assert "evaluating" in err and "classifier" in err
    assert train(tmp_path) == 0
    seen = {}
    monkeypatch.setattr(cli.sample_eval, "evaluate",
                        lambda *a, **kw: seen.update(kw) or {"setup": "gauss1d"})
    assert cli.main(["eval", str(tmp_path / "checkpoint.npz")]) == 0
    assert seen["progress"] is True


def test_a_failed_run_leaves_no_empty_samples_folder_and_speaks_cli(tmp_path, capsys):
    empty = tmp_path / "no_mnist"
    empty.mkdir()
    out = tmp_path / "run"
    assert cli.main(["train", "mlp-mnist", "--data", str(empty), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "not found in" in err and "--data DIR or TINYGAN_DATA" in err
    assert "root=" not in err
    assert out.is_dir() and not (out / "samples").exists()


@pytest.mark.parametrize("cores, load, expected", [(8, 0.0, 4), (8, 5.2, 3), (2, 8.9, 1)])
def test_mnist_uses_the_idle_cores_up_to_four(monkeypatch, cores, load, expected):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    before = threadpoolctl.threadpool_info()
    for name in cli.common.BLAS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    try:
        line = cli.common.blas_threads("mlp-mnist", None)
    finally:
        threadpoolctl.threadpool_limits(limits={i["prefix"]: i["num_threads"] for i in before})
    assert line == (f"BLAS threads: {expected} ({cores} cores at load {load:.1f}, at most 4 "
                    "used; --threads N to change)")
