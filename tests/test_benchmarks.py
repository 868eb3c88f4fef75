"""The benchmark suite runs (quick mode, tiny batches) and produces its tables; no timing is
asserted, only that the figures are there and that tinygan and PyTorch start from the same
weights (their first-step losses agree)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture(scope="module")
def run_module():
    sys.path.insert(0, str(BENCH))
    try:
        import run  # noqa: PLC0415

        yield run
    finally:
        sys.path.remove(str(BENCH))


def test_quick_run_writes_the_results_section(run_module, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# intro\n\n<!-- results:begin -->\nold\n<!-- results:end -->\n\n# after\n")
    raw = run_module.main(["--quick", "--batch-size", "4", "--repeats", "1",
                           "--setups", "gauss1d", "dcgan-mnist", "--memory-steps", "0",
                           "--no-ops", "--readme", str(readme), "--json", str(tmp_path / "r.json")])
    text = readme.read_text()
    assert text.startswith("# intro") and text.rstrip().endswith("# after")
    assert "old" not in text
    for needle in ("| gauss1d | 4 |", "| dcgan-mnist | 4 |", "GFLOP/s", "tracemalloc"):
        assert needle in text, needle
    assert (tmp_path / "r.json").exists()
    steps = {r["setup"]: r for r in raw["steps"]}
    for name in ("gauss1d", "dcgan-mnist"):
        times = steps[name]["times"]
        assert times["tinygan"]["median_ms"] > 0 and times["GAN.step"]["n"] == 1
        assert steps[name]["flops"] > 0 and raw["traced_mb"][name] > 0
    if "torch" in steps["gauss1d"]["times"]:
        for name in ("gauss1d", "dcgan-mnist"):
            assert steps[name]["first_step_rel_diff"] < 1e-4, name


def test_op_table_has_every_op(run_module):
    import bench_ops  # noqa: PLC0415

    libs = ["tinygan"] + (["torch"] if bench_ops.torch is not None else [])
    cases = bench_ops.cases(batch=2, mlp_batch=2)
    results = [bench_ops.time_case(c, 1, libs) for c in cases]
    table = bench_ops.report(results, bench_ops.adam_case(1, libs))
    for op in ("linear", "conv2d", "conv_transpose2d", "batch_norm", "leaky_relu", "Adam.step"):
        assert f"| {op} |" in table, op
    assert all(r["backward"]["tinygan"]["median_ms"] > 0 for r in results)


def test_memory_run_in_a_fresh_process(tmp_path):
    import json  # noqa: PLC0415
    import subprocess  # noqa: PLC0415

    done = subprocess.run([sys.executable, str(BENCH / "memory.py"), "--lib", "tinygan",
                           "--steps", "1", "--batch-size", "2"],
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
