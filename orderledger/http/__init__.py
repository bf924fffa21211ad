"""The Litestar app: `/api/v2` for the network, parsing, presenters and the error table."""
