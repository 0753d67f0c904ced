"""The domain XML a server's hypervisor holds (admin):

    GET /v2.1/os-tessera/servers/{server_id}/domain-xml   -> {"domain_xml": "<domain ...>"}

Asked of the server's compute host by RPC (`get_domain_xml`), so it shows what libvirt
really keeps (`XMLDesc`), not what Tessera meant to define. A server with no host yet,
a host whose driver keeps no domain XML (the fake driver) or a guest whose domain is
gone is a 409; a host that does not answer is a 503.
"""

from __future__ import annotations

from typing import Any

import oslo_messaging
from fastapi import APIRouter

from tessera.api import Context, authorize, errors
from tessera.api.compute._common import Cloud, translated
from tessera.api.tessera_admin._common import PREFIX
from tessera.compute.rpcapi import ComputeAPI
from tessera.compute.virt.driver import VirtError

router = APIRouter(tags=["tessera-admin"])

RPC_TIMEOUT = 30.0


@router.get(PREFIX + "/servers/{server_id}/domain-xml",
            summary="The domain XML the hypervisor holds for a server (admin)")
def show(server_id: str, context: Context, cloud: Cloud) -> dict[str, Any]:
    authorize(context, "tessera:domain_xml")
    with translated(server_id):
        inst = cloud.get(server_id)
        cell = cloud.router.cell_of_instance(inst.uuid)
    if not inst.host or cell is None:
        raise errors.Conflict("Server %s is on no host (vm_state %s): it has no domain."
                              % (inst.uuid, inst.vm_state.value))
    rpc = ComputeAPI(cloud.router.transport(cell)).prepare(timeout=RPC_TIMEOUT)
    try:
        xml = rpc.get_domain_xml(context, inst.host, inst.uuid)
    except VirtError as exc:
        raise errors.Conflict("No domain XML for server %s on host %s: %s"
                              % (inst.uuid, inst.host, exc)) from None
    except oslo_messaging.MessagingTimeout:
        raise errors.ServiceUnavailable("Compute host %s did not answer." % inst.host) \
            from None
    except oslo_messaging.RemoteError as exc:
        raise errors.Conflict("No domain XML for server %s on host %s: %s"
                              % (inst.uuid, inst.host, exc.value)) from None
    return {"domain_xml": xml}
