"""What each registered format reads and what it leaves out: the coverage table of ``docs/formats.md``.

One entry per format name, in words an investigator can check against a log in hand:
``variants`` (the shapes read without help), ``not_read`` (known shapes or parts that are
not read: rejected, left in ``event.original`` or needing a config).  How a format is
detected is not written here: ``how_detected`` derives it from the parser class (its
literals, file-name patterns, flags), so it cannot drift from the code.  A test checks
that every registered format has an entry and that no entry names an unknown format.
"""

from __future__ import annotations

from dataclasses import dataclass

from parsers.base import Parser


@dataclass(frozen=True)
class Coverage:
    """The variants a format's parser reads, and what it does not read."""

    variants: str
    not_read: str


_DUMP_NOT_READ = (
    "dumps in another column order without a header line or `fields` in the config; "
    "other export tools' quoting (CSV with quotes)"
)


def _dump(what: str) -> Coverage:
    return Coverage(
        variants=f"{what}; `mysql --batch` (header, `NULL`) and `SELECT ... INTO OUTFILE` (no header, `\\N`, "
        "escaped tabs and new lines) dumps, tab-separated, plain or compressed",
        not_read=_DUMP_NOT_READ,
    )


COVERAGE: dict[str, Coverage] = {
    # -- web servers ---------------------------------------------------------------------
    "apache.access": Coverage(
        variants="common, combined, Debian `%O` combined, vhost_combined and bare-vhost prefixes, + `%D`/`%T` or "
        "`$request_time`, + quoted X-Forwarded-For, address-list prefixes (nginx `main`), mod_ssl "
        "`ssl_request_log`, mixed in one file; any `LogFormat` or nginx `log_format` given in the config; "
        "a last field cut inside its quotes (kept, `line_malformed`)",
        not_read="requests holding raw double quotes (attack payloads) are rejected; custom layouts without "
        "their `log_format`; nginx `$time_iso8601` layouts are not detected; a first field that is an IP "
        "used as virtual host is read as a vhost log",
    ),
    "nginx.access": Coverage(
        variants="any `log_format` (pasted directive or text, `escape=json`), `$time_local`, `$time_iso8601`, "
        "`$msec`, `$request_time`, `$upstream_*`, `$http_*`; without a format, nginx `combined` and the "
        "`apache.access` variants",
        not_read="only chosen by the config; lines that do not match the configured format are rejects",
    ),
    "apache.error": Coverage(
        variants="Apache 2.4 (`[module:level] [pid:tid] [client ip:port]`, optional file and APR error parts) "
        "and 2.2 error logs; multi-line records (PHP stack traces via proxy_fcgi); `AH01071` PHP messages",
        not_read="custom `ErrorLogFormat` with ISO times; the basic-auth user is not put in `user.name`",
    ),
    "nginx.error": Coverage(
        variants="nginx error log with `client:`, `server:`, `request:`, `upstream:`, `host:`, `referrer:` "
        "context; multi-line records (PHP-FPM stderr)",
        not_read="lines cut at nginx's 2048-byte limit are not flagged as cut; the basic-auth user is not "
        "put in `user.name`",
    ),
    "iis.w3c": Coverage(
        variants="IIS W3C extended log, any `#Fields:` header, headers changing mid-file, lines read with an "
        "earlier header of the same count (tagged); `+` for spaces in the user agent",
        not_read="values holding spaces (count mismatch: rejected); quoted-value W3C variants (IIS Advanced "
        "Logging, Incapsula, Oracle Web Cache); `cs-uri` and `s-reason` go to labels only; FTP W3C logs are "
        "read as HTTP",
    ),
    "haproxy.http": Coverage(
        variants="`option httplog` through syslog (RFC 3164, RFC 5424, ISO) or raw; extra `log-format` tokens "
        "after the server (labels); captured headers; `option tcplog` and service messages as `log_message`",
        not_read="`option httpslog` (2.5+) and custom `log-format` layouts become plain messages; lines of "
        "other programs are rejects",
    ),
    # -- load balancers, CDNs, proxies -------------------------------------------------------
    "aws.alb": Coverage(
        variants="Application Load Balancer access log of every field generation (from the 2016 lines ending "
        "at `trace_id` to today's, desync classification and request transforms included): http, https, h2, "
        "grpcs, ws, wss; "
        "Lambda and unrouted requests (`-` target, `-1` times); unreadable requests (`- http://...:80- -`); "
        "quotes inside the user agent",
        not_read="Network Load Balancer TLS logs and ALB connection / health-check logs; fields AWS adds after "
        "`request_transform_status` are not split (kept whole in labels)",
    ),
    "aws.elb": Coverage(
        variants="Classic Load Balancer access log, HTTP/HTTPS listeners (with or without the user agent and "
        "TLS fields), TCP/SSL listeners (`- - - `: connections as `log_message`)",
        not_read="no known variant left out (other layouts are rejects)",
    ),
    "aws.cloudfront": Coverage(
        variants="CloudFront standard (legacy) access log: `#Version`/`#Fields` headers, tab-separated, any "
        "field selection or older field set; URL-encoded values decoded for display (raw kept)",
        not_read="standard logging v2 JSON and Parquet outputs, real-time logs; a `#Fields:` header without "
        "any `x-edge-*` field (IIS-like files) is refused",
    ),
    "caddy.access": Coverage(
        variants="Caddy 2 JSON access log (`http.log.access`), every `time_format` (Unix s/ms/ns, ISO 8601, "
        "`wall`, `common_log`), `duration` in seconds, nanoseconds or Go duration text; Caddy 2.0-2.4 "
        "`remote_addr`; `http.log.error` entries as `server_error`, runtime entries as `log_message`",
        not_read="Caddy's `console` (text) encoder and custom encoders (`transform`, `filter` renaming "
        "fields); request and response headers other than User-Agent, Referer, X-Forwarded-For, X-Real-Ip, "
        "Authorization stay in `event.original`",
    ),
    "traefik.access": Coverage(
        variants="Traefik 1.7 to 3 access log: JSON (`accessLog.format = json`, with or without kept "
        "`request_*` headers) and the default Common Log Format variant (router, service URL, `Nms`)",
        not_read="custom `format` patterns of the CLF formatter; Traefik's own (non-access) log lines are "
        "rejects; `ServiceURL` (an object) is only in `event.original`",
    ),
    "cloudflare.http": Coverage(
        variants="Cloudflare Logpush `http_requests` dataset, JSON lines, any field selection, timestamps in "
        "`unixnano`, `unix` or `rfc3339`",
        not_read="other Logpush datasets (firewall events, DNS, Zero Trust...), CSV output; fields outside "
        "the documented list stay in `event.original`",
    ),
    # -- databases -----------------------------------------------------------------------
    "mariadb.audit": Coverage(
        variants="MariaDB `server_audit` plugin log (also with MySQL and Percona), file and syslog forms; "
        "CONNECT, QUERY, table events; queries cut at the log limit (tagged)",
        not_read="statements cut by a `server_audit_query_log_limit` other than the default, whose closing "
        "quote is written, are not flagged as truncated",
    ),
    "mysql.audit_json": Coverage(
        variants="MySQL Enterprise Audit JSON (array, records over several lines) and Percona `audit_log` JSON "
        "(one `audit_record` per line)",
        not_read="encrypted audit files (decrypt them first; gzip, bzip2 and xz are read as any file)",
    ),
    "mysql.audit_xml": Coverage(
        variants="Percona and MySQL Enterprise audit log XML, OLD (attributes) and NEW (elements) forms",
        not_read="encrypted audit files (decrypt them first)",
    ),
    "mysql.error": Coverage(
        variants="MySQL 8 and 5.7 (ISO, `Z` or offset), MariaDB 10.x and MySQL <= 5.6 (local time) error logs; "
        "access denied and aborted connections as connection events; multi-line records",
        not_read="MySQL 8's JSON error log (`log_sink_json`)",
    ),
    "mysql.general": Coverage(
        variants="MySQL/MariaDB general query log, MariaDB / MySQL 5.x style (blank timestamps carried) and "
        "MySQL >= 5.7 ISO style; multi-line SQL; sessions carried across rotated files",
        not_read="`Init DB` refusals are read as a query (the connect before it as a success)",
    ),
    "mysql.slow": Coverage(
        variants="MySQL, MariaDB and Percona slow query logs; `SET timestamp`, `# Time:` (naive or ISO), "
        "blocks without `# Time:`; every `Key: value` header kept",
        not_read="the microseconds of `# Time:` are dropped",
    ),
    "postgresql.log": Coverage(
        variants="PostgreSQL stderr log with the `log_line_prefix` of the config, or the common prefixes tried "
        "per file (`%m [%p] `, Debian's, pgBadger's...); multi-line statements; DETAIL/HINT/CONTEXT/STATEMENT "
        "attached; pgaudit; sessions carried from connection lines",
        not_read="several common prefixes (RDS `%t:%r:%u@%d:[%p]:`, `db=` before `user=`) are not inferred; "
        "SQLSTATE after the level (`log_error_verbosity = verbose`) defeats classification; syslog "
        "destination, pgbouncer and managed-service JSON wrappers",
    ),
    "postgresql.csv": Coverage(
        variants="PostgreSQL csvlog, 23 to 26 columns (12 to 14+), quoted multi-line messages; pgaudit",
        not_read="column counts outside 23 to 26",
    ),
    "postgresql.json": Coverage(
        variants="PostgreSQL 15+ jsonlog; pgaudit",
        not_read="managed-service JSON wrappers (Cloud SQL, CloudNativePG)",
    ),
    # -- system --------------------------------------------------------------------------
    "syslog": Coverage(
        variants="RFC 3164, RFC 5424 and rsyslog ISO headers; sshd, PAM, sudo, su, useradd/usermod/gpasswd, "
        "passwd/chpasswd mapped to actions; `message repeated N times`; every other line a `log_message`",
        not_read="sudo lines without a TTY are not `privilege_use`; old `sshd(pam_unix)` failures; macOS "
        "syslog with indented continuation lines; a file of RFC 5424 lines is not detected",
    ),
    # -- application ---------------------------------------------------------------------
    "csv": Coverage(
        variants="any CSV with a header line, RFC 4180 quoting (multi-line quoted fields), any delimiter and "
        "encoding, mapped by the case config",
        not_read="files without a header line; only chosen by the config",
    ),
    "jsonl": Coverage(
        variants="any JSON-lines log, nested keys reached with dotted names, mapped by the case config; the "
        "whole object kept in labels",
        not_read="JSON arrays or pretty-printed objects over several lines; only chosen by the config",
    ),
    "mediboard.applog": Coverage(
        variants="Mediboard `application.log` (Monolog line format) with context and extra JSON, multi-line "
        "messages, optional offset in the time",
        not_read="other Monolog formatters (JSON formatter output)",
    ),
    "mediboard.access_log": _dump("`access_log` table (hits per module action and period)"),
    "mediboard.datasource_log": _dump("`datasource_log` table, with or without the connection columns"),
    "mediboard.log_access_medical_data": _dump("`log_access_medical_data` table (record reads, rounded time)"),
    "mediboard.long_request_log": _dump("`long_request_log` table (slow requests with GET/POST parameters)"),
    "mediboard.module_action": _dump("`module_action` table (reference rows)"),
    "mediboard.object_class": _dump("`object_class` table (reference rows)"),
    "mediboard.user_action": _dump("`user_action` table with its `user_action_data` values (gzcompressed too)"),
    "mediboard.user_action_data": _dump("`user_action_data` table (reference rows)"),
    "mediboard.user_agent": _dump("`user_agent` table (reference rows)"),
    "mediboard.user_authentication": _dump("`user_authentication` table (logins, session ends, stateless API)"),
    "mediboard.user_authentication_error": _dump("`user_authentication_error` table (failed logins)"),
    "mediboard.user_log": _dump("`user_log` table (legacy change history)"),
    "mediboard.users": _dump("`users` table (accounts; password changes and locks as events)"),
}


def how_detected(cls: type[Parser], min_score: float) -> str:
    """How ``forensics detect`` recognises this format, read from the parser class itself."""
    if not cls.detectable:
        return f'never: named by the case config (`format = "{cls.name}"`) or `--format`'
    parts: list[str] = []
    if cls.filename_required and cls.filenames:
        shown = [p for p in cls.filenames if not p.endswith((".gz", ".bz2", ".xz"))]
        more = len(shown) - 3
        names = ", ".join(f"`{p}`" for p in shown[:3]) + (f" (+{more} more)" if more > 0 else "")
        parts.append(f"the file name matches {names}")
    custom_prefilter = cls.prefilter.__func__ is not Parser.prefilter.__func__  # type: ignore[attr-defined]
    if cls.literals:
        literals = " or ".join(f"`{lit.encode('unicode_escape').decode()}`" for lit in cls.literals)
        parts.append(
            f"the first 64 KiB hold {literals}" + (" (or the parser's own pre-check)" if custom_prefilter else "")
        )
    elif custom_prefilter:
        parts.append("the parser's own pre-check on the first 64 KiB")
    if cls.score is not Parser.score:
        doc = (cls.score.__doc__ or "its own score").strip().splitlines()[0].rstrip(".")
        parts.append(f"{doc[0].lower()}{doc[1:]}, at least {min_score:.0%} (the best score wins)")
    else:
        parts.append(f"at least {min_score:.0%} of the sampled records parse (the best score wins)")
    text = "; ".join(parts)
    if cls.generic:
        text += "; a catch-all: any specific format that also scores wins"
    return text
