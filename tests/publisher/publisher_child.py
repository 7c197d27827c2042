"""A publisher in its own process, for the kill -9 test.

    python -m tests.publisher.publisher_child PORT OUTBOX FIRST COUNT

Prints `PENDING <outbox depth> SEQUENCE <last persisted sequence number>` at start, then
publishes events FIRST..FIRST+COUNT-1 and prints `C <event id> <sequence>` after each one is
committed (publish_event returned), then waits for the outbox to drain and prints
`FLUSHED <depth> <ok>`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from publisher.client import Publisher
from tests.publisher.conftest import BOX, SITE, fast_settings, make_event


def main() -> None:
    port, outbox, first, count = int(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), \
        int(sys.argv[4])
    pub = Publisher(fast_settings(port), SITE, BOX, outbox)
    st = pub.stats()
    print(f"PENDING {st['outbox_depth']} SEQUENCE {st['sequence']}", flush=True)
    pub.start()
    for i in range(first, first + count):
        ev = pub.publish_event(make_event(i))
        print(f"C {ev.id} {ev.sequence}", flush=True)
    ok = pub.flush(60)
    print(f"FLUSHED {pub.stats()['outbox_depth']} {ok}", flush=True)
    pub.stop()


if __name__ == "__main__":
    main()
