"""The compute service's RPC API: messages to one host's compute service.

1.0: build_and_run_instance, terminate_instance, prep_resize, resize_instance,
     finish_resize, confirm_resize, finish_confirm_resize, revert_resize,
     finish_revert_resize, stop_instance, start_instance, reboot_instance
1.1: get_domain_xml (a call: the XML the hypervisor holds for a guest)
1.2: snapshot_instance (the guest's root disk into a queued image)
1.3: attach_volume, detach_volume (casts: the host connects, attaches and completes
     a reserved attachment, or detaches and deletes one)
"""

from __future__ import annotations

from typing import Any

from tessera.rpc import RPCClientBase, add_extra_exmods

TOPIC = "tessera-compute"

# A driver's VirtError (GuestNotFound, ...) reaches an RPC caller as itself.
add_extra_exmods("tessera.compute.virt.driver")


class ComputeAPI(RPCClientBase):
    TOPIC = TOPIC
    VERSION = "1.4"

    def _cast(self, ctxt: Any, host: str, method: str, **kwargs: Any) -> None:
        self.prepare(server=host).cast(ctxt, method, **kwargs)

    def build_and_run_instance(self, ctxt: Any, host: str, instance_uuid: str,
                               request_spec: Any, selection: Any) -> None:
        self._cast(ctxt, host, "build_and_run_instance", instance_uuid=instance_uuid,
                   request_spec=request_spec, selection=selection)

    def terminate_instance(self, ctxt: Any, host: str, instance_uuid: str) -> None:
        self._cast(ctxt, host, "terminate_instance", instance_uuid=instance_uuid)

    def prep_resize(self, ctxt: Any, host: str, instance_uuid: str, migration_uuid: str,
                    request_spec: Any, selection: Any) -> None:
        self._cast(ctxt, host, "prep_resize", instance_uuid=instance_uuid,
                   migration_uuid=migration_uuid, request_spec=request_spec,
                   selection=selection)

    def move_step(self, ctxt: Any, host: str, step: str, instance_uuid: str,
                  migration_uuid: str) -> None:
        """One of the later steps of a move, all of which take the same arguments."""
        self._cast(ctxt, host, step, instance_uuid=instance_uuid,
                   migration_uuid=migration_uuid)

    def power_action(self, ctxt: Any, host: str, action: str, instance_uuid: str,
                     **kwargs: Any) -> None:
        self._cast(ctxt, host, action, instance_uuid=instance_uuid, **kwargs)

    def rebuild_instance(self, ctxt: Any, host: str, instance_uuid: str) -> None:
        """Rebuild the guest from the instance's (new) image, in its placement (1.4)."""
        self.prepare(server=host, version="1.4").cast(ctxt, "rebuild_instance",
                                                      instance_uuid=instance_uuid)

    def get_domain_xml(self, ctxt: Any, host: str, instance_uuid: str) -> str:
        """The domain XML of the guest on `host` (VirtError when there is none)."""
        return self.prepare(server=host).call(ctxt, "get_domain_xml", version="1.1",
                                              instance_uuid=instance_uuid)

    def snapshot_instance(self, ctxt: Any, host: str, instance_uuid: str,
                          image_id: str) -> None:
        self.prepare(server=host).cast(ctxt, "snapshot_instance", version="1.2",
                                       instance_uuid=instance_uuid, image_id=image_id)

    def attach_volume(self, ctxt: Any, host: str, instance_uuid: str,
                      attachment_id: str) -> None:
        self.prepare(server=host).cast(ctxt, "attach_volume", version="1.3",
                                       instance_uuid=instance_uuid,
                                       attachment_id=attachment_id)

    def detach_volume(self, ctxt: Any, host: str, instance_uuid: str,
                      attachment_id: str) -> None:
        self.prepare(server=host).cast(ctxt, "detach_volume", version="1.3",
                                       instance_uuid=instance_uuid,
                                       attachment_id=attachment_id)
