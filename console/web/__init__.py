"""The console's web app (FastAPI): JSON API, event stream, evidence, server-rendered pages.

    ctx = ConsoleContext(store=..., http=HttpConfig(...), ...)
    app = create_app(ctx)                       # console.web.app
    server = ConsoleServer(app, host, port)     # uvicorn in a thread; run()/stop()

The box mounts its own routes (live health, frames, the zone editor) through
`ConsoleContext.extra_routers`; the centre runs the same app with no cameras.
"""
