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
        variants="common, combined, Debian `%O` combined, vhost_combined and bare-vhost prefixes, + `%D`/`%T` or `$request_time`, + quoted X-Forwarded-For, address-list prefixes (nginx `main`), mod_ssl `ssl_request_log`, mixed in one file; CLF or bracketed ISO 8601 times (nginx `$time_iso8601`) with `key=value` extras (`rt=`, `xff_in=`); a constant IP prefix read as the server; requests holding raw double quotes (attack payloads) read from both ends and tagged `line_irregular`; `host:port` and non-IP peers normalised (`source.port`, `labels.source.address`); any `LogFormat` or nginx `log_format` given in the config; a last field cut inside its quotes (kept, `line_malformed`)",
        not_read="custom layouts other than these shapes without their `log_format`; a lone IP prefix on a single line is taken as a forwarded client",
    ),
    "nginx.access": Coverage(
        variants="any `log_format` (pasted directive or text, `escape=json`), `$time_local`, `$time_iso8601`, `$msec`, `$request_time`, `$upstream_*`, `$http_*`, `$request_id`; the lenient raw-quote fallback; without a format, nginx `combined` and the `apache.access` variants",
        not_read="only chosen by the config (files without one are read as `apache.access`); lines that do not match the configured format are rejects",
    ),
    "apache.error": Coverage(
        variants="Apache 2.4 (`[module:level] [pid:tid] [client ip:port]`, optional file and APR error parts) and 2.2 error logs; `ErrorLogFormat` with ISO times (`%{cu}t`, `%{c}t`); multi-line records (PHP stack traces via proxy_fcgi); `AH01071` PHP messages; the basic-auth user in `user.name`",
        not_read="other `ErrorLogFormat` layouts without `[time] [module:level]`",
    ),
    "nginx.error": Coverage(
        variants="nginx error log with `client:`, `server:`, `request:`, `upstream:`, `host:`, `referrer:` context; multi-line records (PHP-FPM stderr); records cut at nginx's 2048-byte limit tagged `message_truncated` with what remains read field by field; the basic-auth user in `user.name`",
        not_read="nothing known",
    ),
    "iis.w3c": Coverage(
        variants="IIS W3C extended log, any `#Fields:` header, headers changing mid-file, lines read with an earlier header of the same count (tagged); `+` for spaces in the user agent; HTTPERR (`cs-uri` to `url.original`, `s-reason` to `event.reason`); quoted values (IIS Advanced Logging with `date-local`/`time-local`, Incapsula, Oracle Web Cache); raw spaces given back to the free-text field (`line_irregular`); Microsoft FTP W3C logs read as FTP (`iis_ftp`: login, login_failed, logout)",
        not_read="W3C files without a `#Fields:` line; lines with fewer values than fields",
    ),
    "haproxy.http": Coverage(
        variants="`option httplog` and `option httpslog` (2.5+) through syslog (RFC 3164, RFC 5424, ISO) or raw; extra `log-format` tokens after the server (labels); captured headers; any `log-format` given as `log_format` in the config; `option tcplog` and service messages as `log_message`",
        not_read="custom `log-format` layouts without the config become messages; a `log-format` without `%t`/`%tr` is rejected with a reason; lines of other programs are rejects",
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
        variants="MariaDB `server_audit` plugin log (also with MySQL and Percona), file and syslog forms; CONNECT, QUERY, table events; a query of exactly `server_audit_query_log_limit` bytes (source option, default 1024) tagged `query_truncated`",
        not_read="a limit other than the one configured is not known from the file alone",
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
        variants="MySQL/MariaDB general query log, MariaDB / MySQL 5.x style (blank timestamps carried) and MySQL >= 5.7 ISO style; multi-line SQL; sessions carried across rotated files; `Init DB` refusals (`Access denied ... to database`) as `db_connect_failed` for that database, the connect before it a failure",
        not_read="nothing known",
    ),
    "mysql.slow": Coverage(
        variants="MySQL, MariaDB and Percona slow query logs; `SET timestamp`, `# Time:` (naive or ISO), blocks without `# Time:`; every `Key: value` header kept; the start to the microsecond from MySQL's `# Time:` minus `Query_time` when it falls in the `SET timestamp` second (`start_from_time_header`)",
        not_read="nothing known",
    ),
    "postgresql.log": Coverage(
        variants="PostgreSQL stderr log with the `log_line_prefix` of the config, or one of 30 common prefixes inferred per file and shown by `forensics detect` and the manifest (pgBadger's with `user=`/`db=` in either order, `%m [%p] user=%u,db=%d `, AWS RDS `%t:%r:%u@%d:[%p]:`, Debian `%m [%p] %q%u@%d `...); `log_error_verbosity = verbose` SQLSTATE kept in `error.code`; TAB continuations and DETAIL/HINT/CONTEXT/QUERY/STATEMENT/LOCATION lines attached; a line in another known prefix read with it (`log_line_prefix_mismatch`); pgaudit; sessions carried from connection lines",
        not_read="an unknown prefix without the config (rejected with a reason); interleaved multi-backend lines",
    ),
    "postgresql.csv": Coverage(
        variants="PostgreSQL csvlog, 23 to 26 columns (12 to 14+), quoted multi-line messages; pgaudit",
        not_read="column counts outside 23 to 26",
    ),
    "postgresql.json": Coverage(
        variants="PostgreSQL 15+ jsonlog; pgaudit",
        not_read="nothing known (managed-service wrappers are `postgresql.cloudsql` and `postgresql.cnpg`)",
    ),
    "postgresql.syslog": Coverage(
        variants="PostgreSQL with `log_destination = syslog`: BSD, ISO and RFC 5424 headers, Heroku logplex (`app[postgres.N]: [COLOR]`); the `[N-k]` parts joined back (rsyslog `#011` tabs, DETAIL parts, length splits)",
        not_read="`syslog_sequence_numbers = off`; interleaved parts of different processes",
    ),
    "postgresql.cloudsql": Coverage(
        variants="Google Cloud SQL LogEntry lines with a `textPayload` read as stderr lines",
        not_read="`jsonPayload`; DETAIL sent as its own entry (rejected); one-JSON-array exports; non-PostgreSQL entries (rejected)",
    ),
    "postgresql.cnpg": Coverage(
        variants="CloudNativePG JSON: the postgres and pgaudit loggers; other loggers as `log_message`",
        not_read="Kubernetes CRI-prefixed lines; epoch `ts`",
    ),
    "pgbouncer.log": Coverage(
        variants="PgBouncer 1.x logs with `[pid]` or a bare pid, client (C-) and server (S-) lines; a refused login counted once with the database asked for",
        not_read="PgBouncer writing to syslog",
    ),
    # -- system --------------------------------------------------------------------------
    "syslog": Coverage(
        variants="RFC 3164, RFC 5424 (also bare, without `: `) and rsyslog ISO headers; macOS indented continuation lines; sshd (also the old `sshd(pam_unix)` failure form), PAM, sudo (with or without a TTY), su, useradd/usermod/gpasswd, passwd/chpasswd mapped to actions; `message repeated N times`; every other line a `log_message`",
        not_read="nothing known",
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
