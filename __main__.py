"""homelab-secrets: composition only. Read the config, build the components, export the outputs."""

import pulumi

from components import outputs
from components.bootstrap_secrets import BootstrapSecrets
from components.settings import ConfigError, RawConfig, load

try:
    settings = load(RawConfig.from_runtime(), pulumi.get_stack())
except ConfigError as error:
    # RunError ends the program with this message alone: no traceback, nothing registered.
    raise pulumi.RunError(str(error)) from None

secrets = BootstrapSecrets("bootstrap-secrets", settings)

outputs.export_common(settings, secrets)
