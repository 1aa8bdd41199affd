"""Keyed digests: change exactly when their content changes, and reveal nothing without the key.

Used wherever a secret's change must trigger something (bootstrap.sh re-runs, pods roll, syncs re-run)
without the secret, or a plain hash of it, appearing anywhere.
"""

from __future__ import annotations

import hashlib
import hmac

import pulumi
import pulumi_random as random

from components.secret_output import secret


def keyed_digest(key: str, content: str) -> str:
    return hmac.new(key.encode(), content.encode(), hashlib.sha256).hexdigest()


def digest_of(values: dict[str, str]) -> str:
    """A canonical text of named values (order-independent), to be digested with a key."""
    return "\0".join(f"{name}={values[name]}" for name in sorted(values))


class DigestKey:
    """A generated key (kept in state) and the secret digests made with it."""

    def __init__(self, name: str, parent: pulumi.Resource) -> None:
        self.key = secret(random.RandomBytes(name, length=32, opts=pulumi.ResourceOptions(parent=parent)).hex)

    def of(self, **values: pulumi.Input[str]) -> pulumi.Output[str]:
        return secret(pulumi.Output.all(self.key, pulumi.Output.all(**values)).apply(
            lambda pair: keyed_digest(pair[0], digest_of(pair[1]))))
