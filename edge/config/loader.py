"""Reading a site file (or a centre's console file): YAML → environment expansion → strict
validation → readable errors."""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from edge.config.site import SiteConfig
from zones.spec import ZONE_KINDS

log = logging.getLogger(__name__)
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

if TYPE_CHECKING:
    from console.centre.config import ConsoleConfig


class ConfigError(Exception):
    """A site file that cannot be used; `problems` are one line each, path first."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__(f"{source}: " + "; ".join(self.problems))

    def render(self) -> str:
        lines = [f"{self.source}: {len(self.problems)} problem(s)"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


def load_config(path: str | Path) -> SiteConfig:
    return load_model(path, SiteConfig, _resolve_paths, what="site_id, box_id, ...")


def parse_config(
    text: str, source: str = "<config>", base_dir: Path | None = None
) -> SiteConfig:
    """Validate a site file's text; relative paths in it are taken from `base_dir`."""
    return parse_model(text, SiteConfig, source, base_dir, _resolve_paths,
                       what="site_id, box_id, ...")


def load_console_config(path: str | Path) -> ConsoleConfig:
    # Imported here: a box and `replay` never read a console file, and its model brings
    # SQLAlchemy (0.3-0.4 s of start-up).
    from console.centre.config import ConsoleConfig

    """A monitoring centre's console file (console/centre/config.py), reported like a site
    file: every problem with its key path, line and reason."""
    return load_model(path, ConsoleConfig, _resolve_console_paths,
                      what="database, mqtt, http, ...")


def file_kind(path: str | Path) -> Literal["site", "console"]:
    """Which kind of file this is: a console file has no `site_id`, `box_id` or `cameras`
    and has one of the sections only a console file has. Unreadable or ambiguous files are
    taken for site files (whose errors then say what is missing)."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return "site"
    if not isinstance(raw, dict) or raw.keys() & {"site_id", "box_id", "cameras", "detector"}:
        return "site"
    return "console" if raw.keys() & _CONSOLE_ONLY_KEYS else "site"


_CONSOLE_ONLY_KEYS = {"database", "ingest", "evidence", "title"}
M = TypeVar("M", bound=BaseModel)
PathResolver = Callable[[dict[str, Any], Path], None]


def load_model(
    path: str | Path, model: type[M], resolve: PathResolver | None = None, *, what: str = ""
) -> M:
    """Read, expand and validate a YAML file as `model` (relative paths from its folder)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(path), ["file not found"]) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(str(path), [f"cannot read file: {e}"]) from None
    return parse_model(text, model, str(path), path.resolve().parent, resolve, what=what)


def parse_model(
    text: str, model: type[M], source: str = "<config>", base_dir: Path | None = None,
    resolve: PathResolver | None = None, *, what: str = "",
) -> M:
    """YAML -> ${VAR} expansion -> relative paths -> strict validation of `model`; every
    problem in one ConfigError."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(source, [f"not valid YAML: {e}"]) from None
    if not isinstance(raw, dict):
        raise ConfigError(source, [f"the file must be a mapping of keys ({what or 'key: value'})"])
    problems: list[str] = []
    raw = _expand_env(raw, (), problems)
    if problems:
        raise ConfigError(source, problems)
    if base_dir is not None and resolve is not None:
        resolve(raw, base_dir)
    try:
        with warnings.catch_warnings(record=True) as notices:
            warnings.simplefilter("always", DeprecationWarning)
            cfg = model.model_validate(raw)
    except ValidationError as e:
        raise ConfigError(source, format_validation_error(e, node)) from None
    for notice in notices:
        log.warning("%s: %s", source, notice.message)
    return cfg


def format_validation_error(err: ValidationError, node: yaml.Node | None = None) -> list[str]:
    out: list[str] = []
    for item in err.errors(include_url=False):
        loc = _clean_loc(item["loc"])
        msg = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            msg = _unknown_key_message(loc)
        elif item["type"] == "missing":
            msg = "required key is missing"
        elif item["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc = (*loc, "kind")
            got = (item.get("ctx") or {}).get("tag")
            msg = (f"unknown zone kind {got!r}" if got else "required key is missing") + (
                f"; expected one of {', '.join(ZONE_KINDS)}"
            )
        line = _line_of(node, loc) if node is not None else None
        where = path_to_str(loc) or "(top level)"
        if msg.startswith(where + ":") or re.match(r"^[a-z_]+\[\d+\]\.", msg):
            text = msg
        else:
            text = f"{where}: {msg}"
        out.append(f"{text} (line {line})" if line else text)
    return out


def _unknown_key_message(loc: tuple[str | int, ...]) -> str:
    key = loc[-1] if loc else "?"
    if key in {"password", "token", "secret"}:
        return (
            f"unknown key {key!r}: secrets are not written in the file; put the value in an "
            "environment variable and name it with password_env / token_env"
        )
    return f"unknown key {key!r} (check the spelling; unknown keys are errors)"


def _clean_loc(loc: Sequence[str | int]) -> tuple[str | int, ...]:
    # pydantic puts the discriminator value of a tagged union into the path; integrators
    # never wrote that key, so it is dropped.
    return tuple(p for p in loc if not (isinstance(p, str) and p in ZONE_KINDS))


def path_to_str(loc: Sequence[str | int]) -> str:
    s = ""
    for p in loc:
        s += f"[{p}]" if isinstance(p, int) else (f".{p}" if s else str(p))
    return s


def _line_of(node: yaml.Node | None, loc: Sequence[str | int]) -> int | None:
    line = None
    for p in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if getattr(k, "value", None) == p), None)
            if nxt is None:
                key = next((k for k, _ in node.value if getattr(k, "value", None) == p), None)
                return key.start_mark.line + 1 if key is not None else line
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(p, int) and p < len(node.value):
            node = node.value[p]
        else:
            return line
        line = node.start_mark.line + 1
    return line


def _expand_env(value: Any, path: tuple[str | int, ...], problems: list[str]) -> Any:
    if isinstance(value, dict):
        return {k: _expand_env(v, (*path, k), problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_env(v, (*path, i), problems) for i, v in enumerate(value)]
    if isinstance(value, str) and "${" in value:
        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in os.environ:
                problems.append(f"{path_to_str(path)}: environment variable {name} is not set")
                return ""
            return os.environ[name]

        return _ENV_REF.sub(sub, value)
    return value


# Keys holding file paths; relative ones are taken from the config file's folder so that a
# site file works whatever directory the service is started from.
_PATH_KEYS: tuple[tuple[str, ...], ...] = (
    ("detector", "model"),
    ("storage", "directory"),
    ("storage", "outbox_path"),
    ("storage", "upload", "ca_file"),
    ("mqtt", "outbox", "path"),
    ("mqtt", "tls", "ca_file"),
    ("mqtt", "tls", "cert_file"),
    ("mqtt", "tls", "key_file"),
)


_CONSOLE_PATH_KEYS: tuple[tuple[str, ...], ...] = (
    ("mqtt", "tls", "ca_file"),
    ("mqtt", "tls", "cert_file"),
    ("mqtt", "tls", "key_file"),
    ("evidence", "ca_file"),
)


def _resolve_console_paths(raw: dict[str, Any], base_dir: Path) -> None:
    _resolve_keys(raw, base_dir, _CONSOLE_PATH_KEYS)
    db = raw.get("database", {})
    if not isinstance(db, dict):
        return  # validation says what is wrong with it
    # A SQLite database (the default one too) sits beside the file, wherever the service
    # is started from.
    url = db.get("url", "sqlite:///console.db")
    if isinstance(url, str) and url.startswith("sqlite:///"):
        path = _resolved(url.removeprefix("sqlite:///"), base_dir)
        raw["database"] = {**db, "url": f"sqlite:///{path}"}


def _resolve_paths(raw: dict[str, Any], base_dir: Path) -> None:
    _resolve_keys(raw, base_dir, _PATH_KEYS)
    for cam in raw.get("cameras") or []:
        if isinstance(cam, dict):
            for key in ("url", "substream_url"):
                if key in cam:
                    cam[key] = _resolved(cam[key], base_dir)


def _resolve_keys(
    raw: dict[str, Any], base_dir: Path, path_keys: tuple[tuple[str, ...], ...]
) -> None:
    for keys in path_keys:
        parent: Any = raw
        for k in keys[:-1]:
            parent = parent.get(k) if isinstance(parent, dict) else None
        # Only keys the file has: an absent one must stay absent so that its default applies
        # (or "required key is missing" is reported), never become None.
        if isinstance(parent, dict) and keys[-1] in parent:
            parent[keys[-1]] = _resolved(parent[keys[-1]], base_dir)


def _resolved(value: Any, base_dir: Path) -> Any:
    if not isinstance(value, str) or not value or "://" in value:
        return value
    p = Path(value).expanduser()
    return os.path.normpath(p if p.is_absolute() else (base_dir / p))
