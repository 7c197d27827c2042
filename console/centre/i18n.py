"""The fleet board's texts in English and Chinese (the console's catalogs belong to the
pages; the centre's own page brings its own, with the same fallback: English, then the key)."""

from __future__ import annotations

from collections.abc import Callable

_CATALOG: dict[str, dict[str, str]] = {
    "en": {
        "fleet.title": "Fleet", "fleet.boxes": "Boxes", "fleet.cameras": "Cameras",
        "fleet.sites": "Sites", "fleet.site": "Site", "fleet.box": "Box",
        "fleet.camera": "Camera", "fleet.state": "State", "fleet.since": "Since",
        "fleet.last_seen": "Last seen", "fleet.version": "Software",
        "fleet.model": "Model", "fleet.config": "Config", "fleet.backlog": "Outbox",
        "fleet.alarms": "Alarms", "fleet.health": "Health",
        "fleet.sequence": "Last sequence", "fleet.missing": "Missing events",
        "fleet.gaps": "Gaps", "fleet.online": "online", "fleet.offline": "offline",
        "fleet.unknown": "unknown", "fleet.unhandled": "Unhandled", "fleet.overdue": "Overdue",
        "fleet.degraded": "degraded", "fleet.none": "nothing yet",
        "fleet.generated": "As of", "fleet.ingest": "Ingest (this replica)",
    },
    "zh-CN": {
        "fleet.title": "设备总览", "fleet.boxes": "边缘盒", "fleet.cameras": "摄像头",
        "fleet.sites": "站点", "fleet.site": "站点", "fleet.box": "边缘盒",
        "fleet.camera": "摄像头", "fleet.state": "状态", "fleet.since": "起始时间",
        "fleet.last_seen": "最近联系", "fleet.version": "软件版本",
        "fleet.model": "模型", "fleet.config": "配置版本", "fleet.backlog": "待发事件",
        "fleet.alarms": "告警", "fleet.health": "健康",
        "fleet.sequence": "最新序号", "fleet.missing": "缺失事件",
        "fleet.gaps": "缺口", "fleet.online": "在线", "fleet.offline": "离线",
        "fleet.unknown": "未知", "fleet.unhandled": "未处理", "fleet.overdue": "超时",
        "fleet.degraded": "降级", "fleet.none": "暂无数据",
        "fleet.generated": "截至", "fleet.ingest": "接入（本副本）",
    },
}


def centre_translator(lang: str) -> Callable[[str], str]:
    table = _CATALOG.get(lang, _CATALOG["en"])

    def t(key: str) -> str:
        return table.get(key) or _CATALOG["en"].get(key) or key

    return t


def keys(lang: str) -> set[str]:
    return set(_CATALOG[lang])
