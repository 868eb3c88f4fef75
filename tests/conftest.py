"""Shared test set-up: the device the suites run on, the CuPy double, and the ``gpu`` marker.

- ``pytest`` runs everything on the CPU (NumPy).
- ``pytest --device fakecuda`` (or ``TINYGAN_TEST_DEVICE=fakecuda pytest``) registers the CuPy
  double of tests/fake_cupy.py as the device "cuda" and makes it the default device of every test,
  so ``Tensor.to("cuda")``, ``set_default_device("cuda")`` and all tensor creation run against
  arrays that refuse implicit host transfers. tests/device/test_fake_device.py does this for a
  set of checks in every run; the option runs whole suites that way (a test that reads ``.data``
  with NumPy instead of ``.numpy()`` then fails in the test itself, which is the point: it shows
  where a host copy is taken).
- ``pytest --device cuda`` runs the suites on a real GPU (CuPy and a GPU needed).
- Tests marked ``@pytest.mark.gpu`` (tests/device/test_gpu.py; ``pytest -m gpu``) are skipped,
  with the reason, unless CuPy imports and sees a GPU.

Lessons. Every test and docstring example that belongs to a lecture carries its marker, so a
teacher runs one lecture with ``pytest -m lesson02`` (``lesson01`` ... ``lesson05``, declared in
pyproject.toml). The markers are given here, by path and, inside a file that spans lessons, by
the test's name (``LESSON_RULES`` below):

- lesson01, autograd from scratch: tests/autograd, tests/ops, tests/nn, tests/optim, the graph
  drawing, the README's ten lines, and the doctests of tinygan/autograd, ops, nn, optim;
- lesson02, the GAN chapter on a 1-D Gaussian: the losses (Eq. 1-5), Algorithm 1 (tests/gan),
  the gauss1d set-up and target, W1 and KS, Figure 1;
- lesson03, mode collapse in 2-D: ring2d and grid2d, their targets, the mode metrics;
- lesson04, an MLP GAN on MNIST: the MNIST loader and mini-batches, the digit classifier,
  Parzen, the Fréchet distance, the mlp-mnist set-up and its shipped generator;
- lesson05, DCGAN and the conditional GAN: convolutions (also lesson01), dcgan-mnist,
  cgan-mnist, ``ConditionalGAN``, their shipped generators.

Each notebook's tests carry its own lesson. The command line, checkpoints, benchmarks, the
device tests and the docs checks belong to no single lesson and carry no lesson marker.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tinygan import backend

DEVICES = ("cpu", "fakecuda", "cuda")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--device", choices=DEVICES, default=os.environ.get("TINYGAN_TEST_DEVICE", "cpu"),
        help="default device of the tests: cpu (NumPy), fakecuda (the CuPy double of "
             "tests/fake_cupy.py registered as 'cuda'), cuda (a real GPU). Also read from the "
             "TINYGAN_TEST_DEVICE environment variable.")


def real_gpu_status() -> str | None:
    """None when CuPy imports and sees a GPU; otherwise the reason it does not."""
    try:
        import cupy  # noqa: PLC0415
    except ImportError:
        return 'CuPy is not installed (pip install "tinygan[cuda12]")'
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDA driver missing or broken
        return f"CuPy cannot reach a GPU: {exc}"
    return None if count > 0 else "CuPy sees no GPU"


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--device") not in DEVICES:
        raise pytest.UsageError(f"TINYGAN_TEST_DEVICE must be one of {DEVICES}")


# (path prefix from the repository root, test-name pattern or None, lessons). Within a file the
# rules with a pattern whose regex is found in the test's name (with its parameters) apply; a
# test that none of them matches gets the file's rule without a pattern.
LESSON_RULES: list[tuple[str, str | None, tuple[int, ...]]] = [
    ("README.md", None, (1,)),
    ("tests/autograd/", None, (1,)),
    ("tests/ops/test_conv.py", None, (1, 5)),
    ("tests/ops/", None, (1,)),
    ("tests/nn/", None, (1,)),
    ("tests/optim/", None, (1,)),
    ("tests/viz/test_drawgraph.py", None, (1,)),
    ("tests/viz/test_viz.py", "draw_graph", (1,)),
    ("tests/viz/test_viz.py", "figure1|kde|history", (2,)),
    ("tests/viz/test_viz.py", "scatter", (3,)),
    ("tests/viz/test_viz.py", "image_grid", (4,)),
    ("tests/viz/test_gallery.py", None, (2, 3, 4)),
    ("tests/gan/test_gan.py", "conditional", (5,)),
    ("tests/gan/test_gan.py", None, (2,)),
    ("tests/gan/test_losses", None, (2,)),
    ("tests/gan/test_models.py", "gauss1d|unknown", (2,)),
    ("tests/gan/test_models.py", "ring|grid|pack", (3,)),
    ("tests/gan/test_models.py", r"mlp-mnist", (4,)),
    ("tests/gan/test_models.py", "dcgan|cgan", (5,)),
    ("tests/gan/test_pretrained.py", "mlp-mnist", (4,)),
    ("tests/gan/test_pretrained.py", "dcgan|cgan", (5,)),
    ("tests/gan/test_pretrained.py", None, (4, 5)),
    ("tests/data/test_data.py", "gaussian1d|1d", (2,)),
    ("tests/data/test_data.py", "ring|grid|mixture", (3,)),
    ("tests/data/test_data.py", "toy", (2, 3)),
    ("tests/data/test_data.py", None, (4,)),
    ("tests/data/test_mnist.py", None, (4,)),
    ("tests/evaluation/test_metrics.py", "w1|ks|1d", (2,)),
    ("tests/evaluation/test_metrics.py", "mode|fair_share|high_quality|noise|stray|grid", (3,)),
    ("tests/evaluation/test_metrics.py", "parzen|frechet", (4,)),
    ("tests/evaluation/test_classifier.py", None, (4,)),
    *(("tests/notebooks/test_notebooks.py", rf"\[0{n}_", (n,)) for n in range(1, 6)),
    ("tinygan/autograd/", None, (1,)),
    ("tinygan/ops/", None, (1,)),
    ("tinygan/nn/", None, (1,)),
    ("tinygan/optim/", None, (1,)),
    ("tinygan/viz/drawgraph.py", None, (1,)),
    ("tinygan/viz/plots.py", None, (2,)),
    ("tinygan/gan/conditional.py", None, (5,)),
    ("tinygan/gan/pretrained.py", None, (4, 5)),
    ("tinygan/gan/", None, (2,)),
    ("tinygan/data/toy.py", None, (2, 3)),
    ("tinygan/data/", None, (4,)),
    ("tinygan/evaluation/metrics.py", None, (2, 3, 4)),
    ("tinygan/evaluation/", None, (4,)),
]


def lessons_of(path: str, name: str) -> tuple[int, ...]:
    """The lessons of the test ``name`` in the file ``path`` (relative to the repository root,
    with forward slashes), by ``LESSON_RULES``: () for a test that belongs to no lesson."""
    rules = [(pattern, lessons) for prefix, pattern, lessons in LESSON_RULES
             if path.startswith(prefix)]
    named = sorted({n for pattern, lessons in rules
                    if pattern is not None and re.search(pattern, name) for n in lessons})
    if named:
        return tuple(named)
    for pattern, lessons in rules:  # the first rule without a pattern: the file's default
        if pattern is None:
            return lessons
    return ()


def _mark_lessons(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(str(config.rootpath))
    for item in items:
        try:
            path = Path(str(item.path)).resolve().relative_to(root).as_posix()
        except ValueError:  # a file outside the repository
            continue
        for n in lessons_of(path, item.name):
            item.add_marker(getattr(pytest.mark, f"lesson{n:02d}"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _mark_lessons(config, items)
    gpu_items = [item for item in items if "gpu" in item.keywords]
    why = real_gpu_status() if gpu_items or config.getoption("--device") == "cuda" else None
    if why is None:
        return
    skip = pytest.mark.skip(reason=f"needs a GPU: {why}")
    for item in items if config.getoption("--device") == "cuda" else gpu_items:
        item.add_marker(skip)


def register_fake_cuda() -> Any:
    """Register tests/fake_cupy.py as the device "cuda"; returns the module."""
    import fake_cupy  # noqa: PLC0415

    backend.register_device("cuda", fake_cupy, fake_cupy.ndarray)
    return fake_cupy


@pytest.fixture(scope="session")
def mnist_files() -> str:
    """The folder of the MNIST files ($TINYGAN_DATA, else ../shared/mnist beside the checkout),
    for tests that read the images themselves; the test is skipped when the files are not
    there (a fresh checkout without network must not try to download them)."""
    folder = Path(os.environ.get("TINYGAN_DATA")
                  or Path(__file__).resolve().parents[2] / "shared" / "mnist")
    if not (folder / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"the MNIST files are not in {folder} (set TINYGAN_DATA)")
    return str(folder)


@pytest.fixture
def mnist_data(mnist_files: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """``mnist_files``, also set as TINYGAN_DATA for the test (scripts and `tinygan train`
    read it)."""
    monkeypatch.setenv("TINYGAN_DATA", mnist_files)
    return mnist_files


@pytest.fixture
def fake_cuda() -> Iterator[Any]:
    """The CuPy double registered as "cuda" for one test, starting from the default device "cpu"
    and transfer counters at zero; afterwards the previous "cuda" device, default device and
    generators come back (so it also works under --device fakecuda or cuda)."""
    saved_device = backend._devices.get("cuda")
    saved_default = backend.get_default_device()
    saved_generator = backend._generators.pop("cuda", None)
    module = register_fake_cuda()
    module.transfers.clear()
    backend.set_default_device("cpu")
    try:
        yield module
    finally:
        backend.unregister_device("cuda")
        if saved_device is not None:
            backend._devices["cuda"] = saved_device
        if saved_generator is not None:
            backend._generators["cuda"] = saved_generator
        backend.set_default_device(saved_default)


@pytest.fixture(autouse=True)
def _test_device(request: pytest.FixtureRequest) -> Iterator[None]:
    """Under --device fakecuda/cuda, every test starts with that default device."""
    device = request.config.getoption("--device")
    if device == "cpu" or "gpu" in request.keywords:
        yield
        return
    if device == "fakecuda":
        register_fake_cuda()
    backend.set_default_device("cuda")
    try:
        yield
    finally:
        backend.set_default_device("cpu")
