"""The evaluation's cheaper stack capture gives each registration exactly the SDK's stack trace."""

from __future__ import annotations

from typing import Any

from pulumi.runtime import resource as runtime_resource

from verify.evaluate import stack_trace


def both() -> tuple[Any, Any]:
    return stack_trace(), runtime_resource._get_stack_trace()


class Base:
    def __init__(self) -> None:
        self.traces = both()


class Middle(Base):
    def __init__(self) -> None:
        super().__init__()


class Concrete(Middle):
    def __init__(self) -> None:
        super().__init__()


class Deeper(Concrete):
    def __init__(self) -> None:  # a fourth constructor: the trace starts inside it, as the SDK's does
        super().__init__()


def build(kind: type[Base]) -> Base:
    return kind()


def test_the_trace_is_the_sdks_own() -> None:
    for kind in (Concrete, Deeper):
        ours, sdk = build(kind).traces
        assert ours == sdk
        assert len(ours.frames) >= 2 and ours.frames[0].pc.uri.endswith("test_stack_trace.py")
        assert ours.frames[0].pc.line == sdk.frames[0].pc.line


def test_too_few_constructors_give_an_empty_trace_as_the_sdk_does() -> None:
    ours, sdk = Middle().traces
    assert ours == sdk
