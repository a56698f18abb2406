"""Syslog authentication logs (``auth.log``, ``secure``): RFC 3164, RFC 5424 and rsyslog ISO stamps.

Headers read:

* RFC 3164 / BSD: ``[<PRI>]Mmm dd hh:mm:ss host tag[pid]: message``.  There is no year:
  ``_ts`` is written in the year 2000 with the time flag ``year_missing`` and the time
  module puts the year in (case span, rotation order, New Year in file order).
* rsyslog precise stamps: ``2024-10-27T00:41:41.123456+02:00 host tag[pid]: message``.
* RFC 5424: ``<PRI>1 timestamp host app procid msgid [structured-data] message``.

Messages mapped to the action vocabulary (every other line is ``log_message``, with
the client address and port when an sshd line names one):

* sshd ``Accepted <method> for U from IP port P`` -> ``login``;
  ``Failed <method> for [invalid user] U from IP port P`` and ``Invalid user U from IP``
  -> ``login_failed`` (an unknown name is tagged ``invalid_user``; sshd writes both lines
  for one unknown-user attempt: the ``Invalid user`` line once per connection);
  PAM ``authentication failure; ... rhost=IP user=U`` -> ``login_failed`` (tag ``pam``;
  sshd writes it besides its own ``Failed password`` line);
  PAM ``session closed`` for sshd -> ``logout``;
* sudo ``U : [error ;] TTY=... ; PWD=... ; USER=root ; COMMAND=...`` -> ``privilege_use``
  (failure, with the reason, when sudo refused); su ``Successful su``/``FAILED su`` ->
  ``privilege_use``;
* useradd ``new user: name=U`` -> ``account_created``; usermod ``change user 'U'
  password`` -> ``password_changed``, other usermod changes and gpasswd additions ->
  ``permission_changed``; passwd/chpasswd ``password changed for U`` ->
  ``password_changed`` (chpasswd for an unknown user: failure).

Lines indented with a tab or spaces continue the record above (macOS ``system.log``
writes multi-line messages so); the message keeps them.  sudo lines without ``TTY=``
(no terminal: cron, scripts, sudo 1.9 without a tty) are ``privilege_use`` too; the PAM
of old distributions that named the module in the tag (``sshd(pam_unix)[pid]:
authentication failure; ... rhost=IP user=U``) gives ``login_failed`` like the newer form.

``message repeated N times: [ ... ]`` is read as the repeated message, with
``repeated`` = N in labels (N more occurrences).  The syslog host goes to ``host.name``.

Reference: https://www.rfc-editor.org/rfc/rfc3164, https://www.rfc-editor.org/rfc/rfc5424,
OpenSSH auth.c (auth_log), sudo(8) log format
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from parsers.app.common import STR_LIST, labels_json
from parsers.base import MONTHS, Parser, ParseResult, ParserState, offset_seconds, register, rejects_of, split_match

_MON = "|".join(MONTHS)
RFC3164_RX = (
    rf"(?s)^(?P<prefix>(?:<(?P<pri>\d{{1,3}})>)?)(?P<stamp>(?P<mon>{_MON}) {{1,2}}(?P<day>\d{{1,2}}) "
    r"(?P<clock>\d{2}:\d{2}:\d{2})(?P<frac>\.\d{1,9})?) (?P<host>\S+) (?P<rest>.*)$"
)
ISO_RX = (
    r"(?s)^(?P<prefix>(?:<(?P<pri>\d{1,3})>)?)(?P<iso>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2}) (?P<host>\S+) (?P<rest>.*)$"
)
RFC5424_RX = (
    r"(?s)^<(?P<pri>\d{1,3})>1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) (?P<procid>\S+) (?P<msgid>\S+) "
    r'(?P<sd>-|(?:\[(?:[^\]\\"]|\\.|"(?:[^"\\]|\\.)*")*\])+)(?: (?P<msg>.*))?$'
)
TAG_RX = r"(?s)^(?P<tag>[^\s:\[\]]+)(?:\[(?P<pid>[^\]]*)\])?: ?(?P<msg>.*)$"
REPEATED_RX = r"(?s)^message repeated (?P<n>\d+) times: \[ ?(?P<inner>.*)\]$"
TS_ISO_RX = r"^(?P<iso>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)(?P<tz>Z|[+-]\d{2}:?\d{2})?$"
SEVERITIES = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]
_IP = r"(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]*:[0-9A-Fa-f:.]+"


@dataclass(frozen=True)
class Rule:
    """A message shape: which processes write it, its regex and what it means."""

    name: str
    procs: tuple[str, ...] | None
    rx: str
    action: str
    category: str
    outcome: str = "success"
    reason: str | None = None
    tags: tuple[str, ...] = ()
    #: outcome 'failure' when this group matched (sudo errors, FAILED su...)
    failure_group: str | None = None
    #: a regex the tag must match (instead of, or besides, ``procs``)
    proc_rx: str | None = None
    groups: tuple[str, ...] = field(default=())


def _rule(name: str, procs: tuple[str, ...] | None, rx: str, action: str, category: str, **kw: Any) -> Rule:
    groups = tuple(re.compile(rx).groupindex)
    return Rule(name, procs, rx, action, category, groups=groups, **kw)


_SSHD = ("sshd",)
RULES: list[Rule] = [
    _rule(
        "ssh_accepted",
        _SSHD,
        rf"^Accepted (?P<method>\S+) for (?P<user>.*) from (?P<ip>{_IP}) port (?P<port>\d+)(?: (?P<protocol>ssh2?))?(?:: (?P<key>.*))?$",
        "login",
        "authentication",
    ),
    _rule(
        "ssh_failed",
        _SSHD,
        rf"^Failed (?P<method>\S+) for (?P<invalid>invalid user )?(?P<user>.*) from (?P<ip>{_IP}) port (?P<port>\d+)",
        "login_failed",
        "authentication",
        outcome="failure",
        reason="wrong credentials",
    ),
    _rule(
        "ssh_invalid_user",
        _SSHD,
        rf"^Invalid user (?P<user>.*) from (?P<ip>{_IP})(?: port (?P<port>\d+))?$",
        "login_failed",
        "authentication",
        outcome="failure",
        reason="invalid user",
        tags=("invalid_user",),
    ),
    _rule(
        "pam_auth_failure",
        None,
        r"^pam_\w+\((?P<service>[^:)]*):auth\): authentication failure;(?P<pam>.*?)"
        r"(?: rhost=(?P<rhost>\S*))?(?:\s+user=(?P<user>\S*))?\s*$",
        "login_failed",
        "authentication",
        outcome="failure",
        reason="authentication failure (PAM)",
        tags=("pam",),
    ),
    _rule(
        # the PAM of old Linux distributions named the module in the tag: sshd(pam_unix)[pid]
        "pam_auth_failure_old",
        None,
        r"^authentication failure;(?P<pam>.*?)(?: rhost=(?P<rhost>\S*))?(?:\s+user=(?P<user>\S*))?\s*$",
        "login_failed",
        "authentication",
        outcome="failure",
        reason="authentication failure (PAM)",
        tags=("pam",),
        proc_rx=r"^[\w.-]+\(pam_\w+\)$",
    ),
    _rule(
        "ssh_session_closed",
        _SSHD,
        r"^pam_\w+\((?P<service>sshd):session\): session closed for user (?P<user>\S+)",
        "logout",
        "authentication",
    ),
    _rule(
        "sudo",
        ("sudo",),
        r"^\s*(?P<user>\S+) : (?:(?P<error>[^;=]*?) ; )?(?:TTY=(?P<tty>[^;]*?) ; )?PWD=(?P<pwd>.*?) ; "
        r"USER=(?P<run_as>[^;]*?) ;(?P<sudo_more>.*?) COMMAND=(?P<command>.*)$",
        "privilege_use",
        "process",
        failure_group="error",
    ),
    _rule(
        "su",
        ("su",),
        r"^(?:(?P<failed>FAILED )|Successful )su for (?P<target_user>\S+) by (?P<user>\S+)",
        "privilege_use",
        "process",
        failure_group="failed",
    ),
    _rule(
        "useradd",
        ("useradd", "adduser"),
        r"^new user: name=(?P<user>[^,]+), UID=(?P<uid>\d+)(?:, GID=(?P<gid>\d+))?(?:, home=(?P<home>[^,]*))?(?:, shell=(?P<shell>[^,]*))?",
        "account_created",
        "iam",
    ),
    _rule(
        "usermod_password",
        ("usermod",),
        r"^change user '(?P<user>[^']*)' password",
        "password_changed",
        "iam",
    ),
    _rule(
        "usermod",
        ("usermod",),
        r"^(?P<change>.*?)user '(?P<user>[^']*)'(?P<change_more>.*)$|^add '(?P<added>[^']*)' to (?:shadow )?group '(?P<group>[^']*)'",
        "permission_changed",
        "iam",
    ),
    _rule(
        "gpasswd",
        ("gpasswd",),
        r"^user (?P<user>\S+) added by (?P<by>\S+) to group (?P<group>\S+)",
        "permission_changed",
        "iam",
    ),
    _rule(
        "password_changed",
        ("passwd", "chpasswd", "chage"),
        r"^pam_\w+\((?P<service>[^:)]*):chauthtok\): password changed for (?P<user>\S+)|^password for '(?P<user2>[^']*)' changed by '(?P<by>[^']*)'",
        "password_changed",
        "iam",
    ),
    _rule(
        "password_change_unknown_user",
        ("passwd", "chpasswd"),
        r"^pam_\w+\((?P<service>[^:)]*):chauthtok\): user \"(?P<user>[^\"]*)\" does not exist",
        "password_changed",
        "iam",
        outcome="failure",
        reason="user does not exist",
    ),
    _rule(
        "ssh_other",
        _SSHD,
        rf"(?:from|by|user (?P<user>\S+)) (?P<ip>{_IP})(?: port (?P<port>\d+))?",
        "log_message",
        "authentication",
        outcome="unknown",
    ),
]
SCHEMA_GROUPS = {"user", "user2", "ip", "port", "m", "invalid", "failed", "added"}


@register
class Syslog(Parser):
    """Syslog auth log (RFC 3164, RFC 5424, rsyslog ISO): sshd, PAM, sudo, su, useradd/usermod, passwd."""

    name = "syslog"
    chunk_independent = True
    generic = True
    multiline = True
    #: ``: `` after a tag; ``>1 `` opens an RFC 5424 line, which may have no ``: `` at all
    literals = (": ", ">1 ")
    filenames = ("auth.log*", "secure*", "messages*", "syslog*")
    actions = (
        "login",
        "login_failed",
        "logout",
        "privilege_use",
        "account_created",
        "permission_changed",
        "password_changed",
        "log_message",
    )

    def record_start(self, text: pl.Expr) -> pl.Expr:
        """Every line but an indented one: macOS (and multi-line messages) indent continuations."""
        return ~text.str.contains(r"^[\t ]")

    def parse(self, records: pl.DataFrame, state: ParserState) -> ParseResult:
        heads, rejects = self._headers(records)
        df = self._tagged(heads)
        df = self._classify(df)
        bad_time = df.filter(pl.col("_ts").is_null())
        events = df.filter(pl.col("_ts").is_not_null())
        return ParseResult(
            events=events,
            rejects=pl.concat([rejects, rejects_of(bad_time, "unreadable or missing time")]),
        )

    # -- headers -----------------------------------------------------------------------
    def _headers(self, records: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        cols = [
            "_rec",
            "_ts",
            "_offset",
            "time.original",
            "time.flags",
            "_pri",
            "host",
            "_tag",
            "_pid",
            "_msg",
            "_extra",
        ]
        frames = []
        r5424, rest = split_match(records, RFC5424_RX)
        if r5424.height:
            ts = pl.col("ts").str.extract_groups(TS_ISO_RX)
            frames.append(
                r5424.with_columns(_t=ts)
                .select(
                    "_rec",
                    _iso_ts(pl.col("_t").struct.field("iso")).alias("_ts"),
                    offset_seconds(pl.col("_t").struct.field("tz")).alias("_offset"),
                    pl.col("ts").alias("time.original"),
                    pl.lit([], dtype=STR_LIST).alias("time.flags"),
                    pl.col("pri").alias("_pri"),
                    _nil(pl.col("host")).alias("host"),
                    _nil(pl.col("app")).alias("_tag"),
                    _nil(pl.col("procid")).alias("_pid"),
                    pl.col("msg").fill_null("").str.strip_prefix("\ufeff").alias("_msg"),
                    labels_json({"msgid": _nil(pl.col("msgid")), "structured_data": _nil(pl.col("sd"))}).alias(
                        "_extra"
                    ),
                )
                .select(cols)
            )
        iso, rest = split_match(rest, ISO_RX)
        if iso.height:
            frames.append(
                _with_tag(
                    iso.select(
                        "_rec",
                        _iso_ts(pl.col("iso")).alias("_ts"),
                        offset_seconds(pl.col("tz")).alias("_offset"),
                        pl.concat_str([pl.col("iso"), pl.col("tz")]).alias("time.original"),
                        pl.lit([], dtype=STR_LIST).alias("time.flags"),
                        pl.col("pri").alias("_pri"),
                        pl.col("host"),
                        pl.col("rest"),
                    )
                ).select(cols)
            )
        bsd, rest = split_match(rest, RFC3164_RX)
        if bsd.height:
            month = pl.col("mon").replace_strict({k: f"{v:02d}" for k, v in MONTHS.items()}, return_dtype=pl.String)
            stamp = pl.concat_str(
                [
                    pl.lit("2000-"),
                    month,
                    pl.lit("-"),
                    pl.col("day").str.zfill(2),
                    pl.lit(" "),
                    pl.col("clock"),
                    pl.col("frac").fill_null(""),
                ]
            )
            frames.append(
                _with_tag(
                    bsd.select(
                        "_rec",
                        stamp.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us").alias("_ts"),
                        pl.lit(None, dtype=pl.Int32).alias("_offset"),
                        pl.col("stamp").alias("time.original"),
                        pl.lit(["year_missing"], dtype=STR_LIST).alias("time.flags"),
                        pl.col("pri").alias("_pri"),
                        pl.col("host"),
                        pl.col("rest"),
                    )
                ).select(cols)
            )
        heads = pl.concat(frames, how="vertical_relaxed") if frames else None
        if heads is None:
            heads = pl.DataFrame(
                schema={
                    "_rec": pl.Int64,
                    "_ts": pl.Datetime("us"),
                    "_offset": pl.Int32,
                    "time.original": pl.String,
                    "time.flags": STR_LIST,
                    "_pri": pl.String,
                    "host": pl.String,
                    "_tag": pl.String,
                    "_pid": pl.String,
                    "_msg": pl.String,
                    "_extra": pl.String,
                }
            )
        return heads, rejects_of(rest, "not a syslog line")

    # -- tag and repeated messages -----------------------------------------------------
    def _tagged(self, df: pl.DataFrame) -> pl.DataFrame:
        rep = pl.col("_msg").str.extract_groups(REPEATED_RX)
        return df.with_columns(_rep=rep).with_columns(
            pl.coalesce(pl.col("_rep").struct.field("inner"), pl.col("_msg")).alias("_body"),
            pl.col("_rep").struct.field("n").alias("_repeated"),
        )

    # -- message rules -----------------------------------------------------------------
    def _classify(self, df: pl.DataFrame) -> pl.DataFrame:
        """Apply the rules in order, each only to the rows of its processes not yet matched."""
        remaining = df.with_columns(_row=pl.int_range(pl.len()))
        parts = []
        for rule in RULES:
            if remaining.height == 0:
                break
            cond = pl.col("_tag").is_in(list(rule.procs)).fill_null(False) if rule.procs else pl.lit(True)
            if rule.proc_rx:
                cond = cond & pl.col("_tag").str.contains(rule.proc_rx).fill_null(False)
            candidates = remaining.filter(cond)
            if candidates.height == 0:
                continue
            hit, _ = split_match(candidates, f"(?P<m>{rule.rx})", column="_body")
            if hit.height == 0:
                continue
            parts.append(_rule_events(hit, rule))
            remaining = remaining.join(hit.select("_row"), on="_row", how="anti")
        parts.append(_rule_events(remaining, None))
        return pl.concat(parts, how="vertical_relaxed").sort("_row").drop("_row")


def _rule_events(df: pl.DataFrame, rule: Rule | None) -> pl.DataFrame:
    """Event columns for rows matched by ``rule`` (None: no rule, a plain log message)."""
    groups = set(rule.groups) if rule else set()

    def group(name: str) -> pl.Expr:
        return pl.col(name) if name in groups else pl.lit(None, dtype=pl.String)

    tag = pl.col("_tag")
    failed = group(rule.failure_group).is_not_null() if rule is not None and rule.failure_group else pl.lit(False)
    outcome = pl.when(failed).then(pl.lit("failure")).otherwise(pl.lit(rule.outcome if rule else "unknown"))
    reason = pl.coalesce(group("error").str.strip_chars(), pl.lit(rule.reason if rule else None, dtype=pl.String))
    rhost = group("rhost")
    ip = pl.coalesce(group("ip"), pl.when(rhost.str.contains(f"^(?:{_IP})$")).then(rhost))
    labels: dict[str, pl.Expr] = {
        "process": tag,
        "pid": pl.col("_pid"),
        "facility": pl.col("_pri").cast(pl.Int32, strict=False) // 8,
        "repeated": pl.col("_repeated").cast(pl.Int64, strict=False),
    }
    for name in sorted(groups - SCHEMA_GROUPS):
        value = pl.col(name).str.strip_chars()
        labels[name] = pl.when(value != "").then(value)
    tags = list(rule.tags) if rule else []
    severity = pl.col("_pri").cast(pl.Int32, strict=False) % 8
    own = labels_json(labels)
    return df.select(
        "_row",
        "_rec",
        "_ts",
        "_offset",
        "time.original",
        "time.flags",
        pl.col("host").alias("host.name"),
        pl.lit(rule.action if rule else "log_message").alias("event.action"),
        pl.lit(rule.category if rule else "process").alias("event.category"),
        outcome.alias("event.outcome"),
        reason.alias("event.reason"),
        severity.replace_strict(dict(enumerate(SEVERITIES)), default=None, return_dtype=pl.String).alias("log.level"),
        pl.coalesce(group("user"), group("user2"), group("added")).alias("user.name"),
        ip.alias("source.ip"),
        group("port").cast(pl.Int32, strict=False).alias("source.port"),
        pl.lit("Written to the system log").alias("timestamp_desc"),
        pl.concat_str(
            [
                pl.when(pl.col("_repeated").is_not_null()).then(
                    pl.format("[repeated {} more times] ", pl.col("_repeated"))
                ),
                pl.when(tag.is_not_null()).then(pl.concat_str([tag, pl.lit(": ")])),
                pl.col("_body").str.slice(0, 500),
            ],
            ignore_nulls=True,
        ).alias("message"),
        pl.when(pl.col("_extra").is_not_null()).then(_merge_json(own, pl.col("_extra"))).otherwise(own).alias("labels"),
        pl.concat_list(
            [
                pl.lit(tags, dtype=STR_LIST),
                pl.when(group("invalid").is_not_null())
                .then(pl.lit(["invalid_user"]))
                .otherwise(pl.lit([], dtype=STR_LIST)),
            ]
        )
        .list.unique(maintain_order=True)
        .alias("tags"),
    )


def _iso_ts(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace("T", " ", literal=True).str.to_datetime(
        "%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us"
    )


def _nil(expr: pl.Expr) -> pl.Expr:
    """RFC 5424 NILVALUE ``-`` is null."""
    return pl.when(expr != "-").then(expr)


def _with_tag(df: pl.DataFrame) -> pl.DataFrame:
    """Split ``rest`` into tag, pid and message (a line without a tag keeps its whole text)."""
    parts = pl.col("rest").str.extract_groups(TAG_RX)
    return df.with_columns(_p=parts).with_columns(
        pl.col("_p").struct.field("tag").alias("_tag"),
        pl.col("_p").struct.field("pid").alias("_pid"),
        pl.coalesce(pl.col("_p").struct.field("msg"), pl.col("rest")).alias("_msg"),
        pl.lit(None, dtype=pl.String).alias("_extra"),
    )


def _merge_json(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """Two JSON objects (either may be null) as one."""
    inner_a = a.str.strip_prefix("{").str.strip_suffix("}")
    inner_b = b.str.strip_prefix("{").str.strip_suffix("}")
    return pl.concat_str(
        [pl.lit("{"), pl.concat_list([inner_a, inner_b]).list.drop_nulls().list.join(","), pl.lit("}")]
    )
