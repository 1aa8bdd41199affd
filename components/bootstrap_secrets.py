"""Resolves every bootstrap secret to a secret Output: the config value when supplied, else generated once.

A supplied value is the handle the config model read (config is not read a second time here); it becomes a
secret Output with `pulumi.Output.secret`, which is what `pulumi.Config.require_secret` returns for the same
value (pulumi 3.272.0, pulumi/config.py: `return Output.secret(self._require(key, True))`).

Generated secrets are pulumi-random / pulumi-tls resources kept (encrypted) in state, named by their record's
fixed `state_name`, never by the config key. Their `keepers` (random) or replacement trigger (tls) carry only
the rotation counter, so bumping the counter regenerates exactly that secret and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_random as random
import pulumi_tls as tls

from components.config.model import Settings
from components.config.secrets import secret_in_scope
from components.secret_output import secret
from components.secrets_registry import (
    SECRETS,
    Ed25519Gen,
    RandomBytesGen,
    RandomPasswordGen,
    SecretSpec,
)


def openssh_public_key(private_key_openssh: str, spec: SecretSpec) -> str:
    """The single-line OpenSSH public half of an unencrypted OpenSSH private key, computed locally."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    try:
        key = serialization.load_ssh_private_key(private_key_openssh.strip().encode() + b"\n", password=None)
        public = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                               serialization.PublicFormat.OpenSSH)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        reason = type(error).__name__  # never the message: it may quote the key
        raise pulumi.RunError(
            f"{spec.full_key} is not an unencrypted OpenSSH private key ({reason}): {spec.set_command()}") from None
    return public.decode().strip()


@dataclass(frozen=True)
class KeyPair:
    private_key: pulumi.Output[str]
    public_key: pulumi.Output[str]  # OpenSSH single-line form


class BootstrapSecrets(pulumi.ComponentResource):
    """Owns the generated secrets; hands out every secret (supplied or generated) as a secret Output."""

    def __init__(self, name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("homelab:secrets:BootstrapSecrets", name, None, opts)
        self._settings = settings
        self._values: dict[SecretSpec, pulumi.Output[str]] = {}
        self._key_pairs: dict[SecretSpec, KeyPair] = {}
        self._sign_in: dict[SecretSpec, pulumi.Output[str]] = {}  # bcrypt hashes: the password they hash
        for spec in SECRETS:
            if not secret_in_scope(spec, settings.bifrost.enabled, settings.cluster.enabled):
                continue
            if spec in settings.supplied:
                self._values[spec] = pulumi.Output.secret(settings.secret_values[spec].reveal())
            elif spec.generator is not None:
                self._values[spec] = self._generate(spec)
        self.register_outputs({})

    def _child(self, **extra: object) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **extra)  # type: ignore[arg-type]

    def _generate(self, spec: SecretSpec) -> pulumi.Output[str]:
        generation = str(self._settings.generations.get(spec, 0))
        generator = spec.generator
        if isinstance(generator, RandomPasswordGen):
            password = random.RandomPassword(
                spec.state_name, length=generator.length, special=False, keepers={"generation": generation},
                opts=self._child())
            if generator.with_bcrypt:
                self._sign_in[spec] = secret(password.result)
                return secret(password.bcrypt_hash)
            return secret(password.result)
        if isinstance(generator, RandomBytesGen):
            data = random.RandomBytes(spec.state_name, length=generator.length, keepers={"generation": generation},
                                      opts=self._child())
            return secret(data.hex if generator.encoding == "hex" else data.base64)
        if isinstance(generator, Ed25519Gen):
            key = tls.PrivateKey(spec.state_name, algorithm="ED25519",
                                 opts=self._child(replacement_trigger=generation))
            self._key_pairs[spec] = KeyPair(
                secret(key.private_key_openssh), key.public_key_openssh.apply(str.strip))
            return secret(key.private_key_openssh)
        raise AssertionError(f"no generator for {spec.name}")

    def value(self, spec: SecretSpec) -> pulumi.Output[str]:
        return self._values[spec]

    def optional(self, spec: SecretSpec) -> pulumi.Output[str] | None:
        return self._values.get(spec)

    def operator_value(self, spec: SecretSpec) -> pulumi.Output[str] | None:
        """What the operator signs in with, for a generated secret whose record names an operator output: the
        password itself for a bcrypt hash, the value otherwise. None when supplied (the operator has it)."""
        if not spec.operator_output or spec in self._settings.supplied:
            return None
        return self._sign_in.get(spec, self._values.get(spec))

    def key_pair(self, spec: SecretSpec, public_key: str = "") -> KeyPair:
        """The private key and its OpenSSH public half, whether generated or supplied."""
        if spec in self._key_pairs:
            return self._key_pairs[spec]
        private_key = self._values[spec]
        if public_key:
            return KeyPair(private_key, pulumi.Output.from_input(public_key))
        # Derived here, not with the tls.get_public_key invoke: the SDK sends invoke arguments without their
        # secret marker, so the private key would cross it, and be logged by the engine, in plain text.
        derived = secret(private_key).apply(lambda text: openssh_public_key(text, spec))
        # The public half is not secret: it is pinned in every connection and exported in known_hosts.
        return KeyPair(private_key, pulumi.Output.unsecret(derived))
