"""The deployment files in deploy/ are valid for the tools that read them, and start the
command line as it is today (docs/operations.md)."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orderledger.cli.main import parser

REPO = Path(__file__).resolve().parents[1]
UNIT = REPO / "deploy" / "orderledger.service"
NGINX = REPO / "deploy" / "nginx.conf"
INSTALLED = "/opt/orderledger/.venv/bin/orderledger"  # where the unit expects the command


def unit_field(name: str) -> str:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(UNIT)
    return unit["Service"][name]


def test_the_systemd_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: apt-get install systemd (.ci/run does)"
    # The unit names the installed command; here it is this checkout's.
    here = Path(sys.executable).with_name("orderledger")
    checked = tmp_path / UNIT.name
    checked.write_text(UNIT.read_text().replace(INSTALLED, str(here)))
    result = subprocess.run(
        [analyze, "verify", str(checked)], capture_output=True, text=True, timeout=60
    )
    complaints = [line for line in result.stderr.splitlines() if UNIT.name in line]
    assert result.returncode == 0 and not complaints, result.stderr


def test_the_units_command_is_one_the_command_line_takes() -> None:
    command = shlex.split(unit_field("ExecStart"))
    assert command[0] == INSTALLED
    args = parser().parse_args(command[1:])
    assert args.command == "serve"
    assert args.host == "127.0.0.1"  # behind the proxy: loopback only
    environment = shlex.split(unit_field("Environment"))
    assert "ORDERLEDGER_DATA_DIR=/var/lib/orderledger" in environment
    assert unit_field("WorkingDirectory") == "/var/lib/orderledger"


def test_the_nginx_example_never_logs_the_query_string() -> None:
    text = NGINX.read_text()
    log_format = text[text.index("log_format") : text.index(";", text.index("log_format"))]
    for leaky in ("$request ", '$request"', "$request_uri", "$args", "$query_string", "$arg_"):
        assert leaky not in log_format  # a GET /api/v2?key=... has the API key there
    assert "$uri" in log_format
    assert text.count("access_log") == text.count("access_log /var/log/nginx/orderledger")


def test_the_nginx_example_passes_nginx_t(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if nginx is None:
        pytest.skip("nginx is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subject = ["-subj", "/CN=api.example.com"]
    files = ["-keyout", str(key), "-out", str(cert)]
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", *subject, *files],
        check=True,
        capture_output=True,
    )
    site = (
        NGINX.read_text()
        .replace("/etc/letsencrypt/live/api.example.com/fullchain.pem", str(cert))
        .replace("/etc/letsencrypt/live/api.example.com/privkey.pem", str(key))
        .replace("/var/log/nginx/", f"{tmp_path}/")
    )
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n    access_log off;\n    include {tmp_path}/site.conf;\n}}\n"
    )
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
