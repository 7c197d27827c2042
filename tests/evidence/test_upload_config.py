"""`storage.upload` in the site file: off when absent, strict, and never a secret in the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from edge.config import ConfigError, SiteConfig, parse_config
from edge.evidence.uploader import Uploader, queue_path

BASE: dict[str, Any] = {
    "site_id": "plant-7", "box_id": "edge-01", "detector": {"model": "/m.onnx"},
    "cameras": [{"id": "cam-1", "url": "rtsp://10.0.0.21/main"}],
}


def _cfg(upload: dict[str, Any] | None, directory: str = "/var/lib/sitewarden") -> SiteConfig:
    storage: dict[str, Any] = {"directory": directory}
    if upload is not None:
        storage["upload"] = upload
    return parse_config(yaml.safe_dump({**BASE, "storage": storage}))


def _problem(upload: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        _cfg(upload)
    assert len(info.value.problems) == 1, info.value.problems
    return info.value.problems[0]


def test_absent_means_off() -> None:
    cfg = _cfg(None)
    assert cfg.storage.upload is None
    assert Uploader.from_config(cfg) is None
    assert Uploader.from_config(_cfg({"bucket": "evidence", "enabled": False})) is None


def test_defaults_suit_minio_and_name_the_usual_variables() -> None:
    up = _cfg({"bucket": "evidence", "endpoint_url": "http://minio:9000/"}).storage.upload
    assert up is not None
    assert up.endpoint_url == "http://minio:9000"
    assert (up.prefix, up.addressing_style, up.region) == ("sitewarden", "path", "us-east-1")
    assert (up.access_key_env, up.secret_key_env) == ("AWS_ACCESS_KEY_ID",
                                                      "AWS_SECRET_ACCESS_KEY")
    assert up.retry_initial_s <= up.retry_max_s


def test_queue_path_defaults_beside_the_evidence_and_is_relative_to_it() -> None:
    cfg = _cfg({"bucket": "evidence"}, directory="/data/sw")
    assert queue_path(cfg.storage) == Path("/data/sw/upload.db")
    cfg = _cfg({"bucket": "evidence", "queue_path": "q/up.db"}, directory="/data/sw")
    assert queue_path(cfg.storage) == Path("/data/sw/q/up.db")
    cfg = _cfg({"bucket": "evidence", "queue_path": "/fast/up.db"}, directory="/data/sw")
    assert queue_path(cfg.storage) == Path("/fast/up.db")


@pytest.mark.parametrize("key", ["secret_key", "access_key", "aws_secret_access_key",
                                 "password", "session_token"])
def test_secrets_in_the_file_are_refused(key: str) -> None:
    problem = _problem({"bucket": "evidence", key: "hunter2"})
    assert problem.startswith(f"storage.upload: unknown key {key!r}: secrets are not written "
                              "in the file"), problem
    assert "_env" in problem and "hunter2" not in problem


def test_credentials_in_the_endpoint_are_refused_without_echoing_them() -> None:
    problem = _problem({"bucket": "evidence", "endpoint_url": "http://box:hunter2@minio:9000"})
    assert problem.startswith("storage.upload.endpoint_url: credentials in endpoint_url: "
                              "secrets are not written in the file"), problem
    assert "hunter2" not in problem


@pytest.mark.parametrize(("upload", "expected"), [
    ({}, "storage.upload.bucket: required key is missing"),
    ({"bucket": "Evidence_Bucket"}, "storage.upload.bucket: 'Evidence_Bucket' is not a valid "
     "bucket name"),
    ({"bucket": "evidence", "prefix": "a/../b"}, "storage.upload.prefix: 'a/../b': a prefix"),
    ({"bucket": "evidence", "endpoint_url": "minio:9000"},
     "storage.upload.endpoint_url: 'minio:9000': expected http(s)://host[:port]"),
    ({"bucket": "evidence", "addressing_style": "dns"}, "storage.upload.addressing_style: "),
    ({"bucket": "evidence", "retry_initial_s": 10, "retry_max_s": 1},
     "storage.upload: retry_max_s must not be smaller than retry_initial_s"),
    ({"bucket": "evidence", "multipart_threshold_bytes": 1024},
     "storage.upload.multipart_threshold_bytes: Input should be greater than or equal to"),
    ({"bucket": "evidence", "buckett": "x"}, "storage.upload.buckett: unknown key 'buckett'"),
])
def test_bad_upload_sections_name_the_key(upload: dict[str, Any], expected: str) -> None:
    assert _problem(upload).startswith(expected), _problem(upload)
