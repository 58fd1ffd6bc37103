from __future__ import annotations

import pytest

from tests.fakes import FakeClassifier, fake_result
from tests.helpers import finished_job


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def job_with(owner, *, top_confidence: float = 0.9, is_bird: bool = True, version: str = "test-1"):
    """A finished job whose top-1 is American Goldfinch (amegfi) at ``top_confidence``."""
    result = fake_result(top_confidence=top_confidence, is_bird=is_bird, model_version=version)
    return finished_job(owner, FakeClassifier(model_version=version, result=result))
