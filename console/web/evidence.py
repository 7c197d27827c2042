"""Evidence files for the pages and the API.

The box serves its own files at `/evidence/<site>/<camera>/<day>/<violation>/<file>` (whole
or byte ranges, so a clip plays and seeks), to logged-in users whose scope holds the site.
The centre hands out short-lived presigned URLs of the object store instead
(console/centre). Either way a page asks `EvidenceAccess.url(violation, name)`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response

from console.roles import Action
from console.store import NotFound, Violation
from console.web.security import Principal, require

FILE_NAMES = ("snapshot", "snapshot_raw", "best", "clip")
_TYPES = {".jpg": "image/jpeg", ".mp4": "video/mp4", ".json": "application/json"}


def file_ref(evidence: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The reference of one evidence file (`snapshot_raw` is the snapshot's raw copy)."""
    key = "snapshot" if name == "snapshot_raw" else name
    ref = evidence.get(key)
    if name == "snapshot_raw" and isinstance(ref, dict):
        ref = ref.get("raw")
    return ref if isinstance(ref, dict) else None


class LocalEvidence:
    """The box: evidence under `root`, referenced by the `url` the recorder wrote."""

    prefix = "/evidence/"

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def url(self, violation: Violation, name: str) -> str | None:
        ref = file_ref(violation.evidence, name)
        url = ref.get("url") if ref is not None else None
        return url if isinstance(url, str) and url.startswith(self.prefix) else None

    def open(self, violation: Violation, name: str) -> bytes | None:
        """One file's bytes (the export), None when it is not (or no longer) there."""
        url = self.url(violation, name)
        path = self._resolve(url[len(self.prefix):]) if url is not None else None
        if path is None:
            return None
        try:
            return path.read_bytes()
        except OSError:  # removed by retention between the check and the read
            return None

    def router(self) -> APIRouter:
        router = APIRouter()

        # HEAD apart and out of the schema: one route with both methods gives OpenAPI two
        # operations with the same id.
        @router.head("/evidence/{rel:path}", include_in_schema=False)
        @router.get("/evidence/{rel:path}", tags=["evidence"], summary="An evidence file",
                    response_class=FileResponse)
        def evidence_file(rel: str, request: Request,
                          principal: Principal = Depends(require(Action.READ))) -> Response:
            """One evidence file; `Range` requests are answered with 206."""
            path = self._resolve(rel)
            # The site is the resolved file's, never the URL's first segment: with a dot
            # segment (`plant-7/%2e%2e/plant-9/...`) the two differ.
            site = path.relative_to(self.root).parts[0] if path is not None else None
            if path is None or site is None or not principal.scope.allows(site):
                raise NotFound(f"evidence {rel}")
            return FileResponse(path, media_type=_TYPES.get(path.suffix.lower(),
                                                            "application/octet-stream"),
                                headers={"Cache-Control": "private, max-age=3600"})

        return router

    def _resolve(self, rel: str) -> Path | None:
        """The file for a URL path, never outside the evidence root."""
        if "\x00" in rel or rel.startswith("/") or \
                any(part in ("", ".", "..") for part in rel.split("/")):
            return None
        path = (self.root / rel).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        return path
