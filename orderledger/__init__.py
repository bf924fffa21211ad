"""orderledger: an event-sourced order ledger for providers of the SMM API v2."""
