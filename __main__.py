"""homelab-secrets: composition only. Read the config, build the components, export the outputs."""

import pulumi

from components import outputs
from components.bifrost.delivery import BifrostFiles
from components.bifrost.server import BifrostServer
from components.bootstrap_secrets import BootstrapSecrets
from components.cluster import ClusterPlatform
from components.settings import ConfigError, RawConfig, load

try:
    settings = load(RawConfig.from_runtime(), pulumi.get_stack())
except ConfigError as error:
    # RunError ends the program with this message alone: no traceback, nothing registered.
    raise pulumi.RunError(str(error)) from None

secrets = BootstrapSecrets("bootstrap-secrets", settings)

if settings.bifrost.enabled:
    bifrost_server = BifrostServer("bifrost", settings, secrets)
    BifrostFiles("bifrost-files", settings, secrets, bifrost_server)
    outputs.export_bifrost(settings, secrets, bifrost_server)

outputs.export_common(settings, secrets)

if settings.cluster.enabled:
    cluster = ClusterPlatform("cluster", settings, secrets)
    outputs.export_cluster(cluster)
