"""Shared test set-up: the device the suites run on, the CuPy double, and the ``gpu`` marker.

- ``pytest`` runs everything on the CPU (NumPy).
- ``pytest --device fakecuda`` (or ``TINYGAN_TEST_DEVICE=fakecuda pytest``) registers the CuPy
  double of tests/fake_cupy.py as the device "cuda" and makes it the default device of every test,
  so ``Tensor.to("cuda")``, ``set_default_device("cuda")`` and all tensor creation run against
  arrays that refuse implicit host transfers. tests/test_fake_device.py does this for a chosen
  set of checks in every run; the option runs whole suites that way (a test that reads ``.data``
  with NumPy instead of ``.numpy()`` then fails in the test itself, which is the point: it shows
  where a host copy is taken).
- ``pytest --device cuda`` runs the suites on a real GPU (CuPy and a GPU needed).
- Tests marked ``@pytest.mark.gpu`` (tests/test_gpu.py; ``pytest -m gpu``) are skipped, with the
  reason, unless CuPy imports and sees a GPU.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
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
