"""The benchmark suite: its workers print their figures, run.py alternates them, checks that
tinygan and PyTorch start from the same weights (their first-step losses agree), and rewrites the
README's tables only on a quiet machine. No timing is asserted: the runs are tiny (quick mode,
batches of a few samples), and the load rule is tested with a stand-in for the workers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
README = ("# intro\n\n<!-- results:begin -->\nold 2\n<!-- results:end -->\n\n"
          "<!-- results-1thread:begin -->\nold 1\n<!-- results-1thread:end -->\n\n# after\n")


@pytest.fixture(scope="module")
def run_module():
    sys.path.insert(0, str(BENCH))
    try:
        import run  # noqa: PLC0415

        yield run
    finally:
        sys.path.remove(str(BENCH))


def worker(*args: str) -> dict[str, Any]:
    """worker.py in a fresh process, with run.py's environment for it; its JSON line."""
    sys.path.insert(0, str(BENCH))
    try:
        import common  # noqa: PLC0415
    finally:
        sys.path.remove(str(BENCH))
    lib = args[args.index("--lib") + 1]
    threads = int(args[args.index("--threads") + 1]) if "--threads" in args else 2
    return common.run_json(BENCH / "worker.py", args, lib, threads)


def test_worker_prints_its_times_losses_and_threads(run_module):
    quick = ("--setup", "gauss1d", "--batch-size", "4", "--repeats", "2", "--threads", "1",
             "--warmup-s", "0", "--warmup-calls", "1")
    ours = worker("--lib", "tinygan", *quick)
    assert ours["lib"] == "tinygan" and ours["threads"] == 1 and ours["batch_size"] == 4
    assert len(ours["times"]["step"]) == 2 and len(ours["times"]["GAN.step"]) == 2
    assert all(t > 0 for t in ours["times"]["step"]) and ours["flops"] > 0
    assert len(ours["first_losses"]) == 2
    info = ours["info"]
    assert info["blas_threads"].startswith("1") and info["keeps_freed_memory"] is True
    assert info["torch_imported"] is False  # the tinygan worker cannot import PyTorch
    if not run_module.common.torch_installed():
        return
    theirs = worker("--lib", "torch", *quick)
    assert theirs["info"]["torch_threads"] == 1 and theirs["info"]["blas_threads"].startswith("1")
    assert theirs["info"]["keeps_freed_memory"] is False  # glibc's defaults, as PyTorch users
    assert "GAN.step" not in theirs["times"]
    assert run_module.relative_difference(ours["first_losses"], theirs["first_losses"]) < 1e-4


def test_worker_rejects_bad_arguments():
    done = subprocess.run([sys.executable, str(BENCH / "worker.py"), "--lib", "tinygan",
                           "--setup", "gauss1d", "--threads", "0"], capture_output=True, text=True)
    assert done.returncode == 2 and "--threads must be at least 1, got 0" in done.stderr


def test_worker_knows_every_setup(run_module):
    import twins  # noqa: PLC0415
    import worker as worker_module  # noqa: PLC0415

    assert worker_module.SETUPS == twins.SETUPS


def test_libraries_alternate_and_repeats_are_shared(run_module):
    order = []
    out = run_module.alternate(["tinygan", "torch"], 10, 4,
                               lambda lib, k: order.append((lib, k)) or {"k": k})
    assert [lib for lib, _ in order] == ["tinygan", "torch", "torch", "tinygan"] * 2
    assert sum(o["k"] for o in out["tinygan"]) == 10 == sum(o["k"] for o in out["torch"])
    assert run_module.split(3, 4) == [1, 1, 1] and run_module.split(10, 4) == [3, 3, 2, 2]


def test_quick_run_end_to_end(run_module, tmp_path):
    """A real quick run (worker processes, tiny batch): tables printed, nothing written."""
    readme = tmp_path / "README.md"
    readme.write_text(README)
    raw = run_module.main(["--quick", "--setups", "gauss1d", "--batch-size", "4", "--threads",
                           "1", "--no-ops", "--memory-steps", "0", "--readme", str(readme),
                           "--json", str(tmp_path / "r.json")])
    assert readme.read_text() == README and raw["written"] == []  # --quick never writes
    section = raw["sections"]["results-1thread"]
    (step,) = section["steps"]
    assert step["batch_size"] == 4 and step["flops"] > 0
    assert step["times"]["tinygan"]["n"] == 4 and step["times"]["GAN.step"]["n"] == 4
    assert section["traced_mb"]["gauss1d"] > 0
    assert section["info"]["libs"]["tinygan"]["blas_threads"].startswith("1")
    if "torch" in step["times"]:
        assert step["times"]["torch"]["n"] == 4 and step["first_step_rel_diff"] < 1e-4
    assert json.loads((tmp_path / "r.json").read_text())["sections"]


# ----------------------------------------------------------------------------------------------
# The load rule, with a stand-in for the worker processes (no timing, no processes)
# ----------------------------------------------------------------------------------------------


def fake_worker(script: Path, args: list[Any], lib: str, threads: int) -> dict[str, Any]:
    args = [str(a) for a in args]
    info = {"lib": lib, "numpy": "2", "blas": "openblas", "blas_threads": str(threads),
            "tinygan": "0.1.0", "keeps_freed_memory": lib == "tinygan", "torch": "2",
            "torch_threads": threads, "torch_interop_threads": 2}
    if "--gemm" in args:
        return {"info": info, "gemm_gflops": 100.0}
    k = int(args[args.index("--repeats") + 1])
    times = {"step": [0.002 if lib == "tinygan" else 0.003] * k}
    out = {"info": info, "batch_size": 4, "first_losses": [1.0, 0.5], "times": times}
    if lib == "tinygan":
        times["GAN.step"] = [0.004] * k
        out["flops"] = 10**6
    return out


@pytest.fixture
def fake_run(run_module, monkeypatch, tmp_path):
    """run.main with stand-in workers, PyTorch present, and the load set by ``load``."""
    common = run_module.common
    monkeypatch.setattr(common, "run_json", fake_worker)
    monkeypatch.setattr(common, "torch_installed", lambda: True)
    monkeypatch.setattr(common, "busy_processes", lambda seconds=1.0: [])
    readme = tmp_path / "README.md"
    readme.write_text(README)

    def go(load: float, others: float, *extra: str) -> tuple[dict[str, Any], str]:
        monkeypatch.setattr(common, "load_1min", lambda: load)
        monkeypatch.setattr(common.OtherCpu, "cores", lambda self: others)
        raw = run_module.main(["--setups", "gauss1d", "--repeats", "8", "--no-ops",
                               "--no-memory", "--readme", str(readme), *extra])
        return raw, readme.read_text()

    return go


def test_a_quiet_run_rewrites_both_thread_sections(fake_run):
    raw, text = fake_run(0.4, 0.1)
    assert raw["written"] == ["results", "results-1thread"] and raw["refused"] == []
    assert text.startswith("# intro") and text.rstrip().endswith("# after")
    assert "old 2" not in text and "old 1" not in text
    assert "2 thread(s) for each library" in text and "1 thread(s) for each library" in text
    assert "| gauss1d | 4 | 2.00 ± 0.00 | 3.00 ± 0.00 | **0.67** |" in text
    assert "noise" not in text


@pytest.mark.parametrize(("load", "others"), [(1.6, 0.0), (0.5, 0.9)])
def test_a_busy_machine_leaves_the_readme_alone(fake_run, load, others):
    raw, text = fake_run(load, others)
    assert text == README and raw["written"] == []
    assert raw["refused"] == ["results", "results-1thread"]


def test_force_writes_the_tables_marked_as_noise(fake_run):
    raw, text = fake_run(3.25, 0.0, "--force", "--threads", "1")
    assert raw["written"] == ["results-1thread"] and "old 2" in text and "old 1" not in text
    assert ("**Measured with a 1-minute load average of 3.25 at the start of the run, above "
            "this project's 1.5 limit: these figures are noise, not results.**") in text


def test_a_partial_run_leaves_the_default_readme_alone(fake_run, run_module, monkeypatch,
                                                       tmp_path):
    home = tmp_path / "benchmarks"
    home.mkdir()
    (home / "README.md").write_text(README)
    monkeypatch.setattr(run_module, "HERE", home)  # where run.py finds its README
    monkeypatch.setattr(run_module.common, "load_1min", lambda: 0.2)
    monkeypatch.setattr(run_module.common.OtherCpu, "cores", lambda self: 0.0)
    raw = run_module.main(["--setups", "gauss1d", "--repeats", "2", "--no-ops", "--no-memory"])
    assert raw["written"] == [] and (home / "README.md").read_text() == README


def test_the_twins_must_agree(fake_run, monkeypatch, run_module):
    def disagreeing(script, args, lib, threads):
        out = fake_worker(script, args, lib, threads)
        if lib == "torch" and "first_losses" in out:
            out["first_losses"] = [1.001, 0.5]
        return out

    monkeypatch.setattr(run_module.common, "run_json", disagreeing)
    with pytest.raises(RuntimeError, match="not the same computation"):
        fake_run(0.4, 0.1)


def test_a_readme_without_the_sections_is_refused_before_measuring(run_module, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("<!-- results:begin -->\n<!-- results:end -->\n")
    with pytest.raises(SystemExit, match="results-1thread:begin"):
        run_module.main(["--readme", str(readme)])


# ----------------------------------------------------------------------------------------------
# The op table, memory and the FLOP count
# ----------------------------------------------------------------------------------------------


def test_op_table_has_every_op(run_module):
    import bench_ops  # noqa: PLC0415

    libs = run_module.libraries(False)
    runs = {lib: [bench_ops.time_ops(lib, 1, 2, 2, warmup_s=0, warmup_calls=0)] for lib in libs}
    results, adam = bench_ops.merge(runs)
    table = bench_ops.report(results, adam)
    for op in ("linear", "conv2d", "conv_transpose2d", "batch_norm", "leaky_relu", "Adam.step"):
        assert f"| {op} |" in table, op
    assert all(r["backward"]["tinygan"]["median_ms"] > 0 for r in results)
    assert all(set(r["forward"]) == set(libs) for r in results)


def test_memory_run_in_a_fresh_process():
    done = subprocess.run([sys.executable, str(BENCH / "memory.py"), "--lib", "tinygan",
                           "--steps", "1", "--batch-size", "2", "--threads", "1"],
                          capture_output=True, text=True, check=True)
    m = json.loads(done.stdout.strip().splitlines()[-1])
    assert m["lib"] == "tinygan" and m["batch_size"] == 2
    assert m["peak_mb"] >= m["base_mb"] > m["after_import_mb"] > 0


@pytest.mark.parametrize("name", ["gauss1d", "mlp-mnist"])
def test_step_flops_match_pytorch_profiler(run_module, name):
    """The FLOP count of a step (an independent tally: PyTorch's profiler counts its matmuls)."""
    torch = pytest.importorskip("torch")
    import twins  # noqa: PLC0415

    setup = twins.build(name, batch_size=3)
    batches = twins.make_batches(setup, 3, pool=2)
    step = twins.TorchStep(setup)
    step(batches.z[0], batches.real[0])
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU],
                                with_flops=True) as prof:
        step(batches.z[1], batches.real[1])
    counted = sum(e.flops for e in prof.events() if e.name in ("aten::mm", "aten::addmm"))
    assert twins.step_flops(twins.build(name, batch_size=3), 3) == counted


@pytest.mark.parametrize("name", ["gauss1d", "ring2d", "mlp-mnist", "dcgan-mnist"])
def test_the_step_products_are_the_steps_flops(run_module, name):
    """bench_gemm's list of a step's products adds up to the FLOP count of the step (which the
    test above checks against PyTorch's profiler), and every product is a real matrix."""
    import bench_gemm  # noqa: PLC0415
    import twins  # noqa: PLC0415

    products = bench_gemm.step_products(name)
    setup = twins.build(name)
    assert sum(2 * m * k * n * c for (m, k, n), c in products.items()) == twins.step_flops(
        setup, setup.batch_size)
    assert all(min(p) >= 1 and c >= 1 for p, c in products.items())


def test_bench_gemm_prints_a_table_from_both_workers(run_module, capsys):
    import bench_gemm  # noqa: PLC0415

    if not run_module.common.torch_installed():
        pytest.skip("PyTorch is not installed")
    bench_gemm.main(["--setups", "gauss1d", "--threads", "1", "--repeats", "2", "--rounds", "1"])
    out = capsys.readouterr().out
    assert "| **gauss1d** | **all 30 products of the step** |" in out
