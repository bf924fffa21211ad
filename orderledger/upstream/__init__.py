"""The outbound API v2: a client of another provider, and its answers read as real providers
write them. Imports only the domain (and httpx)."""
