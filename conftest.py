"""Docstring examples (``--doctest-modules``) and the README's blocks start with these names."""

import numpy as np
import pytest

import tinygan


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace: dict) -> None:
    doctest_namespace.update(tinygan=tinygan, np=np)
