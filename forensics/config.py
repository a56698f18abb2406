"""The case config (``case.toml``): one clear error naming the key and the file, or a valid config.

Paths inside the file are relative to the file; ``[[source]] path`` globs are relative to
the evidence root.  The keys documented in docs/config.md are a contract.
"""

from __future__ import annotations

import codecs
import hashlib
import ipaddress
import math
import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from forensics.intake.walk import glob_regex


class ConfigError(ValueError):
    """A case config problem, worded for the person who wrote the file."""


#: Keys of a [[source]] the engine reads itself; every other key goes to the parser.
ENGINE_SOURCE_KEYS = {"path", "format", "host", "timezone", "clock_offset"}
#: Keys any [[source]] may give with the parser options, whatever its format: the engine reads
#: them itself (``year``: the year of timestamps written without one).  The other option keys
#: are those each parser declares (``Parser.option_keys``).
ENGINE_OPTION_KEYS = {"year"}
#: How a declared option's value is checked: text, or a table.
TEXT_OPTIONS = {"log_format", "log_line_prefix", "timestamp_format", "encoding", "delimiter"}
TABLE_OPTIONS = {"fields", "values"}
#: A clock error or a tolerance beyond this is a typo, not a clock (one year, in seconds).
MAX_DURATION = 366 * 86400.0
#: ``awareness`` must fall in these years (outside them date arithmetic overflows, and no
#: log of an intrusion is dated there).
AWARENESS_YEARS = (1970, 2200)
CASE_KEYS = {"name", "reference", "timezone", "awareness", "accounts", "exclude", "analyst", "skew_tolerance"}
NETWORK_KEYS = {"trusted_proxies", "internal", "ip_context"}
PAGINATION_KEYS = {"offset", "limit", "page", "cursor"}
TOP_KEYS = {"case", "network", "source", "pagination", "app"}


@dataclass(frozen=True)
class SourceConfig:
    """One ``[[source]]``: which files, how to read them, and where they come from."""

    path: str
    format: str | None = None
    host: str | None = None
    timezone: str | None = None
    clock_offset: float | None = None  # seconds this host's clock is ahead
    options: dict[str, Any] = field(default_factory=dict)

    def matches(self, relpath: str) -> bool:
        return bool(glob_regex(self.path).match(relpath))


@dataclass(frozen=True)
class CaseConfig:
    """The whole case config; every field has a safe default so no config is needed."""

    path: Path | None = None
    sha256: str | None = None
    name: str = "Unnamed case"
    timezone: str | None = None
    awareness: datetime | None = None
    accounts: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    analyst: str | None = None
    #: the case's reference (court, CSIRT or insurer number), printed on every page of the report
    reference: str | None = None
    skew_tolerance: float = 10.0
    trusted_proxies: tuple[str, ...] = ()
    internal: tuple[str, ...] = ()
    ip_context: Path | None = None
    sources: tuple[SourceConfig, ...] = ()
    #: more query parameter names of list pages, by role (offset, limit, page, cursor)
    pagination: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: ``[app] profile``: the application profile (forensics/apps/); None picks it from the evidence.
    app_profile: str | None = None
    #: The other keys of ``[app]``: options of that profile (validated by it).
    app_options: dict[str, Any] = field(default_factory=dict)

    def source_for(self, relpath: str) -> SourceConfig | None:
        """The first ``[[source]]`` whose glob matches, as in the config's order."""
        for source in self.sources:
            if source.matches(relpath):
                return source
        return None


_OFFSET = re.compile(r"^\s*(?P<sign>[+-])?\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>ms|s|m|h)?\s*$")


def parse_clock_offset(value: Any, where: str) -> float:
    """``"+3s"``, ``"-7s"``, ``"+0.4s"``, ``"250ms"``, ``"-1m"`` or a number of seconds."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConfigError(f"{where}: clock_offset must be a duration like '+3s', not {_brief(value)}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        m = _OFFSET.match(value)
        if not m:
            raise ConfigError(f"{where}: clock_offset {_brief(value)} is not a duration like '+3s', '-7s' or '+0.4s'")
        num = float(m.group("num")) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[m.group("unit")]
        seconds = -num if m.group("sign") == "-" else num
    if not math.isfinite(seconds) or abs(seconds) > MAX_DURATION:
        raise ConfigError(
            f"{where}: clock_offset {_brief(value)} is not a usable duration (it must be finite and at most "
            f"{MAX_DURATION:.0f} s, one year)"
        )
    return seconds


def _brief(value: Any) -> str:
    """A config value as shown in an error: its repr, cut short (a hostile file may hold megabytes)."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_timezone(name: Any, where: str) -> str:
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{where}: timezone must be a zone name such as 'Europe/Paris' or 'UTC'")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"{where}: unknown timezone {name!r}") from exc
    return name


def _check_keys(table: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings")
    return tuple(value)


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be a string, not {type(value).__name__} {_brief(value)}")
    return value


def check_glob(pattern: str, where: str) -> str:
    """A glob the matcher can compile (``[z-a]`` is a reversed range, for instance)."""
    try:
        glob_regex(pattern)
    except re.error as exc:
        raise ConfigError(f"{where}: {pattern!r} is not a valid glob ({exc})") from exc
    return pattern


def _year(value: Any, where: str) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 9998:
        raise ConfigError(f"{where} must be a year such as 2024, not {_brief(value)}")
    return value


def option_keys(fmt: str | None = None) -> set[str]:
    """The option keys a [[source]] of format ``fmt`` may give: those its parser declares
    (``Parser.option_keys``) and the engine's own (``year``).  Without a format (each file's
    is detected) the keys that any parser declares."""
    from parsers.base import load_all

    registry = load_all()
    parsers = [registry[fmt]] if fmt is not None else list(registry.values())
    return {key for cls in parsers for key in cls.option_keys} | ENGINE_OPTION_KEYS


def _check_options(src: dict[str, Any], fmt: str, where: str) -> None:
    """Every option of a [[source]] with a ``format`` is one that format's parser declares."""
    allowed = option_keys(fmt)
    undeclared = sorted(set(src) - ENGINE_SOURCE_KEYS - allowed)
    if undeclared:
        takes = ", ".join(sorted(allowed - ENGINE_OPTION_KEYS)) or "none besides year"
        raise ConfigError(
            f"{where}: format {fmt!r} takes no option {undeclared[0]!r} (its options: {takes}; see `forensics formats`)"
        )


def _source_options(src: dict[str, Any], where: str) -> dict[str, Any]:
    """The parser options of a [[source]], each of the type it must have."""
    declared = option_keys()
    options = {k: v for k, v in src.items() if k in declared}
    for key, value in options.items():
        if key in TEXT_OPTIONS:
            _text(value, f"{where} {key}")
        elif key in TABLE_OPTIONS and not isinstance(value, dict):
            raise ConfigError(f"{where} {key} must be a table, not {type(value).__name__} {_brief(value)}")
    if "encoding" in options:
        try:
            codecs.lookup(options["encoding"])
        except LookupError as exc:
            raise ConfigError(f"{where} encoding: unknown encoding {options['encoding']!r}") from exc
    if "year" in options:
        options["year"] = _year(options["year"], f"{where} year")
    return options


def _networks(value: Any, where: str) -> tuple[str, ...]:
    items = _str_list(value, where)
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError as exc:
            raise ConfigError(f"{where}: {item!r} is not an IP address or network") from exc
    return items


def load_config(path: Path | str) -> CaseConfig:
    """Read and validate ``case.toml``; raise ConfigError with the file and key on any problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the case config: {exc.strerror}") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except RecursionError as exc:  # tomllib recurses once per nesting level
        raise ConfigError(f"{path}: not a usable case config: tables or arrays nested too deeply") from exc
    return config_from_dict(data, path=path, sha256=hashlib.sha256(raw).hexdigest())


def as_config(config: CaseConfig | Path | str | None) -> CaseConfig:
    """A loaded config from whatever the caller holds: a CaseConfig, a path, or nothing (defaults)."""
    if isinstance(config, CaseConfig):
        return config
    return load_config(config) if config else CaseConfig()


def config_from_dict(data: dict[str, Any], *, path: Path | None = None, sha256: str | None = None) -> CaseConfig:
    """Validate an already-parsed config (the notebook API accepts dicts)."""
    name = str(path) if path else "case config"
    _check_keys(data, TOP_KEYS, name)
    case = data.get("case", {})
    network = data.get("network", {})
    if not isinstance(case, dict):
        raise ConfigError(f"{name}: [case] must be a table")
    if not isinstance(network, dict):
        raise ConfigError(f"{name}: [network] must be a table")
    _check_keys(case, CASE_KEYS, f"{name} [case]")
    _check_keys(network, NETWORK_KEYS, f"{name} [network]")
    pagination = data.get("pagination", {})
    if not isinstance(pagination, dict):
        raise ConfigError(f"{name}: [pagination] must be a table")
    _check_keys(pagination, PAGINATION_KEYS, f"{name} [pagination]")
    base = path.parent if path else Path.cwd()

    kwargs: dict[str, Any] = {"path": path, "sha256": sha256}
    if pagination:
        kwargs["pagination"] = {
            role: _str_list(names, f"{name} [pagination] {role}") for role, names in sorted(pagination.items())
        }
    if "name" in case:
        kwargs["name"] = _text(case["name"], f"{name} [case] name")
    if "analyst" in case:
        kwargs["analyst"] = _text(case["analyst"], f"{name} [case] analyst")
    if "reference" in case:
        ref = case["reference"]
        # a case number may be written as a TOML integer
        is_number = isinstance(ref, int) and not isinstance(ref, bool)
        kwargs["reference"] = str(ref) if is_number else _text(ref, f"{name} [case] reference")
    if "timezone" in case:
        kwargs["timezone"] = check_timezone(case["timezone"], f"{name} [case] timezone")
    if "awareness" in case:
        value = case["awareness"]
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError as exc:
                raise ConfigError(f"{name} [case] awareness: {value!r} is not an ISO 8601 date-time") from exc
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ConfigError(
                f"{name} [case] awareness must be a date-time with its offset, e.g. 2024-10-28T10:30:00+01:00"
            )
        low, high = AWARENESS_YEARS
        if not low <= value.year <= high:
            raise ConfigError(f"{name} [case] awareness: year {value.year} is outside {low}-{high}")
        kwargs["awareness"] = value
    if "accounts" in case:
        kwargs["accounts"] = _str_list(case["accounts"], f"{name} [case] accounts")
    if "exclude" in case:
        kwargs["exclude"] = tuple(
            check_glob(g, f"{name} [case] exclude") for g in _str_list(case["exclude"], f"{name} [case] exclude")
        )
    if "skew_tolerance" in case:
        try:
            kwargs["skew_tolerance"] = abs(parse_clock_offset(case["skew_tolerance"], f"{name} [case] skew_tolerance"))
        except ConfigError as exc:
            raise ConfigError(str(exc).replace("clock_offset", "skew_tolerance")) from exc
        if kwargs["skew_tolerance"] > 86400:
            raise ConfigError(f"{name} [case] skew_tolerance: {_brief(case['skew_tolerance'])} is more than a day")
    if "trusted_proxies" in network:
        kwargs["trusted_proxies"] = _networks(network["trusted_proxies"], f"{name} [network] trusted_proxies")
    if "internal" in network:
        kwargs["internal"] = _networks(network["internal"], f"{name} [network] internal")
    if "ip_context" in network:
        ctx = base / _text(network["ip_context"], f"{name} [network] ip_context")
        if not ctx.is_file():
            raise ConfigError(f"{name} [network] ip_context: file {ctx} does not exist")
        kwargs["ip_context"] = ctx

    app = data.get("app", {})
    if not isinstance(app, dict):
        raise ConfigError(f"{name}: [app] must be a table")
    if app:
        from forensics.apps import profile_for

        options = {k: v for k, v in app.items() if k != "profile"}
        try:
            profile_for(str(app["profile"]) if "profile" in app else "generic", options)
        except ValueError as exc:
            raise ConfigError(f"{name} [app]: {exc}") from exc
        kwargs["app_profile"] = str(app["profile"]) if "profile" in app else "generic"
        kwargs["app_options"] = options

    sources = data.get("source", [])
    if not isinstance(sources, list):
        raise ConfigError(f"{name}: [[source]] must be an array of tables")
    parsed = []
    for i, src in enumerate(sources, 1):
        where = f"{name} [[source]] #{i}"
        if not isinstance(src, dict):
            raise ConfigError(f"{where} must be a table")
        _check_keys(src, ENGINE_SOURCE_KEYS | option_keys(), where)
        if not isinstance(src.get("path"), str) or not src["path"]:
            raise ConfigError(f"{where}: path is required (a glob relative to the evidence root)")
        check_glob(src["path"], f"{where} path")
        fmt = src.get("format")
        if fmt is not None:
            _text(fmt, f"{where} format")
            from parsers.base import load_all

            if fmt not in load_all():
                raise ConfigError(f"{where} format: unknown format {fmt!r} (see `forensics formats`)")
            _check_options(src, fmt, where)
        parsed.append(
            SourceConfig(
                path=src["path"],
                format=fmt,
                host=_text(src["host"], f"{where} host") if "host" in src else None,
                timezone=check_timezone(src["timezone"], f"{where} timezone") if "timezone" in src else None,
                clock_offset=parse_clock_offset(src["clock_offset"], where) if "clock_offset" in src else None,
                options=_source_options(src, where),
            )
        )
    kwargs["sources"] = tuple(parsed)
    return CaseConfig(**kwargs)
