"""`tessera domain-xml SERVER`: print the domain XML a server's hypervisor holds
(`GET /v2.1/os-tessera/servers/{id}/domain-xml`, admin). Auth and exit status as
`tessera explain` (`--os-cloud`, `--os-token`, `--os-endpoint`)."""

from __future__ import annotations

import argparse
import urllib.parse
from typing import Any

from tessera.cmd.explain import _common, get


def register(groups: Any) -> None:
    d = groups.add_parser("domain-xml", help="the domain XML a server's hypervisor holds")
    d.add_argument("server", help="a server's id")
    _common(d, cmd_domain_xml)


def cmd_domain_xml(args: argparse.Namespace, client: tuple[str, str]) -> dict[str, Any]:
    body = get(client, "/os-tessera/servers/%s/domain-xml"
               % urllib.parse.quote(args.server))
    if args.format == "text":
        print(body["domain_xml"].rstrip("\n"))
    return body
