"""Stack outputs. Names, hosts and next steps only: never a secret value, nor a hash of one."""

from __future__ import annotations

import pulumi

from components.bootstrap_secrets import BootstrapSecrets
from components.settings import Settings, missing_later_secrets


def pending_steps(settings: Settings) -> list[str]:
    return [
        f"{spec.title} is not set yet ({', '.join(spec.consumers)} waits for it): "
        f"{spec.set_command()} && pulumi up"
        for spec in missing_later_secrets(settings)
    ]


def export_common(settings: Settings, secrets: BootstrapSecrets) -> None:
    pulumi.export("pendingSteps", pending_steps(settings))
    pulumi.export("suppliedSecrets", sorted(settings.supplied))
    if secrets.netbird_owner_password is not None:
        # Encrypted in state; read it once with `pulumi stack output --show-secrets netbirdOwnerPassword`.
        pulumi.export("netbirdOwnerPassword", secrets.netbird_owner_password)
