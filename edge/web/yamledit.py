"""Edits of a site file's text that leave every other byte as it was.

The zone editor changes a few entries of the root `zones` and `cameras` lists. Dumping the
whole document again (even round-trip) re-indents, re-wraps and moves comments; here ruamel
only tells where things are (line and column of every item and key) and writes the changed
fragments, which are spliced into the original lines:

- an unchanged key of an edited item keeps its lines verbatim (end-of-line comments too);
- a changed key's lines are replaced by a fresh `key: value` at the same column;
- a removed item takes its leading comment lines (those right above it) with it;
- comment lines after an item at or left of its dash belong to what follows (the next item,
  or the next root key) and stay.

`${ENV}` references are never expanded: this module sees the file's text, not the config.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import SingleQuotedScalarString
from ruamel.yaml.util import load_yaml_guess_indent

# Key order of a new zone: what a person reads first, then the rule's parameters as given.
_LEADING_KEYS = ("id", "camera", "kind", "label", "points")
_DECIMALS = 4  # normalised coordinates: 1e-4 of a 1920 px frame is 0.2 px


class YamlEditError(ValueError):
    """The file's layout is one this module does not edit (e.g. `zones` is not a list)."""


@dataclass(frozen=True)
class _Item:
    dash_line: int  # the line of the item's "-"
    dash_col: int
    key_col: int  # column of the item's keys
    start: int  # first line of the item, leading comments included
    end: int  # one past its last line, trailing comments of what follows excluded


def _yaml(text: str) -> YAML:
    y = YAML()
    y.width = 4096  # never wrap a long points list
    y.preserve_quotes = True
    try:
        _, seq_indent, offset = load_yaml_guess_indent(text)
    except Exception:  # guessing fails on unusual layouts: ruamel's defaults then
        seq_indent, offset = None, None
    seq = seq_indent if isinstance(seq_indent, int) and seq_indent > 0 else 2
    off = offset if isinstance(offset, int) and offset >= 0 else 0
    y.indent(mapping=_mapping_indent(text), sequence=max(seq, off + 2), offset=off)
    return y


def _mapping_indent(text: str) -> int:
    """Indent of the first nested mapping key under a root key (2 when there is none)."""
    lines = text.splitlines()
    for i, line in enumerate(lines[:-1]):
        if line and not line[0].isspace() and line.rstrip().endswith(":") \
                and not line.startswith("#"):
            nxt = lines[i + 1]
            stripped = nxt.lstrip()
            if stripped and not stripped.startswith(("-", "#")):
                return max(1, len(nxt) - len(stripped))
    return 2


def clean(value: Any) -> Any:
    """JSON from the browser as YAML values: coordinates rounded, point pairs in flow
    style (one line per zone, as people write them)."""
    if isinstance(value, float):
        return round(value, _DECIMALS) if abs(value) < 1e6 else value
    if isinstance(value, str):
        return value if _reads_back(value) else SingleQuotedScalarString(value)
    if isinstance(value, Mapping):
        out = CommentedMap()
        for k, v in value.items():
            out[k] = clean(v)
        return out
    if isinstance(value, (list, tuple)):
        seq = CommentedSeq([clean(v) for v in value])
        if all(not isinstance(v, (Mapping, list, tuple)) for v in value) or \
                all(_is_pair(v) for v in value):
            seq.fa.set_flow_style()
        return seq
    return value


def _reads_back(text: str) -> bool:
    """Does `text`, written plain, read back as the same string? The loader is PyYAML
    (YAML 1.1), where 18:00 is the number 1080 and `on` is true, while ruamel writes YAML 1.2
    and would leave them plain."""
    try:
        return bool(yaml.safe_load(text) == text) and "\n" not in text
    except yaml.YAMLError:
        return False


def _is_pair(v: Any) -> bool:
    return isinstance(v, (list, tuple)) and len(v) == 2 and \
        all(isinstance(x, (int, float)) for x in v)


def plain(node: Any) -> Any:
    """A ruamel node as plain Python (dicts, lists, scalars) for JSON."""
    if isinstance(node, Mapping):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return str(node)


class SiteText:
    """One version of the file's text and its parsed layout; edits return a new one."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.splitlines(keepends=True)
        self._yaml = _yaml(text)
        root = self._yaml.load(text) if text.strip() else CommentedMap()
        if not isinstance(root, CommentedMap):
            raise YamlEditError("the site file must be a mapping of keys")
        self.root: CommentedMap = root

    # ------------------------------------------------------------------ reading
    def data(self) -> dict[str, Any]:
        out = plain(self.root)
        assert isinstance(out, dict)
        return out

    def seq(self, key: str) -> CommentedSeq | None:
        value = self.root.get(key)
        if value is None:
            return None
        if not isinstance(value, CommentedSeq):
            raise YamlEditError(f"{key} must be a list")
        return value

    def index_of(self, key: str, item_id: str) -> int | None:
        for i, item in enumerate(self.seq(key) or []):
            if isinstance(item, Mapping) and str(item.get("id")) == item_id:
                return i
        return None

    # ------------------------------------------------------------------ edits
    def replace_item(self, key: str, index: int, new: Mapping[str, Any]) -> SiteText:
        """Item `index` of root list `key` becomes `new`; its unchanged keys keep their text."""
        seq = self._block_seq(key)
        item = self._item(key, index)
        old = seq[index]
        if not isinstance(old, CommentedMap) or old.lc.line != item.dash_line:
            # an unusual layout ("-" alone on its line): the item is written afresh
            return self._splice(item.dash_line, item.end,
                                self._item_lines(new, item.dash_col, item.key_col))
        return self._splice(item.dash_line, item.end, self._merged_lines(old, new, item))

    def insert_item(self, key: str, index: int, new: Mapping[str, Any]) -> SiteText:
        """`new` becomes item `index` of root list `key` (the list is made if need be)."""
        seq = self.seq(key)
        if seq is None or len(seq) == 0 or seq.fa.flow_style():
            items = [plain(v) for v in (seq or [])]
            items.insert(index, dict(new))
            return self._rewrite_list(key, items)
        if index < len(seq):
            at = self._item(key, index)
            line, dash_col, key_col = at.start, at.dash_col, at.key_col
        else:
            last = self._item(key, len(seq) - 1)
            line, dash_col, key_col = last.end, last.dash_col, last.key_col
        return self._splice(line, line, self._item_lines(new, dash_col, key_col))

    def delete_item(self, key: str, index: int) -> SiteText:
        seq = self._block_seq(key)
        if len(seq) == 1:
            return self._rewrite_list(key, [])
        item = self._item(key, index)
        return self._splice(item.start, item.end, [])

    # ------------------------------------------------------------------ layout
    def _block_seq(self, key: str) -> CommentedSeq:
        seq = self.seq(key)
        if seq is None or seq.fa.flow_style():
            raise YamlEditError(f"{key} is not a block list")
        return seq

    def _item(self, key: str, index: int) -> _Item:
        seq = self._block_seq(key)
        line, col = seq.lc.item(index)
        dash_line = self._dash_line(line, col)
        dash_col = self.lines[dash_line].index("-")
        key_col = col if line == dash_line else dash_col + 2
        end = self._item_end(key, index, dash_col)
        return _Item(dash_line, dash_col, key_col, self._leading(dash_line, dash_col), end)

    def _item_end(self, key: str, index: int, dash_col: int) -> int:
        seq = self._block_seq(key)
        if index + 1 < len(seq):
            boundary = self._dash_line(*seq.lc.item(index + 1))
        else:
            boundary = self._next_root_line(key)
        while boundary > 0 and _belongs_after(self.lines[boundary - 1], dash_col):
            boundary -= 1
        return boundary

    def _dash_line(self, line: int, col: int) -> int:
        """The line of an item's "-" (the item's first key is usually on it)."""
        while line > 0 and not self.lines[line][:col].rstrip().endswith("-"):
            line -= 1
        return line

    def _leading(self, dash_line: int, dash_col: int) -> int:
        """First line of the comment block right above an item (its description): comment
        lines at or left of its dash, as `_item_end` leaves them to what follows."""
        start = dash_line
        while start > 0 and _is_comment(self.lines[start - 1]) and \
                _indent(self.lines[start - 1]) <= dash_col:
            start -= 1
        return start

    def _next_root_line(self, key: str) -> int:
        keys = list(self.root)
        pos = keys.index(key)
        if pos + 1 < len(keys):
            return int(self.root.lc.key(keys[pos + 1])[0])
        return len(self.lines)

    # ------------------------------------------------------------------ writing
    def _merged_lines(self, old: CommentedMap, new: Mapping[str, Any], item: _Item) -> list[str]:
        keys = list(old)
        starts = [int(old.lc.key(k)[0]) for k in keys]
        ends = [*starts[1:], item.end]
        out: list[str] = []
        first = True
        for k, start, end in zip(keys, starts, ends, strict=True):
            if k not in new:
                continue
            prefix = self._prefix(first, item)
            if _same(old[k], new[k]):
                text = self.lines[start:end]
                if first and start == item.dash_line:
                    out += text
                else:
                    out += [prefix + text[0][item.key_col:], *text[1:]] if first else text
            else:
                out += self._fragment({k: new[k]}, prefix, item.key_col)
                out += _trailing_comments(self.lines[start + 1:end])
            first = False
        for k, v in new.items():
            if k not in old:
                out += self._fragment({k: v}, self._prefix(first, item), item.key_col)
                first = False
        if first:
            raise YamlEditError("an item needs at least one key")
        return out

    def _prefix(self, first: bool, item: _Item) -> str:
        if first:
            return " " * item.dash_col + "-" + " " * (item.key_col - item.dash_col - 1)
        return " " * item.key_col

    def _item_lines(self, new: Mapping[str, Any], dash_col: int, key_col: int) -> list[str]:
        out: list[str] = []
        ordered = [k for k in _LEADING_KEYS if k in new] + \
            [k for k in new if k not in _LEADING_KEYS]
        for i, k in enumerate(ordered):
            prefix = (" " * dash_col + "-" + " " * (key_col - dash_col - 1)) if i == 0 \
                else " " * key_col
            out += self._fragment({k: new[k]}, prefix, key_col)
        return out

    def _fragment(self, mapping: Mapping[str, Any], prefix: str, key_col: int) -> list[str]:
        buf = io.StringIO()
        self._yaml.dump(clean(mapping), buf)
        lines = buf.getvalue().splitlines(keepends=True)
        return [prefix + lines[0], *(" " * key_col + ln if ln.strip() else ln
                                     for ln in lines[1:])]

    def _rewrite_list(self, key: str, items: Sequence[Mapping[str, Any]]) -> SiteText:
        """The whole `key:` entry written afresh (it was missing, empty or in flow style)."""
        dash_col = max(0, self._yaml.sequence_dash_offset)
        key_col = dash_col + 2
        body: list[str] = []
        for it in items:
            body += self._item_lines(it, dash_col, key_col)
        head = [f"{key}:\n"] if items else [f"{key}: []\n"]
        if key not in self.root:
            text = self.text if not self.text or self.text.endswith("\n") else self.text + "\n"
            return SiteText(text + "".join(head + body))
        start = int(self.root.lc.key(key)[0])
        end = self._next_root_line(key)
        while end > start + 1 and _belongs_after(self.lines[end - 1], 0):
            end -= 1
        return self._splice(start, end, head + body)

    def _splice(self, start: int, end: int, new_lines: list[str]) -> SiteText:
        lines = list(self.lines)
        if start > 0 and not lines[start - 1].endswith("\n"):
            lines[start - 1] += "\n"
        lines[start:end] = new_lines
        return SiteText("".join(lines))


def _same(old: Any, new: Any) -> bool:
    """Equal as data (1 == 1.0; a ruamel node equals the same plain values)."""
    return bool(plain(old) == plain(clean(new)))


def _trailing_comments(lines: list[str]) -> list[str]:
    """The comment (and blank) lines that end a key's lines: notes about what follows, kept
    when the key's value is written afresh."""
    n = len(lines)
    while n > 0 and (_is_comment(lines[n - 1]) or not lines[n - 1].strip()):
        n -= 1
    return lines[n:]


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _belongs_after(line: str, dash_col: int) -> bool:
    """Blank lines, and comment lines at or left of an item's dash, introduce what follows."""
    return not line.strip() or (_is_comment(line) and _indent(line) <= dash_col)
