"""Expected answers log one line; a real error keeps its traceback."""

from __future__ import annotations

import io
import logging

import pytest
from django.core.exceptions import PermissionDenied

from birdsite.errors import Refused
from birdsite.logfilters import ExpectedAnswers


@pytest.fixture
def log() -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(ExpectedAnswers())
    logger = logging.getLogger("test.expected")
    logger.handlers, logger.propagate = [handler], False
    return logger, out


def raised(exc: Exception) -> Exception:
    try:
        raise exc
    except Exception as caught:
        return caught


def test_an_ordinary_403_logs_one_line_without_a_traceback(log) -> None:
    logger, out = log
    logger.warning("Forbidden (Permission denied): %s", "/staff/review/", exc_info=raised(PermissionDenied()))
    assert out.getvalue() == "Forbidden (Permission denied): /staff/review/\n"


def test_a_refusal_logs_one_line_with_its_code(log) -> None:
    logger, out = log
    logger.info("upload refused", exc_info=raised(Refused("not_an_image", "This file is not an image.")))
    assert out.getvalue() == "upload refused [refused: not_an_image: This file is not an image.]\n"


def test_a_real_error_keeps_its_traceback(log) -> None:
    logger, out = log
    logger.error("boom", exc_info=raised(RuntimeError("disk on fire")))
    assert "Traceback" in out.getvalue() and "RuntimeError: disk on fire" in out.getvalue()
