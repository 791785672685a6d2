"""The `charter` command, thin over the domain."""
