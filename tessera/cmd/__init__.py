"""Command-line entry points (`tessera ...`)."""
