"""Generated app secrets: catalog keys marked `generate`, made by the program and written to Infisical by the
provisioner Job at the app's path (the values reach the Job in one Secret it mounts, never argv or env)."""

from __future__ import annotations

import pulumi
import pulumi_random as random

from components.config.model import AppEntry, GeneratedKey
from components.secret_output import secret


def generate(name: str, key: GeneratedKey, parent: pulumi.Resource) -> pulumi.Output[str]:
    """One value; its keepers hold only the rotation counter, so a bump is the one thing that regenerates it."""
    options = pulumi.ResourceOptions(parent=parent)
    keepers = {"generation": str(key.generation)}
    if key.format == "alnum":
        return secret(random.RandomPassword(name, length=key.length, special=False, keepers=keepers,
                                            opts=options).result)
    data = random.RandomBytes(name, length=key.length, keepers=keepers, opts=options)
    return secret(data.hex if key.format == "hex" else data.base64)


class AppSecrets(pulumi.ComponentResource):
    def __init__(self, name: str, apps: tuple[AppEntry, ...], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("homelab:cluster:AppSecrets", name, None, opts)
        # seed file -> value, the keys of the Secret the provisioner Job mounts
        self.values: dict[str, pulumi.Output[str]] = {
            app.seed_file(key): generate(f"app-{app.seed_file(key)}", key, self)
            for app in apps for key in app.generated}
        self.register_outputs({})
