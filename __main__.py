"""homelab-secrets: composition only. Read the config, build the components, export the outputs."""

import pulumi

from components import outputs
from components.bifrost.delivery import BifrostFiles
from components.bifrost.server import BifrostServer
from components.bootstrap_secrets import BootstrapSecrets
from components.cluster.platform import ClusterPlatform
from components.config.load import load
from components.config.problems import ConfigError
from components.config.raw import RawConfig
from components.dns.records import DnsRecords
from components.secrets_registry import CLOUDFLARE_API_TOKEN

try:
    settings = load(RawConfig.from_runtime(), pulumi.get_stack())
except ConfigError as error:
    # RunError ends the program with this message alone: no traceback, nothing registered.
    raise pulumi.RunError(str(error)) from None

secrets = BootstrapSecrets("bootstrap-secrets", settings)

bifrost_server = BifrostServer("bifrost", settings, secrets) if settings.bifrost.enabled else None

# Every record exists before anything asks Let's Encrypt for a certificate (see components/dns/records.py).
dns = DnsRecords("dns", settings.dns, secrets.value(CLOUDFLARE_API_TOKEN), settings.stack,
                 vps_ipv4=bifrost_server.ipv4 if bifrost_server else None,
                 vps_ipv6=bifrost_server.ipv6 if bifrost_server else None) if settings.dns.hosts else None
if dns is not None:
    outputs.export_dns(dns)

if bifrost_server is not None:
    BifrostFiles("bifrost-files", settings, secrets, bifrost_server,
                 dns_records=dns.bifrost_records if dns else ())
    outputs.export_bifrost(settings, secrets, bifrost_server)

cluster = ClusterPlatform("cluster", settings, secrets, dns_records=dns.cluster_records if dns else ()) \
    if settings.cluster.enabled else None
if cluster is not None:
    outputs.export_cluster(cluster)

outputs.export_common(settings, secrets, cluster.plan if cluster is not None else None)
