"""Pretrained generators that ship with tinygan, so a lesson can show digits at once.

    >>> G = tinygan.pretrained("dcgan-mnist")            # the generator, in eval mode
    >>> z = tinygan.randn(16, G.latent_dim)
    >>> with tinygan.no_grad():
    ...     images = G(z)
    >>> images.shape, G.training
    ((16, 1, 28, 28), False)
    >>> C = tinygan.pretrained("cgan-mnist")             # G(z, y): y the digits to draw
    >>> with tinygan.no_grad():
    ...     sevens = C(tinygan.randn(4, C.latent_dim), tinygan.tensor([7, 7, 7, 7]))
    >>> C.metrics["evaluation"]["classifier"]["classes_covered"]   # the measured metrics
    10

One file per set-up in ``tinygan/weights/``: ``NAME-generator.npz`` holds the generator's
``state_dict`` only (D is not needed to draw samples), written with ``tinygan.save`` under the
format name ``tinygan-pretrained-generator`` together with the set-up's name and how it was
trained; ``NAME-generator.json`` beside it holds its measured metrics (the digit classifier's
Fréchet distance, classes covered and class balance, the Parzen window, training steps and wall
time, the quality track over training, the nearest-neighbour distance to the training set).
``scripts/pretrained_weights.py`` trains them (``tinygan train NAME`` with a fixed seed and
the recipes the measurements support, resumable) and writes both files; where the run kept a
moving average of G (``--ema``), the file holds the average, which is what the run sampled.

The networks are those of ``tinygan.models`` (``models.build(NAME).generator``), so everything
said there about their architecture holds; ``pretrained_setup`` gives the whole set-up with the
pretrained generator in it, for ``GAN.sample`` and ``tinygan sample --pretrained NAME``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tinygan import backend, nn
from tinygan.gan import models
from tinygan.serialization import CheckpointError, load

__all__ = ["PRETRAINED", "WEIGHTS_DIR", "WEIGHTS_FORMAT", "PretrainedError", "metrics_path",
           "pretrained", "pretrained_setup", "weights_path"]

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"
WEIGHTS_FORMAT = "tinygan-pretrained-generator"
PRETRAINED = ("mlp-mnist", "dcgan-mnist", "cgan-mnist")
"""The set-ups with shipped generator weights."""


class PretrainedError(ValueError):
    """A shipped weights file that is missing, broken or not what its name says."""


def weights_path(name: str, folder: str | Path | None = None) -> Path:
    """Where the generator weights of set-up ``name`` live (``folder`` default: the package's)."""
    return Path(folder if folder is not None else WEIGHTS_DIR) / f"{name}-generator.npz"


def metrics_path(name: str, folder: str | Path | None = None) -> Path:
    """Where the measured metrics of set-up ``name``'s weights live (a JSON file)."""
    return Path(folder if folder is not None else WEIGHTS_DIR) / f"{name}-generator.json"


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or name not in PRETRAINED:
        raise ValueError(f"tinygan.pretrained: no pretrained weights named {name!r}; valid "
                         f"names: {', '.join(PRETRAINED)}")
    return name


def _read(name: str, folder: str | Path | None) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The verified contents of the weights file, and the metrics beside it (None if absent)."""
    path = weights_path(name, folder)
    if not path.is_file():
        raise PretrainedError(f"tinygan.pretrained({name!r}): the weights file {path} is "
                              "missing; reinstall tinygan, or write it with python "
                              "scripts/pretrained_weights.py")
    try:
        state = load(path)
    except (CheckpointError, OSError) as exc:
        raise PretrainedError(f"tinygan.pretrained({name!r}): the weights file {path} is broken "
                              f"({exc}); reinstall tinygan, or write it again with python "
                              "scripts/pretrained_weights.py") from None
    if not isinstance(state, dict) or state.get("format") != WEIGHTS_FORMAT:
        found = state.get("format") if isinstance(state, dict) else type(state).__name__
        raise PretrainedError(f"tinygan.pretrained({name!r}): {path} is a tinygan file but not "
                              f"pretrained generator weights (format {found!r}, expected "
                              f"{WEIGHTS_FORMAT!r})")
    if state.get("setup") != name:
        raise PretrainedError(f"tinygan.pretrained({name!r}): {path} holds the weights of the "
                              f"set-up {state.get('setup')!r}, not {name!r}")
    if not isinstance(state.get("state_dict"), dict):
        raise PretrainedError(f"tinygan.pretrained({name!r}): {path} has no generator "
                              "state_dict")
    mpath = metrics_path(name, folder)
    info = json.loads(mpath.read_text()) if mpath.is_file() else None
    return state, info


def pretrained_setup(name: str, device: Any = None, folder: str | Path | None = None
                     ) -> models.Setup:
    """The reference set-up ``name`` with its generator's pretrained weights loaded.

    D and the optimisers are freshly built (the file holds no D); ``setup.gan().sample(n)``
    then draws from the pretrained generator exactly as ``tinygan sample`` does from a
    checkpoint. Building the set-up leaves tinygan's seeded random stream as it was.
    ``device``: default tinygan's default device; ``folder``: default the package's weights.
    """
    _check_name(name)
    state, info = _read(name, folder)
    # The layers draw their initial weights from the seeded CPU generator: put its state back,
    # so that loading a pretrained network in the middle of a notebook changes nothing else.
    gen = backend.generator("cpu")
    rng = backend.get_rng_state(gen)
    try:
        setup = models.build(name, device="cpu")
    finally:
        backend.set_rng_state(gen, rng)
    try:
        setup.generator.load_state_dict(state["state_dict"])
    except (ValueError, KeyError) as exc:
        raise PretrainedError(f"tinygan.pretrained({name!r}): the weights in "
                              f"{weights_path(name, folder)} do not fit the set-up's generator "
                              f"({exc})") from None
    device = backend.get_device(device)
    setup.generator.to(device)
    setup.discriminator.to(device)
    generator = setup.generator.eval()
    generator.setup_name = name
    generator.latent_dim = setup.latent_dim
    generator.num_classes = setup.num_classes
    generator.training_info = dict(state.get("training", {}))
    generator.metrics = info
    return setup


def pretrained(name: str, device: Any = None) -> nn.Module:
    """The pretrained generator of the reference set-up ``name``, in eval mode, on ``device``
    (default: tinygan's default device).

    ``name`` is one of ``PRETRAINED``: ``"mlp-mnist"``, ``"dcgan-mnist"`` (G(z), z of shape
    (N, latent_dim)) or ``"cgan-mnist"`` (G(z, y), y int64 digits of shape (N,)); all give
    images of shape (N, 1, 28, 28) in [-1, 1]. The module carries ``latent_dim``,
    ``num_classes`` (None unless conditional), ``training_info`` (steps, seed, command) and
    ``metrics`` (the measured metrics, as in the JSON file beside the weights).

    Raises:
        ValueError: an unknown name (the message lists the valid ones).
        PretrainedError: the weights file is missing, broken or of another set-up.
    """
    return pretrained_setup(name, device).generator
