"""What the editor's routes share: the site file, the running box, the preview, access.

Every route of the editor checks the role (integrator and admin may change zones; the
latest frame is for anyone who may read) and the site: a user scoped to other sites sees
none of this box.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import HTTPException

from console.web.security import NotAllowed, Principal
from edge.web.service import SiteService, Unreadable

if TYPE_CHECKING:
    from edge.runtime import Supervisor
    from edge.runtime.camera import CameraRunner
    from edge.web.preview import PreviewService


@dataclass
class EditorDeps:
    site: SiteService
    sup: Supervisor | None
    preview: PreviewService
    site_id: str

    def allow(self, principal: Principal) -> None:
        if not principal.scope.allows(self.site_id):
            raise NotAllowed(f"{principal.name} may not see site {self.site_id}")

    def site_json(self) -> dict[str, Any]:
        """The site file as JSON; 409 naming the parser's complaint when it does not read."""
        try:
            return self.site.snapshot()
        except Unreadable as e:
            raise HTTPException(409, str(e)) from None

    def camera_ids(self) -> list[str]:
        """The cameras of the site file (running or not)."""
        data = self.site_json()["site"]
        return [str(c.get("id")) for c in data.get("cameras") or [] if isinstance(c, dict)]

    def known_camera(self, camera_id: str) -> None:
        if camera_id not in self.camera_ids():
            raise HTTPException(404, f"camera {camera_id!r} is not in the site file")

    def runner(self, camera_id: str) -> CameraRunner:
        """The running camera: 404 when the site has no such camera, 503 when it does but
        the box does not run it (disabled, or added since the box started)."""
        self.known_camera(camera_id)
        runners = self.sup.runners if self.sup is not None else []
        for r in runners:
            if r.camera_id == camera_id:
                return r
        raise HTTPException(503, f"camera {camera_id!r} is not running on this box")

    @property
    def stopping(self) -> bool:
        return self.sup is not None and self.sup.stopping

    def config_detail(self) -> dict[str, Any]:
        w = self.sup.watcher if self.sup is not None else None
        if w is None:
            return {"watched": False}
        return {"watched": True, "reloads": w.reloads, "rejected": w.rejected,
                "last_error": w.last_error}
