"""Train the pretrained networks the notebooks load, from seeded runs, with their measurements.

    python scripts/make_notebook_weights.py 03                 # notebook 03's four generators
    python scripts/make_notebook_weights.py all                # every notebook's
    python scripts/make_notebook_weights.py 03 --steps 300 --out /tmp/w    # a quick try
    python scripts/make_notebook_weights.py 04                 # mlp-mnist (tinygan.pretrained)
    python scripts/make_notebook_weights.py 05                 # dcgan-mnist and cgan-mnist

A lesson cannot wait 20 minutes for a GAN to train, so the long runs a notebook discusses are
trained once here, and the notebook loads them (training them yourself stays an option in the
notebook, with the same set-up and seed). One function per notebook, ``notebook_NN``, listed in
``NOTEBOOKS``. Each run writes two files into ``tinygan/weights/`` (package data):

* ``nbNN_<run>.npz`` (``tinygan.save``): the generator's ``state_dict`` (the discriminator only
  where the notebook needs it), the set-up's name and options, the seed and the step count, so
  ``models.build(setup, **options)`` rebuilds the network the weights fit;
* ``nbNN_<run>.json``: what was measured: the final metrics (``tinygan.evaluation.report.
  evaluate``, the numbers ``tinygan train`` prints), the wall time, and the measurements taken
  during training, from which the notebook draws its curves.

Notebooks 04 and 05 load the MNIST generators that ship for everyone, through
``tinygan.pretrained(NAME)``: ``NAME-generator.npz`` (G only, ``tinygan.gan.pretrained``'s format)
and ``NAME-generator.json`` (its metrics); see the section of ``notebook_04`` below.

Every run starts from ``tinygan.manual_seed(seed)`` and draws its data from tinygan's seeded
generator, so the same command on the same software repeats it (the last bits of float32
arithmetic can differ between BLAS libraries).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy

import tinygan
from tinygan import metrics, models
from tinygan.evaluation.classifier import predict
from tinygan.evaluation.report import SAMPLE_SEED, evaluate
from tinygan.gan.pretrained import WEIGHTS_FORMAT, metrics_path, pretrained_setup, weights_path

WEIGHTS = Path(tinygan.__file__).resolve().parent / "weights"
ROOT = Path(__file__).resolve().parent.parent
FORMAT = "tinygan-notebook-weights"


# ----------------------------------------------------------------------------------------------
# Shared: one seeded run of a toy set-up, measured while it trains
# ----------------------------------------------------------------------------------------------


def train_toy(setup_name: str, options: dict[str, Any], steps: int, *, seed: int = 0,
              measure_every: int = 500, n_snapshots: int = 4,
              snapshot_size: int = 1000) -> dict[str, Any]:
    """Train ``models.build(setup_name, steps=steps, **options)`` from ``manual_seed(seed)``.

    Every ``measure_every`` steps (and at step 0) the mode metrics of 2,500 samples (noise seed
    1, which leaves the training's random numbers alone) go into ``track``; ``n_snapshots``
    times, evenly over the run, ``snapshot_size`` samples are kept for pictures.
    Returns the run: setup, gan, track, snapshots {step: (n, 2) array}, seconds.
    """
    tinygan.manual_seed(seed)
    setup = models.build(setup_name, steps=steps, **options)
    gan = setup.gan()
    moments = set(numpy.linspace(0, steps, n_snapshots).astype(int).tolist())
    run: dict[str, Any] = {"setup": setup, "gan": gan, "track": [], "snapshots": {}}

    def measure(gan: Any, step: int) -> None:
        if step % measure_every == 0 or step == steps:
            m = metrics.mode_metrics(gan.sample(2500, seed=1).numpy(), setup.target.modes,
                                     setup.target.std)
            run["track"].append({"step": step, **{k: m[k] for k in (
                "modes_captured", "modes_fair_share", "high_quality_fraction", "mode_counts")}})
        if step in moments:
            run["snapshots"][step] = gan.sample(snapshot_size, seed=2).numpy()

    measure(gan, 0)
    start = time.perf_counter()
    gan.fit(setup.target, steps, batch_size=setup.batch_size,
            callbacks=[lambda gan, record: measure(gan, record.step)], progress=False)
    run["seconds"] = time.perf_counter() - start
    return run


def write_run(out: Path, file_stem: str, run: dict[str, Any], setup_name: str,
              options: dict[str, Any], steps: int, seed: int, command: str,
              with_discriminator: bool = False) -> dict[str, Any]:
    """Write ``file_stem``.npz (weights) and ``file_stem``.json (measurements) into ``out``."""
    setup, gan = run["setup"], run["gan"]
    state: dict[str, Any] = {
        "format": FORMAT, "setup": setup_name, "options": options, "steps": steps,
        "seed": seed, "generator": setup.generator.state_dict(),
        "snapshots": {str(step): x.astype(numpy.float32)
                      for step, x in sorted(run["snapshots"].items())},
    }
    if with_discriminator:
        state["discriminator"] = setup.discriminator.state_dict()
    tinygan.save(state, out / f"{file_stem}.npz")
    result = evaluate(setup, gan)
    report = {
        "setup": setup_name, "options": options, "steps": steps, "seed": seed,
        "command": command, "train_seconds": round(run["seconds"], 1),
        "machine": f"{platform.machine()}, {platform.python_implementation()} "
                   f"{platform.python_version()}, numpy {numpy.__version__}",
        "final": result, "track": run["track"],
    }
    (out / f"{file_stem}.json").write_text(json.dumps(report, indent=1) + "\n")
    print(f"{file_stem}: {steps} steps in {run['seconds']:.0f} s: "
          f"{result['modes_captured']}/{result['n_modes']} modes captured, "
          f"{result['modes_fair_share']} with a fair share, "
          f"{result['high_quality_percent']:.1f}% high quality", flush=True)
    return report


# ----------------------------------------------------------------------------------------------
# Notebook 03: mode collapse on the ring and the grid
# ----------------------------------------------------------------------------------------------

NB03_RUNS = {  # file stem -> (set-up, options); the reference step count for every run
    "nb03_ring2d_plain": ("ring2d", {"pack": 1}),
    "nb03_ring2d_pacgan": ("ring2d", {"pack": 4}),
    "nb03_grid2d_plain": ("grid2d", {"pack": 1}),
    "nb03_grid2d_pacgan": ("grid2d", {"pack": 4}),
}
NB03_STEPS = 24_000


def notebook_03(out: Path, steps: int | None = None, seed: int = 0) -> None:
    """Notebook 03's generators: the plain GAN (``pack=1``) and PacGAN (``pack=4``, the
    reference set-up) on the ring and on the grid, 24,000 steps each (the reference length;
    G's learning rate decays to 0 over the run), seed 0. Only G is kept: the notebook draws
    samples and curves from these runs, and its views of D come from a run it trains live."""
    steps = steps or NB03_STEPS
    for stem, (setup_name, options) in NB03_RUNS.items():
        run = train_toy(setup_name, options, steps, seed=seed)
        command = f"python scripts/make_notebook_weights.py 03 --steps {steps} --seed {seed}"
        write_run(out, stem, run, setup_name, options, steps, seed, command)


# ----------------------------------------------------------------------------------------------
# Notebooks 04 and 05: the pretrained MNIST generators of tinygan.pretrained
# ----------------------------------------------------------------------------------------------
#
# Each is trained by the command line, ``tinygan train NAME --steps STEPS --seed 0 --out
# runs/pretrained/NAME`` (the set-up's own architecture, optimiser and batch; the step count is
# the only change to its defaults), so a run stopped half way continues with ``--resume`` from
# its last checkpoint (running this script again does that) and ends, bit for bit, where an
# uninterrupted run would. G's ``state_dict`` is then taken out of the checkpoint and written
# (float32, G only) to ``tinygan/weights/NAME-generator.npz``; ``NAME-generator.json`` beside it
# holds what was measured on the file as loaded back: the digit classifier on 10,000 samples
# (Fréchet distance, classes covered, class balance, mean confidence; for the conditional GAN the
# share read as the requested digit), Goodfellow et al.'s Parzen window, the training's steps and
# wall time, and the load average of the machine while it trained (a shared machine's wall time
# depends on it). MNIST comes from $TINYGAN_DATA, else tinygan's cache. With ``--steps`` (a quick
# try) the runs go under OUT/runs and the measurement uses 500 samples and no Parzen window.

PRETRAINED_STEPS = {
    # twice its default: what notebook 04 trained live before it loaded weights
    "mlp-mnist": 20_000,
    # its default
    "cgan-mnist": 10_000,
    # its default (3.2 epochs)
    "dcgan-mnist": 3_000,
}


def train_cli(name: str, steps: int, run_dir: Path, seed: int) -> dict[str, Any]:
    """Run (or continue) ``tinygan train name`` to ``steps`` steps in ``run_dir``; returns this
    invocation's record: the steps, the training's wall seconds (the command's own measure, in
    its metrics.json), the command's with its final evaluation, the load averages before and
    after (1, 5 and 15 minutes)."""
    ckpt = run_dir / "checkpoint.npz"
    done = int(tinygan.load(ckpt)["step"]) if ckpt.is_file() else 0
    if done >= steps:
        print(f"{name}: {ckpt} is already at step {done}; not training", flush=True)
        return {"from_step": done, "to_step": done}
    command = [sys.executable, "-m", "tinygan", "train", name, "--steps", str(steps), "--seed",
               str(seed), "--out", str(run_dir), "--quiet"]
    if done:
        command.append("--resume")
    print(f"{name}: tinygan {' '.join(command[3:])}", flush=True)
    load_before = os.getloadavg()
    start = time.perf_counter()
    subprocess.run(command, check=True)
    seconds = time.perf_counter() - start
    trained = json.loads((run_dir / "metrics.json").read_text())["train_seconds"]
    return {"from_step": done, "to_step": steps, "wall_seconds": round(trained, 1),
            "command_seconds": round(seconds, 1),
            "load_average_before": [round(v, 2) for v in load_before],
            "load_average_after": [round(v, 2) for v in os.getloadavg()],
            "finished": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def class_balance(counts: list[int]) -> dict[str, float]:
    """How evenly samples spread over the 10 digits: the KL divergence of the class histogram
    to the uniform one, and the rarest and commonest digit as a multiple of the fair share."""
    share = numpy.asarray(counts, dtype=numpy.float64) / max(1, sum(counts))
    nonzero = share[share > 0]
    return {"kl_to_uniform": round(float(numpy.sum(nonzero * numpy.log(10 * nonzero))), 4),
            "min_of_fair_share": round(float(10 * share.min()), 3),
            "max_of_fair_share": round(float(10 * share.max()), 3)}


def measure_pretrained(name: str, folder: Path, n: int, parzen: bool) -> dict[str, Any]:
    """The metrics of the written weights, loaded back through tinygan.pretrained's loader."""
    setup = pretrained_setup(name, device="cpu", folder=folder)
    gan = setup.gan()
    result = evaluate(setup, gan, n, parzen=parzen)
    result.pop("step", None)
    result["sample_seed"] = SAMPLE_SEED
    result["class_balance"] = class_balance(result["classifier"]["class_counts"])
    if setup.num_classes is not None:
        asked = numpy.arange(n) % setup.num_classes
        probs, _ = predict(gan.sample(n, labels=asked, seed=SAMPLE_SEED).numpy())
        result["read_as_requested"] = round(float(numpy.mean(probs.argmax(1) == asked)), 4)
        result["mean_probability_of_requested"] = round(
            float(probs[numpy.arange(n), asked].mean()), 4)
    return result


def make_pretrained(name: str, out: Path, steps: int | None, seed: int) -> dict[str, Any]:
    """Train ``name`` (``PRETRAINED_STEPS`` unless ``steps``), write NAME-generator.npz and
    NAME-generator.json into ``out``; returns the metrics."""
    quick = steps is not None
    steps = steps or PRETRAINED_STEPS[name]
    runs = out / "runs" if quick or out.resolve() != WEIGHTS else ROOT / "runs" / "pretrained"
    run_dir = runs / name
    run_dir.mkdir(parents=True, exist_ok=True)
    log_path = run_dir / "training_log.json"
    log = json.loads(log_path.read_text()) if log_path.is_file() else []
    record = train_cli(name, steps, run_dir, seed)
    if record["to_step"] > record["from_step"]:
        log.append(record)
        log_path.write_text(json.dumps(log, indent=1) + "\n")

    state = tinygan.load(run_dir / "checkpoint.npz")
    run = state["run"]
    generator = {k: numpy.asarray(v, dtype=numpy.float32) for k, v in state["generator"].items()}
    training = {"setup": name, "steps": int(state["step"]), "seed": int(run["seed"]),
                "batch_size": int(run["batch_size"]), "k": int(run["k"]),
                "generator_loss": run["generator_loss"],
                "command": f"tinygan train {name} --steps {state['step']} --seed {run['seed']}",
                "tinygan_version": tinygan.__version__}
    path = weights_path(name, out)
    tinygan.save({"format": WEIGHTS_FORMAT, "setup": name, "state_dict": generator,
                  "training": training}, path)
    training["epochs"] = round(training["steps"] * training["batch_size"] / 60_000, 2)
    training["wall_seconds"] = round(sum(r["wall_seconds"] for r in log), 1)
    training["runs"] = log
    training["machine"] = (f"{platform.machine()}, {os.cpu_count()} cores, "
                           f"{platform.python_implementation()} {platform.python_version()}, "
                           f"numpy {numpy.__version__}")
    start = time.perf_counter()
    evaluation = measure_pretrained(name, out, 500 if quick else 10_000, parzen=not quick)
    evaluation["seconds"] = round(time.perf_counter() - start, 1)
    metrics = {"setup": name, "weights": path.name, "weights_bytes": path.stat().st_size,
               "training": training, "evaluation": evaluation}
    metrics_path(name, out).write_text(json.dumps(metrics, indent=1) + "\n")
    c = evaluation["classifier"]
    print(f"{name}: wrote {path} ({path.stat().st_size / 1e6:.1f} MB), {training['steps']} "
          f"steps: {c['classes_covered']}/10 digits, Frechet {c['frechet_distance']:.1f}, "
          f"{evaluation['class_balance']}", flush=True)
    return metrics


def notebook_04(out: Path, steps: int | None = None, seed: int = 0) -> None:
    """Notebook 04's generator: mlp-mnist, Goodfellow et al.'s MLP GAN, 20,000 steps."""
    make_pretrained("mlp-mnist", out, steps, seed)


def notebook_05(out: Path, steps: int | None = None, seed: int = 0) -> None:
    """Notebook 05's generators: cgan-mnist (10,000 steps) and dcgan-mnist (3,000 steps)."""
    make_pretrained("cgan-mnist", out, steps, seed)
    make_pretrained("dcgan-mnist", out, steps, seed)


NOTEBOOKS: dict[str, Callable[..., None]] = {
    "03": notebook_03,
    "04": notebook_04,
    "05": notebook_05,
}


def load_run(stem: str, folder: Path = WEIGHTS) -> tuple[models.Setup, dict[str, Any]]:
    """The set-up of a run written here with its trained generator, and its measurements."""
    state = tinygan.load(folder / f"{stem}.npz")
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{stem}.npz is not a file of {FORMAT}")
    setup = models.build(state["setup"], steps=int(state["steps"]), **state["options"])
    setup.generator.load_state_dict(state["generator"])
    if "discriminator" in state:
        setup.discriminator.load_state_dict(state["discriminator"])
    return setup, json.loads((folder / f"{stem}.json").read_text())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("notebook", choices=[*NOTEBOOKS, "all"], help="whose weights to make")
    p.add_argument("--out", default=str(WEIGHTS), help="folder to write (tinygan/weights)")
    p.add_argument("--steps", type=int, default=None,
                   help="train this many steps instead of each run's own (for a quick try)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    out = Path(args.out)
    if not out.is_dir():
        print(f"make_notebook_weights: folder {out} does not exist", file=sys.stderr)
        return 2
    if args.steps is not None and args.steps < 1:
        print(f"make_notebook_weights: --steps must be at least 1, got {args.steps}",
              file=sys.stderr)
        return 2
    for name in NOTEBOOKS if args.notebook == "all" else [args.notebook]:
        NOTEBOOKS[name](out, steps=args.steps, seed=args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
