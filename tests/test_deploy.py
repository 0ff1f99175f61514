"""The example server files in deploy/ (GH issue 18, item 1) say what geomon reads.

The settings file parses into the `Settings` the README describes; every variable it sets is a
documented geomon setting (or Streamlit's own); the systemd unit runs ``geomon serve`` with that
file; nginx passes the WebSocket upgrade. (nginx -t and a run behind nginx were checked by hand:
README, "Server deployment".)
"""

from __future__ import annotations

from pathlib import Path

from geomon import config

DEPLOY = Path(__file__).parents[1] / "deploy"


def _env(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text("utf-8").splitlines()
             if line.strip() and not line.lstrip().startswith("#"))  # fmt: skip
    return {k.strip(): v.strip() for k, v in pairs}


def test_env_example_sets_documented_settings() -> None:
    env = _env(DEPLOY / "geomon.env.example")
    documented = config.__doc__ or ""
    assert [k for k in env if k not in documented] == []
    s = config.from_env(env)
    assert (s.address, s.public_url, s.log_file) == (
        "127.0.0.1", "https://geomon.hbj.example.gov.cn", "/var/log/geomon/geomon.log"
    )  # fmt: skip
    assert (s.store_url, s.users_file) == (
        "/var/lib/geomon/geomon.gpkg",
        "/var/lib/geomon/users.toml",
    )
    assert s.login_required_for_view and s.require_login and s.secret
    assert s.max_upload_mb == 200


def test_service_and_proxy_fit_together() -> None:
    unit = (DEPLOY / "geomon.service").read_text("utf-8")
    assert "EnvironmentFile=/etc/geomon/geomon.env" in unit
    assert "ExecStart=/opt/geomon/.venv/bin/geomon serve --port 8501" in unit
    nginx = (DEPLOY / "nginx.conf").read_text("utf-8")
    assert "server 127.0.0.1:8501;" in nginx
    assert "proxy_set_header Upgrade $http_upgrade;" in nginx
    assert "proxy_set_header Connection $connection_upgrade;" in nginx
    assert "client_max_body_size 200m;" in nginx  # = GEOMON_MAX_UPLOAD_MB
    rotate = (DEPLOY / "geomon.logrotate").read_text("utf-8")
    assert rotate.startswith("#") and "/var/log/geomon/geomon.log {" in rotate
    assert "copytruncate" not in rotate.replace("No copytruncate", "")
