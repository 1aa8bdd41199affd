"""The generated parts of the docs: tables rendered from the registries and the secrets-flow picture.

Each part is declared once in `GENERATED` with the file and marked block it fills. `python -m verify docs`
lists the parts that differ from their generator (exit 1); `python -m verify docs --write` rewrites them.
A test keeps every part equal to its generator.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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
        offline = "" if pin.source_offline else (" No offline copy of its source exists: rendered once "
                                                 "`python -m verify charts fetch` has pulled it, checked against "
                                                 "its cited templates until then.")
        rows.append(f"| `{pin.release_name}` ({pin.namespace}) | `{pin.chart}` {pin.version}, {pin.repository} | "
                    f"{summary}{offline} |")
    return "\n".join(rows)


def bootstrap_table() -> str:
    """The bootstrap Secrets, from their records (created only while something installed reads them)."""
    from components.cluster.plan import BOOTSTRAP_SECRETS

    rows = ["| Secret (namespace) | Keys | Kept on delete | Read by |", "|---|---|---|---|"]
    for secret in BOOTSTRAP_SECRETS:
        name = f"{secret.name}-<digest>" if secret.versioned else secret.name
        keys = ", ".join(f"`{key}`" for key in secret.keys)
        rows.append(f"| `{name}` ({secret.namespace}) | {keys} | {'yes' if secret.retain_on_delete else 'no'} | "
                    f"{secret.purpose} |")
    return "\n".join(rows)


def policy_table() -> str:
    from policy.docs import policy_table as table

    return table()


def pins_table() -> str:
    from verify import pins

    return pins.pins_table()


def secrets_flow() -> str:
    from verify import flow

    return flow.document()


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->\n", f"\n<!-- {name}:end -->"


def between(text: str, name: str) -> str:
    start, end = _markers(name)
    return text[text.index(start) + len(start): text.index(end)]


def replace_between(text: str, name: str, content: str) -> str:
    start, end = _markers(name)
    head, rest = text[: text.index(start) + len(start)], text[text.index(end):]
    return head + content + rest


@dataclass(frozen=True)
class Generated:
    """One generated part of the docs: a marked block of a file, or (block "") the whole file."""

    path: str  # relative to the project root
    block: str
    render: Callable[[], str]

    def current(self, root: Path) -> str:
        text = (root / self.path).read_text()
        return between(text, self.block) if self.block else text

    def updated(self, root: Path) -> str:
        if not self.block:
            return self.render()
        return replace_between((root / self.path).read_text(), self.block, self.render())


GENERATED: tuple[Generated, ...] = (
    Generated("docs/reference.md", "config-table", config_table),
    Generated("docs/reference.md", "secrets-table", secrets_table),
    Generated("docs/reference.md", "cluster-releases", releases_table),
    Generated("docs/reference.md", "cluster-secrets", bootstrap_table),
    Generated("docs/reference.md", "policy-table", policy_table),
    Generated("docs/pinned-versions.md", "pins", pins_table),
    Generated("docs/secrets-flow.md", "", secrets_flow),
)


def stale(root: Path) -> list[Generated]:
    """The parts that differ from their generator."""
    return [part for part in GENERATED if part.current(root) != part.render()]


def run(root: Path, write: bool) -> int:
    """Exit 0 when every part is current (or was rewritten), 1 when one is stale and not written."""
    outdated = stale(root)
    for part in outdated:
        where = f"{part.path} ({part.block})" if part.block else part.path
        if write:
            (root / part.path).write_text(part.updated(root))
            print(f"rewrote {where}")
        else:
            print(f"stale: {where}: regenerate with: python -m verify docs --write")
    return 0 if write or not outdated else 1
