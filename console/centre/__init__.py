"""The monitoring centre: the console for many boxes (docs/deploy.md).

    sitewarden console CONSOLE.yaml     one replica: web app, MQTT ingest, overdue watcher

Module map:
    config      the console file (ConsoleConfig), strict, secrets from the environment
    mqtt        Subscriber: the MQTT 5 link (state machine, shared and status subscriptions,
                acknowledgements sent only when the ingest says so)
    messages    what one message is (event, status, or rejected with a reason); pure
    ingest      Ingest: batches -> one store transaction -> acknowledgements; outages
    stats       the ingest's counters and latency windows
    evidence    ObjectStoreEvidence: presigned URLs of the boxes' uploaded evidence
    fleet       /fleet and /api/fleet: boxes, cameras, completeness, per-site counts
    i18n        the fleet page's texts (en, zh-CN)
    app         the console app with a centre context (create_centre_app)
    replica     Replica: the parts of one process, start/run/stop
"""
