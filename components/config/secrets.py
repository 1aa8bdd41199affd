"""Secret checks: each supplied secret's value is read once, checked, and kept as an opaque handle.

A secret must be stored encrypted, in the format its consumer expects; the error says what is expected and
never what was given. Whether a secret is required follows the areas that are enabled (its record's scope),
and the setting that needs it (its record's `required_with`).
"""

from __future__ import annotations

from components.config.model import SecretValue, Settings
from components.config.problems import remove_command
from components.config.reader import Reader
from components.secrets_registry import SECRETS, Need, Scope, SecretSpec


def secret_in_scope(spec: SecretSpec, bifrost: bool, cluster: bool) -> bool:
    return (spec.scope is Scope.BOTH and (bifrost or cluster)) or (
        (spec.scope is Scope.BIFROST and bifrost) or (spec.scope is Scope.CLUSTER and cluster))


def required_now(spec: SecretSpec, bifrost: bool, cluster: bool) -> bool:
    """An operator-supplied secret the enabled areas cannot run without."""
    return spec.need is Need.REQUIRED and not spec.generated and secret_in_scope(spec, bifrost, cluster)


def read_secrets(r: Reader, bifrost: bool, cluster: bool) -> dict[SecretSpec, SecretValue]:
    supplied: dict[SecretSpec, SecretValue] = {}
    for spec in SECRETS:
        value = r.raw_text(spec.config_key)
        if not value:
            if required_now(spec, bifrost, cluster):
                r.missing(spec.config_key, spec.set_command(), spec.title)
            continue
        if not r.raw.is_secret(spec.config_key):
            r.problem(spec.config_key, "is stored in plaintext in the stack file: it must be encrypted",
                      f"{remove_command(spec.config_key)} && {spec.set_command()}")
        elif not spec.format.accepts(value):
            r.problem(spec.config_key, f"has the wrong format: expected {spec.format.description}",
                      spec.set_command())
        supplied[spec] = SecretValue(value)
    for spec in SECRETS:
        if (spec.required_with and spec.required_with in r.present and spec not in supplied
                and secret_in_scope(spec, bifrost, cluster)):
            r.problem(spec.config_key, f"is required when {spec.required_with} is set ({spec.title})",
                      spec.set_command())
    return supplied


def missing_later_secrets(settings: Settings) -> list[SecretSpec]:
    """Secrets issued by a running service after the first deploy, not set yet."""
    return [
        spec for spec in SECRETS
        if spec.need is Need.LATER and spec not in settings.supplied
        and secret_in_scope(spec, settings.bifrost.enabled, settings.cluster.enabled)
    ]
