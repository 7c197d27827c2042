"""TLS (CA, server and client certificates, hostname check) and password authentication."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from publisher.client import Publisher
from publisher.connection import SettingsError
from tests.publisher.certs import OPENSSL, Pki, make_pki
from tests.publisher.conftest import (
    BOX,
    SITE,
    Collector,
    fast_settings,
    first_seen_order,
    make_event,
    wait_until,
)
from tests.publisher.mosquitto import BrokerTls, Mosquitto

ROOT = f"sitewarden/{SITE}/{BOX}"
PW_ENV = "SITEWARDEN_TEST_MQTT_PASSWORD"


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    if OPENSSL is None:  # a failure, not a skip: TLS would go untested
        pytest.fail("the TLS tests make their certificates with the openssl command, which is "
                    "not on PATH; install with: sudo apt-get install openssl (.ci/run does)",
                    pytrace=False)
    return make_pki(tmp_path / "pki")


@pytest.fixture
def tls_broker(tmp_path: Path, pki: Pki, require_mosquitto: None) -> Iterator[Mosquitto]:
    b = Mosquitto(tmp_path / "tls-broker", tls=BrokerTls(
        pki.ca, pki.server_cert, pki.server_key, require_client_cert=True))
    b.start()
    yield b
    b.kill()


def _tls(pki: Pki, client_cert: bool = True) -> dict[str, object]:
    if not client_cert:
        return {"ca_file": str(pki.ca)}
    return {"ca_file": str(pki.ca), "cert_file": str(pki.client_cert),
            "key_file": str(pki.client_key)}


def test_tls_with_ca_and_client_certificate_delivers(
    tls_broker: Mosquitto, pki: Pki, collector_factory: Callable[..., Collector], tmp_path: Path,
) -> None:
    sub = collector_factory(tls_broker.port, f"{ROOT}/events/#",
                            tls=(pki.ca, pki.client_cert, pki.client_key))
    settings = fast_settings(tls_broker.port, host="localhost", tls=_tls(pki))
    pub = Publisher(settings, SITE, BOX, tmp_path / "ob.db")
    pub.start()
    try:
        events = [make_event(i) for i in range(10)]
        for ev in events:
            pub.publish_event(ev)
        assert pub.flush(15)
        assert sub.wait_for(lambda ms: len(ms) >= 10)
        assert first_seen_order(sub.event_ids()) == [e.id for e in events]
    finally:
        pub.stop()


@pytest.mark.parametrize("case", ["hostname_mismatch", "unknown_ca", "no_client_cert"])
def test_tls_failures_are_explained_and_events_kept(
    tls_broker: Mosquitto, pki: Pki, tmp_path: Path, case: str,
) -> None:
    host, tls = "localhost", _tls(pki)
    if case == "hostname_mismatch":
        host = "127.0.0.1"  # the certificate names only localhost
    elif case == "unknown_ca":
        other = make_pki(tmp_path / "other-pki")
        tls = {**tls, "ca_file": str(other.ca)}
    else:
        tls = _tls(pki, client_cert=False)
    pub = Publisher(fast_settings(tls_broker.port, host=host, tls=tls), SITE, BOX,
                    tmp_path / "ob.db")
    pub.publish_event(make_event(1))
    pub.start()
    try:
        assert wait_until(lambda: pub.stats()["connect_attempts"] >= 2)
        st = pub.stats()
        assert not st["connected"] and st["outbox_depth"] == 1
        # Every message starts "MQTT broker HOST:PORT"; what follows tells the cases apart:
        # OpenSSL's own reason in brackets, and the setting to look at.
        expect = {
            "hostname_mismatch": r"certificate check failed \((IP address|hostname) mismatch.*"
                                 r"'127\.0\.0\.1'.*mqtt\.host matches the name",
            "unknown_ca": r"certificate check failed \((self[- ]signed certificate|unable to "
                          r"get local issuer certificate).*check mqtt\.tls\.ca_file",
            "no_client_cert": r"(cannot connect|closed the connection).*"
                              r"client certificate required",
        }[case]
        assert re.search(expect, st["last_error"]), st["last_error"]
        if case == "no_client_cert":  # the server's certificate was fine
            assert "certificate check failed" not in st["last_error"]
    finally:
        pub.stop()


def test_missing_certificate_file_is_a_clear_settings_error(tmp_path: Path) -> None:
    settings = fast_settings(1883, tls={"ca_file": str(tmp_path / "nope.crt")})
    with pytest.raises(SettingsError, match=r"mqtt.tls.ca_file: file .*nope.crt does not exist"):
        Publisher(settings, SITE, BOX, tmp_path / "ob.db")


def test_wrong_password_is_reported_events_kept_then_delivered(
    tmp_path: Path, collector_factory: Callable[..., Collector],
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, require_mosquitto: None,
) -> None:
    broker = Mosquitto(tmp_path / "auth-broker", users={"box": "right", "platform": "p"})
    broker.start()
    try:
        sub = collector_factory(broker.port, f"{ROOT}/events/#", username="platform",
                                password="p")
        monkeypatch.setenv(PW_ENV, "wrong")
        settings = fast_settings(broker.port, username="box", password_env=PW_ENV)
        pub = Publisher(settings, SITE, BOX, tmp_path / "ob.db")
        events = [make_event(i) for i in range(5)]
        with caplog.at_level(logging.ERROR, logger="publisher"):
            pub.start()
            for ev in events:
                pub.publish_event(ev)
            assert wait_until(lambda: pub.stats()["state"] == "auth_failed")
            assert wait_until(lambda: any(
                "rejected the credentials" in r.getMessage() and r.levelno == logging.ERROR
                for r in caplog.records))
        st = pub.stats()
        assert "rejected the credentials" in st["last_error"] and PW_ENV in st["last_error"]
        assert st["outbox_depth"] == 5 and not st["connected"]
        monkeypatch.setenv(PW_ENV, "right")  # read again at the next attempt
        assert pub.flush(20)
        assert sub.wait_for(lambda ms: len(ms) >= 5)
        assert first_seen_order(sub.event_ids()) == [e.id for e in events]
        pub.stop()
    finally:
        broker.kill()
