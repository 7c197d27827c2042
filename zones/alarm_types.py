"""Zone kind -> alarm type, with the GB/T 28181 codes for platforms that speak that standard.

GB/T 28181 alarm notifications carry an AlarmMethod (5 = video alarm) and, for video alarms,
an AlarmType: 1 manual video alarm, 2 moving object, 3 left object, 4 removed object,
5 tripwire, 6 intrusion, 7 wrong direction, 8 loitering, 9 flow counting, 10 density,
11 video abnormality, 12 fast moving. The standard has no "off post" type, so a duty-post
violation is sent as 1 (manual/generic video alarm); platforms that know sitewarden read the
`alarm_type` name instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from zones.spec import ZoneKind

GB28181_VIDEO_ALARM_METHOD = 5


@dataclass(frozen=True)
class AlarmType:
    name: str
    gb28181_method: int
    gb28181_type: int


ALARM_TYPES: dict[ZoneKind, AlarmType] = {
    "danger_zone": AlarmType("intrusion", GB28181_VIDEO_ALARM_METHOD, 6),
    "headcount": AlarmType("density", GB28181_VIDEO_ALARM_METHOD, 10),
    "duty_post": AlarmType("off_post", GB28181_VIDEO_ALARM_METHOD, 1),
    "line": AlarmType("tripwire", GB28181_VIDEO_ALARM_METHOD, 5),
    "seal": AlarmType("tripwire", GB28181_VIDEO_ALARM_METHOD, 5),
}

_BY_NAME: dict[str, AlarmType] = {a.name: a for a in ALARM_TYPES.values()}


def alarm_type_of(kind: ZoneKind) -> AlarmType:
    return ALARM_TYPES[kind]


def gb28181_codes(alarm_type: str) -> tuple[int, int]:
    """(AlarmMethod, AlarmType) for a `ViolationUpdate.alarm_type` name."""
    a = _BY_NAME[alarm_type]
    return a.gb28181_method, a.gb28181_type
