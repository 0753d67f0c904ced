"""Virt drivers: what the compute service asks of a hypervisor."""
