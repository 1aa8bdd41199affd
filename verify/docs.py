"""Tables the README carries, rendered from the registry and the config schema (a test keeps them equal)."""

from __future__ import annotations

import json

from components.config.schema import ALL_SETTINGS
from components.secrets_registry import SECRETS, Need


def secrets_table() -> str:
    rows = ["| Key | Source | Format | Rotatable | Consumers |", "|---|---|---|---|---|"]
    for spec in SECRETS:
        if spec.generated:
            source = "generated (override to keep an existing value)"
        elif spec.need is Need.LATER:
            source = "supplied after the first deploy"
        elif spec.need is Need.OPTIONAL:
            source = "supplied, optional"
        else:
            source = "supplied, required"
        rotatable = ("yes: " if spec.rotatable else "no: ") + spec.rotation_note
        consumers = "<br>".join(spec.consumers)
        rows.append(f"| `{spec.config_key}` | {source} | {spec.format.description} | {rotatable} | {consumers} |")
    return "\n".join(rows)


def config_table() -> str:
    rows = ["| Key | Type | Default | Description |", "|---|---|---|---|"]
    for setting in ALL_SETTINGS:
        default = "required" if setting.required else f"`{json.dumps(setting.default)}`"
        rows.append(f"| `{setting.key}` | {setting.type} | {default} | {setting.description} |")
    return "\n".join(rows)


def releases_table() -> str:
    """The Helm releases, from the chart records: each row's last column is its values function's summary."""
    from components.cluster.charts import ALL

    rows = ["| Release (namespace) | Chart, version, repository | What the program sets |", "|---|---|---|"]
    for pin in ALL:
        summary = " ".join((pin.values.__doc__ or "").split("\n\n")[0].split())
        offline = "" if pin.source_offline else " Not rendered offline: no copy of its source exists."
        rows.append(f"| `{pin.release_name}` ({pin.namespace}) | `{pin.chart}` {pin.version}, {pin.repository} | "
                    f"{summary}{offline} |")
    return "\n".join(rows)


def bootstrap_table() -> str:
    """The bootstrap Secrets, from their records (created only while something installed reads them)."""
    from components.cluster.plan import BOOTSTRAP_SECRETS

    rows = ["| Secret (namespace) | Keys | Kept on delete | Read by |", "|---|---|---|---|"]
    for _, secret in BOOTSTRAP_SECRETS:
        name = f"{secret.name}-<digest>" if secret.versioned else secret.name
        keys = ", ".join(f"`{key}`" for key in secret.keys)
        rows.append(f"| `{name}` ({secret.namespace}) | {keys} | {'yes' if secret.retain_on_delete else 'no'} | "
                    f"{secret.purpose} |")
    return "\n".join(rows)


def between(text: str, name: str) -> str:
    start, end = f"<!-- {name}:start -->\n", f"\n<!-- {name}:end -->"
    return text[text.index(start) + len(start): text.index(end)]


if __name__ == "__main__":
    print(config_table())
    print()
    print(secrets_table())
