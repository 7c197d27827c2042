"""Building and describing paho-mqtt 2.x clients from `MqttConfig` (publisher and tail)."""

from __future__ import annotations

import os
import ssl
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from publisher.settings import MqttConfig

# CONNACK reason codes that mean "fix the credentials or the ACL", in MQTT 5 numbering (paho
# maps the 3.1.1 return codes 4 and 5 onto 0x86 and 0x87).
AUTH_REASON_CODES = frozenset({0x86, 0x87, 0x8C})


class SettingsError(ValueError):
    """The MQTT settings cannot be used (unreadable certificate, bad TLS files)."""


def default_client_id(site_id: str, box_id: str) -> str:
    return f"sitewarden-{site_id}-{box_id}"


def tls_context(settings: MqttConfig) -> ssl.SSLContext | None:
    tls = settings.tls
    if tls is None or not tls.enabled:
        return None
    for what, path in (("ca_file", tls.ca_file), ("cert_file", tls.cert_file),
                       ("key_file", tls.key_file)):
        if path is not None and not os.path.isfile(path):
            raise SettingsError(f"mqtt.tls.{what}: file {path} does not exist")
    try:
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=tls.ca_file)
        if tls.cert_file and tls.key_file:
            ctx.load_cert_chain(tls.cert_file, tls.key_file)
    except (ssl.SSLError, OSError) as e:
        raise SettingsError(f"mqtt.tls: cannot load certificates: {e}") from e
    if tls.insecure_skip_verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def make_client(
    settings: MqttConfig,
    client_id: str,
    *,
    persistent: bool,
    will: tuple[str, bytes] | None = None,
) -> mqtt.Client:
    """A configured, unconnected client; `persistent` keeps the broker session across links."""
    v5 = settings.protocol == "5"
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
        clean_session=None if v5 else not persistent,
    )
    client.connect_timeout = settings.connect_timeout_s
    if settings.username is not None:
        client.username_pw_set(settings.username, settings.password())
    ctx = tls_context(settings)
    if ctx is not None:
        client.tls_set_context(ctx)
        if settings.tls is not None and settings.tls.insecure_skip_verify:
            client.tls_insecure_set(True)
    if will is not None:
        client.will_set(will[0], will[1], qos=1, retain=True)
    return client


def start_connect(client: mqtt.Client, settings: MqttConfig, *, persistent: bool) -> None:
    """Open the socket (and TLS) and send CONNECT; blocks up to connect_timeout_s.

    Raises OSError / ssl.SSLError when the broker cannot be reached; success here is NOT a
    connection: only a successful CONNACK is.
    """
    kwargs: dict[str, Any] = {}
    if settings.protocol == "5":
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = settings.session_expiry_s if persistent else 0
        kwargs = {"clean_start": not persistent, "properties": props}
    rc = client.connect(settings.host, settings.port, settings.keepalive_s, **kwargs)
    if rc != mqtt.MQTT_ERR_SUCCESS:
        raise OSError(f"cannot send CONNECT: {mqtt.error_string(rc)}")


def is_auth_failure(reason_code: Any) -> bool:
    return int(getattr(reason_code, "value", -1)) in AUTH_REASON_CODES


def describe_connack(settings: MqttConfig, reason_code: Any) -> str:
    where = f"MQTT broker {settings.host}:{settings.port}"
    if is_auth_failure(reason_code):
        user = repr(settings.username) if settings.username else "(no username)"
        pw = "set" if settings.password() else "NOT set"
        return (
            f"{where} rejected the credentials (CONNACK: {reason_code}); user {user}, password "
            f"from ${settings.password_env} is {pw}; fix the username/password or the broker ACL"
        )
    return f"{where} refused the connection (CONNACK: {reason_code})"


def describe_connect_error(settings: MqttConfig, exc: BaseException) -> str:
    where = f"MQTT broker {settings.host}:{settings.port}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"{where}: TLS certificate check failed ({exc.verify_message}); check mqtt.tls.ca_file "
            "and that mqtt.host matches the name in the broker's certificate"
        )
    if isinstance(exc, ssl.SSLError):
        return f"{where}: TLS handshake failed ({exc.reason or exc}); check the TLS settings"
    if isinstance(exc, ConnectionRefusedError):
        return f"{where} refused the TCP connection (nothing listening on that port?)"
    if isinstance(exc, TimeoutError | OSError) and "timed out" in str(exc):
        return f"{where}: no answer within {settings.connect_timeout_s:g} s"
    return (f"{where}: cannot connect ({exc}); check mqtt.host/port and that mqtt.tls matches "
            "the listener (TLS on/off, client certificate required)")
