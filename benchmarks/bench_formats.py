"""Every registered format against a naive polars regex over the same file, in the same run.

    python benchmarks/bench_formats.py                          # every format, 200,000 lines each
    python benchmarks/bench_formats.py --lines 50000 --formats syslog,iis.w3c
    python benchmarks/bench_formats.py --json                   # one JSON object per format

For each format in the parser registry a file of at least ``--lines`` lines is generated:
Apache combined lines come from ``bench_web.generate``; every other format repeats the body of
its golden fixture in ``tests/data/`` with each copy's timestamps moved on (by the fixture's own
span, or 60 s when that would run past two years) and the last byte of every IPv4 address
varied, so the parser meets the fixture's shapes (multi-line records, escapes, rejects) at
scale.  Then, each in its own child process so that the peak RSS (``ru_maxrss``) is the
step's alone:

* ``ingest``: ``forensics.intake.engine.ingest`` on a one-file evidence folder with the format forced
  (the library call behind ``forensics ingest``): read, parse, normalise, order, write Parquet;
* ``naive``: what an analyst writes in a notebook: ``scan_csv`` of whole lines, one
  ``str.extract_groups`` regex, typed columns with a parsed timestamp, ``sink_parquet``.  It keeps
  no raw text, no provenance, no rejects, no ordering, no time-zone decision.

The ratio is ingest lines/s over naive lines/s (1.0x: as fast as the naive regex).  On a busy
machine the absolute figures move with the load; the ratio, measured in the same run, much less.

``--profile`` says *why* a format is below 1.0x: both children run on one thread
(``POLARS_MAX_THREADS=1``, the parse in the main thread), so each step's wall time is its
CPU time, and the table gives ingest's time step by step (``PROFILE_STEPS``: hashing, reading,
grouping lines into records, the parser, the engine's columns and accounting, the time pass,
ordering and writing ``events.parquet``) beside the naive pipeline's whole time on the same
thread: a step that alone costs more than the whole naive pipeline is why the ratio cannot
reach 1.0x while that step stays.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


@dataclass(frozen=True)
class Fixture:
    """Where a format's sample lines come from and how its file is framed."""

    path: str  # under tests/data, or "bench_web" for the generated combined log
    head: int = 0  # lines written once at the top (CSV header, XML prolog, JSON "[")
    tail: int = 0  # lines written once at the end ("</AUDIT>", "]")
    options: dict[str, Any] | None = None  # the source options the format needs (a field mapping)


_OUTFILE = "app/mediboard_outfile/{}.tsv"
#: The mappings the generic formats need, as tests/parsers/app/test_generic_mapped.py gives them.
_MAPPED = {
    "@timestamp": "ts",
    "user.name": "actor",
    "event.action": "action",
    "event.outcome": "result",
}
_VALUES = {
    "event.action": {"LOGIN_OK": "login", "LOGIN_KO": "login_failed", "LOGOUT": "logout"},
    "event.outcome": {"ok": "success", "denied": "failure"},
}

FIXTURES: dict[str, Fixture] = {
    "apache.access": Fixture("bench_web"),
    "apache.error": Fixture("web/apache_error/error.log"),
    "csv": Fixture("app/audit.csv", head=1, options={"fields": {**_MAPPED, "source.ip": "ip"}, "values": _VALUES}),
    "haproxy.http": Fixture("web/haproxy_http/haproxy.log"),
    "iis.w3c": Fixture("web/iis_w3c/u_ex241027.log"),
    "jsonl": Fixture(
        "app/audit.jsonl",
        options={"fields": {**_MAPPED, "source.ip": "client.ip", "session.id": "sid"}, "values": _VALUES},
    ),
    "mariadb.audit": Fixture("db/server_audit.log"),
    "mediboard.applog": Fixture("app/application.log"),
    "mysql.audit_json": Fixture("db/mysql_enterprise_audit.json", head=1, tail=1),
    "mysql.audit_xml": Fixture("db/mysql_audit_new.xml", head=2, tail=1),
    "mysql.error": Fixture("db/mariadb_error.log"),
    "mysql.general": Fixture("db/mariadb_general.log"),
    "mysql.slow": Fixture("db/mariadb_slow.log"),
    "nginx.access": Fixture("web/nginx_access/combined.log"),
    "nginx.error": Fixture("web/nginx_error/error.log"),
    "postgresql.csv": Fixture("db/postgresql.csv"),
    "postgresql.json": Fixture("db/postgresql.json"),
    "postgresql.log": Fixture("db/postgresql-debian.log"),
    "syslog": Fixture("system/auth.log"),
    "aws.alb": Fixture("web/aws_alb/alb_access.log"),
    "aws.elb": Fixture("web/aws_elb/elb_access.log"),
    "aws.cloudfront": Fixture("web/aws_cloudfront/E2EXAMPLE3.2026-03-14-10.a1b2c3d4.log", head=2),
    "caddy.access": Fixture("web/caddy_access/caddy_access.log"),
    "traefik.access": Fixture("web/traefik_access/traefik_json.log"),
    "cloudflare.http": Fixture("web/cloudflare_http/logpush_http.log"),
    "pgbouncer.log": Fixture("real/pgbouncer-1.18.0/pgbouncer.log"),
    "postgresql.syslog": Fixture("real/postgresql_variants-15.18/syslog/syslog.log"),
    "postgresql.cloudsql": Fixture("db/postgresql_cloudsql.jsonl"),
    "postgresql.cnpg": Fixture("db/postgresql_cnpg.jsonl"),
    **{
        f"mediboard.{table}": Fixture(_OUTFILE.format(table))
        for table in (
            "access_log",
            "datasource_log",
            "log_access_medical_data",
            "long_request_log",
            "module_action",
            "object_class",
            "user_action",
            "user_action_data",
            "user_agent",
            "user_authentication",
            "user_authentication_error",
            "user_log",
            "users",
        )
    },
}

# -- the naive baselines: one regex over whole lines, a timestamp format, integer columns ---------

_CLF = (
    r'^(?P<ip>\S+) \S+ (?P<user>\S+) \[(?P<ts>[^\]]+)\] "(?P<method>\S+) (?P<url>\S+) (?P<proto>[^"]*)" '
    r'(?P<status>\d{3}) (?P<bytes>\S+)(?: "(?P<referrer>[^"]*)" "(?P<agent>[^"]*)")?'
)
#: The generic baseline: the first ISO-like timestamp on the line and the text around it.
_FIRST_TS = r"^(?P<head>.*?)(?P<ts>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})(?P<rest>.*)$"
_ISO = "%Y-%m-%d %H:%M:%S"

BASELINES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "apache.access": (_CLF, "%d/%b/%Y:%H:%M:%S %z", ("status", "bytes")),
    "nginx.access": (_CLF, "%d/%b/%Y:%H:%M:%S %z", ("status", "bytes")),
    "apache.error": (
        r"^\[(?P<ts>\w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2})(?:\.\d+)? (?P<year>\d{4})\] \[(?P<level>[^\]]+)\]"
        r"(?: \[pid (?P<pid>\d+)[^\]]*\])?(?: \[client (?P<client>[^\]]+)\])? (?P<msg>.*)$",
        "%a %b %d %H:%M:%S",
        ("pid",),
    ),
    "nginx.error": (
        r"^(?P<ts>\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}) \[(?P<level>\w+)\] (?P<pid>\d+)#(?P<tid>\d+): "
        r"(?:\*(?P<cid>\d+) )?(?P<msg>.*?)(?:, client: (?P<client>[^,]+))?(?:, server: .*)?$",
        "%Y/%m/%d %H:%M:%S",
        ("pid", "tid", "cid"),
    ),
    "haproxy.http": (
        r"^\w{3} +\d+ [\d:]+ (?P<host>\S+) haproxy\[(?P<pid>\d+)\]: (?P<ip>[\d.]+):(?P<port>\d+) "
        r"\[(?P<ts>[^\]]+)\] (?P<frontend>\S+) (?P<backend>\S+) (?P<timers>\S+) (?P<status>-?\d+) "
        r'(?P<bytes>\d+) .*"(?P<request>[^"]*)"$',
        "%d/%b/%Y:%H:%M:%S%.f",
        ("pid", "port", "status", "bytes"),
    ),
    "iis.w3c": (
        r"^(?P<ts>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) (?P<sip>\S+) (?P<method>\S+) (?P<stem>\S+) "
        r"(?P<query>\S+) (?P<port>\d+) (?P<user>\S+) (?P<ip>\S+) (?P<agent>\S+) (?P<referrer>\S+) "
        r"(?P<status>\d+) (?P<substatus>\d+) (?P<win32>\d+) (?P<taken>\d+)$",
        _ISO,
        ("port", "status", "substatus", "win32", "taken"),
    ),
    "syslog": (
        r"^(?P<ts>\w{3} [ \d]\d \d{2}:\d{2}:\d{2}) (?P<host>\S+) (?P<program>[^\[:]+)(?:\[(?P<pid>\d+)\])?: "
        r"(?P<msg>.*)$",
        "%b %e %H:%M:%S",
        ("pid",),
    ),
    "postgresql.log": (
        r"^(?P<ts>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?:\.\d+)? (?P<tz>\w+) \[(?P<pid>\d+)\] "
        r"(?:(?P<user>[^@ ]*)@(?P<db>\S*) )?(?P<level>[A-Z0-9]+):  (?P<msg>.*)$",
        _ISO,
        ("pid",),
    ),
    "mysql.error": (
        r"^(?P<ts>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})\S* (?P<thread>\d+) \[(?P<level>[^\]]+)\] (?P<msg>.*)$",
        _ISO,
        ("thread",),
    ),
    "mariadb.audit": (
        r"^(?P<ts>\d{8} \d{2}:\d{2}:\d{2}),(?P<host>[^,]*),(?P<user>[^,]*),(?P<ip>[^,]*),(?P<conn>\d+),"
        r"(?P<query>\d+),(?P<op>[^,]*),(?P<db>[^,]*),(?P<object>.*),(?P<rc>\d+)$",
        "%Y%m%d %H:%M:%S",
        ("conn", "query", "rc"),
    ),
}


_Q = r'(?:[^"\\]|\\.)*'  # the inside of a JSON string, escapes included
_SYSLOG_TS = r"(?P<ts>\w{3} [ \d]\d \d{2}:\d{2}:\d{2})"
_ISO_TS = r"(?P<ts>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})"

#: The formats whose lines carry no single timestamp string: how the analyst turns them into one.
#: "epoch_s" (float seconds), "epoch_ns" (integer nanoseconds), "syslog" (no year: 2024 added),
#: "date_time" (a date group and a time group), "none" (a reference table: no time at all).
BASELINES.update(
    {
        "aws.alb": (
            r"^(?P<type>\S+) " + _ISO_TS + r"\.\d+Z (?P<elb>\S+) (?P<client>[^ :]+):(?P<cport>\d+) (?P<target>\S+) "
            r"(?P<rpt>\S+) (?P<tpt>\S+) (?P<spt>\S+) (?P<status>\S+) (?P<tstatus>\S+) (?P<rbytes>\d+) (?P<sbytes>\d+) "
            r'"(?P<request>[^"]*)" "(?P<agent>[^"]*)"',
            _ISO,
            ("cport", "status", "rbytes", "sbytes"),
        ),
        "aws.elb": (
            r"^" + _ISO_TS + r"\.\d+Z (?P<elb>\S+) (?P<client>[^ :]+):(?P<cport>\d+) (?P<backend>\S+) "
            r"(?P<rpt>\S+) (?P<bpt>\S+) (?P<spt>\S+) (?P<status>\S+) (?P<bstatus>\S+) (?P<rbytes>\d+) (?P<sbytes>\d+) "
            r'"(?P<request>[^"]*)" "(?P<agent>[^"]*)"',
            _ISO,
            ("cport", "status", "rbytes", "sbytes"),
        ),
        "aws.cloudfront": (
            r"^(?P<date>\d{4}-\d{2}-\d{2})\t(?P<time>\d{2}:\d{2}:\d{2})\t(?P<edge>[^\t]*)\t(?P<bytes>\d+)\t"
            r"(?P<ip>[^\t]*)\t(?P<method>[^\t]*)\t(?P<host>[^\t]*)\t(?P<uri>[^\t]*)\t(?P<status>\d+)\t"
            r"(?P<referrer>[^\t]*)\t(?P<agent>[^\t]*)\t(?P<query>[^\t]*)",
            "date_time",
            ("bytes", "status"),
        ),
        "caddy.access": (
            r'"ts":(?P<ts>[\d.]+),.*?"remote_ip":"(?P<ip>[^"]*)".*?"method":"(?P<method>[^"]*)",'
            r'"host":"(?P<host>[^"]*)","uri":"(?P<uri>' + _Q + r')".*?"status":(?P<status>\d+)',
            "epoch_s",
            ("status",),
        ),
        "traefik.access": (
            r'"ClientHost":"(?P<ip>[^"]*)".*?"DownstreamContentSize":(?P<bytes>\d+),"DownstreamStatus":(?P<status>\d+)'
            r'.*?"RequestMethod":"(?P<method>[^"]*)","RequestPath":"(?P<path>' + _Q + r')".*?"StartUTC":"' + _ISO_TS,
            _ISO,
            ("bytes", "status"),
        ),
        "cloudflare.http": (
            r'"ClientIP":"(?P<ip>[^"]*)".*?"ClientRequestMethod":"(?P<method>[^"]*)".*?"ClientRequestURI":"(?P<uri>'
            + _Q
            + r')".*?"EdgeResponseBytes":(?P<bytes>\d+),"EdgeResponseStatus":(?P<status>\d+).*?"EdgeStartTimestamp":(?P<ts>\d+)',
            "epoch_ns",
            ("bytes", "status"),
        ),
        "pgbouncer.log": (
            r"^" + _ISO_TS + r"\.\d+ (?P<tz>\w+) \[(?P<pid>\d+)\] (?P<level>[A-Z]+) "
            r"(?:(?P<conn>[CS]-0x[0-9a-f]+): (?P<db>[^/ ]*)/(?P<user>[^@ ]*)@(?P<ip>[^: ]+):(?P<port>\d+) )?(?P<msg>.*)$",
            _ISO,
            ("pid", "port"),
        ),
        "postgresql.syslog": (
            r"^" + _SYSLOG_TS + r" (?P<host>\S+) postgres\[(?P<pid>\d+)\]: \[(?P<lnum>\d+)-(?P<part>\d+)\] "
            r"(?:user=(?P<user>[^,]*),db=(?P<db>[^,]*),app=(?P<app>[^,]*),client=(?P<client>\S*) )?"
            r"(?:(?P<level>[A-Z0-9]+):  )?(?P<msg>.*)$",
            "syslog",
            ("pid", "lnum", "part"),
        ),
        "postgresql.csv": (
            r"^"
            + _ISO_TS
            + r'\.\d+ (?P<tz>\w+),"?(?P<user>[^",]*)"?,"?(?P<db>[^",]*)"?,(?P<pid>\d+),"?(?P<remote>[^",]*)"?,'
            r'(?P<session>[^,]*),(?P<lnum>\d+),"?(?P<tag>[^",]*)"?,[^,]*,[^,]*,\d*,(?P<level>[A-Z0-9]+),(?P<state>\w+),'
            r'"(?P<msg>(?:[^"]|"")*)"?',
            _ISO,
            ("pid", "lnum"),
        ),
        "postgresql.json": (
            r'"timestamp":"'
            + _ISO_TS
            + r'[^"]*"(?:,"user":"(?P<user>'
            + _Q
            + r')")?(?:,"dbname":"(?P<db>'
            + _Q
            + r')")?'
            r',"pid":(?P<pid>\d+)(?:,"remote_host":"(?P<host>[^"]*)")?.*?"error_severity":"(?P<level>[^"]*)"'
            r'(?:,"state_code":"[^"]*")?,"message":"(?P<msg>' + _Q + r')"',
            _ISO,
            ("pid",),
        ),
        "postgresql.cloudsql": (
            r'"severity": "(?P<severity>[^"]*)", "textPayload": "' + _ISO_TS + r"\.\d+ \w+ \[(?P<pid>\d+)\]: "
            r"\[(?P<lnum>\d+)-\d+\] db=(?P<db>[^,]*),user=(?P<user>\S*) (?P<level>[A-Z0-9]+):  (?P<msg>" + _Q + r')"',
            _ISO,
            ("pid", "lnum"),
        ),
        "postgresql.cnpg": (
            r'"ts": "' + _ISO_TS + r'[^"]*", "logger": "(?P<logger>[^"]*)", "msg": "(?P<m>' + _Q + r')"'
            r'(?:.*?"user_name": "(?P<user>' + _Q + r')", "database_name": "(?P<db>' + _Q + r')", '
            r'"process_id": "(?P<pid>\d+)", "connection_from": "(?P<remote>[^"]*)".*?"error_severity": "(?P<level>[^"]*)"'
            r'.*?"message": "(?P<msg>' + _Q + r')")?',
            _ISO,
            ("pid",),
        ),
        "csv": (
            r"^"
            + _ISO_TS
            + r"(?P<frac>\.\d+)?,(?P<actor>[^,]*),(?P<ip>[^,]*),(?P<action>[^,]*),(?P<result>[^,]*),(?P<note>.*)$",
            _ISO,
            (),
        ),
        "jsonl": (
            r'"ts":"?(?P<ts>[^",]+)"?,"actor":"(?P<actor>' + _Q + r')","client":\{"ip":"(?P<ip>[^"]*)".*?'
            r'"action":"(?P<action>[^"]*)","result":"(?P<result>[^"]*)"',
            "%Y-%m-%dT%H:%M:%S%.f%#z",
            (),
        ),
        "mediboard.applog": (
            r"^\[" + _ISO_TS + r"\.\d+\] \[(?P<level>[A-Z]+)\] (?P<msg>.*?)(?: \[context:(?P<context>.*?)\])?"
            r"(?: \[extra:(?P<extra>.*)\])?$",
            _ISO,
            (),
        ),
        "mysql.general": (
            r"^(?:(?P<ts>\d{6} [ \d]\d:\d{2}:\d{2})|\t)\t *(?P<id>\d+) (?P<command>\w+(?: \w+)?)\t(?P<argument>.*)$",
            "%y%m%d %H:%M:%S",
            ("id",),
        ),
        "mysql.slow": (
            r"^# (?:Time: (?P<ts>\d{6} [ \d]\d:\d{2}:\d{2})|User@Host: (?P<user>\S+) @ (?P<host>\S*) \[(?P<ip>[^\]]*)\]"
            r"|Thread_id: (?P<thread>\d+)\s+Schema: (?P<schema>\S*).*|Query_time: (?P<qt>[\d.]+)\s+Lock_time: (?P<lt>[\d.]+)"
            r"\s+Rows_sent: (?P<sent>\d+)\s+Rows_examined: (?P<examined>\d+).*)$",
            "%y%m%d %H:%M:%S",
            ("thread", "sent", "examined"),
        ),
        "mysql.audit_xml": (
            r"^\s*(?:<TIMESTAMP>" + _ISO_TS + r" UTC</TIMESTAMP>|<(?P<key>[A-Z_]+)>(?P<value>[^<]*)</[A-Z_]+>)$",
            _ISO,
            (),
        ),
        "mysql.audit_json": (
            r'^\s*(?:"timestamp": "' + _ISO_TS + r'"|"(?P<key>[^"]+)": (?P<value>.*?)),?$',
            _ISO,
            (),
        ),
    }
)


def _tsv_baseline(fmt: str) -> tuple[str, str, tuple[str, ...]]:
    """A Mediboard table dump: one ``[^\\t]*`` group per column of the fixture's first row.

    The analyst counts the columns of the dump and names them; the first column that holds a
    ``YYYY-MM-DD HH:MM:SS`` value is the row's time, the columns holding integers are cast.
    A reference table (no time column) gets no timestamp ("none").
    """
    first = (DATA / FIXTURES[fmt].path).read_bytes().split(b"\n", 1)[0].decode("latin-1").split("\t")
    names = [f"c{i}" for i in range(len(first))]
    ts_at = next((i for i, v in enumerate(first) if re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", v)), None)
    if ts_at is not None:
        names[ts_at] = "ts"
    regex = "^" + "\\t".join(f"(?P<{n}>[^\\t]*)" for n in names) + "$"
    ints = tuple(names[i] for i, v in enumerate(first) if re.fullmatch(r"-?\d+", v) and i != ts_at)
    return regex, (_ISO if ts_at is not None else "none"), ints


def baseline_for(fmt: str) -> tuple[str, str, tuple[str, ...], str]:
    """The naive regex of a format: the one written for it (every registered format has one).

    The first-timestamp regex (``_FIRST_TS``) remains for a format added without a baseline, and
    says so in the table ("generic").
    """
    if fmt in BASELINES:
        return (*BASELINES[fmt], "own")
    if fmt.startswith("mediboard.") and fmt in FIXTURES:
        return (*_tsv_baseline(fmt), "own")
    return _FIRST_TS, _ISO, (), "generic"


# -- generating the files ----------------------------------------------------------------------

_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
#: Timestamp shapes moved on from copy to copy: (regex, strptime format).  Order matters.
_STAMPS = [
    (r"[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2}(?=(?:\.\d+)? \d{4})", "apache_error"),
    (r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}", "iso"),
    (r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}", "%Y/%m/%d %H:%M:%S"),
    (r"\d{8} \d{2}:\d{2}:\d{2}", "%Y%m%d %H:%M:%S"),
    (r"\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2}", "%d/%b/%Y:%H:%M:%S"),
    (r"(?m:^)[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}", "syslog"),
    (r"(?m:^)\d{6} [ \d]\d:\d{2}:\d{2}", "mysql_general"),
]
_IPV4 = r"\b(?:\d{1,3}\.){3}\d{1,3}\b"
_TOKEN = re.compile("|".join(f"(?P<s{i}>{rx})" for i, (rx, _) in enumerate(_STAMPS)) + f"|(?P<ip>{_IPV4})")


def _parse_stamp(kind: str, text: str) -> tuple[datetime, str]:
    if kind == "iso":
        sep = text[10]
        return datetime.strptime(text.replace("T", " "), "%Y-%m-%d %H:%M:%S"), sep
    if kind == "apache_error":
        return datetime.strptime("2024 " + text[4:], "%Y %b %d %H:%M:%S"), ""
    if kind == "syslog":
        return datetime.strptime("2024 " + text.replace("  ", " "), "%Y %b %d %H:%M:%S"), ""
    if kind == "mysql_general":
        return datetime.strptime(text.replace("  ", " 0"), "%y%m%d %H:%M:%S"), ""
    return datetime.strptime(text, kind), ""


def _format_stamp(kind: str, when: datetime, extra: str) -> str:
    if kind == "iso":
        return when.strftime(f"%Y-%m-%d{extra}%H:%M:%S")
    if kind == "apache_error":  # the year after the fraction is kept from the fixture
        return when.strftime("%a %b %d %H:%M:%S")
    if kind == "syslog":
        return f"{_MONTHS[when.month - 1]} {when.day:>2} {when:%H:%M:%S}"
    if kind == "mysql_general":
        return f"{when:%y%m%d} {when.hour:>2}:{when:%M:%S}"
    return when.strftime(kind)


class Template:
    """A fixture body cut into fixed text, timestamps and addresses, to write shifted copies fast."""

    def __init__(self, text: str) -> None:
        self.parts: list[str | tuple[str, datetime, str] | tuple[str, int, str]] = []
        stamps: list[datetime] = []
        pos = 0
        for m in _TOKEN.finditer(text):
            self.parts.append(text[pos : m.start()])
            pos = m.end()
            if m.lastgroup == "ip":
                prefix, last = m.group().rsplit(".", 1)
                self.parts.append(("ip", int(last), prefix))
                continue
            kind = _STAMPS[int(m.lastgroup[1:])][1]  # type: ignore[index]
            try:
                when, extra = _parse_stamp(kind, m.group())
            except ValueError:
                self.parts.append(m.group())
                continue
            stamps.append(when)
            self.parts.append((kind, when, extra))
        self.parts.append(text[pos:])
        span = (max(stamps) - min(stamps)).total_seconds() if stamps else 0.0
        self.span = span

    def copy(self, k: int, step: timedelta) -> str:
        out: list[str] = []
        delta = step * k
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            elif part[0] == "ip":
                out.append(f"{part[2]}.{(part[1] + k) % 254 + 1}")
            else:
                out.append(_format_stamp(part[0], part[1] + delta, part[2]))  # type: ignore[arg-type]
        return "".join(out)


def generate(fmt: str, path: Path, lines: int) -> int:
    """Write at least ``lines`` lines of ``fmt`` to ``path``; return the line count written."""
    fixture = FIXTURES[fmt]
    if fixture.path == "bench_web":
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from bench_web import generate as web_generate

        web_generate(path, lines)
        return lines
    raw = (DATA / fixture.path).read_bytes().decode("utf-8", "surrogateescape")
    all_lines = raw.removesuffix("\n").split("\n")
    head = all_lines[: fixture.head]
    body = all_lines[fixture.head : len(all_lines) - fixture.tail]
    tail = all_lines[len(all_lines) - fixture.tail :] if fixture.tail else []
    sep = ",\n" if fmt == "mysql.audit_json" else "\n"  # records of a JSON array are comma-separated
    template = Template("\n".join(body))
    copies = -(-(lines - len(head) - len(tail)) // len(body))
    step = timedelta(seconds=template.span + 1)
    if step * copies > timedelta(days=730):
        step = timedelta(seconds=60)
    written = len(head) + len(tail)
    with path.open("w", encoding="utf-8", errors="surrogateescape", newline="\n") as out:
        for line in head:
            out.write(line + "\n")
        for k in range(copies):
            text = template.copy(k, step)
            if fmt == "mysql.audit_json":
                text = text.rstrip().removesuffix(",")
            out.write(text + (sep if k < copies - 1 or not tail else "\n"))
            written += len(body)
        for line in tail:
            out.write(line + "\n")
    return written


# -- the two measured steps, each in a child process -------------------------------------------


def _usage() -> tuple[float, int]:
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime, u.ru_maxrss


def _child_ingest(fmt: str, evidence: str, out: str, memory_mib: int | None = None) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    from forensics.config import CaseConfig, SourceConfig
    from forensics.intake.engine import ingest

    options = dict(FIXTURES[fmt].options or {})
    cfg = CaseConfig(sources=(SourceConfig(path="**", format=fmt, timezone="Europe/Paris", options=options),))
    cpu0, _ = _usage()
    started = time.perf_counter()
    budget = None if memory_mib is None else memory_mib << 20
    result = ingest(evidence, out, config=cfg, memory_budget=budget)
    seconds = time.perf_counter() - started
    cpu1, rss = _usage()
    totals = result.manifest["totals"]
    return {
        "seconds": seconds,
        "cpu_seconds": cpu1 - cpu0,
        "events": totals["events"],
        "rejects": totals["rejects"],
        "rss_kib": rss,
    }


def _child_naive(fmt: str, path: str, out: str) -> dict[str, object]:
    import polars as pl

    regex, ts_format, ints, _ = baseline_for(fmt)
    names = re.findall(r"\(\?P<(\w+)>", regex)
    ts: pl.Expr | None = pl.col("ts")
    if ts_format == "syslog" or fmt == "syslog":  # no year in the line: the analyst adds one
        ts = (pl.lit("2024 ") + pl.col("ts").str.replace("  ", " ")).str.strptime(
            pl.Datetime("us"), "%Y %b %d %H:%M:%S", strict=False
        )
    elif fmt == "apache.error":
        ts = (pl.col("ts") + pl.lit(" ") + pl.col("year")).str.strptime(
            pl.Datetime("us"), ts_format + " %Y", strict=False
        )
    elif ts_format == "date_time":
        ts = (pl.col("date") + pl.lit(" ") + pl.col("time")).str.strptime(pl.Datetime("us"), _ISO, strict=False)
        names = ["ts", *names]
    elif ts_format == "epoch_s":
        ts = (pl.col("ts").cast(pl.Float64, strict=False) * 1e6).cast(pl.Int64).cast(pl.Datetime("us"))
    elif ts_format == "epoch_ns":
        ts = (pl.col("ts").cast(pl.Int64, strict=False) // 1000).cast(pl.Datetime("us"))
    elif ts_format == "none":  # a reference table: no time; a matched row is a parsed row
        ts = None
    elif ts_format == "%y%m%d %H:%M:%S":  # MySQL's hour is space-padded
        ts = pl.col("ts").str.replace("  ", " 0").str.strptime(pl.Datetime("us"), "%y%m%d %H:%M:%S", strict=False)
    elif ts_format == _ISO:
        ts = pl.col("ts").str.replace("T", " ").str.strptime(pl.Datetime("us"), ts_format, strict=False)
    else:
        ts = pl.col("ts").str.strptime(pl.Datetime("us"), ts_format, strict=False)
    cpu0, _ = _usage()
    started = time.perf_counter()
    lf = (
        pl.scan_csv(
            path,
            has_header=False,
            separator="\x1f",
            quote_char=None,
            schema={"line": pl.String},
            encoding="utf8-lossy",
        )
        .with_columns(pl.col("line").str.extract_groups(regex).alias("m"))
        .unnest("m")
        .with_columns(
            *([] if ts is None else [ts.alias("ts")]),
            *[pl.col(c).cast(pl.Int64, strict=False) for c in ints],
        )
        .select(names)
    )
    lf.sink_parquet(out)
    seconds = time.perf_counter() - started
    cpu1, rss = _usage()
    parsed_col = "ts" if "ts" in names else names[0]  # a reference table: the rows its regex matched
    parsed = pl.scan_parquet(out).select(pl.col(parsed_col).is_not_null().sum()).collect().item()
    return {"seconds": seconds, "cpu_seconds": cpu1 - cpu0, "events": parsed, "rss_kib": rss}


def _run_child(*args: str, env: dict[str, str] | None = None) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        capture_output=True,
        text=True,
        check=False,
        env=None if env is None else {**os.environ, **env},
    )
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench(fmt: str, lines: int, workdir: Path, memory_mib: int | None = None) -> dict[str, object]:
    """Generate one format's file, then time ingest and the naive baseline on it."""
    evidence = workdir / "evidence"
    evidence.mkdir()
    log = evidence / (Path(FIXTURES[fmt].path).name if FIXTURES[fmt].path != "bench_web" else "access.log")
    n = generate(fmt, log, lines)
    size = log.stat().st_size
    memory = [] if memory_mib is None else ["--memory", str(memory_mib)]
    ing = _run_child("ingest", fmt, str(evidence), str(workdir / "out"), *memory)
    naive = _run_child("naive", fmt, str(log), str(workdir / "naive.parquet"))
    row: dict[str, object] = {
        "format": fmt,
        "lines": n,
        "mb": round(size / 1e6, 1),
        "baseline": baseline_for(fmt)[3],
        "ingest": ing,
        "naive": naive,
    }
    if "seconds" in ing:
        row["ingest_lines_s"] = round(n / ing["seconds"])  # type: ignore[operator]
    if "seconds" in naive:
        row["naive_lines_s"] = round(n / naive["seconds"])  # type: ignore[operator]
    if "ingest_lines_s" in row and "naive_lines_s" in row:
        row["ratio"] = round(row["ingest_lines_s"] / row["naive_lines_s"], 2)  # type: ignore[operator]
    if ing.get("cpu_seconds") and naive.get("cpu_seconds"):
        # CPU seconds of each child (all threads) move much less with the machine's load than wall time
        row["cpu_ratio"] = round(naive["cpu_seconds"] / ing["cpu_seconds"], 3)  # type: ignore[operator]
    return row


def _table_row(r: dict[str, object]) -> str:
    ing, naive = r["ingest"], r["naive"]
    assert isinstance(ing, dict) and isinstance(naive, dict)

    def rate(key: str) -> str:
        return f"{r[key]:,}" if key in r else "error"

    def rss(d: dict) -> str:  # type: ignore[type-arg]
        return f"{d['rss_kib'] / 1024:,.0f}" if "rss_kib" in d else "-"

    ratio = f"{r['ratio']:.2f}x" if "ratio" in r else "-"
    cpu_ratio = f"{r['cpu_ratio']:.2f}x" if "cpu_ratio" in r else "-"

    def cpu(d: dict) -> str:  # type: ignore[type-arg]
        return f"{d['cpu_seconds']:.2f}" if "cpu_seconds" in d else "-"

    events = f"{ing.get('events', '-'):,}" if "events" in ing else ing.get("error", "-")
    rejects = f"{ing.get('rejects', 0):,}" if "rejects" in ing else "-"
    return (
        f"| {r['format']} | {r['lines']:,} | {r['mb']} | {events} | {rejects} | {rate('ingest_lines_s')} | "
        f"{cpu(ing)} | {rss(ing)} | {rate('naive_lines_s')} ({r['baseline']}) | {cpu(naive)} | {rss(naive)} | "
        f"{ratio} | **{cpu_ratio}** |"
    )


#: The steps ``--profile`` times (module, attribute): none calls another, except ``_ingest_file``
#: (a file's whole pass), whose remainder once the others are taken out is reading the file.
PROFILE_STEPS = {
    "hash": ("forensics.intake.engine", "hash_file"),
    "group": ("forensics.intake.parsing", "group_records"),
    "parse": ("forensics.intake.parsing", "parse_isolating"),
    "engine": ("forensics.intake.engine", "process_lines"),
    "time pass": ("forensics.intake.writer", "time_pass"),
    "order+write": ("forensics.intake.store", "PartStore.write_events"),
    "_file": ("forensics.intake.engine", "_ingest_file"),
}
PROFILE_COLUMNS = ("hash", "read", "group", "parse", "engine", "time pass", "order+write", "other")


def _child_profile(fmt: str, evidence: str, out: str) -> dict[str, object]:
    """Ingest on one thread with each step timed (``--profile``); run with ``POLARS_MAX_THREADS=1``."""
    import functools
    import importlib

    sys.path.insert(0, str(ROOT))
    import forensics.intake.parsing as parsing
    from forensics.config import CaseConfig, SourceConfig
    from forensics.intake.engine import ingest

    parsing.PARSE_WORKERS = 1
    parsing.prefetch = lambda items, depth=1: items  # type: ignore[assignment]  # parse in this thread
    spent: dict[str, float] = dict.fromkeys(PROFILE_STEPS, 0.0)

    for name, (module, attr) in PROFILE_STEPS.items():
        owner: Any = importlib.import_module(module)
        *path, last = attr.split(".")
        for part in path:
            owner = getattr(owner, part)
        fn = getattr(owner, last)
        # the hash after the run overlaps the ordered write in its own thread: its thread's CPU
        clock = time.thread_time if name == "hash" else time.perf_counter

        def timed(*a: Any, _fn: Any = fn, _name: str = name, _clock: Any = clock, **k: Any) -> Any:
            started = _clock()
            try:
                return _fn(*a, **k)
            finally:
                spent[_name] += _clock() - started

        setattr(owner, last, functools.wraps(fn)(timed))
    options = dict(FIXTURES[fmt].options or {})
    cfg = CaseConfig(sources=(SourceConfig(path="**", format=fmt, timezone="Europe/Paris", options=options),))
    started = time.perf_counter()
    result = ingest(evidence, out, config=cfg)
    total = time.perf_counter() - started
    steps = {k: v for k, v in spent.items() if not k.startswith("_")}
    steps["read"] = max(spent["_file"] - spent["group"] - spent["parse"] - spent["engine"], 0.0)
    steps["other"] = max(total - sum(steps.values()), 0.0)
    return {"seconds": total, "steps": steps, "events": result.manifest["totals"]["events"]}


PROFILE_HEADER = (
    "| format | lines | events | ingest s, one thread | "
    + " | ".join(PROFILE_COLUMNS)
    + " | naive s, one thread | ratio (one thread) | slowest step / naive |\n"
    + "|---|---:|---:|---:|"
    + "---:|" * len(PROFILE_COLUMNS)
    + "---:|---:|---|"
)


def profile_row(fmt: str, lines: int, workdir: Path) -> dict[str, object]:
    """One format on one thread: ingest step by step, and the naive pipeline, on the same file."""
    evidence = workdir / "evidence"
    evidence.mkdir()
    log = evidence / (Path(FIXTURES[fmt].path).name if FIXTURES[fmt].path != "bench_web" else "access.log")
    n = generate(fmt, log, lines)
    one = {"POLARS_MAX_THREADS": "1"}
    ing = _run_child("profile", fmt, str(evidence), str(workdir / "out"), env=one)
    naive = _run_child("naive", fmt, str(log), str(workdir / "naive.parquet"), env=one)
    return {"format": fmt, "lines": n, "ingest": ing, "naive": naive}


def _profile_table_row(r: dict[str, Any]) -> str:
    ing, naive = r["ingest"], r["naive"]
    if "steps" not in ing or "seconds" not in naive:
        return f"| {r['format']} | {r['lines']:,} | - | {ing.get('error', naive.get('error', '-'))} |"
    steps = ing["steps"]
    total = ing["seconds"]
    shares = " | ".join(f"{steps[c]:.2f} ({100 * steps[c] / total:.0f} %)" for c in PROFILE_COLUMNS)
    slowest = max(PROFILE_COLUMNS, key=lambda c: steps[c])
    return (
        f"| {r['format']} | {r['lines']:,} | {ing['events']:,} | {total:.2f} | {shares} | {naive['seconds']:.2f} "
        f"| {naive['seconds'] / total:.2f}x | {slowest} {steps[slowest] / naive['seconds']:.1f}x |"
    )


HEADER = (
    "| format | lines | MB | events | rejects | ingest lines/s | ingest CPU s | ingest peak RSS MiB "
    "| naive lines/s (regex) | naive CPU s | naive peak RSS MiB | ratio (wall) | ratio (CPU) |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=200_000, help="lines per format (default 200,000)")
    ap.add_argument("--formats", default="", help="comma-separated subset of formats (default: every one)")
    ap.add_argument("--json", action="store_true", help="print one JSON object per format instead of a table")
    ap.add_argument(
        "--memory",
        type=int,
        default=None,
        metavar="MIB",
        help="ingest's memory budget (0: every chunk goes to disk, the spilled path of large evidence)",
    )
    ap.add_argument(
        "--profile",
        action="store_true",
        help="why each format is below 1.0x: ingest step by step and the naive pipeline, both on one thread",
    )
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        step, fmt, src, out = args.child
        if step == "ingest":
            result = _child_ingest(fmt, src, out, args.memory)
        elif step == "profile":
            result = _child_profile(fmt, src, out)
        else:
            result = _child_naive(fmt, src, out)
        print(json.dumps(result))
        return

    sys.path.insert(0, str(ROOT))
    from parsers.base import load_all

    registered = list(load_all())
    wanted = [f for f in args.formats.split(",") if f] or registered
    unknown = [f for f in wanted if f not in registered]
    if unknown:
        sys.exit(f"unknown format(s): {', '.join(unknown)}; registered: {', '.join(registered)}")
    missing = [f for f in wanted if f not in FIXTURES]
    if missing:
        sys.exit(f"no generator for: {', '.join(missing)} (add a fixture to FIXTURES)")
    load = os.getloadavg()
    if args.profile:
        if not args.json:
            print(
                f"# {args.lines:,} lines per format, one thread; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
            )
            print(PROFILE_HEADER, flush=True)
        for fmt in wanted:
            tmp = Path(tempfile.mkdtemp(prefix="bench-formats-"))
            try:
                prow = profile_row(fmt, args.lines, tmp)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            print(json.dumps(prow) if args.json else _profile_table_row(prow), flush=True)
        return
    if not args.json:
        budget = "" if args.memory is None else f"; ingest memory budget {args.memory} MiB"
        print(f"# {args.lines:,} lines per format{budget}; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
        print(HEADER, flush=True)
    for fmt in wanted:
        tmp = Path(tempfile.mkdtemp(prefix="bench-formats-"))
        try:
            row = bench(fmt, args.lines, tmp, args.memory)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        row["load"] = round(os.getloadavg()[0], 1)
        print(json.dumps(row) if args.json else _table_row(row), flush=True)


if __name__ == "__main__":
    main()
