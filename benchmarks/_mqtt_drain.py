"""A bare MQTT 5 subscriber that only counts: the broker-delivery ceiling of benchmarks/centre.py.

    python benchmarks/_mqtt_drain.py PORT CLIENT_ID COUNT_FILE [--group G] [--prefix P]

Subscribes like a console replica (persistent session, Receive Maximum 2,000, the same
shared subscription, QoS 1) but does nothing with a message except count it; paho sends
each PUBACK as the callback returns. Every 20 ms the count is written to COUNT_FILE
(atomically), and `subscribed` once SUBACK came. Stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("port", type=int)
    ap.add_argument("client_id")
    ap.add_argument("count_file", type=Path)
    ap.add_argument("--group", default="sitewarden-console")
    ap.add_argument("--prefix", default="sitewarden")
    args = ap.parse_args()
    count = [0]
    subscribed = threading.Event()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def on_connect(c: mqtt.Client, *_: Any) -> None:
        c.subscribe(f"$share/{args.group}/{args.prefix}/+/+/events/#", options=SubscribeOptions(
            qos=1))

    def on_message(*_: Any) -> None:
        count[0] += 1

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=args.client_id,
                         protocol=mqtt.MQTTv5)
    client.on_connect = on_connect
    client.on_subscribe = lambda *_: subscribed.set()
    client.on_message = on_message
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 3600
    props.ReceiveMaximum = 2000
    client.connect("127.0.0.1", args.port, 120, clean_start=False, properties=props)
    client.loop_start()
    while not stop.wait(0.02):
        tmp = args.count_file.with_suffix(".tmp")
        tmp.write_text(f"{count[0]} {'subscribed' if subscribed.is_set() else ''}")
        os.replace(tmp, args.count_file)
    client.disconnect()
    client.loop_stop()


if __name__ == "__main__":
    main()
