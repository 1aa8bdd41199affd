"""The three Cloudflare calls the program makes, registered without importing the typed SDK.

`import pulumi_cloudflare` loads every module of the provider's SDK: about 7 s and 380 MB, paid by every
`pulumi preview`, `pulumi up` and offline check. The program needs only the provider, the DNS record
and the zone lookup, so these register exactly what the typed classes of pulumi-cloudflare 6.23.1 register
(`provider.py`, `dns_record.py`, `get_zone.py`): the same type tokens, property names, default options,
secret outputs and alias. tests/components/dns/test_cloudflare_sdk.py compares both registrations under the mocks.
"""

from __future__ import annotations

from functools import cache
from importlib import metadata
from typing import Any

import pulumi

from components.config_commands import config_set, full_key
from components.secret_output import secret

PACKAGE = "cloudflare"
DNS_RECORD_TYPE = "cloudflare:index/dnsRecord:DnsRecord"
GET_ZONE_TOKEN = "cloudflare:index/getZone:getZone"
TTL_AUTOMATIC = 1  # Cloudflare's "automatic" TTL, the only one allowed on proxied records and fine on others


@cache
def sdk_version() -> str:
    """The installed pulumi-cloudflare version: the engine loads the provider plugin of exactly this version."""
    return metadata.version("pulumi-cloudflare")


def _defaults() -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(version=sdk_version(), plugin_download_url=None)


class Provider(pulumi.ProviderResource):
    """An explicit provider: its token is the stack's secret, never CLOUDFLARE_API_TOKEN from the environment."""

    def __init__(self, name: str, api_token: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None) -> None:
        props: dict[str, Any] = {
            "apiKey": None,
            "apiToken": secret(api_token),
            "apiUserServiceKey": None,
            "baseUrl": None,
            "email": None,
            "userAgentOperatorSuffix": None,
        }
        options = pulumi.ResourceOptions.merge(pulumi.ResourceOptions.merge(_defaults(), opts), pulumi.ResourceOptions(
            additional_secret_outputs=["apiKey", "apiToken", "apiUserServiceKey"]))
        super().__init__(PACKAGE, name, props, options)


class DnsRecord(pulumi.CustomResource):
    def __init__(self, name: str, zone_id: pulumi.Input[str], record_name: str, record_type: str,
                 content: pulumi.Input[str], proxied: bool, comment: str,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        props: dict[str, Any] = {
            "comment": comment, "content": content, "data": None, "includeShadowMetadata": None,
            "name": record_name, "priority": None, "privateRouting": None, "proxied": proxied, "settings": None,
            "tags": None, "ttl": TTL_AUTOMATIC, "type": record_type, "zoneId": zone_id,
            "commentModifiedOn": None, "createdOn": None, "meta": None, "modifiedOn": None, "proxiable": None,
            "tagsModifiedOn": None,
        }
        options = pulumi.ResourceOptions.merge(pulumi.ResourceOptions.merge(_defaults(), opts), pulumi.ResourceOptions(
            aliases=[pulumi.Alias(type_="cloudflare:index/record:Record")]))
        super().__init__(DNS_RECORD_TYPE, name, props, options)


def zone_id(zone: str, provider: Provider, parent: pulumi.Resource) -> pulumi.Output[str]:
    """The ID of the zone named `zone`, looked up with the explicit provider (`getZone` with a name filter)."""
    options = pulumi.InvokeOutputOptions(parent=parent, provider=provider, version=sdk_version(),
                                         plugin_download_url=None)
    result = pulumi.runtime.invoke_output(GET_ZONE_TOKEN, {"filter": {"match": "all", "name": zone},
                                                           "zoneId": None}, opts=options)
    return result.apply(lambda found: _zone_id(zone, found))


def _zone_id(zone: str, found: Any) -> str:
    identifier = found.get("id") if isinstance(found, dict) else None
    if not identifier:
        raise pulumi.RunError(
            f"{full_key('dnsZone')}: Cloudflare has no zone named {zone} that cloudflareApiToken can read\n"
            "    fix: give the token Zone:Read and DNS:Edit on that zone, or set the zone's name: "
            + config_set("dnsZone", "example.com"))
    return str(identifier)
