"""The compute service: one per host; claims resources and runs guests via a driver."""
