"""What Pulumi.yaml must declare, derived from the config schema and the secret registry."""

from __future__ import annotations

from typing import Any

from components.config.schema import ALL_SETTINGS, secret_declaration
from components.secrets_registry import SECRETS


def expected_declarations() -> dict[str, dict[str, Any]]:
    declarations: dict[str, dict[str, Any]] = {}
    for setting in ALL_SETTINGS:
        if not setting.declared:
            continue
        entry: dict[str, Any] = {"type": setting.type, "description": setting.description}
        if setting.type == "array":
            entry["items"] = {"type": "string"}
        if not setting.required:
            entry["default"] = setting.default
        declarations[setting.key] = entry
    for spec in SECRETS:
        declarations[spec.config_key] = secret_declaration(spec)
    return declarations


HEADER = """\
# homelab-secrets: the bootstrap tier of a two-tier homelab secrets system.
# Generated from components/config/schema.py and components/secrets_registry.py by
# `python -m verify.declarations > Pulumi.yaml`; a test keeps the two equal.
# Two things Pulumi's project config cannot express are left to the program's config model
# (components/config/), which checks them before any resource exists:
#   - the app catalog `apps` is a list of objects, and Pulumi.yaml types only strings, integers,
#     booleans and arrays of those, so it is not declared here;
#   - which secrets are required: that depends on what is enabled (the kubeconfig only with the
#     cluster, the Hetzner token only with Bifrost), and a `secret: true` key without default is
#     mandatory for the CLI whatever is enabled (with a default it is refused). So every secret is a
#     string defaulting to "", and the program requires those the enabled areas need and refuses any
#     that was not stored with `pulumi config set --secret`.
"""


def render_pulumi_yaml() -> str:
    import yaml

    document = {
        "name": "homelab-secrets",
        "description": "Bifrost VPS (Traefik, Authentik, NetBird) on Hetzner and a Kubernetes secrets platform "
                       "(Infisical, External Secrets Operator, Infisical operator, Argo CD), from encrypted "
                       "stack config.",
        "runtime": {"name": "python", "options": {"toolchain": "uv"}},
        "config": expected_declarations(),
    }
    return HEADER + yaml.safe_dump(document, sort_keys=False, width=110)


if __name__ == "__main__":
    print(render_pulumi_yaml(), end="")
