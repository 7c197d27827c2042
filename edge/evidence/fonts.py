"""The font for snapshot banners: a CJK-capable system font found at run time, or a fallback.

Zone labels on Chinese sites are Chinese ("危险区域", "值班台"). OpenCV's Hershey fonts are
ASCII-only, so banners are drawn with Pillow and a font from the Debian packages
fonts-noto-cjk or fonts-wqy-zenhei, looked up once per process in this order:

1. `FONT_OVERRIDE` (this module's setting, for programs that embed the recorder), else the
   environment variable `SITEWARDEN_FONT`: a font file path, optionally `path:index` for a
   face of a .ttc collection. An override is used as given (it may be a font for another
   script, e.g. Arabic or Thai); if it cannot be loaded there is no silent second choice:
   the fallback is used and the warning says why.
2. fontconfig: `fc-match ':lang=zh-cn'`. fc-match always answers with its best match, even a
   font without any Chinese glyph (and `:lang=zh` matched DejaVu Sans on Debian 12 with Noto
   CJK installed), so its answer is only taken if the font really draws "危险区域".
3. Known Debian/Ubuntu paths (`KNOWN_FONTS`), checked the same way.

Without a CJK font, Pillow's built-in font draws ASCII and every other character becomes a
placeholder; one warning per process names the packages to install. Characters that the
chosen font lacks (e.g. Arabic with Noto CJK) become a placeholder too, never tofu or garbage.
"""

from __future__ import annotations

import glob
import logging
import os
import subprocess
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

log = logging.getLogger(__name__)

FONT_ENV = "SITEWARDEN_FONT"
# Set by code (e.g. `fonts.FONT_OVERRIDE = "/opt/fonts/x.ttf"; fonts.reset()`) to skip the
# search; it wins over the environment because code that sets it means it.
FONT_OVERRIDE: str | None = None
INSTALL_HINT = "apt-get install fonts-noto-cjk (or the smaller fonts-wqy-zenhei)"

# (glob, face index). Noto Sans CJK .ttc faces: 0 JP, 1 KR, 2 SC, 3 TC, 4 HK; SC first,
# because the sites are in mainland China and the JP face draws some hanzi in Japanese forms.
KNOWN_FONTS: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-*.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),  # Ubuntu/Jetson images
)
PROBE = "危险区域"  # a font that draws these is taken as a Chinese font
_MISSING = "\U0010fffd"  # a private-use code point no font has: draws the .notdef glyph
_FC_TIMEOUT_S = 5.0
AnyFont = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True)
class FontFile:
    path: str
    index: int = 0
    source: str = ""  # where it came from, for the log line


@dataclass(frozen=True)
class Lookup:
    font: FontFile | None
    problem: str = ""  # why there is no font, for the warning


def find_font() -> Lookup:
    """The banner font file by the order above (reads the environment and the disk)."""
    override, origin = FONT_OVERRIDE, "fonts.FONT_OVERRIDE"
    if not override:
        override, origin = os.environ.get(FONT_ENV, ""), FONT_ENV
    if override:
        path, index = _split_index(override)
        ff = FontFile(path, index, origin)
        if _loads(ff):
            return Lookup(ff)
        return Lookup(None, f"{origin}={override!r} is not a font file that can be loaded")
    for ff in _candidates():
        if _draws_chinese(ff):
            return Lookup(ff)
    return Lookup(None, "no Chinese font found (fc-match ':lang=zh-cn', then "
                        + ", ".join(p for p, _ in KNOWN_FONTS) + ")")


def _split_index(spec: str) -> tuple[str, int]:
    path, sep, tail = spec.rpartition(":")
    return (path, int(tail)) if sep and tail.isdigit() else (spec, 0)


def _candidates() -> list[FontFile]:
    out = []
    fc = fc_match()
    if fc is not None:
        out.append(fc)
    for pattern, index in KNOWN_FONTS:
        out.extend(FontFile(p, index, "known path") for p in sorted(glob.glob(pattern)))
    return out


def fc_match() -> FontFile | None:
    """fontconfig's best font for Simplified Chinese, or None without fontconfig."""
    try:
        r = subprocess.run(["fc-match", "-f", "%{file}\n%{index}", ":lang=zh-cn"],
                           capture_output=True, text=True, timeout=_FC_TIMEOUT_S, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = r.stdout.splitlines()
    if r.returncode != 0 or not lines or not lines[0]:
        return None
    index = int(lines[1]) if len(lines) > 1 and lines[1].isdigit() else 0
    return FontFile(lines[0], index, "fontconfig")


def _loads(ff: FontFile) -> bool:
    try:
        ImageFont.truetype(ff.path, 16, index=ff.index)
    except (OSError, ValueError):
        return False
    return True


def _draws_chinese(ff: FontFile) -> bool:
    try:
        font = ImageFont.truetype(ff.path, 16, index=ff.index)
    except (OSError, ValueError):
        return False
    notdef = _render(font, _MISSING)
    return all(_render(font, ch) != notdef for ch in PROBE)


def _render(font: AnyFont, text: str) -> bytes:
    left, top, right, bottom = (int(v) for v in font.getbbox(text))
    im = Image.new("L", (max(1, right - left), max(1, bottom - top)))
    ImageDraw.Draw(im).text((-left, -top), text, font=font, fill=255)
    return f"{im.size}".encode() + im.tobytes()


@dataclass
class BannerFont:
    """A loaded font at one size and what it can draw; shared by the cameras' threads."""

    font: AnyFont
    fallback: bool  # True: Pillow's built-in font, no system font was found
    placeholder: str = "?"
    # FreeType faces are not thread-safe and every camera's evidence worker draws with the
    # same cached font: hold this while measuring and drawing (uncontended almost always).
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _covered: dict[str, bool] = field(default_factory=dict, repr=False)
    _notdef: bytes = field(default=b"", repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.font, ImageFont.FreeTypeFont):
            self._notdef = _render(self.font, _MISSING)
        # A hollow square reads as "a character this font lacks"; '?' where even that is absent.
        self.placeholder = "\u25a1" if self.covers("\u25a1") else "?"

    def covers(self, ch: str) -> bool:
        hit = self._covered.get(ch)
        if hit is None:
            hit = self._covered[ch] = self._has_glyph(ch)
        return hit

    def _has_glyph(self, ch: str) -> bool:
        # Pillow has no glyph-index API: a character the font lacks draws exactly like .notdef.
        if ch.isspace():
            return True
        if not isinstance(self.font, ImageFont.FreeTypeFont):
            return ch.isascii() and ch.isprintable()  # the old bitmap font: Latin-1 at most
        return _render(self.font, ch) != self._notdef

    def drawable(self, text: str) -> str:
        """The text with every character the font cannot draw replaced by the placeholder,
        and control characters by a space (a newline would start a line below the banner)."""
        with self.lock:
            return "".join(" " if unicodedata.category(ch) == "Cc"
                           else ch if self.covers(ch) else self.placeholder for ch in text)


_lookup_lock = threading.Lock()
_lookup: Lookup | None = None


def chosen_font() -> Lookup:
    """The lookup, done once per process; logs the choice, or one warning without a font."""
    global _lookup
    with _lookup_lock:
        if _lookup is None:
            _lookup = find_font()
            if _lookup.font is not None:
                f = _lookup.font
                log.info("snapshot labels use font %s (face %d, from %s)", f.path, f.index,
                         f.source)
            else:
                log.warning("snapshot labels: %s; non-Latin characters of zone labels are "
                            "drawn as placeholders. Install a Chinese font: %s, or set %s to "
                            "a font file.", _lookup.problem, INSTALL_HINT, FONT_ENV)
        return _lookup


@lru_cache(maxsize=16)
def banner_font(size_px: int) -> BannerFont:
    """The banner font at a pixel size, loaded once per size; never raises."""
    ff = chosen_font().font
    if ff is not None:
        try:
            return BannerFont(ImageFont.truetype(ff.path, size_px, index=ff.index), False)
        except (OSError, ValueError) as e:  # it loaded at lookup: only a vanished file
            log.warning("snapshot labels: cannot load %s at %d px (%s); using the fallback",
                        ff.path, size_px, e)
    try:
        return BannerFont(ImageFont.load_default(size_px), True)
    except TypeError:  # Pillow < 10.1: one fixed-size bitmap font
        return BannerFont(ImageFont.load_default(), True)


def reset() -> None:
    """Forget the lookup and the loaded fonts (after changing FONT_OVERRIDE; for tests)."""
    global _lookup
    with _lookup_lock:
        _lookup = None
    banner_font.cache_clear()
