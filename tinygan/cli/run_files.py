"""The files of a run folder that ``tinygan train`` writes besides the checkpoint: the folder
itself, history.npz, track.json (``--track-every``) and the test of whether a run finished."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from tinygan.cli.common import CannotWrite, CLIError
from tinygan.evaluation.track import QualityTrack
from tinygan.gan import models

__all__ = ["finished", "prepare_out", "quality_track", "save_history", "write_json"]


def prepare_out(out: Path) -> None:
    """Create the output folder and prove it can be written, or say why not."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise CLIError(f"cannot write to the output folder {out} ({exc.strerror or exc}); "
                       "choose another with --out DIR") from None


def finished(out: Path, step: int) -> bool:
    """Whether metrics.json holds the results of step ``step`` (the run needs nothing more)."""
    try:
        return json.loads((out / "metrics.json").read_text()).get("step") == step
    except (OSError, ValueError, AttributeError):
        return False


def save_history(gan: Any, path: Path) -> None:
    """history.npz, one array per term (``numpy.load(path)["loss_d"]``), written atomically."""
    tmp = path.with_name(path.name + ".tmp.npz")
    try:
        np.savez(tmp, **gan.history)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def quality_track(setup: models.Setup, gan: Any, run: dict[str, Any], clock: Any) -> Any:
    """The run's quality track (``--track-every``), continuing a resumed run's points; it
    measures the starting point of a new run at once. None without ``--track-every``."""
    if not run.get("track_every"):
        return None
    points = [p for p in run.get("track", []) if p["step"] <= gan.global_step]
    track = QualityTrack(setup, gan, run["track_every"], points=points, clock=clock,
                         spent=run.get("track_spent", 0.0))
    if not points:
        track.measure()
    return track


def write_json(path: Path, obj: Any, kept: str) -> None:
    """``obj`` as JSON at ``path``, written whole or not at all (a temporary file renamed)."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps(obj, indent=1) + "\n")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CannotWrite(f"cannot write {path} ({exc.strerror or exc}); {kept}") from None
