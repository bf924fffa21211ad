"""Aggregates, their events, money rules and the ledger application. No SQL, no HTTP."""
