"""Streaming one evidence file, whole or a byte range, from disk to the client."""

from __future__ import annotations

import contextlib
import email.utils
import mimetypes
import os
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import BinaryIO

from edge.http.ranges import RangeNotSatisfiable, parse_range

_CHUNK = 256 * 1024
_TYPES = {".jpg": "image/jpeg", ".mp4": "video/mp4", ".json": "application/json"}


def content_type(path: Path) -> str:
    guessed = _TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    return guessed or "application/octet-stream"


def serve_file(
    h: BaseHTTPRequestHandler, path: Path, range_header: str | None, head: bool
) -> None:
    # Open before stat: retention may delete the file at any moment, an open one stays readable.
    try:
        with open(path, "rb") as f:
            _serve_open(h, f, path, range_header, head)
    except FileNotFoundError:
        h.send_error(404)


def _serve_open(
    h: BaseHTTPRequestHandler, f: BinaryIO, path: Path, range_header: str | None, head: bool
) -> None:
    st = os.fstat(f.fileno())
    size = st.st_size
    try:
        rng = parse_range(range_header, size)
    except RangeNotSatisfiable:
        h.send_response(416)
        h.send_header("Content-Range", f"bytes */{size}")
        h.send_header("Content-Length", "0")
        h.end_headers()
        return
    first, last = rng if rng is not None else (0, size - 1)
    h.send_response(206 if rng is not None else 200)
    h.send_header("Content-Type", content_type(path))
    h.send_header("Accept-Ranges", "bytes")
    h.send_header("Content-Length", str(max(0, last - first + 1)))
    if rng is not None:
        h.send_header("Content-Range", f"bytes {first}-{last}/{size}")
    h.send_header("Last-Modified", email.utils.formatdate(st.st_mtime, usegmt=True))
    h.send_header("ETag", f'"{st.st_size:x}-{st.st_mtime_ns:x}"')
    h.send_header("Cache-Control", "private, max-age=3600")
    h.end_headers()
    if not head:
        # players drop the connection when the user seeks; not an error
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            _copy(f, h, first, last - first + 1)


def _copy(f: BinaryIO, h: BaseHTTPRequestHandler, offset: int, length: int) -> None:
    f.seek(offset)
    while length > 0:
        chunk = f.read(min(_CHUNK, length))
        if not chunk:
            break
        h.wfile.write(chunk)
        length -= len(chunk)
