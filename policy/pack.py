"""The rules as `pulumi_policy` policies: the thin layer between the engine and `policy.rules`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from components.cluster.constants import ESO_API_VERSION
from policy.rules import RULES, Rule
from policy.secrets import SecretView, install_wire_recorder, recorded_wire, stack_secret_values
from policy.values import Unknown, UnknownValue, from_wire, is_list

PACK_NAME = "homelab-secrets"
PACK_DESCRIPTION = ("Guards what homelab-secrets promises: silent secret file writes over SSH, no secret in "
                    "command scripts, pinned host keys, a protected server behind a minimal firewall, "
                    f"{ESO_API_VERSION}, pinned chart versions and unprunable bootstrap Secrets.")


def plain(value: Any) -> Any:
    """Plain dicts and lists from the engine's unknown-checking proxies; each unknown becomes `Unknown`."""
    if isinstance(value, Mapping):
        result: dict[str, Any] = {}
        for key in value:  # iterating keys reads no value
            try:
                item = value[key]
            except UnknownValueError as unknown:
                result[key] = Unknown(unknown.unknown_type_sentinel)
                continue
            result[key] = plain(item)
        return result
    if is_list(value):
        items: list[Any] = []
        for index in range(len(value)):
            try:
                item = value[index]
            except UnknownValueError as unknown:
                items.append(Unknown(unknown.unknown_type_sentinel))
                continue
            items.append(plain(item))
        return items
    return value


def config_with_defaults(rule: Rule, config: Mapping[str, Any] | None) -> dict[str, Any]:
    """The policy's config as the operator set it, each unset property at its schema default."""
    merged = dict(config or {})
    for key, schema in (rule.config_schema or {}).items():
        if key not in merged and "default" in schema:
            merged[key] = schema["default"]
    return merged


def secret_view(props: Mapping[str, Any]) -> SecretView:
    """The resource's secret markers from the recorded wire form, and the stack's secret values. The wire
    form is used only when it is this resource's (it reads back to the same props); otherwise only the
    stack's values are searched."""
    wire = recorded_wire()
    config = stack_secret_values()
    if wire and from_wire(wire) == props:
        return SecretView.from_wire(wire, config)
    return SecretView(values=config)


def validation(rule: Rule) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    """The validate callback of one rule."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if not rule.applies(args.resource_type):
            return
        options: dict[str, Any] = {}
        if rule.configure is not None:
            try:
                options = rule.configure(config_with_defaults(rule, args.get_config()))
            except ValueError as error:
                report_violation(f"the policy config of {rule.name} is invalid: {error}", None)
                return
        props = plain(args.props)
        if rule.reads_secrets:
            options["secrets"] = secret_view(props)
        try:
            messages = rule.check(args.resource_type, props, **options)
        except UnknownValue as unknown:
            # The SDK reports "can't run policy during preview"; pulumi up runs it on the real value.
            raise UnknownValueError(unknown.sentinel, unknown.path) from None
        for message in messages:
            report_violation(message, None)

    return validate


def build_policies() -> list[ResourceValidationPolicy]:
    install_wire_recorder()
    return [
        ResourceValidationPolicy(
            name=rule.name,
            description=rule.description,
            validate=validation(rule),
            enforcement_level=EnforcementLevel.MANDATORY,
            config_schema=PolicyConfigSchema(properties=rule.config_schema) if rule.config_schema else None,
        )
        for rule in RULES
    ]
