"""Snapshot banners draw zone labels in any script with a system CJK font, or say what is missing.

The CJK tests need a Chinese font installed (.ci/run installs fonts-noto-cjk); they fail, not
skip, without one, so CI cannot silently fall back to '?' banners.
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from edge.evidence import fonts, snapshot
from edge.evidence.fonts import FONT_ENV, FontFile
from edge.evidence.snapshot import ZONE_COLOURS_BGR, annotate, label_font_px

from .replaykit import T0_WALL, ZONE, update

H, W = 540, 960


@pytest.fixture(autouse=True)
def fresh_fonts(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test looks the font up again, from a clean environment; later tests do too."""
    monkeypatch.delenv(FONT_ENV, raising=False)
    monkeypatch.setattr(fonts, "FONT_OVERRIDE", None)
    fonts.reset()
    yield
    fonts.reset()


def _annotated(label: str, h: int = H, w: int = W) -> np.ndarray:
    frame = np.full((h, w, 3), 90, np.uint8)
    return annotate(frame, replace(ZONE, label=label), update("f", "started", 1.0, 1.0), T0_WALL)


def _text_rows(img: np.ndarray) -> np.ndarray:
    """The banner's text area (grey levels): its rows, right of the rule-colour stripe."""
    stripe = (img[:, 1] == ZONE_COLOURS_BGR["danger_zone"]).all(axis=1)
    bh = int(np.argmin(stripe)) if not stripe.all() else img.shape[0]
    assert bh > 0, "a banner with the rule-colour stripe"
    return img[:bh, 4:].max(axis=2)


def _ink_columns(text_rows: np.ndarray) -> np.ndarray:
    return np.flatnonzero((text_rows > 128).any(axis=0))


def _require_cjk_font() -> fonts.BannerFont:
    bf = fonts.banner_font(label_font_px(H))
    assert not bf.fallback, ("no Chinese font on this machine: "
                             f"{fonts.chosen_font().problem}; {fonts.INSTALL_HINT}")
    return bf


# ---- drawing ----------------------------------------------------------------------------

def test_chinese_label_is_drawn_with_the_cjk_font_not_as_question_marks() -> None:
    bf = _require_cjk_font()
    em = label_font_px(H)
    cjk = _text_rows(_annotated("危险区域 Press"))
    old = _text_rows(_annotated("???? Press"))  # what the Hershey banner showed
    assert cjk.shape[0] == old.shape[0] >= em, "one banner height whatever the script"
    x0 = 8 - 4  # text starts at x = 8; the rows start after the 4 px stripe
    cells = [cjk[:, x0 + i * em: x0 + (i + 1) * em] for i in range(4)]
    assert all((c > 128).sum() > em for c in cells), "ink in each of the 4 full-width cells"
    assert len({c.tobytes() for c in cells}) == 4, "four different glyphs, not one repeated box"
    # Ideographs advance one em; '?' about half: the line is longer by that, to a few px.
    widen = _ink_columns(cjk)[-1] - _ink_columns(old)[-1]
    assert abs(widen - 4 * (em - bf.font.getlength("?"))) <= 3
    # The whole line has the width the font measures for it, starting where the text starts.
    text = snapshot._label_text(replace(ZONE, label="危险区域 Press"),
                                update("f", "started", 1.0, 1.0), T0_WALL)
    ink = _ink_columns(cjk)
    assert ink[0] <= x0 + 3
    assert abs((ink[-1] - ink[0]) - bf.font.getlength(text)) <= 0.05 * bf.font.getlength(text)


def test_label_font_follows_the_frame_height_and_is_cached_per_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []
    real = fonts.find_font
    monkeypatch.setattr(fonts, "find_font", lambda: calls.append(1) or real())
    sizes = [label_font_px(h) for h in (240, 360, 540, 1080)]
    assert sizes == [14, 14, 18, 36]
    assert fonts.banner_font(18) is fonts.banner_font(18)
    for h in (360, 540, 1080):
        _annotated("危险区域", h=h, w=h * 16 // 9)
    assert len(calls) == 1, "the lookup runs once per process, not per size or snapshot"


def test_characters_the_font_lacks_become_a_placeholder() -> None:
    bf = _require_cjk_font()
    # Noto CJK/WenQuanYi have no Arabic: a visible square, never tofu or a silent gap.
    arabic = "\u0645\u0646\u0637\u0642\u0629"  # 5 letters
    assert bf.drawable(f"区域 {arabic} Zone") == "区域 " + bf.placeholder * 5 + " Zone"
    assert bf.placeholder == "\u25a1"
    assert bf.drawable("值班台\n\tDesk") == "值班台  Desk", "one line, whatever the label holds"


# ---- fallback -----------------------------------------------------------------------------

def test_without_a_cjk_font_latin_renders_and_one_warning_names_the_packages(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv(FONT_ENV, str(tmp_path / "no-such-font.ttc"))
    caplog.set_level(logging.INFO, logger="edge.evidence.fonts")
    imgs = [_annotated("危险区域 Press", h=h, w=h * 16 // 9) for h in (540, 360, 540, 1080)]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    msg = warnings[0].getMessage()
    assert "fonts-noto-cjk" in msg and "fonts-wqy-zenhei" in msg and "apt-get install" in msg
    assert FONT_ENV in msg and "no-such-font.ttc" in msg
    assert fonts.banner_font(label_font_px(H)).fallback
    rows = _text_rows(imgs[0])
    assert len(_ink_columns(rows)) > 200, "the Latin rest of the label is drawn"
    # Each non-Latin character is one placeholder, exactly as if the label had been '????'.
    assert np.array_equal(imgs[0], _annotated("???? Press"))
    assert not np.array_equal(imgs[0], _annotated("Press"))


def test_a_font_that_breaks_while_drawing_costs_the_banner_font_not_the_snapshot(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: object) -> None:
        raise OSError("invalid outline")

    monkeypatch.setattr(snapshot, "_draw_label_pillow", broken)
    monkeypatch.setattr(snapshot, "_label_failure_logged", False)
    caplog.set_level(logging.ERROR, logger="edge.evidence.snapshot")
    img = _annotated("危险区域 Press")
    _annotated("危险区域 Press")
    assert len(caplog.records) == 1
    assert len(_ink_columns(_text_rows(img))) > 200, "OpenCV's font drew the banner"


# ---- lookup order -------------------------------------------------------------------------

CJK, CJK_FC, LATIN, MISSING = "/f/cjk.ttc", "/f/fc-cjk.ttc", "/f/latin.ttf", "/f/missing.ttf"

LOOKUP_CASES = [
    # (id, module setting, $SITEWARDEN_FONT, fc-match answer, known paths present, expected)
    ("setting beats env", CJK, LATIN, CJK_FC, ["noto"], (CJK, 0, "fonts.FONT_OVERRIDE")),
    ("env beats fc-match", None, CJK, CJK_FC, ["noto"], (CJK, 0, FONT_ENV)),
    ("env face index", None, CJK + ":3", CJK_FC, [], (CJK, 3, FONT_ENV)),
    ("env for another script", None, LATIN, CJK_FC, ["noto"], (LATIN, 0, FONT_ENV)),
    ("env broken: no silent 2nd", None, MISSING, CJK_FC, ["noto"], None),
    ("empty env is unset", None, "", CJK_FC, ["noto"], (CJK_FC, 2, "fontconfig")),
    ("fc-match beats known", None, None, CJK_FC, ["noto"], (CJK_FC, 2, "fontconfig")),
    ("fc-match non-CJK skipped", None, None, LATIN, ["noto"], ("noto", 2, "known path")),
    ("no fontconfig", None, None, None, ["noto"], ("noto", 2, "known path")),
    ("known path order", None, None, None, ["wqy", "noto"], ("noto", 2, "known path")),
    ("later known path", None, None, None, ["wqy"], ("wqy", 0, "known path")),
    ("nothing at all", None, None, LATIN, [], None),
]


@pytest.mark.parametrize(("setting", "env", "fc", "present", "expected"),
                         [c[1:] for c in LOOKUP_CASES], ids=[c[0] for c in LOOKUP_CASES])
def test_font_lookup_order(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, setting: str | None, env: str | None,
    fc: str | None, present: list[str], expected: tuple[str, int, str] | None,
) -> None:
    known = {"noto": tmp_path / "NotoSansCJK-Regular.ttc", "wqy": tmp_path / "wqy-zenhei.ttc"}
    for name in present:
        known[name].write_bytes(b"")
    monkeypatch.setattr(fonts, "KNOWN_FONTS", ((str(known["noto"]), 2), (str(known["wqy"]), 0)))
    monkeypatch.setattr(fonts, "FONT_OVERRIDE", setting)
    if env is not None:
        monkeypatch.setenv(FONT_ENV, env)
    fc_answer = None if fc is None else FontFile(fc, 2, "fontconfig")
    monkeypatch.setattr(fonts, "fc_match", lambda: fc_answer)
    # Stand-ins for loading: every path but MISSING loads; only the CJK ones draw Chinese.
    monkeypatch.setattr(fonts, "_loads", lambda ff: ff.path != MISSING)
    monkeypatch.setattr(fonts, "_draws_chinese", lambda ff: ff.path not in (LATIN, MISSING))

    found = fonts.find_font()
    if expected is None:
        assert found.font is None and found.problem
        if env == MISSING:
            assert FONT_ENV in found.problem and MISSING in found.problem
    else:
        path, index, source = expected
        assert found.font == FontFile(str(known.get(path, path)), index, source)


def _done(rc: int, out: str) -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess(["fc-match"], rc, out, "")


FC_CASES = [
    ("file and face", _done(0, "/x/Noto.ttc\n2"), FontFile("/x/Noto.ttc", 2, "fontconfig")),
    ("no index", _done(0, "/x/w.ttf"), FontFile("/x/w.ttf", 0, "fontconfig")),
    ("fails", _done(1, ""), None),
    ("empty", _done(0, ""), None),
    ("not installed", FileNotFoundError("fc-match"), None),
    ("hangs", subprocess.TimeoutExpired("fc-match", 5), None),
]


@pytest.mark.parametrize(("answer", "expected"), [c[1:] for c in FC_CASES],
                         ids=[c[0] for c in FC_CASES])
def test_fc_match_answers(
    monkeypatch: pytest.MonkeyPatch, answer: object, expected: FontFile | None
) -> None:
    def run(args: list[str], **kw: object) -> object:
        assert ":lang=zh-cn" in args
        if isinstance(answer, BaseException):
            raise answer
        return answer

    monkeypatch.setattr(subprocess, "run", run)
    assert fonts.fc_match() == expected


def test_the_glyph_check_tells_chinese_fonts_from_others(tmp_path: Path) -> None:
    """The real checks behind the stand-ins above, on this machine's fonts."""
    found = fonts.find_font().font
    assert found is not None, fonts.INSTALL_HINT
    assert fonts._draws_chinese(found)
    junk = tmp_path / "junk.ttf"
    junk.write_bytes(b"not a font")
    assert not fonts._loads(FontFile(str(junk))) and not fonts._draws_chinese(FontFile(str(junk)))
    latin = fonts.BannerFont(fonts.ImageFont.load_default(16), True)
    assert latin.covers("A") and not latin.covers("危")
