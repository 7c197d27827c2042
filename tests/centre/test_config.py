"""The console file: strict, every problem with its key path, line and reason; secrets only
from the environment; `sitewarden check` tells a console file from a site file; its JSON
Schema; `sitewarden users` on a console file and on a site file (the box's console.db)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from console.centre.config import ConsoleConfig
from edge.cli import app
from edge.config import ConfigError
from edge.config.loader import file_kind, load_console_config
from tests.cli_result import assert_clean_exit

GOOD = """\
title: Province centre
timezone: Asia/Shanghai
database:
  url: postgresql://sitewarden@db.centre.example/sitewarden
mqtt:
  host: emqx.centre.example
  port: 8883
  tls: {ca_file: ca.pem}
  username: console
  share_group: centre
http: {host: 0.0.0.0, port: 8080, secure_cookies: true}
evidence:
  endpoint_url: https://minio.centre.example:9000
  bucket: sitewarden-evidence
"""


def _write(tmp_path: Path, text: str, name: str = "console.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_a_good_file_loads_with_defaults_and_paths_from_its_folder(tmp_path: Path) -> None:
    cfg = load_console_config(_write(tmp_path, GOOD))
    assert cfg.mqtt is not None and cfg.mqtt.tls is not None and cfg.evidence is not None
    assert cfg.mqtt.tls.ca_file == str(tmp_path / "ca.pem")
    assert (cfg.mqtt.share_group, cfg.mqtt.receive_maximum, cfg.ingest.batch_max_events) == (
        "centre", 2000, 500)
    assert cfg.evidence.url_ttl_s == 300 and cfg.http.secure_cookies
    minimal = load_console_config(_write(tmp_path, "title: x\n", "min.yaml"))
    assert minimal.database.url == f"sqlite:///{tmp_path / 'console.db'}"
    assert minimal.mqtt is None and minimal.evidence is None


def test_every_problem_names_its_key_path_and_line(tmp_path: Path) -> None:
    text = GOOD.replace("  share_group: centre\n", "  share_group: a/b\n  qos: 2\n") \
        .replace("port: 8080", "port: 99999").replace("timezone: Asia/Shanghai",
                                                      "timezone: Mars/Olympus")
    with pytest.raises(ConfigError) as e:
        load_console_config(_write(tmp_path, text))
    problems = "\n".join(e.value.problems)
    for expected in ("timezone: unknown time zone 'Mars/Olympus'", "(line 2)",
                     "mqtt.share_group: 'a/b': one topic level", "(line 10)",
                     "mqtt.qos: unknown key 'qos'", "(line 11)",
                     "http.port: Input should be less than or equal to 65535", "(line 12)"):
        assert expected in problems, problems


@pytest.mark.parametrize(("text", "message"), [
    ("database: {url: 'postgresql://u:hunter2@db/x'}\n", "secrets are not written in the file"),
    ("mqtt: {host: h, password: hunter2}\n", "name it with password_env"),
    ("evidence: {bucket: ev-1, secret_key: x}\n", "name it with secret_key_env"),
    ("evidence: {bucket: ev-1, endpoint_url: 'https://k:s@minio:9000'}\n", "credentials"),
    ("mqtt: {host: h, receive_maximum: 100}\ningest: {batch_max_events: 500}\n",
     "must be at least ingest.batch_max_events"),
    ("database: {url: 'mysql://db/x'}\n", "use sqlite:///path or postgresql://"),
])
def test_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as e:
        load_console_config(_write(tmp_path, text))
    assert message in str(e.value) and "hunter2" not in str(e.value)


def test_the_database_password_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = load_console_config(_write(tmp_path, GOOD))
    monkeypatch.delenv("SITEWARDEN_DB_PASSWORD", raising=False)
    assert cfg.database.resolved_url() == "postgresql://sitewarden@db.centre.example/sitewarden"
    monkeypatch.setenv("SITEWARDEN_DB_PASSWORD", "p@ss/word")
    assert cfg.database.resolved_url() == \
        "postgresql://sitewarden:p%40ss%2Fword@db.centre.example/sitewarden"


def test_client_id_per_replica(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = load_console_config(_write(tmp_path, GOOD))
    assert cfg.mqtt is not None
    monkeypatch.delenv("SITEWARDEN_CONSOLE_ID", raising=False)
    assert cfg.mqtt.resolved_client_id().startswith("sitewarden-console-")
    monkeypatch.setenv("SITEWARDEN_CONSOLE_ID", "centre-b")
    assert cfg.mqtt.resolved_client_id() == "centre-b"


def test_check_tells_the_kinds_apart_and_prints_the_schema(tmp_path: Path) -> None:
    console = _write(tmp_path, GOOD)
    site = Path(__file__).resolve().parents[2] / "examples" / "site.yaml"
    assert file_kind(console) == "console" and file_kind(site) == "site"
    runner = CliRunner()
    ok = runner.invoke(app, ["check", str(console)])
    assert_clean_exit(ok, 0)
    assert "share group centre" in ok.stdout and ok.stdout.rstrip().endswith("OK")
    bad = runner.invoke(app, ["check", str(_write(tmp_path, GOOD + "extra: 1\n", "bad.yaml"))])
    assert_clean_exit(bad, 1, "extra: unknown key 'extra'", "(line 15)")
    schema = runner.invoke(app, ["config", "schema", "--console"])
    assert_clean_exit(schema, 0)
    assert json.loads(schema.stdout) == ConsoleConfig.model_json_schema()


def _users(config: Path, *args: str, stdin: str = "") -> str:
    res = CliRunner().invoke(app, ["users", str(config), *args], input=stdin)
    assert_clean_exit(res, 0)
    return res.stdout


def test_users_on_a_console_file_and_on_a_site_file(tmp_path: Path, pg_url: str) -> None:
    console = _write(tmp_path, f"database: {{url: '{pg_url}'}}\n")
    site = tmp_path / "site.yaml"
    site.write_text(f"""\
site_id: plant-7
box_id: edge-01
detector: {{model: m.onnx}}
cameras: [{{id: cam-1, url: a.mp4}}]
storage: {{directory: {tmp_path / 'box'}}}
""")
    for config in (console, site):
        out = _users(config, "add", "alice", "--role", "operator", "--site", "plant-7",
                     "--site", "plant-9", stdin="a long password\n")
        assert "added alice (operator, sites plant-7,plant-9)" in out
        _users(config, "passwd", "alice", stdin="another long one\n")
        assert _users(config, "list").splitlines() == ["alice\toperator\tsites plant-7,plant-9"]
        _users(config, "remove", "alice")
        assert _users(config, "list") == ""
    assert (tmp_path / "box" / "console.db").exists()  # the box's local store
    dup = CliRunner().invoke(app, ["users", str(console), "add", "bob", "--role", "admin"],
                             input="a long password\n")
    assert_clean_exit(dup, 0)
    again = CliRunner().invoke(app, ["users", str(console), "add", "bob", "--role", "admin"],
                               input="a long password\n")
    assert_clean_exit(again, 1, "exists")
    short = CliRunner().invoke(app, ["users", str(console), "add", "eve", "--role", "viewer"],
                               input="short\n")
    assert_clean_exit(short, 1, "at least")


def test_console_refuses_a_bad_file_before_starting(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["console", str(_write(tmp_path, "mqtt: {hots: x}\n"))])
    assert_clean_exit(res, 1, "mqtt.hots: unknown key 'hots'", "(line 1)")
