"""The `orderledger` command: one module per command group."""
