"""Typed helper: mark an Output secret (the SDK's own signature defeats mypy's inference)."""

from __future__ import annotations

from typing import cast

import pulumi


def secret(value: pulumi.Input[str]) -> pulumi.Output[str]:
    return cast("pulumi.Output[str]", pulumi.Output.secret(value))
