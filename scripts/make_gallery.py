"""Make the README's gallery from real training runs: docs/gallery/*.png.

    python scripts/make_gallery.py                       # trains gauss1d, ring2d and mlp-mnist
    python scripts/make_gallery.py --mnist-checkpoint runs/mlp-mnist/checkpoint.npz

Pictures (each a small PNG):

* ``gauss1d_figure1.png``: Goodfellow et al.'s Figure 1 at five moments of the default gauss1d run
  (data density, generator density, D and the optimal D*);
* ``ring2d.png``: the ring2d generator's samples over the 8 modes at four moments of the
  reference run (PacGAN's packed discriminator, 24,000 steps), with the mode metrics in the
  titles;
* ``mnist_samples.png``: 100 digits from mlp-mnist, trained here for ``--mnist-steps`` steps
  (MNIST from ``--data`` or TINYGAN_DATA), or taken from a checkpoint written by
  ``tinygan train mlp-mnist`` (``--mnist-checkpoint``), with the classifier's verdict.

Everything is seeded: the same command gives the same pictures.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

import tinygan
from tinygan import metrics, models, viz

ROOT = Path(__file__).resolve().parent.parent
DPI = 80


def _save(fig: Figure, path: Path) -> None:
    fig.savefig(path, dpi=DPI)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)")


def gauss1d_figure(out: Path, steps: int) -> None:
    """Figure 1 at five moments of the default gauss1d run."""
    tinygan.manual_seed(0)
    setup = models.build("gauss1d", steps=steps)
    gan = setup.gan()
    moments = sorted({0, steps // 60, steps // 20, steps // 6, steps})
    fig = Figure(figsize=(3.4 * len(moments), 3.6), layout="constrained")
    axes = fig.subplots(1, len(moments))
    for ax, step in zip(axes, moments):
        gan.fit(setup.target, step - gan.global_step, batch_size=setup.batch_size, progress=False)
        x = gan.sample(10_000, seed=0).numpy()
        w1 = metrics.wasserstein1(x, setup.target)
        viz.figure1(gan, setup.target.pdf, (-2.0, 10.0), ax=ax,
                    title=f"gauss1d, step {gan.global_step} (W1 {w1:.2f})")
    legend = axes[0].get_legend()  # one legend for the row instead of one under each panel
    handles, labels = legend.legend_handles, [t.get_text() for t in legend.get_texts()]
    for ax in axes:
        ax.get_legend().remove()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), fontsize=8)
    _save(fig, out / "gauss1d_figure1.png")


def ring_figure(out: Path, steps: int | None) -> None:
    """The ring2d samples at four moments of the reference run (``steps``: default its own)."""
    tinygan.manual_seed(0)
    setup = models.build("ring2d") if steps is None else models.build("ring2d", steps=steps)
    steps = setup.steps
    gan = setup.gan()
    target = setup.target
    moments = sorted({0, steps // 10, steps // 3, steps})
    fig = Figure(figsize=(3.2 * len(moments), 3.4), layout="constrained")
    axes = fig.subplots(1, len(moments))
    for ax, step in zip(axes, moments):
        gan.fit(target, step - gan.global_step, batch_size=setup.batch_size, progress=False)
        samples = gan.sample(2500, seed=0).numpy()
        m = metrics.mode_metrics(samples, target.modes, target.std)
        viz.plot_samples_2d(samples, target.modes, ax=ax, title=(
            f"ring2d, step {gan.global_step}\n{m['modes_captured']}/8 modes, "
            f"{100 * m['high_quality_fraction']:.0f}% high quality"))
        ax.get_legend().remove()
    _save(fig, out / "ring2d.png")


def _mnist_gan(steps: int, checkpoint: Path | None, data: str | None) -> Any:
    if checkpoint is not None:
        state = tinygan.load(checkpoint)
        name = state.get("run", {}).get("setup")
        if name != "mlp-mnist":
            raise SystemExit(f"{checkpoint}: expected a checkpoint of `tinygan train mlp-mnist`, "
                             f"got set-up {name!r}")
        gan = models.build("mlp-mnist").gan()
        gan.load_state_dict(state)
        return gan
    from tinygan.data import infinite_batches, load_mnist  # noqa: PLC0415

    images, _ = load_mnist(data, "train")
    tinygan.manual_seed(0)
    setup = models.build("mlp-mnist", steps=steps)
    gan = setup.gan()
    gan.fit(infinite_batches(images, setup.batch_size, seed=0), steps, progress=False)
    return gan


def mnist_figure(out: Path, steps: int, checkpoint: Path | None, data: str | None) -> None:
    """100 mlp-mnist digits and the classifier's verdict on 2,000 more."""
    from tinygan.evaluation.classifier import classifier_score  # noqa: PLC0415

    gan = _mnist_gan(steps, checkpoint, data)
    score = classifier_score(gan.sample(2000, seed=1).numpy())
    fig = Figure(figsize=(4.6, 5.0), layout="constrained")
    viz.plot_images(gan.sample(100, seed=0), nrow=10, ax=fig.add_subplot(), title=(
        f"mlp-mnist, step {gan.global_step}: {score['classes_covered']}/10 digits covered,\n"
        f"classifier confidence {score['mean_confidence']:.2f}, "
        f"Fréchet distance {score['frechet_distance']:.0f}"))
    _save(fig, out / "mnist_samples.png")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Make docs/gallery/*.png from real runs.")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "gallery")
    parser.add_argument("--gauss-steps", type=int, default=3000)
    parser.add_argument("--ring-steps", type=int, default=None,
                        help="default: the ring2d set-up's own step count")
    parser.add_argument("--mnist-steps", type=int, default=20_000)
    parser.add_argument("--mnist-checkpoint", type=Path, default=None,
                        help="a checkpoint of `tinygan train mlp-mnist` instead of training here")
    parser.add_argument("--data", default=None, help="the MNIST folder (default TINYGAN_DATA)")
    parser.add_argument("--skip-mnist", action="store_true")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    jobs = [("gauss1d", lambda: gauss1d_figure(args.out, args.gauss_steps)),
            ("ring2d", lambda: ring_figure(args.out, args.ring_steps))]
    if not args.skip_mnist:
        jobs.append(("mlp-mnist", lambda: mnist_figure(args.out, args.mnist_steps,
                                                       args.mnist_checkpoint, args.data)))
    for name, job in jobs:
        start = time.perf_counter()
        job()
        print(f"  {name}: {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
