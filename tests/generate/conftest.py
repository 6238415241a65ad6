"""Fixtures for the generation tests: small trained models are built once per session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def default_model():
    from facemimic.generate.model import load_model

    return load_model(None)
