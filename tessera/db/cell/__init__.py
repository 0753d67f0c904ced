"""A cell database: services, compute nodes, instances, faults and migrations."""
