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
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy
from pretrained_weights import make_pretrained

import tinygan
from tinygan import metrics, models
from tinygan.evaluation.report import evaluate

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
# They are made by scripts/pretrained_weights.py (its docstring says how): trained by the command
# line with fixed seeds and recipes, resumable, measured as loaded back.


def notebook_04(out: Path, steps: int | None = None, seed: int = 0) -> None:
    """Notebook 04's generator: mlp-mnist, Goodfellow et al.'s MLP GAN."""
    make_pretrained("mlp-mnist", out, steps, seed)


def notebook_05(out: Path, steps: int | None = None, seed: int = 0) -> None:
    """Notebook 05's generators: cgan-mnist and dcgan-mnist."""
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
