"""The box's HTTP server: evidence files, recent violations, health and metrics routes."""

from edge.http.server import (
    HttpServer,
    HttpTokenMissing,
    Request,
    Response,
    json_response,
    text_response,
)

__all__ = [
    "HttpServer",
    "HttpTokenMissing",
    "Request",
    "Response",
    "json_response",
    "text_response",
]
