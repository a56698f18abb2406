"""Line renderers: Apache access/error, nginx, MariaDB server_audit, general log and slow log."""

from __future__ import annotations

from ..clock import (
    apache_error_time,
    apache_time,
    audit_time,
    iso_utc,
    mysql_short_time,
)
from ..traffic import APP_IP, PROXY_IP, Request
from .escape import apache_escape, audit_escape, nginx_escape

MARIADB_BANNER = (
    "/usr/sbin/mariadbd, Version: 10.6.18-MariaDB-0ubuntu0.22.04.1-log (Ubuntu 22.04). started with:\n"
    "Tcp port: 3306  Unix socket: /run/mysqld/mysqld.sock\n"
    "Time\t\t    Id Command\tArgument"
)
DB_CLIENT_HOST = "app01.hds.local"


def apache_access(r: Request, skew: float) -> str:
    """``%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D "%{X-Forwarded-For}i"``."""
    host = PROXY_IP if r.proxied else r.peer
    request_line = apache_escape(f"{r.method} {r.target} HTTP/1.1")
    size = str(r.size) if r.size else "-"
    ref = apache_escape(r.referer) if r.referer else "-"
    ua = apache_escape(r.ua) if r.ua else "-"
    return (
        f'{host} - - [{apache_time(int(r.t + skew))}] "{request_line}" {r.status} {size} '
        f'"{ref}" "{ua}" {int(r.dur * 1e6)} "{r.xff_header}"'
    )


def nginx_access(r: Request, written: float, request_time: float) -> str:
    """rp01 ``log_format``: peer, ``$time_iso8601`` at completion, ``rt=$request_time``, incoming XFF."""
    request_line = nginx_escape(f"{r.method} {r.target} HTTP/1.1")
    ref = nginx_escape(r.referer) if r.referer else "-"
    ua = nginx_escape(r.ua) if r.ua else "-"
    xff = nginx_escape(r.xff_in) if r.xff_in else "-"
    return (
        f'{r.peer} - - [{iso_utc(int(written))}] "{request_line}" {r.status} {r.size} "{ref}" "{ua}" '
        f'rt={request_time:.3f} xff_in="{xff}"'
    )


def apache_error(
    when: float,
    module_level: str,
    pid: int,
    tid: int,
    client: str | None,
    message: str,
    referer: str | None = None,
) -> str:
    """Apache 2.4 default ErrorLogFormat; PHP-FPM messages keep their embedded newlines."""
    client_part = f" [client {client}]" if client else ""
    text = message
    if module_level == "proxy_fcgi:error":
        text = f"AH01071: Got error '{message}'"
        if referer:
            text += f", referer: {referer}"
    return f"[{apache_error_time(when)}] [{module_level}] [pid {pid}:tid {tid}]{client_part} {text}"


def audit_line(when: float, server: str, conn: int, query_id: int, op: str, obj: str = "") -> str:
    """MariaDB server_audit: ``ts,serverhost,user,host,connid,queryid,op,db,object,retcode``."""
    if op == "QUERY":
        obj = "'" + audit_escape(obj) + "'"
    return f"{audit_time(int(when))},{server},mediboard,{APP_IP},{conn},{query_id},{op},mediboard,{obj},0"


class _DailyMariaDBLog:
    """A MariaDB log file rotated by logrotate (daily, ``compress``, no ``delaycompress``).

    ``bounds`` are the true times of the rotations; ``FLUSH LOGS`` reopens the file and MariaDB
    writes its banner again at the top of the new one. ``skew`` is the host clock offset.
    """

    def __init__(self, skew: float, bounds: list[float], start: float | None = None) -> None:
        self.skew = skew
        self.bounds = sorted(bounds)
        self.start = start
        self.segments: list[list[str]] = [[] for _ in range(len(self.bounds) + 1)]
        self._i = 0
        self._last = -1

    def _lines(self, when: float) -> list[str]:
        while self._i < len(self.bounds) and when >= self.bounds[self._i]:
            self._i += 1
        seg = self.segments[self._i]
        if not seg:
            seg.append(MARIADB_BANNER)
            self._last = -1
        return seg

    def files(self, base: str) -> list[tuple[str, list[str], bool]]:
        """(name, lines, compress) from the live file back; segments that never existed are skipped."""
        out: list[tuple[str, list[str], bool]] = []
        n = 0
        for k, seg in enumerate(reversed(self.segments)):
            if not seg and k > 0:
                continue
            out.append((base if k == 0 else f"{base}.{n}.gz", seg or [MARIADB_BANNER], k > 0))
            n += 1
        return out


class GeneralLog(_DailyMariaDBLog):
    """sql/log.cc ``MYSQL_QUERY_LOG::write``: the time prefix becomes ``\\t\\t`` within the same second."""

    def write(self, when: float, item: object) -> None:
        thread, command, argument = item  # type: ignore[misc]
        lines = self._lines(when)
        sec = int(when + self.skew)
        if sec != self._last:
            self._last = sec
            prefix = mysql_short_time(sec) + "\t"
        else:
            prefix = "\t\t"
        lines.append(f"{prefix}{thread:6d} {command}\t{argument}")


class SlowLog(_DailyMariaDBLog):
    """MariaDB slow log; ``# Time:`` only when the second changed since the previous entry."""

    def write(self, when: float, item: object) -> None:
        thread, start, qtime, lock, rows_sent, rows_examined, bytes_sent, sql = item  # type: ignore[misc]
        lines = self._lines(when)
        sec = int(when + self.skew)
        if sec != self._last:
            self._last = sec
            lines.append(f"# Time: {mysql_short_time(sec)}")
        lines.append(f"# User@Host: mediboard[mediboard] @ {DB_CLIENT_HOST} [{APP_IP}]")
        lines.append(f"# Thread_id: {thread}  Schema: mediboard  QC_hit: No")
        lines.append(
            f"# Query_time: {qtime:.6f}  Lock_time: {lock:.6f}  Rows_sent: {rows_sent}  Rows_examined: {rows_examined}"
        )
        lines.append(f"# Rows_affected: 0  Bytes_sent: {bytes_sent}")
        lines.append(f"SET timestamp={int(start + self.skew)};")
        lines.append(sql if sql.endswith(";") else sql + ";")
