from __future__ import annotations

from pathlib import Path

import pytest

from fakes.bifrost.harness import Stack


@pytest.fixture
def stack(tmp_path: Path) -> Stack:
    """A fresh /etc/bifrost stand-in with every required file rendered and the fake docker on PATH."""
    return Stack(tmp_path)
