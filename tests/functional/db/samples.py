"""Small sample objects for the database tests."""

from __future__ import annotations

import uuid

from tessera import objects as o
from tessera.numa.codec import host_from_dict

PINNED = o.Flavor(flavorid="p1", name="pinned.medium", vcpus=4, memory_mb=4096,
                  root_gb=10, extra_specs={"hw:cpu_policy": "dedicated",
                                           "hw:mem_page_size": "1GB"})


def host(name: str = "c1"):  # type: ignore[no-untyped-def]
    return host_from_dict({"name": name, "cells": [{
        "id": 0, "siblings": [[0, 4], [1, 5], [2, 6], [3, 7]], "shared": [0, 4],
        "dedicated": [1, 2, 3, 5, 6, 7], "memory_mb": 8192,
        "pages": [{"size_kb": 4, "total": 1048576}, {"size_kb": 1048576, "total": 4}],
        "pci": [{"address": "0000:81:00.1", "vendor_id": "8086", "product_id": "154c",
                 "physnet": "phys0"}]}]})


def flavor(flavorid: str, **fields: object) -> o.Flavor:
    values: dict = {"name": "f-" + flavorid, "vcpus": 2, "memory_mb": 2048,
                    "root_gb": 20}
    values.update(fields)
    return o.Flavor(flavorid=flavorid, **values)


def node(name: str = "c1", host_name: str | None = None) -> o.ComputeNode:
    return o.ComputeNode(uuid=str(uuid.uuid4()), host=host_name or name,
                         hypervisor_hostname=name, vcpus=8, memory_mb=8192,
                         local_gb=100, numa=host(name))


def instance(project_id: str = "p1", **fields: object) -> o.Instance:
    return o.Instance(uuid=str(uuid.uuid4()), project_id=project_id, user_id="u1",
                      flavor=PINNED, **fields)


def migration(instance_uuid: str, source: str = "c1", dest: str | None = "c2",
              **fields: object) -> o.Migration:
    values: dict = {"migration_type": "resize", "old_flavor": PINNED,
                    "new_flavor": PINNED}
    values.update(fields)
    return o.Migration(uuid=str(uuid.uuid4()), instance_uuid=instance_uuid,
                       source_compute=source, dest_compute=dest, **values)


def spec(instance_uuid: str, project_id: str = "p1") -> o.RequestSpec:
    return o.RequestSpec.build(instance_uuid, PINNED, o.ImageMeta(name="cirros"),
                               project_id=project_id)
