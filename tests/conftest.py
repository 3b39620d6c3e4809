"""Shared fixtures: one embedded Spark Connect engine for the whole test session."""

from __future__ import annotations

import pytest

from jobs.engine import EmbeddedEngine, connect


@pytest.fixture(scope="session")
def spark():
    """A Spark Connect session on an embedded Sail server, shared by every test."""
    engine = EmbeddedEngine()
    session = connect(engine.url)
    yield session
    session.stop()
    engine.stop()


@pytest.fixture
def root(tmp_path):
    """An empty local lakehouse root for one test."""
    path = tmp_path / "lakehouse"
    path.mkdir()
    return str(path)
