"""JSON text for the check's hot paths, with orjson (C, several times faster than the standard library here).

Only where the text never leaves the process or is read back by this module: the stored renders' parse, the
canonical text a schema result is remembered under, and the leak prefilter. Where orjson differs from the
standard library, the standard library is used to write an integer beyond 64 bits or a lone surrogate (orjson
refuses them). Two differences are kept, each with its guard or its reason: orjson reads an integer beyond 64
bits (above 2**64 - 1 or below -2**63) as a float, so the render cache never stores a text with such a number
(`LONG_NUMBER`, in `verify/rendering.py`, which errs on the safe side at the edges); and orjson writes NaN and
the infinities as null, so a schema result remembered for an object holding one also stands for the same object
with null there (YAML's `.nan` in a rendered manifest; none renders one).
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_SORTED = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
# The shortest texts an integer beyond 64 bits can have: 20 digits (2**64), or a minus and 19 (-2**63 - 1).
LONG_NUMBER = re.compile(r"-[0-9]{19}|[0-9]{20}")


def loads(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def dumps(value: Any, sort_keys: bool = False) -> str:
    """Compact JSON, every string verbatim (not ASCII-escaped); an object JSON has no type for as its str(), but
    for those orjson writes itself (datetimes in ISO form, dataclasses as objects, enums as their values)."""
    try:
        return orjson.dumps(value, option=_SORTED if sort_keys else orjson.OPT_NON_STR_KEYS, default=str).decode()
    except TypeError:
        return json.dumps(value, sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=False,
                          check_circular=False, default=str)
