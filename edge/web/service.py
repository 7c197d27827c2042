"""What the zone editor does to the site file: edit, validate as `sitewarden check` does,
save against the version it was loaded at, and see the running box reload it.

    svc = SiteService(path, reload=ReloadWait(sup))
    svc.snapshot()                                   # the file as JSON, with its version
    svc.check(draft_text_edit)                       # problems of an edit, nothing saved
    svc.save(version, edit, summary) -> Saved        # VersionConflict / Invalid / Saved

An edit is a function from the file's text (SiteText) to the edited text; the helpers
below build the usual ones (a zone added, replaced, deleted; a camera's zones replaced;
a camera key set).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruamel.yaml.error import YAMLError

from edge.config import ConfigError, SiteConfig, parse_config
from edge.web.problems import Invalid, structured
from edge.web.sitefile import (
    DEFAULT_BACKUPS,
    SiteFile,
    Unreadable,
    VersionConflict,
    unified_diff,
)
from edge.web.yamledit import SiteText, YamlEditError

if TYPE_CHECKING:
    from edge.runtime.reload import ConfigWatcher

log = logging.getLogger(__name__)
Edit = Callable[[SiteText], SiteText]
RELOAD_WAIT_S = 6.0  # polled about once a second; taken when unchanged for one more poll


READ_TRIES = 3  # reads of a file caught changing (half-written) before its state is taken


def parse_site(text: str, name: str) -> SiteText:
    try:
        return SiteText(text)
    except (YAMLError, YamlEditError) as e:
        # Not "the box keeps its last version": PyYAML, the box's loader, takes a few
        # things ruamel refuses (duplicate keys). `sitewarden check` says what the box sees.
        where = str(e).replace('"<unicode string>"', name)
        raise Unreadable(f"{name} cannot be read as YAML by the editor (changed by hand?); "
                         f"mend it by hand. {where}") from None


@dataclass(frozen=True)
class Saved:
    version: str
    diff: str
    reloaded: bool
    reload_error: str | None

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "diff": self.diff, "reloaded": self.reloaded,
                "reload_error": self.reload_error}


class ReloadWait:
    """Waits until the running box's ConfigWatcher has taken the saved file (it polls the
    file once a second on the supervisor's housekeeping thread; calling it from here would
    race that thread)."""

    def __init__(self, watcher: ConfigWatcher | None, timeout_s: float = RELOAD_WAIT_S) -> None:
        self.watcher = watcher
        self.timeout_s = timeout_s

    def mark(self) -> tuple[int, int]:
        w = self.watcher
        return (w.reloads, w.rejected) if w is not None else (0, 0)

    def wait(self, before: tuple[int, int]) -> tuple[bool, str | None]:
        w = self.watcher
        if w is None:
            return False, "the box does not watch this file"
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            if w.reloads > before[0]:
                return True, None
            if w.rejected > before[1]:
                return False, w.last_error
            time.sleep(0.05)
        return False, "not reloaded yet (the box checks the file about once a second)"


class SiteService:
    def __init__(self, path: Path, reload: ReloadWait | None = None,
                 backups: int = DEFAULT_BACKUPS) -> None:
        self.file = SiteFile(path, backups)
        self.reload = reload or ReloadWait(None)
        self._saving = threading.Lock()
        self._snapshot: tuple[tuple[int, int, int], dict[str, Any]] | None = None

    @property
    def path(self) -> Path:
        return self.file.path

    def snapshot(self) -> dict[str, Any]:
        """The file as JSON with its version; parsed again only when the file changed (the
        routes ask for the camera list on every request)."""
        for attempt in range(READ_TRIES):
            key = self._stat_key()
            cached = self._snapshot
            if cached is not None and cached[0] == key:
                return cached[1]
            last = attempt == READ_TRIES - 1
            try:
                out: dict[str, Any] | None = self._read_json()
            except Unreadable:
                if last or self._stat_key() == key:
                    raise
                out = None
            if out is not None and (last or self._stat_key() == key):
                self._snapshot = (key, out)
                return out
            # Written while we read (a hand edit saved in place): half a file can even
            # parse, as a shorter site. Read it again once it settles.
            time.sleep(0.05)
        raise AssertionError("unreachable")

    def _read_json(self) -> dict[str, Any]:
        snap = self.file.read()
        return {"version": snap.version, "path": str(self.path),
                "site": parse_site(snap.text, self.path.name).data()}

    def _stat_key(self) -> tuple[int, int, int]:
        st = self.path.stat()
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def config(self) -> SiteConfig:
        """The file as the box loads it now."""
        return self.validate(parse_site(self.file.read().text, self.path.name))

    def validate(self, doc: SiteText) -> SiteConfig:
        """The same validation as `sitewarden check` (relative paths from the file's folder);
        Invalid with structured problems."""
        try:
            return parse_config(doc.text, source=str(self.path),
                                base_dir=self.path.resolve().parent)
        except ConfigError as e:
            raise Invalid(structured(e, _data_or_empty(doc))) from None

    def check(self, edit: Edit) -> tuple[SiteText, SiteConfig]:
        """The edit applied to the current file and validated; nothing is written."""
        doc = apply(edit, parse_site(self.file.read().text, self.path.name))
        return doc, self.validate(doc)

    def save(self, version: str, edit: Edit) -> Saved:
        """VersionConflict when the file is no longer `version`, Invalid when the edited file
        would not load; else the file is replaced and the box reloads it."""
        with self._saving:
            snap = self.file.read()
            if snap.version != version:
                raise VersionConflict(snap.version)
            doc = apply(edit, parse_site(snap.text, self.path.name))
            self.validate(doc)
            mark = self.reload.mark()
            new_version = self.file.save(version, doc.text)
        diff = unified_diff(snap.text, doc.text, self.path.name)
        log.info("site file %s saved by the zone editor (%s -> %s)", self.path,
                 version[:12], new_version[:12])
        reloaded, error = self.reload.wait(mark)
        return Saved(new_version, diff, reloaded, error)


def apply(edit: Edit, doc: SiteText) -> SiteText:
    try:
        return edit(doc)
    except YamlEditError as e:
        raise Invalid([{"path": "", "loc": [], "msg": str(e), "line": None}]) from None


def _data_or_empty(doc: SiteText) -> dict[str, Any]:
    try:
        return doc.data()
    except Exception:
        return {}


# ---------------------------------------------------------------------- edits


class NotFoundInFile(LookupError):
    """The zone or camera an edit names is not in the file."""


def refuse_env_refs(value: Any, old: Any, where: str) -> None:
    """What the editor writes never names an environment variable it did not find there.
    The loader expands `${VAR}` in every string of the file, and validation messages quote
    values: a draft zone of kind `${SITEWARDEN_HTTP_TOKEN}` would have handed the box's
    secrets back. A `${...}` value the file already has at the same place (a label written
    by hand) is kept as it is."""
    if isinstance(value, str):
        if "${" in value and value != old:
            raise Invalid([{"path": where, "loc": [p for p in where.split(".") if p],
                            "msg": "values written by the editor cannot refer to environment "
                                   "variables (${...}); write them in the file by hand",
                            "line": None}])
    elif isinstance(value, Mapping):
        for k, v in value.items():
            refuse_env_refs(k, None, where)
            refuse_env_refs(v, old.get(k) if isinstance(old, Mapping) else None, f"{where}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            was = old[i] if isinstance(old, (list, tuple)) and i < len(old) else None
            refuse_env_refs(v, was, f"{where}.{i}")


def add_zone(zone: Mapping[str, Any]) -> Edit:
    """After the last zone of its camera (zones of one camera stay together), else last."""
    def edit(doc: SiteText) -> SiteText:
        refuse_env_refs(zone, None, "zone")
        zones = doc.data().get("zones") or []
        same = [i for i, z in enumerate(zones) if isinstance(z, dict)
                and z.get("camera") == zone.get("camera")]
        return doc.insert_item("zones", same[-1] + 1 if same else len(zones), zone)
    return edit


def replace_zone(zone_id: str, zone: Mapping[str, Any]) -> Edit:
    def edit(doc: SiteText) -> SiteText:
        i = doc.index_of("zones", zone_id)
        if i is None:
            raise NotFoundInFile(f"zone {zone_id!r} is not in the site file")
        refuse_env_refs(zone, doc.data()["zones"][i], "zone")
        return doc.replace_item("zones", i, zone)
    return edit


def delete_zone(zone_id: str) -> Edit:
    def edit(doc: SiteText) -> SiteText:
        i = doc.index_of("zones", zone_id)
        if i is None:
            raise NotFoundInFile(f"zone {zone_id!r} is not in the site file")
        return doc.delete_item("zones", i)
    return edit


def set_camera_zones(camera_id: str, zones: Sequence[Mapping[str, Any]],
                     previous_ids: Sequence[str | None] | None = None) -> Edit:
    """The camera's zones become `zones` (in that order among themselves). A zone whose
    previous id is given (renamed in the editor) is edited in place, keeping its comments."""
    prev = list(previous_ids or [None] * len(zones))
    if len(prev) != len(zones):
        raise ValueError("previous_ids must have one entry per zone")

    def edit(doc: SiteText) -> SiteText:
        existing = [str(z.get("id")) for z in doc.data().get("zones") or []
                    if isinstance(z, dict) and z.get("camera") == camera_id]
        keep = {(p or str(z.get("id"))) for z, p in zip(zones, prev, strict=True)}
        for zid in existing:
            if zid not in keep:
                doc = delete_zone(zid)(doc)
        for z, p in zip(zones, prev, strict=True):
            old = p or str(z.get("id"))
            doc = replace_zone(old, z)(doc) if old in existing else add_zone(z)(doc)
        return doc
    return edit


def set_camera_key(camera_id: str, key: str, value: Any) -> Edit:
    """cameras[camera_id].key = value (None or []: the key is removed, its default applies)."""
    def edit(doc: SiteText) -> SiteText:
        i = doc.index_of("cameras", camera_id)
        if i is None:
            raise NotFoundInFile(f"camera {camera_id!r} is not in the site file")
        cam = doc.data()["cameras"][i]
        refuse_env_refs(value, cam.get(key), key)
        if value is None or value == []:
            cam.pop(key, None)
        else:
            cam[key] = value
        return doc.replace_item("cameras", i, cam)
    return edit


def chain(*edits: Edit) -> Edit:
    def edit(doc: SiteText) -> SiteText:
        for e in edits:
            doc = e(doc)
        return doc
    return edit
