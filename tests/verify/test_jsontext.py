"""The fast JSON text (verify/jsontext.py): the text the standard library writes, and its fallbacks."""

from __future__ import annotations

import json

from verify import jsontext
from verify.leaks import _verbatim_in_json

MANIFEST = {"kind": "Secret", "metadata": {"name": "x", "labels": {"b": "2", "a": "1"}},
            "data": {"k": "dmFsdWU="}, "spec": [1, 2.5, True, None, "é ü ✓ 🔑", "quote \" back \\ tab \t"]}


def standard(value: object, sort_keys: bool) -> str:
    return json.dumps(value, sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=False, check_circular=False,
                      default=str)


def test_the_text_is_the_standard_librarys_for_json_data() -> None:
    for sort_keys in (False, True):
        assert jsontext.dumps(MANIFEST, sort_keys=sort_keys) == standard(MANIFEST, sort_keys)
    assert jsontext.loads(standard(MANIFEST, True)) == MANIFEST


def test_what_orjson_refuses_falls_back_to_the_standard_library() -> None:
    huge = {"n": 2**70, "s": "lone \ud800 surrogate"}
    assert jsontext.dumps(huge, sort_keys=True) == standard(huge, True)
    for beyond in (2**64, -(2**63) - 1):  # what orjson would read back as a float
        assert jsontext.LONG_NUMBER.search(jsontext.dumps({"n": beyond})), "the render cache's guard sees it"
    assert not jsontext.LONG_NUMBER.search(jsontext.dumps({"n": [2**63, -(10**17)]}))  # shorter ones are stored


class _Named:
    def __str__(self) -> str:
        return "named!"


def test_unknown_objects_are_written_as_text_and_non_string_keys_are_kept() -> None:
    assert json.loads(jsontext.dumps({1: _Named(), 2: {3}}, sort_keys=True)) == {"1": "named!", "2": "{3}"}


def test_the_leak_prefilter_rule_holds_for_both_writers() -> None:
    """A needle the prefilter trusts is written verbatim by both; one it does not trust is escaped by both."""
    characters = [chr(code) for code in (*range(0x00, 0x100), 0x2028, 0x2029, 0xFEFF, 0x1F511)]
    for char in characters:
        verbatim = _verbatim_in_json(char)
        assert (json.dumps(char, ensure_ascii=False)[1:-1] == char) is verbatim, hex(ord(char))
        assert (jsontext.dumps(char)[1:-1] == char) is verbatim, hex(ord(char))
