"""Delivers the Bifrost files and runs bootstrap.sh.

Static files from cloud/bifrost/ go with CopyToRemote. Every rendered file is written by a remote
command that reads it from stdin (never argv, never `environment`, never a local file), logs nothing and
keeps its output secret. bootstrap.sh runs after every file is in place and re-runs only when a keyed
digest of a file it uses changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import pulumi
import pulumi_command as command

from components.bifrost import blueprint, render, scripts
from components.bifrost.cloud_init import BIFROST_DIR
from components.bifrost.render import RenderedFile
from components.bifrost.server import BifrostServer
from components.bootstrap_secrets import BootstrapSecrets
from components.config.model import Settings
from components.digests import DigestKey
from components.secret_output import secret

STATIC_DIR = Path(__file__).resolve().parents[2] / "cloud" / "bifrost"


def static_files(root: Path = STATIC_DIR) -> list[Path]:
    """Every file of cloud/bifrost, in a stable order."""
    return sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def _secret_outputs() -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(additional_secret_outputs=["stdout", "stderr"])


class BifrostFiles(pulumi.ComponentResource):
    def __init__(self, name: str, settings: Settings, secrets: BootstrapSecrets, server: BifrostServer,
                 dns_records: Sequence[pulumi.Resource] = (), opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("homelab:bifrost:Files", name, None, opts)
        self._settings = settings
        self._secrets = secrets
        self.connection = command.remote.ConnectionArgs(
            host=server.ipv4,
            user="root",
            private_key=server.deploy_key.private_key,
            host_key=server.host_key.public_key,
            dial_error_limit=60,
            per_dial_timeout=10,
        )
        child = pulumi.ResourceOptions(parent=self)
        self._digests = DigestKey(f"{name}-digest-key", self)

        ready = command.remote.Command(
            f"{name}-ready", connection=self.connection, create=scripts.wait_for_cloud_init(),
            # Its fixed messages only (a cloud-init warning), never a file or a secret.
            add_previous_output_in_env=False, logging=command.remote.Logging.STDERR,
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[server.server])))
        directories = sorted({str(p.parent.relative_to(STATIC_DIR)) for p in static_files()} - {"."}
                             | set(render.SUBDIRECTORIES))
        mkdirs = command.remote.Command(
            f"{name}-directories", connection=self.connection, create=scripts.make_directories(directories),
            add_previous_output_in_env=False, logging=command.remote.Logging.NONE,
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[ready])))
        after_mkdirs = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[mkdirs]))

        uploads: list[pulumi.Resource] = []
        digests: dict[str, pulumi.Output[str]] = {}
        for path in static_files():
            relative = path.relative_to(STATIC_DIR).as_posix()
            content_hash = hashlib.sha256(path.read_bytes()).hexdigest()
            uploads.append(command.remote.CopyToRemote(
                f"{name}-static-{relative.replace('/', '-').replace('.', '-')}",
                connection=self.connection, source=pulumi.FileAsset(str(path)),
                remote_path=f"{BIFROST_DIR}/{relative}", triggers=[content_hash], opts=after_mkdirs))
            digests[relative] = pulumi.Output.from_input(content_hash)

        netbird_text: pulumi.Output[str] | None = None
        for rendered in render.SECRET_FILES:
            content = self._render(rendered)
            if rendered is render.NETBIRD_CONFIG:
                netbird_text = content
            uploads.append(self._write(name, rendered.path, rendered.slug, content, after_mkdirs,
                                       guard_store_key=rendered.guards_data))
            digests[rendered.path] = self._digest(content)
        assert netbird_text is not None
        blueprint_text = self._render_blueprint()
        uploads.append(self._write_blueprint(name, blueprint_text, after_mkdirs))
        digests[blueprint.BLUEPRINT_PATH] = self._digest(blueprint_text)
        dotenv_text = secret(self._digest(netbird_text).apply(
            lambda digest: render.compose_dotenv(settings.bifrost, digest)))
        uploads.append(self._write(name, render.DOTENV_PATH, "dotenv", dotenv_text, after_mkdirs))
        digests[render.DOTENV_PATH] = self._digest(dotenv_text)
        listing = pulumi.Output.from_input(render.rendered_list())
        uploads.append(self._write(name, render.RENDERED_LIST_PATH, "rendered-files", listing, after_mkdirs))
        digests[render.RENDERED_LIST_PATH] = self._digest(listing)

        self.bootstrap = command.remote.Command(
            f"{name}-bootstrap",
            connection=self.connection,
            create=scripts.run_bootstrap(settings.bifrost.stage_timeout),
            triggers=[digests[key] for key in sorted(digests)],
            add_previous_output_in_env=False,
            # Traefik starts here and asks Let's Encrypt for its certificates: the hosts' records come first.
            # Its log is shown (bootstrap.sh redacts every secret the VPS holds before printing); the copy
            # kept in the state is encrypted all the same.
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
                depends_on=[*uploads, *dns_records], additional_secret_outputs=["stdout", "stderr"])),
        )
        self.register_outputs({})

    def _render(self, rendered: RenderedFile) -> pulumi.Output[str]:
        if rendered.optional_secret is not None and self._secrets.optional(rendered.optional_secret) is None:
            return pulumi.Output.from_input("")
        specs = list(rendered.secrets)
        if rendered.identity_secrets:
            specs += blueprint.worker_secrets(self._settings.identity).values()
        bifrost = self._settings.bifrost
        return secret(pulumi.Output.all(*(self._secrets.value(spec) for spec in specs)).apply(
            lambda plain: rendered.render(bifrost, dict(zip(specs, plain, strict=True)))))

    def _render_blueprint(self) -> pulumi.Output[str]:
        """The blueprint holds no secret, only a keyed digest of the client secrets: a rotation changes the file,
        and Authentik re-applies a blueprint only when its file changes."""
        identity = self._settings.identity
        client_secrets = {env: self._secrets.value(spec) for env, spec in blueprint.worker_secrets(identity).items()}
        return secret(self._digests.of(**client_secrets).apply(
            lambda digest: blueprint.render_blueprint(identity, digest)))

    def _write_blueprint(self, name: str, content: pulumi.Output[str],
                         opts: pulumi.ResourceOptions) -> command.remote.Command:
        return command.remote.Command(
            f"{name}-file-authentik-blueprint",
            connection=self.connection,
            create=blueprint.upload_script(BIFROST_DIR),
            stdin=content,
            logging=command.remote.Logging.NONE,
            add_previous_output_in_env=False,
            opts=pulumi.ResourceOptions.merge(opts, _secret_outputs()),
        )

    def _digest(self, content: pulumi.Output[str]) -> pulumi.Output[str]:
        return self._digests.of(content=content)

    def _write(self, name: str, path: str, slug: str, content: pulumi.Output[str],
               opts: pulumi.ResourceOptions, guard_store_key: bool = False) -> command.remote.Command:
        script = scripts.write_file(path, guard_store_key=guard_store_key,
                                    allow_key_change=self._settings.allow_data_key_change)
        return command.remote.Command(
            f"{name}-file-{slug}",
            connection=self.connection,
            create=script,
            stdin=content,
            logging=command.remote.Logging.NONE,
            add_previous_output_in_env=False,
            opts=pulumi.ResourceOptions.merge(opts, _secret_outputs()),
        )
