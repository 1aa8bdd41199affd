"""Catalog durations (an app's `refreshInterval`): their shape, their seconds, and the two operators' forms.

The one place for these rules: the config package checks an entry with `problem`, the cluster manifests
write `infisical_resync_interval`.

- External Secrets reads `refreshInterval` as a Go `time.Duration` (`1h30m` is fine), so it gets the text as
  written.
- The Infisical operator (v0.11.5, `internal/util/time.go`, `ConvertResyncIntervalToDuration`) reads one number
  and one unit (`s`, `m`, `h`, `d`, `w`) and refuses fewer than 5 seconds; the InfisicalStaticSecret controller
  calls it with `allowZero` false. A compound duration becomes the same span in the largest exact unit.
"""

from __future__ import annotations

import re

UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1}  # largest first: normalisation picks the first that divides exactly
_SHAPE = re.compile("(?:[0-9]+[" + "".join(UNIT_SECONDS) + "])+")
_PART = re.compile("([0-9]+)([" + "".join(UNIT_SECONDS) + "])")
EXAMPLES = "60s, 15m or 1h"
INFISICAL_MIN_RESYNC_SECONDS = 5


def is_duration(text: str) -> bool:
    """One or more `<number><unit>` parts, units among h, m and s: `60s`, `15m`, `1h30m`."""
    return _SHAPE.fullmatch(text) is not None


def seconds(text: str) -> int:
    if not is_duration(text):
        raise ValueError(f"not a duration like {EXAMPLES}: {text!r}")
    return sum(int(number) * UNIT_SECONDS[unit] for number, unit in _PART.findall(text))


def in_largest_exact_unit(total_seconds: int) -> str:
    """`5400` becomes `90m`, `7200` becomes `2h`, `61` stays `61s`."""
    for unit, size in UNIT_SECONDS.items():
        if total_seconds % size == 0:
            return f"{total_seconds // size}{unit}"
    raise AssertionError("the smallest unit divides every whole number")


def problem(text: str, *, infisical_operator: bool) -> str | None:
    """Why `text` is not a refresh interval (for the Infisical operator, when so), or None when it is."""
    if not is_duration(text):
        return f"must be a duration like {EXAMPLES}"
    if infisical_operator and seconds(text) < INFISICAL_MIN_RESYNC_SECONDS:
        return f"must be at least {INFISICAL_MIN_RESYNC_SECONDS}s for the Infisical operator"
    return None


def infisical_resync_interval(text: str) -> str:
    """The Infisical operator's one-number-one-unit form, at least 5 seconds; ValueError otherwise."""
    reason = problem(text, infisical_operator=True)
    if reason is not None:
        raise ValueError(f"refreshInterval {text!r} {reason}")
    return in_largest_exact_unit(seconds(text))
