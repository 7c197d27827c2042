"""The zone editor's routes, for the box's console (edge/web/box.py):

    ConsoleContext(..., extra_routers=editor_routers(None, sup))

`config_path` is the site file the box runs; None: the one the supervisor's ConfigWatcher
watches (so that a save is reloaded). The routes and what they do: docs/editor.md.
"""

from __future__ import annotations

import atexit
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import APIRouter

from edge.web import calibrate_api, frames, live, page, preview_api, zones_api
from edge.web.deps import EditorDeps
from edge.web.preview import PreviewService
from edge.web.service import ReloadWait, SiteService

if TYPE_CHECKING:
    from edge.runtime import Supervisor

log = logging.getLogger(__name__)


def editor_deps(config_path: Path | None, sup: Supervisor) -> EditorDeps:
    watcher = sup.watcher
    path = config_path or (watcher.path if watcher is not None else None)
    if path is None:
        raise ValueError("the zone editor needs the site file's path")
    site = SiteService(Path(path), ReloadWait(watcher))
    made: list[EditorDeps] = []
    preview = PreviewService(site, lambda camera_id: made[0].runner(camera_id))
    made.append(EditorDeps(site=site, sup=sup, preview=preview, site_id=sup.cfg.site_id))
    # The preview worker is a process of its own (it also ends by itself when the box's
    # end of its socket closes); its snapshots are in a temporary folder.
    atexit.register(preview.close)
    deps = made[0]
    return deps


def editor_routers(config_path: Path | None, sup: Supervisor) -> list[APIRouter]:
    """Every route of the editor (page, site file, frames, live view, preview,
    calibration); none when the box runs without a site file to edit."""
    if config_path is None and sup.watcher is None:
        log.warning("no site file: the console runs without the zone editor")
        return []
    return routers(editor_deps(config_path, sup))


def routers(deps: EditorDeps) -> list[APIRouter]:
    return [m.router(deps) for m in (page, zones_api, frames, live, preview_api, calibrate_api)]
