"""Annotated snapshots: zone outline, people's boxes and anchor points, the rule's label.

The label banner is drawn with Pillow and a system CJK font (edge/evidence/fonts.py), so zone
labels in Chinese and other scripts show as written.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from edge.evidence import fonts
from zones.spec import LINE_KINDS, ZoneKind, ZoneSpec
from zones.types import Track, ViolationUpdate

# BGR. Order: translucent zone fill, people, zone outline, label; so the outline's colour is
# exact along the polygon and boxes are not tinted by the fill.
ZONE_COLOURS_BGR: dict[ZoneKind, tuple[int, int, int]] = {
    "danger_zone": (0, 0, 255),
    "seal": (0, 0, 255),
    "line": (255, 0, 255),
    "headcount": (0, 140, 255),
    "duty_post": (255, 128, 0),
}
BOX_COLOUR_BGR = (0, 255, 0)
ANCHOR_COLOUR_BGR = (0, 255, 255)
_FILL_ALPHA = 0.18

log = logging.getLogger(__name__)
_label_failure_logged = False


def zone_points_px(zone: ZoneSpec, width: int, height: int) -> np.ndarray:
    pts = np.asarray(zone.points_norm, dtype=np.float64) * np.array([width - 1, height - 1])
    return np.rint(pts).astype(np.int32)


def anchor_px(track: Track, anchor: str, width: int, height: int) -> tuple[int, int]:
    x1, y1, x2, y2 = track.box_xyxy_norm
    y = y2 if anchor == "bottom_center" else (y1 + y2) / 2
    return round((x1 + x2) / 2 * (width - 1)), round(y * (height - 1))


def thickness_px(height: int) -> int:
    return max(2, height // 180)


def annotate(
    frame_bgr: np.ndarray, zone: ZoneSpec | None, update: ViolationUpdate, wall_time: datetime
) -> np.ndarray:
    """A copy of the frame with the rule's evidence drawn on it (the input is left alone)."""
    img = frame_bgr.copy()
    h, _w = img.shape[:2]
    th = thickness_px(h)
    colour = ZONE_COLOURS_BGR.get(update.kind, (0, 0, 255))
    anchor = zone.anchor if zone is not None else "bottom_center"
    closed = zone is not None and zone.kind not in LINE_KINDS
    if zone is not None and closed:
        _fill_zone(img, zone, colour)
    for t in update.objects:
        _draw_track(img, t, anchor, th)
    if zone is not None:
        _outline_zone(img, zone, colour, th, closed)
    _draw_label(img, _label_text(zone, update, wall_time), colour)
    return img


def _fill_zone(img: np.ndarray, zone: ZoneSpec, colour: tuple[int, int, int]) -> None:
    h, w = img.shape[:2]
    overlay = img.copy()
    cv2.fillPoly(overlay, [zone_points_px(zone, w, h)], colour)
    cv2.addWeighted(overlay, _FILL_ALPHA, img, 1 - _FILL_ALPHA, 0, dst=img)


def _outline_zone(
    img: np.ndarray, zone: ZoneSpec, colour: tuple[int, int, int], th: int, closed: bool
) -> None:
    h, w = img.shape[:2]
    pts = zone_points_px(zone, w, h)
    cv2.polylines(img, [pts], closed, colour, th, cv2.LINE_8)
    if not closed:
        for p in pts:
            cv2.circle(img, (int(p[0]), int(p[1])), th * 2, colour, -1)


def _draw_track(img: np.ndarray, t: Track, anchor: str, th: int) -> None:
    h, w = img.shape[:2]
    x1, y1, x2, y2 = t.box_xyxy_norm
    p1 = (round(x1 * (w - 1)), round(y1 * (h - 1)))
    p2 = (round(x2 * (w - 1)), round(y2 * (h - 1)))
    cv2.rectangle(img, p1, p2, BOX_COLOUR_BGR, th)
    cv2.circle(img, anchor_px(t, anchor, w, h), th + 2, ANCHOR_COLOUR_BGR, -1)
    cv2.putText(img, f"#{t.track_id} {t.score:.2f}", (p1[0], max(12, p1[1] - 4)),
                cv2.FONT_HERSHEY_SIMPLEX, 0.4, BOX_COLOUR_BGR, 1, cv2.LINE_AA)


def _label_text(zone: ZoneSpec | None, update: ViolationUpdate, wall_time: datetime) -> str:
    name = (zone.label if zone is not None and zone.label else "") or update.zone_id
    when = wall_time.strftime("%Y-%m-%d %H:%M:%S")
    return f"{name} | {update.kind} | {update.count} person(s) | {when}"


def label_font_px(height: int) -> int:
    """Banner font size: the old Hershey scale max(0.45, h/900) at the same cap height."""
    return round(30 * max(0.45, height / 900))


def _draw_label(img: np.ndarray, text: str, colour: tuple[int, int, int]) -> None:
    global _label_failure_logged
    try:
        _draw_label_pillow(img, text, colour, fonts.banner_font(label_font_px(img.shape[0])))
    except Exception:
        # A snapshot is evidence: a broken font file must not cost it. Say so once.
        if not _label_failure_logged:
            _label_failure_logged = True
            log.exception("drawing the snapshot label with Pillow failed; using OpenCV's "
                          "ASCII-only font")
        _draw_label_hershey(img, text, colour)


def _draw_label_pillow(
    img: np.ndarray, text: str, colour: tuple[int, int, int], bf: fonts.BannerFont
) -> None:
    """White text on a black banner, top-left. Pillow draws into a small grey image of the
    banner alone (never a conversion of the whole frame), so the cost is the glyphs': about
    1-2 ms at 960x540 (docs/evidence.md, Measured)."""
    size = label_font_px(img.shape[0])
    pad, x0 = max(3, size // 6), 8  # x0: after the 4 px rule-colour stripe
    with bf.lock:
        shown = bf.drawable(text)
        font = bf.font
        if isinstance(font, ImageFont.FreeTypeFont):
            ascent, descent = font.getmetrics()
            line_h = ascent + descent
        else:
            line_h = int(font.getbbox("Ag|")[3])
        bw = min(img.shape[1], x0 + math.ceil(font.getlength(shown)) + 6)
        bh = min(img.shape[0], line_h + 2 * pad)
        banner = Image.new("L", (bw, bh), 0)
        ImageDraw.Draw(banner).text((x0, pad), shown, font=font, fill=255)
    ink = np.asarray(banner)
    # Black background and white text: the grey mask is the banner, in every channel.
    img[:bh, :bw] = ink[..., None] if img.ndim == 3 else ink
    img[:bh, :4] = colour if img.ndim == 3 else colour[0]  # grey frames: as cv2 draws them


def _draw_label_hershey(img: np.ndarray, text: str, colour: tuple[int, int, int]) -> None:
    # Hershey fonts are ASCII only; a non-Latin character shows as '?' rather than garbage.
    text = text.encode("ascii", "replace").decode()
    scale = max(0.45, img.shape[0] / 900)
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    cv2.rectangle(img, (0, 0), (tw + 10, th + base + 10), (0, 0, 0), -1)
    cv2.rectangle(img, (0, 0), (4, th + base + 10), colour, -1)
    cv2.putText(img, text, (8, th + 5), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1,
                cv2.LINE_AA)


def clarity(frame_bgr: np.ndarray, objects: tuple[Track, ...]) -> float:
    """How useful a frame is as evidence: detector confidence times sharpness of the people.

    Sharpness is the variance of the Laplacian inside the boxes (motion blur lowers it).
    """
    if not objects:
        return 0.0
    h, w = frame_bgr.shape[:2]
    gray = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY) if frame_bgr.ndim == 3 else frame_bgr
    total = 0.0
    for t in objects:
        x1, y1, x2, y2 = t.box_xyxy_norm
        crop = gray[max(0, int(y1 * h)):int(y2 * h) + 1, max(0, int(x1 * w)):int(x2 * w) + 1]
        if crop.size >= 16:
            total += t.score * float(cv2.Laplacian(crop, cv2.CV_64F).var())
    return total / len(objects)


def encode_jpeg(img: np.ndarray, quality: int) -> bytes:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError(f"JPEG encoding failed for an image of shape {img.shape}")
    return buf.tobytes()
