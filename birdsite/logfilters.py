"""Quiet, useful logs: an expected answer (a refusal, a 403, a 404) is one line, never a traceback.

Django's ``django.request`` logger attaches the exception to "Forbidden (Permission denied)" and a
service's ``Refused`` that reached a log call carries its own; both are answers the site meant to give,
so the record keeps its one line (with the refusal's code) and drops the stack.
Wired in ``settings.LOGGING``: ``"filters": {"expected": {"()": "birdsite.logfilters.ExpectedAnswers"}}``
on the console handler.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404

from birdsite.errors import Refused

EXPECTED = (Refused, PermissionDenied, Http404)


class ExpectedAnswers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, EXPECTED):
            if isinstance(exc, Refused):
                record.msg = f"{record.getMessage()} [refused: {exc.code}: {exc.message}]"
                record.args = None
            record.exc_info = None
            record.exc_text = None
        return True
