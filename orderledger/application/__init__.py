"""The ledger's commands and use cases: placing, group commit, lifecycle, claims, sweep.

Calls the domain and storage; knows no wire format.
"""
