"""Django's ``json`` serialization with timestamps to the microsecond, for ``manage.py backup``.

Django's encoder writes datetimes and times the way ECMA-262 does, to the millisecond: a backup through
it moved every timestamp (and with them the order of rows made in the same millisecond). This writes
the full ISO 8601 value, which Django's own ``json`` deserializer (``loaddata`` of a ``.json`` file) reads
back exactly, so a restore needs nothing of this module.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.serializers import json
from django.core.serializers.json import DjangoJSONEncoder

FORMAT = "json-exact"


class ExactJSONEncoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime):
            text = o.isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        if isinstance(o, datetime.time) and o.utcoffset() is None:
            return o.isoformat()
        return super().default(o)


class Serializer(json.Serializer):
    def _init_options(self) -> None:
        super()._init_options()
        self.json_kwargs["cls"] = ExactJSONEncoder


Deserializer = json.Deserializer
