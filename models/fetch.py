"""Verified model downloads: stream to a temp file, check sha256, then rename into place."""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tqdm import tqdm

from models.errors import FetchError
from models.manifest import ModelEntry

log = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 16
USER_AGENT = "sitewarden-model-fetch/1"


@dataclass(frozen=True)
class FetchResult:
    path: Path
    downloaded: bool  # False when a file already there verified and was kept
    url: str | None


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(CHUNK_BYTES), b""):
            h.update(block)
    return h.hexdigest()


def source_url(entry: ModelEntry, url_base: str | None) -> str:
    """The manifest URL, or the same file name under a mirror such as http://host/models/."""
    return entry.url if url_base is None else f"{url_base.rstrip('/')}/{entry.file}"


def fetch_model(
    entry: ModelEntry,
    dest_dir: Path,
    url_base: str | None = None,
    progress: bool | None = None,
    timeout_s: float = 60.0,
) -> FetchResult:
    """Put a verified copy of `entry` in dest_dir; raises FetchError, leaving no partial file."""
    target = dest_dir / entry.file
    if target.is_file() and sha256_file(target) == entry.sha256:
        log.info("%s already present and verified", target)
        return FetchResult(target, False, None)
    if target.exists():
        log.warning("%s exists but does not match the manifest sha256; downloading again", target)
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise FetchError(f"{dest_dir}: cannot create the model folder: {e.strerror or e}") from e
    url = source_url(entry, url_base)
    show = sys.stderr.isatty() if progress is None else progress
    tmp = _download_to_temp(entry, url, dest_dir, show, timeout_s)
    try:
        digest = sha256_file(tmp)
        if digest != entry.sha256:
            raise FetchError(
                f"{url}: sha256 mismatch for {entry.name}: got {digest}, manifest says "
                f"{entry.sha256}; the download was discarded"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    log.info("fetched %s from %s", target, url)
    return FetchResult(target, True, url)


def _download_to_temp(
    entry: ModelEntry, url: str, dest_dir: Path, show: bool, timeout_s: float
) -> Path:
    fd, name = tempfile.mkstemp(dir=dest_dir, prefix=f".{entry.file}.", suffix=".part")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            _stream(entry, url, out, show, timeout_s)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _stream(entry: ModelEntry, url: str, out: BinaryIO, show: bool, timeout_s: float) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    # A server sending far more than the manifest size is not sending this model.
    limit = entry.bytes * 2 + CHUNK_BYTES
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as resp:
            total = int(resp.headers.get("Content-Length") or entry.bytes)
            with tqdm(
                total=total, unit="B", unit_scale=True, desc=entry.file, disable=not show
            ) as bar:
                received = 0
                while block := resp.read(CHUNK_BYTES):
                    received += len(block)
                    if received > limit:
                        raise FetchError(
                            f"{url}: more than {limit} bytes received for {entry.name} "
                            f"(expected {entry.bytes}); aborted"
                        )
                    out.write(block)
                    bar.update(len(block))
    except urllib.error.HTTPError as e:
        raise FetchError(f"{url}: download failed: HTTP {e.code} {e.reason}") from e
    except urllib.error.URLError as e:
        raise FetchError(f"{url}: download failed: {e.reason}") from e
    except (TimeoutError, ConnectionError) as e:
        raise FetchError(f"{url}: download failed: {e}") from e
    except OSError as e:
        raise FetchError(f"{url}: download failed while writing: {e.strerror or e}") from e
