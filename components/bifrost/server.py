"""Hetzner resources of the Bifrost VPS: deploy key, firewall, primary IP and the server itself."""

from __future__ import annotations

import pulumi
import pulumi_hcloud as hcloud

from components.bifrost.cloud_init import render_user_data
from components.bootstrap_secrets import BootstrapSecrets, KeyPair
from components.config.model import Settings
from components.config_commands import config_set, full_key
from components.secret_output import secret
from components.secrets_registry import HCLOUD_TOKEN, SSH_DEPLOY_KEY, SSH_HOST_KEY

WORLD = ["0.0.0.0/0", "::/0"]
# Inputs whose change makes Hetzner replace the server (and lose its Docker volumes). Outside
# `serverReplacement: replace` they keep their deployed values (ignore_changes), whatever the config says.
REPLACING_INPUTS = ("userData", "sshKeys", "image", "location")
REPLACEMENT_STEPS = (f"{config_set('serverReplacement', 'unprotect')} && pulumi up, then "
                     f"{config_set('serverReplacement', 'replace')} && pulumi up "
                     "(docs/runbook.md: Replacing the server on purpose; back up the Docker volumes first)")
PUBLIC_PORTS: tuple[tuple[str, str], ...] = (("tcp", "80"), ("tcp", "443"), ("udp", "3478"))
SSH_PORT = "22"


def held_back_changes(wanted: dict[str, str], deployed: dict[str, str | None]) -> list[str]:
    """One step per replacing setting whose configured value differs from the deployed server's."""
    steps = []
    for key, value in wanted.items():
        current = deployed.get(key)
        if current is not None and current != value:
            steps.append(f"{full_key(key)} is {value!r} but the server runs {current!r}: a new {key} "
                         f"means a new server, so the change waits for the deliberate replacement: "
                         f"{REPLACEMENT_STEPS}")
    return steps


def firewall_rules(ssh_source_ranges: tuple[str, ...]) -> list[hcloud.FirewallRuleArgs]:
    rules = [
        hcloud.FirewallRuleArgs(direction="in", protocol=protocol, port=port, source_ips=WORLD,
                                description=f"public {protocol}/{port}")
        for protocol, port in PUBLIC_PORTS
    ]
    rules.append(hcloud.FirewallRuleArgs(direction="in", protocol="tcp", port=SSH_PORT,
                                         source_ips=list(ssh_source_ranges), description="ssh"))
    return rules


class BifrostServer(pulumi.ComponentResource):
    """The server and what Hetzner needs for it. user_data depends on the host key only."""

    def __init__(self, name: str, settings: Settings, secrets: BootstrapSecrets,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("homelab:bifrost:Server", name, None, opts)
        bifrost = settings.bifrost
        labels = {"app": "bifrost", "managed-by": "pulumi", "stack": settings.stack}
        provider = hcloud.Provider("hcloud", token=secrets.value(HCLOUD_TOKEN),
                                   opts=pulumi.ResourceOptions(parent=self))
        child = pulumi.ResourceOptions(parent=self, provider=provider)

        self.deploy_key: KeyPair = secrets.key_pair(SSH_DEPLOY_KEY, bifrost.ssh_public_key)
        self.host_key: KeyPair = secrets.key_pair(SSH_HOST_KEY)

        ssh_key = hcloud.SshKey(f"{name}-deploy", name=f"{bifrost.server_name}-deploy",
                                public_key=self.deploy_key.public_key, labels=labels, opts=child)
        firewall = hcloud.Firewall(f"{name}-firewall", name=bifrost.server_name,
                                   rules=firewall_rules(bifrost.ssh_source_ranges), labels=labels, opts=child)
        self.primary_ip = hcloud.PrimaryIp(
            f"{name}-ipv4", name=f"{bifrost.server_name}-ipv4", type="ipv4", assignee_type="server",
            location=bifrost.location, auto_delete=False, delete_protection=True, labels=labels,
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(protect=True)))

        user_data = pulumi.Output.all(self.host_key.private_key, self.host_key.public_key).apply(
            lambda keys: render_user_data(keys[0], keys[1]))
        protected = bifrost.server_replacement == "off"
        self.server = hcloud.Server(
            name,
            name=bifrost.server_name,
            server_type=bifrost.server_type,
            image=bifrost.image,
            location=bifrost.location,
            ssh_keys=[ssh_key.id],
            firewall_ids=[firewall.id.apply(int)],
            public_nets=[hcloud.ServerPublicNetArgs(ipv4_enabled=True, ipv4=self.primary_ip.id.apply(int),
                                                    ipv6_enabled=True)],
            user_data=secret(user_data),
            delete_protection=protected,
            rebuild_protection=protected,
            labels=labels,
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
                # Hetzner replaces a server whose user_data, image, location or SSH keys change (the keys are
                # only installed at creation anyway); only `serverReplacement: replace` lets such a change
                # through, `unprotect` only lifts Hetzner's protection.
                ignore_changes=[] if bifrost.server_replacement == "replace" else list(REPLACING_INPUTS),
                delete_before_replace=True,
            )),
        )
        # With the inputs ignored, the server's outputs keep the deployed image and location: a config
        # change shows here (and as a warning in `pulumi preview`) instead of passing silently.
        wanted = {"image": bifrost.image, "location": bifrost.location}
        self.held_back_steps: pulumi.Output[list[str]] = pulumi.Output.all(
            self.server.image, self.server.location).apply(
            lambda deployed: _warn_each(held_back_changes(wanted, {"image": deployed[0], "location": deployed[1]}),
                                        self.server))
        self.ipv4 = self.primary_ip.ip_address
        self.ipv6 = self.server.ipv6_address
        self.register_outputs({"ipv4": self.ipv4, "ipv6": self.ipv6})


def _warn_each(steps: list[str], resource: pulumi.Resource) -> list[str]:
    for step in steps:
        pulumi.log.warn(step, resource)
    return steps
