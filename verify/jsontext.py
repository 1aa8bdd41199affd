"""JSON text for the check's hot paths, with orjson (C, several times faster than the standard library here).

Only where the text never leaves the process or is read back by this module: the stored renders' parse, the
canonical text a schema result is remembered under, and the leak prefilter. orjson refuses what the standard
library accepts in a few rare cases (an integer beyond 64 bits, a lone surrogate): those fall back to it.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_SORTED = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def loads(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def dumps(value: Any, sort_keys: bool = False) -> str:
    """Compact JSON, every string verbatim (not ASCII-escaped); unknown objects as their str()."""
    try:
        return orjson.dumps(value, option=_SORTED if sort_keys else orjson.OPT_NON_STR_KEYS, default=str).decode()
    except TypeError:
        return json.dumps(value, sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=False,
                          check_circular=False, default=str)
