"""The ceiling: a bare Litestar endpoint with a small JSON body and nothing behind it."""

from __future__ import annotations

from litestar import Litestar, post


@post("/api/v2", status_code=200)
async def bare() -> dict[str, str]:
    return {"status": "Completed", "remains": "0"}


def create_app() -> Litestar:
    return Litestar(route_handlers=[bare])


def main() -> None:
    """Serve the baseline with the same uvicorn settings as `orderledger serve`."""
    import argparse

    from orderledger.http.server import run_uvicorn

    parser = argparse.ArgumentParser(description="the benchmark's baseline endpoint")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    run_uvicorn("orderledger.bench.baseline:create_app", "127.0.0.1", args.port, args.workers)


if __name__ == "__main__":
    main()
