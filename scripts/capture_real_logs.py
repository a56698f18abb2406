#!/usr/bin/env python3
"""Capture real log output from nginx, Apache httpd, MariaDB and PostgreSQL.

Run through scripts/capture_real_logs.sh (it installs the Debian packages
first).  Every server is started by hand, from configuration files written
into a scratch folder, listening on 127.0.0.1 only.  A scripted workload is
then driven against them with curl, the mariadb client and psql; every
request, login and statement is recorded in a ledger *by the workload
itself*.  The servers are stopped, the logs are copied to
tests/data/real/<server>-<version>/ and each folder gets a capture.json
whose expected counts come from that ledger, never from reading the logs.

Only the Python standard library is used.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_WORKDIR = Path("/tmp/forensic-timeline-capture")
# Servers log in local time; a zone with a non-zero offset makes the
# captured timestamps exercise the parsers' offset handling.
SERVER_TZ = "Europe/Paris"
LOOPBACK = "127.0.0.1"
# A second loopback address used as the "attacker" source.  Linux routes
# the whole of 127.0.0.0/8 to lo, so curl --interface can bind to it.
ATTACKER_IP = "127.0.0.23"

# ---------------------------------------------------------------------------
# Invented data shared by all workloads
# ---------------------------------------------------------------------------
UA_BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
UA_XSS = 'Mozilla/5.0 "><script>alert(1)</script>'
UA_BACKSLASH = 'Scanner\\1.0 (path C:\\temp) "quoted"'
UA_UTF8 = "Navigateur-Privé/2.0 (Zoë)"
UA_SQLMAP = "sqlmap/1.7.2#stable (https://sqlmap.org)"
UA_MONITOR = "check_http/v2.3.3 (monitoring-plugins 2.3.3)"

HOSTILE_PATH_XSS = "/search?q=<script>alert(1)</script>"
HOSTILE_PATH_QUOTE = '/search?q=say+"hello"&x=1'
HOSTILE_PATH_LATIN1 = "/search?q=caf%E9"  # latin-1 byte, percent-encoded
HOSTILE_PATH_UTF8_QUERY = "/search?q=café"  # raw UTF-8 bytes on the wire
HOSTILE_PATH_UTF8_RAW = "/café/menu.html"  # raw UTF-8 in the path (raw socket)
HOSTILE_PATH_TRAVERSAL = "/static/..%2f..%2f..%2fetc%2fpasswd"
LONG_QUERY_VALUE = "0123456789" * 500  # exactly 5,000 characters
HOSTILE_PATH_LONG = "/search?q=" + LONG_QUERY_VALUE
# The first bytes of a TLS ClientHello sent to a plain HTTP port.
TLS_GARBAGE = bytes.fromhex("160301020001000200030300") + b"\x00" * 4 + b"\r\n\r\n"

BASIC_USER = "alice"
BASIC_PASSWORD = "Winter2026!"
BASIC_UNKNOWN_USER = "mallory"
BASIC_QUOTED_USER = 'bob"smith'
POST_BODY = "username=admin&password=hunter2&remember=on"

SPOOFED_XFF = "203.0.113.7"
SPOOFED_XFF_CHAIN = "198.51.100.99, 192.0.2.44"

FIRST_NAMES = [
    "Alice",
    "Bruno",
    "Chloé",
    "Dmitri",
    "Élodie",
    "Farid",
    "Greta",
    "Hiroshi",
    "Inès",
    "José",
    "Kateřina",
    "Liam",
    "Maëlle",
    "Nuno",
    "Oona",
    "Pádraig",
    "Quentin",
    "Renée",
    "Søren",
    "Zoë",
]
LAST_NAMES = [
    "Anderson",
    "Bernard",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fischer",
    "García",
    "Hansen",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lefèvre",
    "Müller",
    "Nakamura",
    "O'Brien",
    "Peña",
    "Quinn",
    "Rossi",
    "Schröder",
    "Tanaka",
]
DIAGNOSES = [
    "hypertension",
    "asthma",
    "type 2 diabetes",
    "migraine",
    "fracture, left wrist",
    "influenza",
    "anemia",
    "eczema",
]
STEP_PAUSE = 1.1  # seconds between database workload steps
PATIENT_ROWS = 2400  # bulk select must return at least ~2,000 rows
PAGE_SIZE = 50
PAGES = 12

DB_APP_USER = "clinic_app"
DB_APP_PASSWORD = "Cl1nic-App-2026"
DB_NAME = "clinic"
DB_AUDITOR = "auditor"
DB_AUDITOR_PW1 = "Audit-First-1"
DB_AUDITOR_PW2 = "Audit-Second-2"
DB_WRONG_PASSWORDS = ["password", "clinic", "Cl1nic-App-2025"]
DB_UNKNOWN_USERS = ["mallory", "admin"]

STARTED: list[tuple[str, callable]] = []  # (name, stop function), newest last


def log(msg: str) -> None:
    print(f"[capture {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def utcnow() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def run(cmd, *, check=True, env=None, input=None, user=None, capture=True, timeout=120) -> subprocess.CompletedProcess:
    """Run a command (optionally as another user) and return the result."""
    if user is not None:
        cmd = ["runuser", "-u", user, "--", *list(cmd)]
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    res = subprocess.run(
        cmd,
        env=full_env,
        input=input,
        timeout=timeout,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.PIPE if capture else None,
    )
    if check and res.returncode != 0:
        out = (res.stdout or b"").decode(errors="replace")
        err = (res.stderr or b"").decode(errors="replace")
        raise RuntimeError(f"command failed ({res.returncode}): {cmd}\n{out}\n{err}")
    return res


def free_port(taken: set[int]) -> int:
    """Ask the kernel for a free TCP port on 127.0.0.1."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((LOOPBACK, 0))
            port = s.getsockname()[1]
        if port not in taken:
            taken.add(port)
            return port


def wait_for(predicate, what: str, timeout: float = 60.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise RuntimeError(f"timed out waiting for {what}")


PROBES: Counter = Counter()  # readiness-probe connections that reached a server


def port_open(port: int) -> bool:
    """Connect and close without sending anything.  nginx logs each such
    connection at info level, so successful probes are counted."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        ok = s.connect_ex((LOOPBACK, port)) == 0
    if ok:
        PROBES[port] += 1
    return ok


def render(template: str, **values) -> str:
    """Replace @NAME@ tokens (so that nginx/Apache braces stay untouched)."""
    out = template
    for key, val in values.items():
        out = out.replace(f"@{key}@", str(val))
    leftover = re.findall(r"@[A-Z_]+@", out)
    if leftover:
        raise ValueError(f"unreplaced tokens: {leftover}")
    return out


def write(path: Path, text: str | bytes, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    path.chmod(mode)


def pkg_version(name: str) -> str | None:
    res = run(["dpkg-query", "-W", "-f=${Version}", name], check=False)
    return res.stdout.decode().strip() or None if res.returncode == 0 else None


def os_release() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.platform()


def kill_pidfile(pidfile: Path, sig=signal.SIGTERM, timeout=30.0) -> None:
    """Signal the process whose pid is in pidfile and wait for it to exit."""
    if not pidfile.exists():
        return
    try:
        pid = int(pidfile.read_text().split()[0])
    except (ValueError, IndexError):
        return
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return

    def gone() -> bool:
        try:
            os.kill(pid, 0)
            return False
        except ProcessLookupError:
            return True

    wait_for(gone, f"pid {pid} to exit", timeout)


# ---------------------------------------------------------------------------
# HTTP ledger and client
# ---------------------------------------------------------------------------
class HttpLedger:
    """Everything the HTTP workload sent, one dict per request."""

    def __init__(self):
        self.requests: list[dict] = []
        self.steps: list[dict] = []
        self.phase = 1  # nginx access.log generation (1 = oldest)

    def step(self, text: str) -> None:
        self.steps.append(
            {
                "step": len(self.steps) + 1,
                "description": text,
                "nginx_log_phase": self.phase,
                "first_request": len(self.requests) + 1,
            }
        )


class Http:
    def __init__(self, ledger: HttpLedger, ports: dict[str, int]):
        self.ledger = ledger
        self.ports = ports

    def curl(
        self,
        target: str,
        path: str,
        *,
        status: int,
        method: str = "GET",
        ua: str | None = UA_BROWSER,
        user: str | None = None,
        password: str | None = None,
        xff: str | None = None,
        source: str = LOOPBACK,
        body: str | None = None,
        referer: str | None = None,
        http10: bool = False,
        note: str = "",
    ) -> dict:
        """Send one request with curl and record it.

        The URL is handed to curl exactly as it must appear on the wire:
        curl keeps %XX escapes, quotes and angle brackets as they are and
        sends raw UTF-8 in the query string unchanged (--path-as-is -g).
        """
        port = self.ports[target]
        cmd = [
            "curl",
            "-sS",
            "--path-as-is",
            "-g",
            "--max-time",
            "15",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--interface",
            source,
        ]
        if http10:
            cmd.append("-0")
        if method == "HEAD":
            cmd.append("-I")
        elif method != "GET" or body is not None:
            cmd += ["-X", method]
        # -A '' makes curl drop the header; record what the server receives.
        cmd += ["-A", ua if ua is not None else ""]
        if referer:
            cmd += ["-e", referer]
        if user is not None:
            cmd += ["-u", f"{user}:{password}"]
        if xff is not None:
            cmd += ["-H", f"X-Forwarded-For: {xff}"]
        if body is not None:
            cmd += ["-H", "Content-Type: application/x-www-form-urlencoded", "--data-binary", body]
        cmd.append(f"http://{LOOPBACK}:{port}{path}")
        res = run(cmd, check=False)
        got = res.stdout.decode().strip()
        if res.returncode != 0 or got != str(status):
            raise RuntimeError(
                f"{method} {target}{path}: expected {status}, got "
                f"{got!r} (curl rc {res.returncode}: "
                f"{res.stderr.decode(errors='replace')})"
            )
        return self._record(
            target,
            method,
            path,
            "HTTP/1.0" if http10 else "HTTP/1.1",
            status,
            ua,
            user,
            xff,
            source,
            body,
            referer,
            note,
            client="curl",
        )

    def raw(
        self,
        target: str,
        payload: bytes,
        *,
        status: int,
        source: str = LOOPBACK,
        note: str = "",
        request_line: str | None = None,
    ) -> dict:
        """Send raw bytes on a socket (for what curl will not send)."""
        port = self.ports[target]
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(15)
            s.bind((source, 0))
            s.connect((LOOPBACK, port))
            s.sendall(payload)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        first = data.split(b"\r\n", 1)[0].decode("latin-1")
        got = first.split(" ")[1] if first.startswith("HTTP/") else first
        if got != str(status):
            raise RuntimeError(f"raw request to {target}: expected {status}, got {first!r}")
        rec = self._record(
            target, None, None, None, status, None, None, None, source, None, None, note, client="raw-socket"
        )
        rec["raw_bytes_hex"] = payload.hex()
        rec["request_line_sent"] = request_line
        return rec

    def _record(
        self, target, method, path, protocol, status, ua, user, xff, source, body, referer, note, client
    ) -> dict:
        proxied = target == "nginx_proxy"
        rec = {
            "n": len(self.ledger.requests) + 1,
            "time_utc": utcnow(),
            "target": target,
            "client": client,
            "source_ip": source,
            "method": method,
            "request_target": path,
            "protocol": protocol,
            "request_line_sent": (f"{method} {path} {protocol}" if method else None),
            "status": status,
            "user_agent": ua if ua not in (None, "") else None,
            "referer": referer,
            "basic_auth_user": user,
            "xff_sent_by_client": xff,
            "body": body,
            "nginx_log_phase": self.ledger.phase if target.startswith("nginx") else None,
            "note": note,
        }
        if proxied or target == "apache_remoteip":
            # What Apache's RemoteIP vhost receives and what mod_remoteip
            # should make of it (RemoteIPTrustedProxy 127.0.0.1).
            if proxied:
                header = f"{xff}, {source}" if xff else source
                peer = LOOPBACK
            else:
                header = xff
                peer = source
            rec["xff_received_by_apache"] = header
            rec["apache_peer_ip"] = peer
            resolved, remaining = remoteip_trusted_proxy(peer, header, [LOOPBACK])
            rec["expected_apache_client_ip"] = resolved
            rec["expected_apache_xff_after_remoteip"] = remaining
        self.ledger.requests.append(rec)
        return rec


def _is_internal_v4(ip: str) -> bool:
    """The ranges mod_remoteip refuses as a client when the proxy is only
    *trusted* (RemoteIPTrustedProxy), not *internal*."""
    try:
        a, b, *_ = (int(x) for x in ip.split("."))
    except ValueError:
        return False
    return a in (10, 127) or (a == 172 and 16 <= b <= 31) or (a == 192 and b == 168) or (a == 169 and b == 254)


def remoteip_trusted_proxy(peer: str, header: str | None, trusted: list[str]) -> tuple[str, str | None]:
    """Expected (client ip, remaining header) per mod_remoteip's documented
    rules for RemoteIPTrustedProxy: walk the header right to left while the
    current hop is a trusted proxy; an RFC 1918 / loopback / link-local
    address reported by a merely trusted proxy is refused and stops the
    walk; the entries consumed are removed from the header."""
    if not header:
        return peer, header
    entries = [e.strip() for e in header.split(",")]
    current = peer
    while entries and current in trusted:
        candidate = entries[-1]
        if _is_internal_v4(candidate):
            break
        current = candidate
        entries.pop()
    remaining = ", ".join(entries) if entries else None
    return current, remaining


# ---------------------------------------------------------------------------
# nginx + Apache
# ---------------------------------------------------------------------------
NGINX_COMBINED = (
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"'
)
NGINX_MAIN = (
    '$remote_addr - $remote_user [$time_local] "$request" '
    '$status $body_bytes_sent "$http_referer" '
    '"$http_user_agent" "$http_x_forwarded_for"'
)

NGINX_CONF = r"""
# Written by scripts/capture_real_logs.py -- loopback only.
user www-data;
worker_processes 1;
pid @D@/run/nginx.pid;
error_log @D@/logs/error.log info;

events {
    worker_connections 64;
}

http {
    types {
        text/html html;
        text/plain txt;
    }
    default_type application/octet-stream;
    server_tokens on;
    keepalive_timeout 5;
    client_body_temp_path @D@/tmp/client_body;
    proxy_temp_path @D@/tmp/proxy;
    fastcgi_temp_path @D@/tmp/fastcgi;
    uwsgi_temp_path @D@/tmp/uwsgi;
    scgi_temp_path @D@/tmp/scgi;

    # "combined" is predefined by nginx:
    #   @COMBINED@
    log_format main '$remote_addr - $remote_user [$time_local] "$request" '
                    '$status $body_bytes_sent "$http_referer" '
                    '"$http_user_agent" "$http_x_forwarded_for"';

    access_log @D@/logs/access.log combined;
    access_log @D@/logs/access_main.log main;

    # The web site itself.
    server {
        listen 127.0.0.1:@ORIGIN_PORT@;
        server_name www.clinic.test;
        root @D@/www;

        location /private/ {
            auth_basic "Staff only";
            auth_basic_user_file @D@/htpasswd;
        }
        location = /api/login {
            default_type application/json;
            return 200 '{"ok":true}\n';
        }
    }

    # Reverse proxy in front of Apache (the mod_remoteip vhost).
    server {
        listen 127.0.0.1:@PROXY_PORT@;
        server_name proxy.clinic.test;

        location / {
            proxy_pass http://127.0.0.1:@APACHE_REMOTEIP_PORT@;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Real-IP $remote_addr;
        }
    }
}
"""

APACHE_FORMATS = {
    # Upstream Apache's combined (uses %b: "-" when no body was sent).
    "combined": r"%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"",
    # Debian's apache2.conf defines combined with %O (bytes sent incl. headers).
    "debian_combined": r"%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"",
    # Debian's vhost_combined, used for other_vhosts_access.log.
    "vhost_combined": r"%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"",
    # Custom: response time in microseconds and the raw X-Forwarded-For.
    "timed_xff": r"%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\" %D \"%{X-Forwarded-For}i\"",
    # mod_remoteip vhost: %a = client per RemoteIP, %{c}a = TCP peer (the proxy).
    "remoteip": r"%a %{c}a %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\" \"%{X-Forwarded-For}i\"",
}

APACHE_CONF = r"""
# Written by scripts/capture_real_logs.py -- loopback only.
ServerRoot "@D@"
ServerName localhost
Listen 127.0.0.1:@MAIN_PORT@
Listen 127.0.0.1:@REMOTEIP_PORT@
PidFile @D@/run/apache2.pid
DefaultRuntimeDir @D@/run
Mutex file:@D@/run default
User www-data
Group www-data
Timeout 10
KeepAlive On
KeepAliveTimeout 5
HostnameLookups Off
ServerTokens OS
AccessFileName .htaccess

LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authn_core_module /usr/lib/apache2/modules/mod_authn_core.so
LoadModule authn_file_module /usr/lib/apache2/modules/mod_authn_file.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule authz_host_module /usr/lib/apache2/modules/mod_authz_host.so
LoadModule authz_user_module /usr/lib/apache2/modules/mod_authz_user.so
LoadModule auth_basic_module /usr/lib/apache2/modules/mod_auth_basic.so
LoadModule alias_module /usr/lib/apache2/modules/mod_alias.so
LoadModule dir_module /usr/lib/apache2/modules/mod_dir.so
LoadModule mime_module /usr/lib/apache2/modules/mod_mime.so
LoadModule cgid_module /usr/lib/apache2/modules/mod_cgid.so
LoadModule remoteip_module /usr/lib/apache2/modules/mod_remoteip.so

StartServers 1
ServerLimit 2
ThreadsPerChild 10
MaxRequestWorkers 20
MinSpareThreads 5
MaxSpareThreads 20
ScriptSock @D@/run/cgisock

TypesConfig @D@/mime.types
AddType text/html .html
AddType text/plain .txt
DirectoryIndex index.html

ErrorLog @D@/logs/error.log
LogLevel info

LogFormat "@FMT_COMBINED@" combined
LogFormat "@FMT_DEBIAN_COMBINED@" debian_combined
LogFormat "@FMT_VHOST_COMBINED@" vhost_combined
LogFormat "@FMT_TIMED_XFF@" timed_xff
LogFormat "@FMT_REMOTEIP@" remoteip

<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory @D@/www>
    Options None
    AllowOverride None
    Require all granted
</Directory>
<Directory @D@/www/broken-htaccess>
    AllowOverride All
</Directory>
<Directory @D@/cgi-bin>
    Options +ExecCGI
    SetHandler cgi-script
    Require all granted
</Directory>
<Location /private/>
    AuthType Basic
    AuthName "Staff only"
    AuthBasicProvider file
    AuthUserFile @D@/htpasswd
    Require valid-user
</Location>
<Location /forbidden/>
    Require all denied
</Location>

<VirtualHost 127.0.0.1:@MAIN_PORT@>
    ServerName www.clinic.test
    DocumentRoot @D@/www
    ScriptAlias /cgi-bin/ @D@/cgi-bin/
    CustomLog @D@/logs/access.log combined
    CustomLog @D@/logs/access_debian_combined.log debian_combined
    CustomLog @D@/logs/access_timed_xff.log timed_xff
    CustomLog @D@/logs/other_vhosts_access.log vhost_combined
</VirtualHost>

<VirtualHost 127.0.0.1:@REMOTEIP_PORT@>
    ServerName app.clinic.test
    DocumentRoot @D@/www
    ScriptAlias /cgi-bin/ @D@/cgi-bin/
    RemoteIPHeader X-Forwarded-For
    RemoteIPTrustedProxy 127.0.0.1
    CustomLog @D@/logs/remoteip_access.log remoteip
    CustomLog @D@/logs/other_vhosts_access.log vhost_combined
</VirtualHost>
"""

LOGIN_CGI = """#!/bin/sh
# Reads the POST body and answers 200.
if [ -n "${CONTENT_LENGTH:-}" ]; then
    head -c "$CONTENT_LENGTH" >/dev/null
fi
printf 'Content-Type: text/plain\\r\\n\\r\\nlogin received\\n'
"""

BROKEN_CGI = """#!/bin/sh
# Fails before sending any header: Apache answers 500.
echo "reporting backend: could not connect to database clinic" >&2
echo "giving up after 3 attempts" >&2
exit 1
"""


def setup_web_docroot(d: Path) -> None:
    www = d / "www"
    write(www / "index.html", "<html><body><h1>Clinic</h1></body></html>\n")
    write(www / "robots.txt", "User-agent: *\nDisallow: /private/\n")
    write(www / "search", "search results\n")  # so /search?q=... is a 200
    write(www / "private" / "index.html", "<html><body>staff area</body></html>\n")
    write(www / "private" / "records.html", "<html><body>records</body></html>\n")
    write(www / "forbidden" / "index.html", "never served\n")
    write(www / "broken-htaccess" / "index.html", "never served\n")
    write(www / "broken-htaccess" / ".htaccess", "RewriteEngine On\nBogusDirective on\n")
    write(www / "café" / "menu.html", "<html><body>menu</body></html>\n")
    write(d / "mime.types", "# types are set with AddType in apache2.conf\n")
    write(d / "cgi-bin" / "login.cgi", LOGIN_CGI, 0o755)
    write(d / "cgi-bin" / "broken.cgi", BROKEN_CGI, 0o755)
    run(["htpasswd", "-cbm", str(d / "htpasswd"), BASIC_USER, BASIC_PASSWORD])
    (d / "htpasswd").chmod(0o644)
    for sub in ("logs", "run", "tmp"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    # Servers drop to www-data: everything readable, nothing writable.
    for p in [d, *d.rglob("*")]:
        if p.is_dir():
            p.chmod(0o755)


def start_nginx(d: Path, ports: dict[str, int]) -> None:
    conf = render(
        NGINX_CONF,
        D=d,
        ORIGIN_PORT=ports["nginx_origin"],
        PROXY_PORT=ports["nginx_proxy"],
        COMBINED=NGINX_COMBINED,
        APACHE_REMOTEIP_PORT=ports["apache_remoteip"],
    )
    write(d / "nginx.conf", conf)
    base = ["nginx", "-p", f"{d}/", "-c", str(d / "nginx.conf"), "-e", str(d / "logs/error.log")]
    run([*base, "-t"])
    run(base, env={"TZ": SERVER_TZ})
    STARTED.append(("nginx", lambda: kill_pidfile(d / "run/nginx.pid", signal.SIGQUIT)))
    wait_for(lambda: port_open(ports["nginx_origin"]) and port_open(ports["nginx_proxy"]), "nginx ports")


def start_apache(d: Path, ports: dict[str, int]) -> None:
    conf = render(
        APACHE_CONF,
        D=d,
        MAIN_PORT=ports["apache_main"],
        REMOTEIP_PORT=ports["apache_remoteip"],
        FMT_COMBINED=APACHE_FORMATS["combined"],
        FMT_DEBIAN_COMBINED=APACHE_FORMATS["debian_combined"],
        FMT_VHOST_COMBINED=APACHE_FORMATS["vhost_combined"],
        FMT_TIMED_XFF=APACHE_FORMATS["timed_xff"],
        FMT_REMOTEIP=APACHE_FORMATS["remoteip"],
    )
    write(d / "apache2.conf", conf)
    env = {"TZ": SERVER_TZ, "LANG": "C"}
    run(["apache2", "-f", str(d / "apache2.conf"), "-t"], env=env)
    run(["apache2", "-f", str(d / "apache2.conf"), "-k", "start"], env=env)

    def stop():
        run(["apache2", "-f", str(d / "apache2.conf"), "-k", "stop"], env=env, check=False)
        wait_for(lambda: not (d / "run/apache2.pid").exists(), "apache to stop", 30)

    STARTED.append(("apache2", stop))
    wait_for(lambda: port_open(ports["apache_main"]) and port_open(ports["apache_remoteip"]), "apache ports")


def rotate_nginx_access(d: Path, ledger: HttpLedger) -> list[str]:
    """logrotate-style (delaycompress): access.log -> .1, .1 -> .2.gz; USR1."""
    time.sleep(1.2)  # let the last request be logged, and separate the seconds
    logs = d / "logs"
    done = []
    if (logs / "access.log.1").exists():
        with open(logs / "access.log.1", "rb") as src, gzip.open(logs / "access.log.2.gz", "wb") as dst:
            shutil.copyfileobj(src, dst)
        (logs / "access.log.1").unlink()
        done.append("access.log.1 -> access.log.2.gz")
    (logs / "access.log").rename(logs / "access.log.1")
    done.append("access.log -> access.log.1")
    kill_pidfile_signal(d / "run/nginx.pid", signal.SIGUSR1)
    time.sleep(1.2)
    ledger.phase += 1
    return done


def kill_pidfile_signal(pidfile: Path, sig) -> None:
    os.kill(int(pidfile.read_text().split()[0]), sig)


def http_workload(http: Http, ledger: HttpLedger, nginx_dir: Path) -> list[str]:
    """The whole HTTP side.  Returns the rotation actions performed."""
    rotations: list[str] = []
    A = ATTACKER_IP

    # ---- phase 1: ends up in nginx access.log.2.gz -----------------------
    ledger.step("nginx: a staff member opens the site (/, robots.txt)")
    http.curl("nginx_origin", "/", status=200)
    http.curl("nginx_origin", "/robots.txt", status=200, referer="http://www.clinic.test/")
    ledger.step("nginx: monitoring probe with HEAD over HTTP/1.0")
    http.curl("nginx_origin", "/", method="HEAD", status=200, ua=UA_MONITOR, http10=True)
    ledger.step("nginx: scanner from the attacker address probes for a CMS (404)")
    http.curl("nginx_origin", "/wp-login.php", status=404, ua=UA_SQLMAP, source=A)
    rotations += rotate_nginx_access(nginx_dir, ledger)

    # ---- phase 2: ends up in nginx access.log.1 --------------------------
    ledger.step(
        "nginx: HTTP basic auth on /private/: no credentials, unknown user, "
        "a user name containing a double quote, 3 wrong passwords, then success"
    )
    http.curl("nginx_origin", "/private/", status=401, source=A)
    http.curl("nginx_origin", "/private/", status=401, source=A, user=BASIC_UNKNOWN_USER, password="letmein")
    http.curl("nginx_origin", "/private/", status=401, source=A, user=BASIC_QUOTED_USER, password="x")
    for pw in ("winter2026", "Winter2025!", "Summer2026!"):
        http.curl("nginx_origin", "/private/", status=401, source=A, user=BASIC_USER, password=pw)
    http.curl("nginx_origin", "/private/records.html", status=200, source=A, user=BASIC_USER, password=BASIC_PASSWORD)
    ledger.step("nginx: hostile User-Agents (XSS + double quote, backslashes, raw UTF-8, none)")
    http.curl("nginx_origin", "/", status=200, ua=UA_XSS, source=A)
    http.curl("nginx_origin", "/", status=200, ua=UA_BACKSLASH, source=A)
    http.curl("nginx_origin", "/", status=200, ua=UA_UTF8, source=A)
    http.curl("nginx_origin", "/", status=200, ua=None, source=A, note="no User-Agent header")
    ledger.step(
        "nginx: hostile URLs (XSS, double quote, %E9, raw UTF-8 query, encoded traversal, 5,000-char query string)"
    )
    http.curl("nginx_origin", HOSTILE_PATH_XSS, status=200, ua=UA_SQLMAP, source=A)
    http.curl("nginx_origin", HOSTILE_PATH_QUOTE, status=200, ua=UA_SQLMAP, source=A)
    http.curl("nginx_origin", HOSTILE_PATH_LATIN1, status=200, ua=UA_SQLMAP, source=A)
    http.curl("nginx_origin", HOSTILE_PATH_UTF8_QUERY, status=200, ua=UA_SQLMAP, source=A)
    # nginx refuses a URI that climbs above the root after decoding: 400.
    http.curl("nginx_origin", HOSTILE_PATH_TRAVERSAL, status=400, ua=UA_SQLMAP, source=A)
    http.curl("nginx_origin", HOSTILE_PATH_LONG, status=200, ua=UA_SQLMAP, source=A)
    ledger.step("nginx: raw UTF-8 bytes in the path, sent on a raw socket")
    http.raw(
        "nginx_origin",
        f"GET {HOSTILE_PATH_UTF8_RAW} HTTP/1.1\r\nHost: www.clinic.test\r\n"
        f"User-Agent: {UA_SQLMAP}\r\nConnection: close\r\n\r\n".encode(),
        status=200,
        source=A,
        request_line=f"GET {HOSTILE_PATH_UTF8_RAW} HTTP/1.1",
    )
    ledger.requests[-1].update(
        method="GET", request_target=HOSTILE_PATH_UTF8_RAW, protocol="HTTP/1.1", user_agent=UA_SQLMAP
    )
    ledger.step("nginx: a TLS ClientHello sent to the plain-HTTP port (400)")
    http.raw("nginx_origin", TLS_GARBAGE, status=400, source=A)
    ledger.step("nginx: POST with a form body")
    http.curl("nginx_origin", "/api/login", method="POST", body=POST_BODY, status=200, ua=UA_SQLMAP, source=A)
    ledger.step("nginx: 404s")
    http.curl("nginx_origin", "/admin/config.php", status=404, ua=UA_SQLMAP, source=A)
    http.curl("nginx_origin", "/.env", status=404, ua=UA_SQLMAP, source=A)

    ledger.step("nginx proxy -> Apache (mod_remoteip vhost): normal request without XFF")
    http.curl("nginx_proxy", "/", status=200)
    ledger.step(
        "nginx proxy -> Apache: spoofed X-Forwarded-For sent by the client, "
        "from 127.0.0.1 and from the attacker address, single and chained"
    )
    http.curl("nginx_proxy", "/", status=200, xff=SPOOFED_XFF)
    http.curl("nginx_proxy", "/robots.txt", status=200, xff=SPOOFED_XFF, source=A, ua=UA_SQLMAP)
    http.curl("nginx_proxy", "/search?q=proxied", status=200, xff=SPOOFED_XFF_CHAIN, source=A, ua=UA_SQLMAP)
    ledger.step("nginx proxy -> Apache: basic auth success through the proxy, POST to a CGI, a 404 and a CGI 500")
    http.curl("nginx_proxy", "/private/", status=200, user=BASIC_USER, password=BASIC_PASSWORD, xff=SPOOFED_XFF)
    http.curl(
        "nginx_proxy",
        "/cgi-bin/login.cgi",
        method="POST",
        body=POST_BODY,
        status=200,
        source=A,
        ua=UA_SQLMAP,
        xff=SPOOFED_XFF,
    )
    http.curl("nginx_proxy", "/admin/config.php", status=404, source=A, ua=UA_SQLMAP)
    http.curl("nginx_proxy", "/cgi-bin/broken.cgi", status=500, source=A, ua=UA_SQLMAP)
    rotations += rotate_nginx_access(nginx_dir, ledger)

    # ---- phase 3: the live nginx access.log ------------------------------
    ledger.step("nginx: after the rotation, staff logs in again and browses")
    http.curl("nginx_origin", "/private/", status=200, user=BASIC_USER, password=BASIC_PASSWORD)
    http.curl("nginx_origin", "/", status=200, referer="http://www.clinic.test/private/")
    http.curl("nginx_origin", "/favicon.ico", status=404)

    # ---- Apache main vhost, direct ----------------------------------------
    ledger.step("apache: staff opens the site (/, robots.txt, HEAD over HTTP/1.0)")
    http.curl("apache_main", "/", status=200)
    http.curl("apache_main", "/robots.txt", status=200, referer="http://www.clinic.test/")
    http.curl("apache_main", "/", method="HEAD", status=200, ua=UA_MONITOR, http10=True)
    ledger.step(
        "apache: HTTP basic auth on /private/: no credentials, unknown user, "
        "a user name containing a double quote, 3 wrong passwords, then success"
    )
    http.curl("apache_main", "/private/", status=401, source=A)
    http.curl("apache_main", "/private/", status=401, source=A, user=BASIC_UNKNOWN_USER, password="letmein")
    http.curl("apache_main", "/private/", status=401, source=A, user=BASIC_QUOTED_USER, password="x")
    for pw in ("winter2026", "Winter2025!", "Summer2026!"):
        http.curl("apache_main", "/private/", status=401, source=A, user=BASIC_USER, password=pw)
    http.curl("apache_main", "/private/records.html", status=200, source=A, user=BASIC_USER, password=BASIC_PASSWORD)
    ledger.step("apache: hostile User-Agents (XSS + double quote, backslashes, raw UTF-8, none)")
    http.curl("apache_main", "/", status=200, ua=UA_XSS, source=A)
    http.curl("apache_main", "/", status=200, ua=UA_BACKSLASH, source=A)
    http.curl("apache_main", "/", status=200, ua=UA_UTF8, source=A)
    http.curl("apache_main", "/", status=200, ua=None, source=A, note="no User-Agent header")
    ledger.step(
        "apache: hostile URLs (XSS, double quote, %E9, raw UTF-8 query, encoded traversal, 5,000-char query string)"
    )
    http.curl("apache_main", HOSTILE_PATH_XSS, status=200, ua=UA_SQLMAP, source=A)
    http.curl("apache_main", HOSTILE_PATH_QUOTE, status=200, ua=UA_SQLMAP, source=A)
    http.curl("apache_main", HOSTILE_PATH_LATIN1, status=200, ua=UA_SQLMAP, source=A)
    http.curl("apache_main", HOSTILE_PATH_UTF8_QUERY, status=200, ua=UA_SQLMAP, source=A)
    http.curl("apache_main", HOSTILE_PATH_TRAVERSAL, status=404, ua=UA_SQLMAP, source=A)
    http.curl("apache_main", HOSTILE_PATH_LONG, status=200, ua=UA_SQLMAP, source=A)
    ledger.step("apache: raw UTF-8 bytes in the path, sent on a raw socket")
    http.raw(
        "apache_main",
        f"GET {HOSTILE_PATH_UTF8_RAW} HTTP/1.1\r\nHost: www.clinic.test\r\n"
        f"User-Agent: {UA_SQLMAP}\r\nConnection: close\r\n\r\n".encode(),
        status=200,
        source=A,
        request_line=f"GET {HOSTILE_PATH_UTF8_RAW} HTTP/1.1",
    )
    ledger.requests[-1].update(
        method="GET", request_target=HOSTILE_PATH_UTF8_RAW, protocol="HTTP/1.1", user_agent=UA_SQLMAP
    )
    ledger.step("apache: a TLS ClientHello sent to the plain-HTTP port (400)")
    http.raw("apache_main", TLS_GARBAGE, status=400, source=A)
    ledger.step("apache: POST with a form body to a CGI script")
    http.curl("apache_main", "/cgi-bin/login.cgi", method="POST", body=POST_BODY, status=200, ua=UA_SQLMAP, source=A)
    ledger.step(
        "apache: 404, 403 (Require all denied), 500 from a broken .htaccess, 500 from a CGI script that exits non-zero"
    )
    http.curl("apache_main", "/admin/config.php", status=404, ua=UA_SQLMAP, source=A)
    http.curl("apache_main", "/.env", status=404, ua=UA_SQLMAP, source=A)
    http.curl("apache_main", "/forbidden/", status=403, ua=UA_SQLMAP, source=A)
    http.curl("apache_main", "/broken-htaccess/", status=500, ua=UA_SQLMAP, source=A)
    http.curl("apache_main", "/cgi-bin/broken.cgi", status=500, ua=UA_SQLMAP, source=A)
    ledger.step("apache: X-Forwarded-For sent straight to the main vhost (no mod_remoteip)")
    http.curl("apache_main", "/", status=200, xff=SPOOFED_XFF, source=A, ua=UA_SQLMAP)
    ledger.step(
        "apache: spoofed X-Forwarded-For sent straight to the mod_remoteip vhost "
        "from an untrusted peer (ignored) and from the trusted address"
    )
    http.curl("apache_remoteip", "/", status=200, xff=SPOOFED_XFF, source=A, ua=UA_SQLMAP)
    http.curl("apache_remoteip", "/", status=200, xff=SPOOFED_XFF, source=LOOPBACK, ua=UA_SQLMAP)
    return rotations


def http_expected(ledger: HttpLedger) -> dict:
    """Counts per server and per log file, from the ledger only."""
    reqs = ledger.requests

    def counts(rs) -> dict:
        c = Counter(r["status"] for r in rs)
        out = {"http_requests": len(rs)}
        for code in sorted(c):
            out[f"http_{code}"] = c[code]
        out["post_requests"] = sum(1 for r in rs if r["method"] == "POST")
        out["head_requests"] = sum(1 for r in rs if r["method"] == "HEAD")
        out["basic_auth_attempts"] = sum(1 for r in rs if r["basic_auth_user"] is not None)
        out["basic_auth_failures"] = sum(1 for r in rs if r["basic_auth_user"] is not None and r["status"] == 401)
        out["basic_auth_successes"] = sum(1 for r in rs if r["basic_auth_user"] is not None and r["status"] != 401)
        out["requests_from_attacker_ip"] = sum(1 for r in rs if r["source_ip"] == ATTACKER_IP)
        out["requests_sent_without_user_agent"] = sum(1 for r in rs if r["user_agent"] is None)
        out["requests_with_client_xff"] = sum(1 for r in rs if r["xff_sent_by_client"])
        return out

    nginx = [r for r in reqs if r["target"].startswith("nginx")]
    apache_main = [r for r in reqs if r["target"] == "apache_main"]
    apache_rip = [r for r in reqs if r["target"] in ("nginx_proxy", "apache_remoteip")]
    return {"nginx": nginx, "apache_main": apache_main, "apache_remoteip": apache_rip, "counts": counts}


# ---------------------------------------------------------------------------
# Databases: shared ledger
# ---------------------------------------------------------------------------
class DbLedger:
    def __init__(self, engine: str):
        self.engine = engine
        self.sessions: list[dict] = []
        self.steps: list[str] = []

    def begin(self, step: str) -> None:
        """Start a workload step.  Steps are spaced by a little over a second
        so that second-resolution timestamps differ from step to step (the
        MariaDB general log only prints a time when it changes)."""
        if self.steps:
            time.sleep(STEP_PAUSE)
        self.steps.append(step)

    def session(
        self,
        *,
        user: str,
        via: str,
        ok: bool,
        statements: list[dict],
        failure: str | None = None,
        database: str | None = None,
        step: str = "",
        client_encoding: str | None = None,
    ) -> dict:
        rec = {
            "n": len(self.sessions) + 1,
            "time_utc": utcnow(),
            "step": step,
            "user": user,
            "via": via,
            "database": database,
            "login_ok": ok,
            "failure": failure,
            "client_encoding": client_encoding,
            "statements": statements,
        }
        self.sessions.append(rec)
        return rec

    def counts(self) -> dict:
        ok = [s for s in self.sessions if s["login_ok"]]
        failed = [s for s in self.sessions if not s["login_ok"]]
        stmts = [st for s in ok for st in s["statements"]]
        tags = Counter(t for st in stmts for t in st["tags"])
        out = {
            "db_connection_attempts": len(self.sessions),
            "db_successful_logins": len(ok),
            "db_failed_logins": len(failed),
            "db_failed_logins_by_reason": dict(Counter(s["failure"] for s in failed)),
            "db_successful_logins_by_user": dict(Counter(s["user"] for s in ok)),
            "db_failed_logins_by_user": dict(Counter(s["user"] for s in failed)),
            "db_connections_tcp": sum(1 for s in self.sessions if s["via"].startswith("tcp")),
            "db_connections_socket": sum(1 for s in self.sessions if s["via"] == "unix-socket"),
            "statements_sent": len(stmts),
            "statements_failed": sum(1 for st in stmts if not st["ok"]),
            "pagination_queries": tags["pagination"],
            "bulk_select_rows": sum(st.get("rows", 0) for st in stmts if "bulk_select" in st["tags"]),
            "pagination_rows": sum(st.get("rows", 0) for st in stmts if "pagination" in st["tags"]),
            "patients_rows_generated": PATIENT_ROWS,
        }
        for tag in sorted(tags):
            out[f"statements_tagged_{tag}"] = tags[tag]
        return out


def mariadb_file_expectations(ledger: DbLedger) -> dict[str, dict]:
    """Per-file expectations for the MariaDB logs, from the ledger.

    Audit: every attempt gives CONNECT or FAILED_CONNECT and then DISCONNECT;
    every statement sent gives one QUERY event (failed ones too, with the
    error number as retcode).  The audit file is rotated by the statement
    tagged audit_rotation: that statement and everything after it land in
    the live file."""
    audit = {"server_audit.log.1": Counter(), "server_audit.log": Counter()}
    current = "server_audit.log.1"
    for s in ledger.sessions:
        audit[current]["CONNECT" if s["login_ok"] else "FAILED_CONNECT"] += 1
        for st in s["statements"]:
            if "audit_rotation" in st["tags"]:
                current = "server_audit.log"
            audit[current]["QUERY"] += 1
        audit[current]["DISCONNECT"] += 1
    ok = [s for s in ledger.sessions if s["login_ok"]]
    failed = [s for s in ledger.sessions if not s["login_ok"]]
    n_stmts = sum(len(s["statements"]) for s in ok)
    return {
        **{name: {f"audit_{k}": v for k, v in sorted(c.items())} for name, c in audit.items()},
        "general.log": {
            "connect_lines": len(ledger.sessions) + len(failed),
            "access_denied_lines": len(failed),
            "query_lines": n_stmts,
            "quit_lines": len(ok),
        },
        "slow.log": {"entries": n_stmts},
        "error.log": {"access_denied_warnings": len(failed)},
    }


def postgres_file_expectations(ledger: DbLedger, statement_logging: dict) -> dict:
    """What the stderr/csv/json logs should each hold, from the ledger."""
    ok = [s for s in ledger.sessions if s["login_ok"]]
    failed = [s for s in ledger.sessions if not s["login_ok"]]
    stmts = [st for s in ok for st in s["statements"]]
    reasons = Counter(s["failure"] for s in failed)
    audit_classes = {"read", "write", "ddl", "role"}
    exp = {
        "connection_received": len(ledger.sessions),
        "connection_authorized": len(ok) + reasons["database_does_not_exist"],
        "password_authentication_failed": reasons["wrong_password"] + reasons["unknown_user"],
        "role_does_not_exist_details": reasons["unknown_user"],
        "database_does_not_exist": reasons["database_does_not_exist"],
        "disconnections": len(ok),
        "errors": sum(1 for st in stmts if not st["ok"]),
        # One AUDIT line per successful statement of an audited class, plus
        # one for the index that a PRIMARY KEY creates.
        "pgaudit_lines": sum(1 for st in stmts if st["ok"] and audit_classes & set(st["tags"]))
        + sum(1 for st in stmts if st["ok"] and "implicit_index" in st["tags"]),
    }
    if statement_logging.get("log_statement") == "all":
        # Logged after parsing: a statement with a syntax error has none.
        exp["statement_lines"] = sum(1 for st in stmts if "syntax_error" not in st["tags"])
    if statement_logging.get("log_min_duration_statement") == "0":
        # Logged when a statement completes: failed statements have none.
        exp["duration_lines"] = sum(1 for st in stmts if st["ok"])
    return exp


def stmt(sql: str, *tags: str, ok: bool = True, rows: int | None = None) -> dict:
    d = {"sql": sql, "tags": list(tags), "ok": ok}
    if rows is not None:
        d["rows"] = rows
    if "\n" in sql:
        d["tags"].append("multiline")
    return d


def sql_list(values: list[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


# ---------------------------------------------------------------------------
# MariaDB
# ---------------------------------------------------------------------------
MARIADB_CNF = """
# Written by scripts/capture_real_logs.py -- loopback only.
[mariadbd]
user                       = mysql
datadir                    = @D@/data
socket                     = @D@/run/mariadb.sock
pid-file                   = @D@/run/mariadb.pid
port                       = @PORT@
bind-address               = 127.0.0.1
skip-name-resolve
character-set-server       = utf8mb4
collation-server           = utf8mb4_general_ci
log-error                  = @D@/logs/error.log
log_warnings               = 2
general_log                = ON
general_log_file           = @D@/logs/general.log
slow_query_log             = ON
slow_query_log_file        = @D@/logs/slow.log
long_query_time            = 0
log_slow_verbosity         = query_plan,explain
log_output                 = FILE
plugin_load_add            = server_audit
server_audit               = FORCE_PLUS_PERMANENT
server_audit_logging       = ON
server_audit_events        = CONNECT,QUERY,TABLE
server_audit_output_type   = file
server_audit_file_path     = @D@/logs/server_audit.log
server_audit_file_rotations = 9
innodb_buffer_pool_size    = 32M
innodb_log_file_size       = 16M
"""

MARIADB_SETTINGS = {
    "general_log": "ON",
    "log_output": "FILE",
    "slow_query_log": "ON",
    "long_query_time": "0",
    "log_slow_verbosity": "query_plan,explain",
    "log_warnings": "2",
    "plugin_load_add": "server_audit",
    "server_audit_logging": "ON",
    "server_audit_events": "CONNECT,QUERY,TABLE",
    "server_audit_output_type": "file",
    "server_audit_file_rotations": "9",
    "character_set_server": "utf8mb4",
    "skip_name_resolve": "ON",
}


class MariaDB:
    def __init__(self, d: Path, port: int, ledger: DbLedger):
        self.d, self.port, self.ledger = d, port, ledger

    def start(self) -> None:
        d = self.d
        for sub in ("data", "run", "logs"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        shutil.chown(d, "mysql", "mysql")
        for sub in ("data", "run", "logs"):
            shutil.chown(d / sub, "mysql", "mysql")
        write(d / "my.cnf", render(MARIADB_CNF, D=d, PORT=self.port))
        # Bootstrap with no logging options, so install-db leaves no trace.
        run(
            [
                "mariadb-install-db",
                "--no-defaults",
                "--user=mysql",
                f"--datadir={d}/data",
                "--auth-root-authentication-method=socket",
                "--skip-test-db",
            ],
            timeout=300,
        )
        errlog = d / "logs/error.log"
        proc = subprocess.Popen(
            ["mariadbd", f"--defaults-file={d}/my.cnf"],
            env={**os.environ, "TZ": SERVER_TZ},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.proc = proc

        def stop():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=120)

        STARTED.append(("mariadb", stop))
        # Watch the error log rather than connecting, so that no extra
        # session shows up in the audit and general logs.
        wait_for(
            lambda: errlog.exists() and "ready for connections" in errlog.read_text(errors="replace"),
            "mariadb to be ready",
            120,
        )

    def version(self) -> tuple[str, str]:
        out = run(["mariadbd", "--version"]).stdout.decode().strip()
        m = re.search(r"Ver (\S+)", out)
        ver = m.group(1) if m else "unknown"
        short = ver.split("-")[0]
        return short, out

    def _client(self, user: str, password: str | None, *, tcp: bool, database: str | None) -> list[str]:
        # --comments: send SQL comments to the server as an application
        # would (the client strips them by default).
        cmd = ["mariadb", "--no-defaults", "--batch", "--force", "--comments", "--default-character-set=utf8mb4"]
        if tcp:
            cmd += ["--protocol=TCP", "-h", LOOPBACK, "-P", str(self.port)]
        else:
            cmd += ["--protocol=SOCKET", "-S", str(self.d / "run/mariadb.sock")]
        cmd += ["-u", user]
        if password is not None:
            cmd.append(f"--password={password}")
        if database:
            cmd.append(database)
        return cmd

    def session(
        self,
        user: str,
        password: str | None,
        statements: list[dict],
        *,
        tcp: bool = True,
        database: str | None = DB_NAME,
        step: str = "",
        encoding: str = "utf-8",
        charset: str = "utf8mb4",
    ) -> dict:
        cmd = self._client(user, password, tcp=tcp, database=database)
        cmd = [c if not c.startswith("--default-character-set") else f"--default-character-set={charset}" for c in cmd]
        script = "".join(s["sql"] + ";\n" for s in statements).encode(encoding)
        res = run(cmd, input=script, check=False)
        err = res.stderr.decode(errors="replace")
        expected_errors = sum(1 for s in statements if not s["ok"])
        got_errors = err.count("ERROR ")
        if got_errors != expected_errors:
            raise RuntimeError(
                f"mariadb session {step!r}: expected {expected_errors} errors, client reported {got_errors}:\n{err}"
            )
        via = f"tcp {LOOPBACK}:{self.port}" if tcp else "unix-socket"
        return self.ledger.session(
            user=user, via=via, ok=True, statements=statements, database=database, step=step, client_encoding=charset
        )

    def failed_login(self, user: str, password: str, reason: str, step: str) -> dict:
        cmd = self._client(user, password, tcp=True, database=DB_NAME)
        res = run([*cmd, "-e", "SELECT 1"], check=False)
        err = res.stderr.decode(errors="replace")
        m = re.search(r"ERROR (\d+)", err)
        if res.returncode == 0 or "Access denied" not in err or not m:
            raise RuntimeError(f"login as {user} should have failed: {err}")
        rec = self.ledger.session(
            user=user,
            via=f"tcp {LOOPBACK}:{self.port}",
            ok=False,
            statements=[],
            failure=reason,
            database=DB_NAME,
            step=step,
        )
        rec["client_error"] = err.strip()
        rec["error_code"] = int(m.group(1))
        return rec


def mariadb_workload(m: MariaDB) -> list[str]:
    L = m.ledger
    rotations = []
    pw = lambda s: s.replace("\\", "\\\\").replace("'", "\\'")  # noqa: E731

    step = "setup as root over the unix socket: database, application user, grants"
    L.begin(step)
    m.session(
        "root",
        None,
        [
            stmt(f"CREATE DATABASE {DB_NAME} CHARACTER SET utf8mb4", "ddl"),
            stmt(
                f"CREATE USER '{DB_APP_USER}'@'127.0.0.1' IDENTIFIED BY '{pw(DB_APP_PASSWORD)}'", "role", "create_user"
            ),
            stmt(
                f"GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, DROP, INDEX "
                f"ON {DB_NAME}.* TO '{DB_APP_USER}'@'127.0.0.1'",
                "role",
            ),
        ],
        tcp=False,
        database=None,
        step=step,
    )

    step = "failed logins over TCP: wrong passwords for the application user, unknown users"
    L.begin(step)
    for bad in DB_WRONG_PASSWORDS:
        m.failed_login(DB_APP_USER, bad, "wrong_password", step)
    for unknown in DB_UNKNOWN_USERS:
        m.failed_login(unknown, "toor", "unknown_user", step)

    first_sql = "ELT(1 + seq % 20, " + sql_list(FIRST_NAMES) + ")"
    last_sql = "ELT(1 + (seq DIV 20) % 20, " + sql_list(LAST_NAMES) + ")"
    diag_sql = "ELT(1 + seq % 8, " + sql_list(DIAGNOSES) + ")"
    step = "schema and data as the application user: CREATE TABLE, bulk INSERT ... SELECT, ALTER, CREATE INDEX"
    L.begin(step)
    m.session(
        DB_APP_USER,
        DB_APP_PASSWORD,
        [
            stmt(
                "CREATE TABLE patients (\n"
                "  id INT PRIMARY KEY,\n"
                "  first_name VARCHAR(64) NOT NULL,\n"
                "  last_name VARCHAR(64) NOT NULL,\n"
                "  birth_date DATE NOT NULL,\n"
                "  ssn CHAR(11) NOT NULL,\n"
                "  diagnosis VARCHAR(128)\n"
                ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
                "ddl",
            ),
            stmt(
                "INSERT INTO patients (id, first_name, last_name, birth_date, ssn, diagnosis) "
                f"SELECT seq, {first_sql}, {last_sql}, "
                "DATE_ADD('1940-01-01', INTERVAL (seq * 7919) % 25000 DAY), "
                "CONCAT('900-', LPAD(seq % 100, 2, '0'), '-', LPAD(seq, 4, '0')), "
                f"{diag_sql} FROM seq_1_to_{PATIENT_ROWS}",
                "write",
                "bulk_insert",
            ),
            stmt("ALTER TABLE patients ADD COLUMN notes TEXT NULL", "ddl"),
            stmt("CREATE INDEX idx_patients_last_name ON patients (last_name)", "ddl"),
            stmt("CREATE TABLE export_tmp (id INT, payload TEXT)", "ddl"),
        ],
        step=step,
    )

    step = "bulk SELECT * of the whole patients table"
    L.begin(step)
    m.session(
        DB_APP_USER,
        DB_APP_PASSWORD,
        [
            stmt("SELECT * FROM patients", "read", "bulk_select", rows=PATIENT_ROWS),
        ],
        step=step,
    )

    step = f"pagination loop: {PAGES} pages of {PAGE_SIZE} rows with LIMIT/OFFSET"
    L.begin(step)
    m.session(
        DB_APP_USER,
        DB_APP_PASSWORD,
        [
            stmt(
                f"SELECT id, first_name, last_name, ssn FROM patients ORDER BY id "
                f"LIMIT {PAGE_SIZE} OFFSET {i * PAGE_SIZE}",
                "read",
                "pagination",
                rows=PAGE_SIZE,
            )
            for i in range(PAGES)
        ],
        step=step,
    )

    step = "quoting, UTF-8 names, multi-line SQL with comments, SQL-injection shapes, errors, UPDATE/DELETE, DROP"
    L.begin(step)
    m.session(
        DB_APP_USER,
        DB_APP_PASSWORD,
        [
            stmt(
                "INSERT INTO patients (id, first_name, last_name, birth_date, ssn, diagnosis) "
                "VALUES (90001, 'Seán', 'O\\'Brien, Jr.', '1961-03-17', '900-00-9001', "
                "'fracture, left wrist')",
                "write",
                "quote",
                "utf8",
            ),
            stmt(
                "INSERT INTO patients (id, first_name, last_name, birth_date, ssn, diagnosis) "
                "VALUES (90002, 'Zoë', 'O''Brien, Jr.', '1990-07-01', '900-00-9002', "
                "'said \"ouch\", then left')",
                "write",
                "quote",
                "utf8",
            ),
            stmt(
                "INSERT INTO patients (id, first_name, last_name, birth_date, ssn, diagnosis) "
                "VALUES (90003, 'Łukasz', 'Müller-Lüdenscheidt', '1977-12-24', '900-00-9003', "
                "'アレルギー')",
                "write",
                "utf8",
            ),
            stmt(
                "SELECT id, first_name, last_name\n"
                "  FROM patients\n"
                " -- find the O'Brien family (comment with a quote)\n"
                " WHERE last_name LIKE 'O\\'Brien%'\n"
                "   AND birth_date < '2000-01-01'\n"
                " ORDER BY id",
                "read",
                "quote",
                rows=None,
            ),
            stmt(
                "SELECT * FROM patients WHERE last_name = '' OR '1'='1'",
                "read",
                "sqli",
                "tautology",
                rows=PATIENT_ROWS + 3,
            ),
            stmt(
                "SELECT id, first_name FROM patients WHERE id = 1 "
                "UNION SELECT user, authentication_string FROM mysql.user",
                "read",
                "sqli",
                "error",
                ok=False,
            ),
            stmt("SELECT * FROM patients WHERE id = 1 ORDER BY 99", "read", "sqli", "error", ok=False),
            stmt("SELECT * FROM patients WHERE id = 1 AND", "sqli", "error", "syntax_error", ok=False),
            stmt("SELECT * FROM invoices", "read", "error", ok=False),
            stmt("UPDATE patients SET diagnosis = 'reviewed' WHERE id BETWEEN 1 AND 25", "write"),
            stmt("DELETE FROM patients WHERE id = 90003", "write"),
            stmt("DROP TABLE export_tmp", "ddl"),
        ],
        step=step,
    )

    step = "a latin-1 client session (SET NAMES latin1) inserting accented names"
    L.begin(step)
    m.session(
        DB_APP_USER,
        DB_APP_PASSWORD,
        [
            stmt(
                "INSERT INTO patients (id, first_name, last_name, birth_date, ssn, diagnosis) "
                "VALUES (90004, 'Hélène', 'Lefèvre', '1955-05-05', '900-00-9004', 'anémie')",
                "write",
                "latin1",
            ),
            stmt(
                "SELECT id, first_name, last_name FROM patients WHERE last_name = 'Lefèvre' AND first_name = 'Hélène'",
                "read",
                "latin1",
            ),
        ],
        step=step,
        encoding="latin-1",
        charset="latin1",
    )

    step = "root creates a user, changes its password twice, rotates the audit log"
    L.begin(step)
    m.session(
        "root",
        None,
        [
            stmt(f"CREATE USER '{DB_AUDITOR}'@'127.0.0.1' IDENTIFIED BY '{pw(DB_AUDITOR_PW1)}'", "role", "create_user"),
            stmt(f"GRANT SELECT ON {DB_NAME}.patients TO '{DB_AUDITOR}'@'127.0.0.1'", "role"),
            stmt(
                f"ALTER USER '{DB_AUDITOR}'@'127.0.0.1' IDENTIFIED BY '{pw(DB_AUDITOR_PW2)}'", "role", "password_change"
            ),
            stmt(
                f"SET PASSWORD FOR '{DB_AUDITOR}'@'127.0.0.1' = PASSWORD('{pw(DB_AUDITOR_PW2)}')",
                "role",
                "password_change",
            ),
            stmt("SET GLOBAL server_audit_file_rotate_now = ON", "admin", "audit_rotation"),
        ],
        tcp=False,
        database=None,
        step=step,
    )
    rotations.append("server_audit.log -> server_audit.log.1 (SET GLOBAL server_audit_file_rotate_now = ON)")

    step = "after the audit rotation: the old password fails, the new one works"
    L.begin(step)
    m.failed_login(DB_AUDITOR, DB_AUDITOR_PW1, "wrong_password", step)
    m.session(
        DB_AUDITOR,
        DB_AUDITOR_PW2,
        [
            stmt("SELECT COUNT(*) FROM patients", "read"),
            stmt("SELECT first_name, last_name, ssn FROM patients WHERE id = 42", "read"),
        ],
        step=step,
    )
    return rotations


# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------
PG_RUNS = [
    {
        "name": "run1",
        "log_line_prefix": "%m [%p] %q%u@%d ",
        "statement_logging": {"log_statement": "all", "log_min_duration_statement": "-1"},
    },
    {
        "name": "run2",
        "log_line_prefix": "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
        "statement_logging": {"log_statement": "none", "log_min_duration_statement": "0"},
    },
]

PG_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "logging_collector": "on",
    "log_destination": "stderr,csvlog,jsonlog",
    "log_filename": "postgresql.log",
    "log_file_mode": "0640",
    "log_rotation_age": "0",
    "log_rotation_size": "0",
    "log_connections": "on",
    "log_disconnections": "on",
    "log_timezone": SERVER_TZ,
    "timezone": SERVER_TZ,
    "lc_messages": "C",
    "password_encryption": "scram-sha-256",
    "shared_preload_libraries": "pgaudit",
    "pgaudit.log": "read,write,ddl,role",
}

PG_HBA = """# Written by scripts/capture_real_logs.py
local   all   postgres                 peer
local   all   all                      peer
host    all   all      127.0.0.1/32    scram-sha-256
"""


class Postgres:
    def __init__(self, d: Path, port: int, ledger: DbLedger, bindir: Path, run_cfg: dict):
        self.d, self.port, self.ledger, self.bindir, self.cfg = d, port, ledger, bindir, run_cfg

    @property
    def settings(self) -> dict:
        s = dict(PG_SETTINGS)
        s["port"] = str(self.port)
        s["log_line_prefix"] = self.cfg["log_line_prefix"]
        s.update(self.cfg["statement_logging"])
        return s

    def start(self) -> None:
        d = self.d
        for sub in ("run", "logs"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        shutil.chown(d, "postgres", "postgres")
        for sub in ("run", "logs"):
            shutil.chown(d / sub, "postgres", "postgres")
        run(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(d / "data"),
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--auth-local=peer",
                "--auth-host=scram-sha-256",
            ],
            user="postgres",
            timeout=300,
            env={"TZ": SERVER_TZ},
        )
        conf = d / "data/postgresql.conf"
        extra = [
            "",
            "# --- capture settings (scripts/capture_real_logs.py) ---",
            f"unix_socket_directories = '{d}/run'",
            f"log_directory = '{d}/logs'",
        ]
        for k, v in self.settings.items():
            extra.append(f"{k} = '{v}'")
        with open(conf, "a", encoding="utf-8") as fh:
            fh.write("\n".join(extra) + "\n")
        write(d / "data/pg_hba.conf", PG_HBA, 0o600)
        shutil.chown(d / "data/pg_hba.conf", "postgres", "postgres")
        run(
            [
                str(self.bindir / "pg_ctl"),
                "-D",
                str(d / "data"),
                "-l",
                str(d / "startup.log"),
                "-w",
                "-t",
                "120",
                "start",
            ],
            user="postgres",
            env={"TZ": SERVER_TZ},
        )

        def stop():
            run(
                [str(self.bindir / "pg_ctl"), "-D", str(d / "data"), "-m", "fast", "-w", "stop"],
                user="postgres",
                check=False,
            )

        STARTED.append((f"postgresql-{self.cfg['name']}", stop))

    def version(self) -> tuple[str, str]:
        out = run([str(self.bindir / "postgres"), "--version"]).stdout.decode().strip()
        m = re.search(r"\) (\d+(?:\.\d+)*)", out)
        return (m.group(1) if m else "unknown"), out

    def _psql(self, user: str, *, tcp: bool, database: str) -> list[str]:
        cmd = [
            str(self.bindir / "psql"),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=0",
            "-d",
            database,
            "-U",
            user,
            "-p",
            str(self.port),
        ]
        cmd += ["-h", LOOPBACK] if tcp else ["-h", str(self.d / "run")]
        return cmd

    def session(
        self,
        user: str,
        password: str | None,
        statements: list[dict],
        *,
        database: str = DB_NAME,
        step: str = "",
        encoding: str = "utf-8",
        client_encoding: str = "UTF8",
    ) -> dict:
        tcp = password is not None
        script = "".join(s["sql"] + ";\n" for s in statements).encode(encoding)
        sql_file = self.d / f"session-{len(self.ledger.sessions) + 1}.sql"
        write(sql_file, script)
        env = {"PGCLIENTENCODING": client_encoding, "PGAPPNAME": "capture-workload"}
        if password is not None:
            env["PGPASSWORD"] = password
        cmd = [*self._psql(user, tcp=tcp, database=database), "-f", str(sql_file)]
        res = run(cmd, check=False, env=env, user=None if tcp else "postgres")
        err = res.stderr.decode(errors="replace")
        expected_errors = sum(1 for s in statements if not s["ok"])
        got_errors = err.count("ERROR:")
        if res.returncode not in (0, 3) or got_errors != expected_errors:
            raise RuntimeError(
                f"psql session {step!r}: expected {expected_errors} errors, "
                f"got {got_errors} (rc {res.returncode}):\n{err}"
            )
        via = f"tcp {LOOPBACK}:{self.port}" if tcp else "unix-socket"
        return self.ledger.session(
            user=user,
            via=via,
            ok=True,
            statements=statements,
            database=database,
            step=step,
            client_encoding=client_encoding,
        )

    def failed_login(self, user: str, password: str, reason: str, step: str, database: str = DB_NAME) -> dict:
        env = {"PGPASSWORD": password, "PGAPPNAME": "capture-workload"}
        res = run([*self._psql(user, tcp=True, database=database), "-c", "SELECT 1"], check=False, env=env)
        err = res.stderr.decode(errors="replace")
        if res.returncode == 0 or "FATAL" not in err:
            raise RuntimeError(f"login as {user} should have failed: {err}")
        return self.ledger.session(
            user=user,
            via=f"tcp {LOOPBACK}:{self.port}",
            ok=False,
            statements=[],
            failure=reason,
            database=database,
            step=step,
        )


def postgres_workload(p: Postgres) -> None:
    L = p.ledger
    q = lambda s: s.replace("'", "''")  # noqa: E731

    step = "setup as postgres over the unix socket: application role, database"
    L.begin(step)
    p.session(
        "postgres",
        None,
        [
            stmt(f"CREATE ROLE {DB_APP_USER} LOGIN PASSWORD '{q(DB_APP_PASSWORD)}'", "role", "create_user"),
            stmt(f"CREATE DATABASE {DB_NAME} OWNER {DB_APP_USER}", "ddl"),
        ],
        database="postgres",
        step=step,
    )
    step = "setup as postgres: CREATE EXTENSION pgaudit in the clinic database"
    L.begin(step)
    p.session("postgres", None, [stmt("CREATE EXTENSION pgaudit", "ddl")], step=step)

    step = (
        "failed logins over TCP: wrong passwords for the application user, "
        "unknown users, a database that does not exist"
    )
    L.begin(step)
    for bad in DB_WRONG_PASSWORDS:
        p.failed_login(DB_APP_USER, bad, "wrong_password", step)
    for unknown in DB_UNKNOWN_USERS:
        p.failed_login(unknown, "toor", "unknown_user", step)
    p.failed_login(DB_APP_USER, DB_APP_PASSWORD, "database_does_not_exist", step, database="clinic_backup")

    first_sql = "(ARRAY[" + sql_list(FIRST_NAMES) + "])[1 + i % 20]"
    last_sql = "(ARRAY[" + sql_list(LAST_NAMES) + "])[1 + (i / 20) % 20]"
    diag_sql = "(ARRAY[" + sql_list(DIAGNOSES) + "])[1 + i % 8]"
    step = "schema and data as the application user: CREATE TABLE, bulk INSERT ... SELECT, ALTER, CREATE INDEX"
    L.begin(step)
    p.session(
        DB_APP_USER,
        DB_APP_PASSWORD,
        [
            stmt(
                "CREATE TABLE patients (\n"
                "  id integer PRIMARY KEY,\n"
                "  first_name text NOT NULL,\n"
                "  last_name text NOT NULL,\n"
                "  birth_date date NOT NULL,\n"
                "  ssn char(11) NOT NULL,\n"
                "  diagnosis text\n"
                ")",
                "ddl",
                "implicit_index",
            ),
            stmt(
                "INSERT INTO patients (id, first_name, last_name, birth_date, ssn, diagnosis) "
                f"SELECT i, {first_sql}, {last_sql}, "
                "DATE '1940-01-01' + (i * 7919) % 25000, "
                "'900-' || lpad((i % 100)::text, 2, '0') || '-' || lpad(i::text, 4, '0'), "
                f"{diag_sql} FROM generate_series(1, {PATIENT_ROWS}) AS i",
                "write",
                "bulk_insert",
            ),
            stmt("ALTER TABLE patients ADD COLUMN notes text", "ddl"),
            stmt("CREATE INDEX idx_patients_last_name ON patients (last_name)", "ddl"),
            stmt("CREATE TABLE export_tmp (id integer, payload text)", "ddl"),
        ],
        step=step,
    )

    step = "bulk SELECT * of the whole patients table"
    L.begin(step)
    p.session(
        DB_APP_USER,
        DB_APP_PASSWORD,
        [
            stmt("SELECT * FROM patients", "read", "bulk_select", rows=PATIENT_ROWS),
        ],
        step=step,
    )

    step = f"pagination loop: {PAGES} pages of {PAGE_SIZE} rows with LIMIT/OFFSET"
    L.begin(step)
    p.session(
        DB_APP_USER,
        DB_APP_PASSWORD,
        [
            stmt(
                f"SELECT id, first_name, last_name, ssn FROM patients ORDER BY id "
                f"LIMIT {PAGE_SIZE} OFFSET {i * PAGE_SIZE}",
                "read",
                "pagination",
                rows=PAGE_SIZE,
            )
            for i in range(PAGES)
        ],
        step=step,
    )

    step = "quoting, UTF-8 names, multi-line SQL with comments, SQL-injection shapes, errors, UPDATE/DELETE, DROP"
    L.begin(step)
    p.session(
        DB_APP_USER,
        DB_APP_PASSWORD,
        [
            stmt(
                "INSERT INTO patients (id, first_name, last_name, birth_date, ssn, diagnosis) "
                "VALUES (90001, 'Seán', 'O''Brien, Jr.', '1961-03-17', '900-00-9001', "
                "'fracture, left wrist')",
                "write",
                "quote",
                "utf8",
            ),
            stmt(
                "INSERT INTO patients (id, first_name, last_name, birth_date, ssn, diagnosis) "
                "VALUES (90002, 'Zoë', E'O\\'Brien, Jr.', '1990-07-01', '900-00-9002', "
                "'said \"ouch\", then left')",
                "write",
                "quote",
                "utf8",
            ),
            stmt(
                "INSERT INTO patients (id, first_name, last_name, birth_date, ssn, diagnosis) "
                "VALUES (90003, 'Łukasz', 'Müller-Lüdenscheidt', '1977-12-24', '900-00-9003', "
                "'アレルギー')",
                "write",
                "utf8",
            ),
            stmt(
                "SELECT id, first_name, last_name\n"
                "  FROM patients\n"
                " -- find the O'Brien family (comment with a quote)\n"
                " WHERE last_name LIKE 'O''Brien%'\n"
                "   AND birth_date < '2000-01-01'\n"
                " ORDER BY id",
                "read",
                "quote",
            ),
            stmt(
                "SELECT * FROM patients WHERE last_name = '' OR '1'='1'",
                "read",
                "sqli",
                "tautology",
                rows=PATIENT_ROWS + 3,
            ),
            stmt(
                "SELECT id::text, first_name FROM patients WHERE id = 1 "
                "UNION SELECT usename::text, passwd FROM pg_shadow",
                "read",
                "sqli",
                "error",
                ok=False,
            ),
            stmt("SELECT * FROM patients WHERE id = 1 ORDER BY 99", "read", "sqli", "error", ok=False),
            stmt("SELECT * FROM patients WHERE id = 1 AND", "sqli", "error", "syntax_error", ok=False),
            stmt("SELECT * FROM invoices", "read", "error", ok=False),
            stmt("UPDATE patients SET diagnosis = 'reviewed' WHERE id BETWEEN 1 AND 25", "write"),
            stmt("DELETE FROM patients WHERE id = 90003", "write"),
            stmt("DROP TABLE export_tmp", "ddl"),
        ],
        step=step,
    )

    step = "a LATIN1 client session (PGCLIENTENCODING=LATIN1) inserting accented names"
    L.begin(step)
    p.session(
        DB_APP_USER,
        DB_APP_PASSWORD,
        [
            stmt(
                "INSERT INTO patients (id, first_name, last_name, birth_date, ssn, diagnosis) "
                "VALUES (90004, 'Hélène', 'Lefèvre', '1955-05-05', '900-00-9004', 'anémie')",
                "write",
                "latin1",
            ),
            stmt(
                "SELECT id, first_name, last_name FROM patients WHERE last_name = 'Lefèvre' AND first_name = 'Hélène'",
                "read",
                "latin1",
            ),
        ],
        step=step,
        encoding="latin-1",
        client_encoding="LATIN1",
    )

    step = "postgres creates a login role, changes its password (ALTER USER ... PASSWORD), grants"
    L.begin(step)
    p.session(
        "postgres",
        None,
        [
            stmt(f"CREATE ROLE {DB_AUDITOR} LOGIN PASSWORD '{q(DB_AUDITOR_PW1)}'", "role", "create_user"),
            stmt(f"ALTER USER {DB_AUDITOR} PASSWORD '{q(DB_AUDITOR_PW2)}'", "role", "password_change"),
            stmt(f"GRANT SELECT ON patients TO {DB_AUDITOR}", "role"),
        ],
        step=step,
    )

    step = "the old password fails, the new one works"
    L.begin(step)
    p.failed_login(DB_AUDITOR, DB_AUDITOR_PW1, "wrong_password", step)
    p.session(
        DB_AUDITOR,
        DB_AUDITOR_PW2,
        [
            stmt("SELECT count(*) FROM patients", "read"),
            stmt("SELECT first_name, last_name, ssn FROM patients WHERE id = 42", "read"),
        ],
        step=step,
    )


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------
def file_info(path: Path, **extra) -> dict:
    data = path.read_bytes()
    raw = gzip.decompress(data) if path.suffix == ".gz" else data
    info = {"path": path.name, "bytes": len(data)}
    if path.suffix == ".gz":
        info["compressed"] = "gzip"
    info["lines"] = raw.count(b"\n")
    info.update(extra)
    return info


def write_capture(out: Path, doc: dict) -> None:
    write(out / "capture.json", json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


def fresh_out_dir(base: Path, name: str) -> Path:
    out = base / name
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    return out


def copy_logs(src: Path, dst: Path, names: list[str]) -> list[Path]:
    copied = []
    for name in names:
        s = src / name
        if not s.exists():
            raise RuntimeError(f"expected log file missing: {s}")
        d = dst / name
        d.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(s, d)
        d.chmod(0o644)
        copied.append(d)
    return copied


def common_header(
    server: str, version: str, version_output: str, packages: list[str], started: str, finished: str
) -> dict:
    return {
        "schema_version": 1,
        "server": server,
        "version": version,
        "version_output": version_output,
        "packages": {p: pkg_version(p) for p in packages},
        "os": os_release(),
        "captured_by": "scripts/capture_real_logs.sh",
        "server_timezone": SERVER_TZ,
        "capture_started_utc": started,
        "capture_finished_utc": finished,
        "loopback_only": True,
        "addresses": {
            "client": LOOPBACK,
            "attacker": ATTACKER_IP,
            "note": "both are loopback; the attacker address is a second "
            "127.0.0.0/8 source bound with curl --interface",
        },
    }


def web_outputs(
    base: Path, wd: Path, ledger: HttpLedger, rotations: list[str], started: str, finished: str
) -> list[Path]:
    ex = http_expected(ledger)
    counts = ex["counts"]
    hostile = {
        "user_agent_xss": UA_XSS,
        "user_agent_backslash": UA_BACKSLASH,
        "user_agent_utf8": UA_UTF8,
        "user_agent_scanner": UA_SQLMAP,
        "url_xss": HOSTILE_PATH_XSS,
        "url_double_quote": HOSTILE_PATH_QUOTE,
        "url_latin1_percent_encoded": HOSTILE_PATH_LATIN1,
        "url_utf8_raw_in_query": HOSTILE_PATH_UTF8_QUERY,
        "url_utf8_raw_in_path": HOSTILE_PATH_UTF8_RAW,
        "url_encoded_traversal": HOSTILE_PATH_TRAVERSAL,
        "url_long_query": {
            "prefix": "/search?q=",
            "value_pattern": "'0123456789' * 500",
            "value_length": len(LONG_QUERY_VALUE),
            "request_target_length": len(HOSTILE_PATH_LONG),
        },
        "basic_auth_user_with_double_quote": BASIC_QUOTED_USER,
        "basic_auth_unknown_user": BASIC_UNKNOWN_USER,
        "tls_client_hello_hex": TLS_GARBAGE.hex(),
        "post_body": POST_BODY,
    }
    written = []

    # ---- nginx -------------------------------------------------------------
    nd = wd / "nginx"
    vout = run(["nginx", "-v"]).stderr.decode().strip()
    nver = vout.split("/")[-1]
    out = fresh_out_dir(base, f"nginx-{nver}")
    names = ["access.log.2.gz", "access.log.1", "access.log", "access_main.log", "error.log"]
    written += copy_logs(nd / "logs", out, names)
    nreq = ex["nginx"]
    by_phase = {ph: [r for r in nreq if r["nginx_log_phase"] == ph] for ph in (1, 2, 3)}
    files = [
        file_info(
            out / "access.log.2.gz",
            kind="nginx_access",
            log_format="combined",
            rotation_generation=2,
            expected=counts(by_phase[1]),
        ),
        file_info(
            out / "access.log.1",
            kind="nginx_access",
            log_format="combined",
            rotation_generation=1,
            expected=counts(by_phase[2]),
        ),
        file_info(
            out / "access.log",
            kind="nginx_access",
            log_format="combined",
            rotation_generation=0,
            expected=counts(by_phase[3]),
        ),
        file_info(
            out / "access_main.log",
            kind="nginx_access",
            log_format="main",
            expected=counts(nreq),
            note="never rotated: holds every request of the three access.log files",
        ),
        file_info(
            out / "error.log",
            kind="nginx_error",
            level="info",
            expected={
                "auth_no_credentials": sum(1 for r in nreq if r["status"] == 401 and r["basic_auth_user"] is None),
                "auth_user_not_found": sum(
                    1
                    for r in nreq
                    if r["status"] == 401 and r["basic_auth_user"] in (BASIC_UNKNOWN_USER, BASIC_QUOTED_USER)
                ),
                "auth_password_mismatch": sum(
                    1 for r in nreq if r["status"] == 401 and r["basic_auth_user"] == BASIC_USER
                ),
                "open_failed_404": sum(1 for r in nreq if r["status"] == 404 and r["target"] == "nginx_origin"),
            },
        ),
    ]
    doc = common_header("nginx", nver, vout, ["nginx", "nginx-common"], started, finished)
    doc["config"] = {
        "nginx.conf": (nd / "nginx.conf").read_text().strip(),
        "log_formats": {"combined": NGINX_COMBINED, "main": NGINX_MAIN},
        "access_logs": {"access.log": "combined", "access_main.log": "main"},
        "error_log_level": "info",
        "proxy": {
            "upstream": "Apache mod_remoteip vhost",
            "proxy_set_header": "X-Forwarded-For $proxy_add_x_forwarded_for",
        },
        "basic_auth": {"location": "/private/", "users": [BASIC_USER], "htpasswd_hash": "apr1 (htpasswd -m)"},
        "ports": dict(PORTS_USED),
    }
    doc["files"] = files
    doc["readiness_probes"] = {
        "note": "TCP connections opened and closed without a request while waiting for "
        "the ports; nginx logs each as 'client closed connection while waiting "
        "for request' (info)",
        "nginx_origin": PROBES[PORTS_USED["nginx_origin"]],
        "nginx_proxy": PROBES[PORTS_USED["nginx_proxy"]],
    }
    doc["rotation"] = {
        "access.log": {
            "oldest_first": ["access.log.2.gz", "access.log.1", "access.log"],
            "actions": rotations,
            "method": "rename + SIGUSR1 (reopen), delaycompress-style gzip of the older file",
        }
    }
    doc["workload"] = [s for s in ledger.steps if s["description"].startswith("nginx")]
    doc["expected"] = counts(nreq)
    doc["expected"]["requests_via_proxy"] = sum(1 for r in nreq if r["target"] == "nginx_proxy")
    doc["hostile"] = hostile
    doc["xff"] = xff_section(ledger)
    doc["requests"] = nreq
    write_capture(out, doc)
    written.append(out / "capture.json")

    # ---- Apache ------------------------------------------------------------
    ad = wd / "apache"
    vout = run(["apache2", "-v"], env={"LANG": "C"}).stdout.decode().strip()
    aver = re.search(r"Apache/(\S+)", vout).group(1)
    out = fresh_out_dir(base, f"apache2-{aver}")
    names = [
        "access.log",
        "access_debian_combined.log",
        "access_timed_xff.log",
        "other_vhosts_access.log",
        "remoteip_access.log",
        "error.log",
    ]
    written += copy_logs(ad / "logs", out, names)
    main = ex["apache_main"]
    rip = ex["apache_remoteip"]
    both = sorted(main + rip, key=lambda r: r["n"])
    err_expect = {
        "auth_user_not_found_AH01618": sum(
            1 for r in both if r["status"] == 401 and r["basic_auth_user"] in (BASIC_UNKNOWN_USER, BASIC_QUOTED_USER)
        ),
        "auth_password_mismatch_AH01617": sum(
            1 for r in both if r["status"] == 401 and r["basic_auth_user"] == BASIC_USER
        ),
        "authz_denied_AH01630": sum(1 for r in both if r["status"] == 403),
        "cgi_script_failures": sum(1 for r in both if r["request_target"] == "/cgi-bin/broken.cgi"),
        "htaccess_errors": sum(1 for r in both if r["request_target"] == "/broken-htaccess/"),
    }
    files = [
        file_info(
            out / "access.log",
            kind="apache_access",
            log_format="combined",
            vhost="www.clinic.test",
            expected=counts(main),
        ),
        file_info(
            out / "access_debian_combined.log",
            kind="apache_access",
            log_format="debian_combined",
            vhost="www.clinic.test",
            expected=counts(main),
        ),
        file_info(
            out / "access_timed_xff.log",
            kind="apache_access",
            log_format="timed_xff",
            vhost="www.clinic.test",
            expected=counts(main),
        ),
        file_info(
            out / "remoteip_access.log",
            kind="apache_access",
            log_format="remoteip",
            vhost="app.clinic.test",
            expected=counts(rip),
        ),
        file_info(
            out / "other_vhosts_access.log",
            kind="apache_access",
            log_format="vhost_combined",
            vhost="both",
            expected=counts(both),
        ),
        file_info(out / "error.log", kind="apache_error", level="info", expected=err_expect),
    ]
    doc = common_header("apache2", aver, vout, ["apache2", "apache2-bin"], started, finished)
    doc["config"] = {
        "apache2.conf": (ad / "apache2.conf").read_text().strip(),
        "log_formats": APACHE_FORMATS_UNESCAPED,
        "log_formats_as_written_in_config": APACHE_FORMATS,
        "custom_logs": {
            "www.clinic.test (main vhost)": {
                "access.log": "combined",
                "access_debian_combined.log": "debian_combined",
                "access_timed_xff.log": "timed_xff",
                "other_vhosts_access.log": "vhost_combined",
            },
            "app.clinic.test (mod_remoteip vhost, behind the nginx proxy)": {
                "remoteip_access.log": "remoteip",
                "other_vhosts_access.log": "vhost_combined",
            },
        },
        "remoteip": {"RemoteIPHeader": "X-Forwarded-For", "RemoteIPTrustedProxy": "127.0.0.1"},
        "error_log_level": "info",
        "mpm": "event",
        "cgi": "mod_cgid",
        "ports": dict(PORTS_USED),
    }
    doc["files"] = files
    doc["readiness_probes"] = {
        "note": "TCP connections opened and closed without a request while waiting for "
        "the ports (Apache logs nothing for them at info level)",
        "apache_main": PROBES[PORTS_USED["apache_main"]],
        "apache_remoteip": PROBES[PORTS_USED["apache_remoteip"]],
    }
    doc["rotation"] = None
    doc["workload"] = [s for s in ledger.steps if s["description"].startswith(("apache", "nginx proxy"))]
    doc["expected"] = counts(both)
    doc["expected"]["main_vhost_requests"] = len(main)
    doc["expected"]["remoteip_vhost_requests"] = len(rip)
    doc["expected"].update(err_expect)
    doc["hostile"] = hostile
    doc["xff"] = xff_section(ledger)
    doc["requests"] = both
    write_capture(out, doc)
    written.append(out / "capture.json")
    return written


# Apache's LogFormat strings as the format language sees them (config-file
# backslash escapes removed).
APACHE_FORMATS_UNESCAPED = {k: v.replace('\\"', '"') for k, v in APACHE_FORMATS.items()}
PORTS_USED: dict[str, int] = {}


def xff_section(ledger: HttpLedger) -> dict:
    rows = [r for r in ledger.requests if "xff_received_by_apache" in r]
    return {
        "spoofed_values_sent": [SPOOFED_XFF, SPOOFED_XFF_CHAIN],
        "nginx_adds": "$proxy_add_x_forwarded_for (client value + ', ' + $remote_addr)",
        "apache_remoteip": {
            "RemoteIPHeader": "X-Forwarded-For",
            "RemoteIPTrustedProxy": "127.0.0.1",
            "rule": "walk right to left while the hop is a trusted proxy; "
            "a trusted (not internal) proxy may not report "
            "10/8, 172.16/12, 192.168/16, 169.254/16 or 127/8 "
            "addresses, so a loopback client stops the walk",
        },
        "per_request": [
            {
                k: r.get(k)
                for k in (
                    "n",
                    "target",
                    "source_ip",
                    "request_target",
                    "xff_sent_by_client",
                    "xff_received_by_apache",
                    "apache_peer_ip",
                    "expected_apache_client_ip",
                    "expected_apache_xff_after_remoteip",
                )
            }
            for r in rows
        ],
    }


def db_doc(engine: str, ledger: DbLedger) -> dict:
    return {
        "workload": [{"step": i + 1, "description": s} for i, s in enumerate(ledger.steps)],
        "expected": ledger.counts(),
        "sessions": ledger.sessions,
    }


def db_hostile() -> dict:
    return {
        "quote_literal_sql_standard": "'O''Brien, Jr.'",
        "quote_literal_backslash": "'O\\'Brien, Jr.'",
        "utf8_names": ["Seán", "Zoë", "Łukasz", "Müller-Lüdenscheidt", "アレルギー"],
        "latin1_names": ["Hélène", "Lefèvre", "anémie"],
        "sqli": ["' OR '1'='1", "UNION SELECT ... password hashes", "ORDER BY 99", "truncated statement ending in AND"],
        "wrong_passwords": DB_WRONG_PASSWORDS,
        "unknown_users": DB_UNKNOWN_USERS,
    }


# ---------------------------------------------------------------------------
# Smoke checks: compare simple line counts with the ledger (printed only)
# ---------------------------------------------------------------------------
# Substring/regex counts used only to check that each log really holds what
# the ledger says was done.  They are grep-level, not a parser.
SMOKE_PATTERNS: dict[str, dict[str, str]] = {
    "nginx_error": {
        "auth_no_credentials": r"no user/password was provided for basic authentication",
        "auth_user_not_found": r'\] \d+#\d+: \*\d+ user ".*" was not found in "',
        "auth_password_mismatch": r"\*\d+ user \".*\": password mismatch",
        "open_failed_404": r'open\(\) ".*" failed \(2: No such file or directory\)',
    },
    "apache_error": {
        "auth_user_not_found_AH01618": r"AH01618: user .* not found",
        "auth_password_mismatch_AH01617": r"AH01617: user .*Password Mismatch",
        "authz_denied_AH01630": r"AH01630: client denied by server configuration",
        "cgi_script_failures": r"End of script output before headers",
        "htaccess_errors": r"\.htaccess: Invalid command",
    },
    "mariadb_audit": {
        "audit_CONNECT": r",CONNECT,",
        "audit_FAILED_CONNECT": r",FAILED_CONNECT,",
        "audit_QUERY": r",QUERY,",
        "audit_DISCONNECT": r",DISCONNECT,",
    },
    "mariadb_general": {
        "connect_lines": r"^(?:\d{6} [ \d]\d:\d\d:\d\d)?\s+\d+ Connect\t",
        "access_denied_lines": r"\d+ Connect\tAccess denied for user",
        "query_lines": r"^(?:\d{6} [ \d]\d:\d\d:\d\d)?\s+\d+ Query\t",
        "quit_lines": r"^(?:\d{6} [ \d]\d:\d\d:\d\d)?\s+\d+ Quit\t",
    },
    "mariadb_slow": {"entries": r"^# Query_time: "},
    "mariadb_error": {"access_denied_warnings": r"\[Warning\] Access denied for user"},
}
PG_SMOKE = {  # name: (stderr, csvlog, jsonlog)
    "connection_received": ("LOG:  connection received:", ',"connection received:', '"message":"connection received:'),
    "connection_authorized": (
        "LOG:  connection authorized:",
        ',"connection authorized:',
        '"message":"connection authorized:',
    ),
    "password_authentication_failed": (
        "FATAL:  password authentication failed",
        ',"password authentication failed',
        '"message":"password authentication failed',
    ),
    "role_does_not_exist_details": (
        r'DETAIL:  Role "[^"]+" does not exist',
        r'"Role ""[^"]+"" does not exist',
        r'"detail":"Role \\"[^"\\]+\\" does not exist',
    ),
    "database_does_not_exist": ('FATAL:  database "', ',"database ""', r'"message":"database \\"'),
    "disconnections": ("LOG:  disconnection:", ',"disconnection:', '"message":"disconnection:'),
    "errors": (" ERROR:  ", r",ERROR,[0-9A-Z]{5},", '"error_severity":"ERROR"'),
    "pgaudit_lines": ("LOG:  AUDIT: ", ',"AUDIT: ', '"message":"AUDIT: '),
    "statement_lines": ("LOG:  statement: ", ',"statement: ', '"message":"statement: '),
    "duration_lines": ("LOG:  duration: ", ',"duration: ', '"message":"duration: '),
}
PG_KIND_INDEX = {"postgresql_stderr": 0, "postgresql_csvlog": 1, "postgresql_jsonlog": 2}


def smoke_check(base: Path, folders: dict[str, str]) -> list[str]:
    problems = []

    def text(p: Path) -> str:
        data = p.read_bytes()
        if p.suffix == ".gz":
            data = gzip.decompress(data)
        return data.decode("utf-8", errors="replace")

    for folder in folders.values():
        cap = json.loads((base / folder / "capture.json").read_text())
        for f in cap.get("files", []):
            exp = f.get("expected") or {}
            body = text(base / folder / f["path"])
            kind = f["kind"]
            got: dict[str, int] = {}
            if kind in ("nginx_access", "apache_access"):
                lines = body.splitlines()
                got["http_requests"] = len(lines)
                statuses = Counter(m.group(1) for line in lines if (m := re.search(r'" (\d{3}) ', line)))
                for key in exp:
                    if re.fullmatch(r"http_\d{3}", key):
                        got[key] = statuses[key[5:]]
            elif kind in SMOKE_PATTERNS:
                for key, pat in SMOKE_PATTERNS[kind].items():
                    got[key] = len(re.findall(pat, body, re.M))
            elif kind in PG_KIND_INDEX and f["path"].endswith(("postgresql.log", ".csv", ".json")):
                for key, pats in PG_SMOKE.items():
                    if key in exp:
                        got[key] = len(re.findall(pats[PG_KIND_INDEX[kind]], body))
            for key, val in got.items():
                if key in exp and exp[key] != val:
                    problems.append(f"{folder}/{f['path']}: {key} = {val} in the log, {exp[key]} in the ledger")
        if cap["server"] == "apache2" and "xff" in cap:
            # remoteip_access.log: %a and the XFF left over, request by request.
            rows = cap["xff"]["per_request"]
            lines = text(base / folder / "remoteip_access.log").splitlines()
            for row, line in zip(rows, lines):
                client = line.split(" ", 1)[0]
                xff = line.rsplit('"', 2)[-2]
                want_xff = row["expected_apache_xff_after_remoteip"] or "-"
                if client != row["expected_apache_client_ip"] or xff != want_xff:
                    problems.append(
                        f"{folder}/remoteip_access.log request {row['n']}: "
                        f"{client} {xff!r}, expected "
                        f"{row['expected_apache_client_ip']} {want_xff!r}"
                    )
        log(f"checked {folder}: {len(cap.get('files', []))} files")
    return problems


# ---------------------------------------------------------------------------
# Apache ErrorLogFormat with ISO times, behind HAProxy (option httpslog and a
# custom log-format).  Kept apart from the web capture above: its own config,
# ports, workload, ledger and output folders.
# ---------------------------------------------------------------------------
#: mod_log_config + core: %{cu}t is the compact ISO 8601 time with micro-seconds
APACHE_ISO_ERRORLOGFORMAT = r"[%{cu}t] [%-m:%l] [pid %P:tid %T] %7F: %E: [client\ %a] %M% ,\ referer\ %{Referer}i"

APACHE_ISO_CONF = r"""
# Written by scripts/capture_real_logs.py -- loopback only.
ServerRoot "@D@"
ServerName localhost
Listen 127.0.0.1:@PORT@
PidFile @D@/run/apache2.pid
DefaultRuntimeDir @D@/run
Mutex file:@D@/run default
User www-data
Group www-data
Timeout 10
KeepAlive Off
HostnameLookups Off

LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authn_core_module /usr/lib/apache2/modules/mod_authn_core.so
LoadModule authn_file_module /usr/lib/apache2/modules/mod_authn_file.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule authz_user_module /usr/lib/apache2/modules/mod_authz_user.so
LoadModule auth_basic_module /usr/lib/apache2/modules/mod_auth_basic.so
LoadModule dir_module /usr/lib/apache2/modules/mod_dir.so
LoadModule mime_module /usr/lib/apache2/modules/mod_mime.so

StartServers 1
ServerLimit 1
ThreadsPerChild 5
MaxRequestWorkers 5
TypesConfig @D@/mime.types
AddType text/html .html
DirectoryIndex index.html

ErrorLog @D@/logs/error.log
ErrorLogFormat "@ERRORLOGFORMAT@"
LogLevel info
LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"" combined
CustomLog @D@/logs/access.log combined

<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory @D@/www>
    Options None
    AllowOverride None
    Require all granted
</Directory>
<Location /private/>
    AuthType Basic
    AuthName "Staff only"
    AuthBasicProvider file
    AuthUserFile @D@/htpasswd
    Require valid-user
</Location>
DocumentRoot @D@/www
"""

#: What the custom frontend logs (HAProxy log-format syntax, as in haproxy.cfg).
HAPROXY_CUSTOM_FORMAT = "%ci:%cp [%tr] %ft %b/%s %HM %HU %HV %ST %B %Ta %[capture.req.hdr(0)]"

HAPROXY_CONF = r"""
# Written by scripts/capture_real_logs.py -- loopback only.
global
    log stdout format rfc3164 local0 info
    log-send-hostname lb.clinic.test
    pidfile @D@/run/haproxy.pid

defaults
    mode http
    log global
    timeout connect 5s
    timeout client 10s
    timeout server 10s

frontend fe_web
    bind 127.0.0.1:@HTTPS_LOG_PORT@
    option httpslog
    http-request capture req.hdr(User-Agent) len 200
    default_backend be_apache

frontend fe_custom
    bind 127.0.0.1:@CUSTOM_PORT@
    no log
    log 127.0.0.1:@SYSLOG_PORT@ format rfc3164 local1 info
    http-request capture req.hdr(User-Agent) len 200
    log-format "@CUSTOM_FORMAT@"
    default_backend be_apache

backend be_apache
    server apache1 127.0.0.1:@APACHE_PORT@
"""


def start_apache_iso(d: Path, port: int) -> None:
    """Apache with ErrorLogFormat ISO times; basic auth on /private/."""
    write(d / "www" / "index.html", "<html><body><h1>Clinic</h1></body></html>\n")
    write(d / "www" / "private" / "index.html", "<html><body>staff area</body></html>\n")
    write(d / "mime.types", "# types are set with AddType\n")
    run(["htpasswd", "-cbm", str(d / "htpasswd"), BASIC_USER, BASIC_PASSWORD])
    for sub in ("logs", "run"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    for p in [d, *d.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    conf = render(APACHE_ISO_CONF, D=d, PORT=port, ERRORLOGFORMAT=APACHE_ISO_ERRORLOGFORMAT.replace('"', '\\"'))
    write(d / "apache2.conf", conf)
    env = {"TZ": SERVER_TZ, "LANG": "C"}
    run(["apache2", "-f", str(d / "apache2.conf"), "-t"], env=env)
    run(["apache2", "-f", str(d / "apache2.conf"), "-k", "start"], env=env)

    def stop():
        run(["apache2", "-f", str(d / "apache2.conf"), "-k", "stop"], env=env, check=False)
        wait_for(lambda: not (d / "run/apache2.pid").exists(), "apache (ISO) to stop", 30)

    STARTED.append(("apache2 (ErrorLogFormat)", stop))
    wait_for(lambda: port_open(port), "apache (ISO) port")


def start_haproxy(d: Path, ports: dict[str, int]) -> None:
    """HAProxy in the foreground: httpslog lines on stdout, the custom frontend's on stderr."""
    (d / "run").mkdir(parents=True, exist_ok=True)
    (d / "logs").mkdir(parents=True, exist_ok=True)
    conf = render(
        HAPROXY_CONF,
        D=d,
        HTTPS_LOG_PORT=ports["haproxy_httpslog"],
        CUSTOM_PORT=ports["haproxy_custom"],
        APACHE_PORT=ports["apache_iso"],
        CUSTOM_FORMAT=HAPROXY_CUSTOM_FORMAT,
        SYSLOG_PORT=ports["haproxy_syslog"],
    )
    write(d / "haproxy.cfg", conf)
    # the custom frontend logs over UDP syslog: a collector writes each datagram as a line
    collector = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    collector.bind((LOOPBACK, ports["haproxy_syslog"]))
    collector.settimeout(0.2)
    received: list[bytes] = []
    stop_collecting = threading.Event()

    def collect() -> None:
        while not stop_collecting.is_set():
            try:
                received.append(collector.recv(65536).rstrip(b"\n"))
            except TimeoutError:
                continue

    thread = threading.Thread(target=collect, daemon=True)
    thread.start()
    env = {**os.environ, "TZ": SERVER_TZ, "LANG": "C"}
    run(["haproxy", "-c", "-q", "-f", str(d / "haproxy.cfg")], env=env)
    out = open(d / "logs" / "haproxy.log", "wb")
    # stderr only repeats HAProxy's own warnings in -db mode: not kept
    proc = subprocess.Popen(
        ["haproxy", "-db", "-f", str(d / "haproxy.cfg")], stdout=out, stderr=subprocess.DEVNULL, env=env
    )

    def stop():
        proc.send_signal(signal.SIGUSR1)  # soft stop: finish, flush the logs, exit
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.terminate()
            proc.wait(timeout=10)
        out.close()
        time.sleep(0.5)
        stop_collecting.set()
        thread.join(timeout=5)
        collector.close()
        write(d / "logs" / "haproxy_custom.log", b"".join(line + b"\n" for line in received))

    STARTED.append(("haproxy", stop))
    # one port at a time: each check that connects is one logged connection (a <BADREQ>
    # line: opened, closed without a request), which the workload's ledger records
    wait_for(lambda: port_open(ports["haproxy_httpslog"]), "haproxy httpslog port")
    wait_for(lambda: port_open(ports["haproxy_custom"]), "haproxy custom port")


def raw_status(port: int, payload: bytes, source: str = LOOPBACK) -> int:
    """Send raw bytes and return the status the server answered (0 when it closed without one)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(15)
        s.bind((source, 0))
        s.connect((LOOPBACK, port))
        s.sendall(payload)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    first = data.split(b"\r\n", 1)[0].decode("latin-1")
    return int(first.split(" ")[1]) if first.startswith("HTTP/") else 0


#: Attack payloads sent with their raw bytes (curl would not send some of them as they are).
RAW_ATTACKS = [
    '/q?x=<script>alert("t")</script>',
    '/${("a"+"b")}/x.action',
    "/search?q=' OR '1'='1",
    "/..%2f..%2fetc/passwd",
]


def proxy_workload(ports: dict[str, int]) -> list[dict]:
    """Requests through HAProxy to Apache, recorded as they are sent (status as answered)."""
    ledger: list[dict] = []

    def rec(frontend: str, method: str, target: str, status: int, source: str, **extra) -> None:
        ledger.append(
            {
                "n": len(ledger) + 1,
                "time_utc": utcnow(),
                "frontend": frontend,
                "source_ip": source,
                "method": method,
                "request_target": target,
                "status": status,
                **extra,
            }
        )
        time.sleep(0.05)

    def curl(frontend: str, path: str, source: str = LOOPBACK, user: str | None = None, pw: str | None = None,
             ua: str = UA_BROWSER) -> None:  # fmt: skip
        cmd = ["curl", "-sS", "--path-as-is", "-g", "--max-time", "15", "-o", "/dev/null", "-w", "%{http_code}"]
        cmd += ["--interface", source, "-A", ua]
        if user is not None:
            cmd += ["-u", f"{user}:{pw}"]
        cmd.append(f"http://{LOOPBACK}:{ports[frontend]}{path}")
        res = run(cmd, check=False)
        rec(frontend, "GET", path, int(res.stdout.decode().strip() or 0), source, basic_auth_user=user, user_agent=ua)

    for frontend in ("haproxy_httpslog", "haproxy_custom"):
        ledger.append(
            {"n": len(ledger) + 1, "time_utc": None, "frontend": frontend, "source_ip": LOOPBACK, "method": None,
             "request_target": None, "status": 400, "client": "port-check",
             "note": "the harness's start-up port check: connected and closed without a request"}
        )  # fmt: skip
    for frontend in ("haproxy_httpslog", "haproxy_custom"):
        curl(frontend, "/")
        curl(frontend, "/private/", user=BASIC_USER, pw=BASIC_PASSWORD)
        curl(frontend, "/private/", source=ATTACKER_IP, user=BASIC_UNKNOWN_USER, pw="guess1")
        curl(frontend, "/private/", source=ATTACKER_IP, user=BASIC_USER, pw="wrong-password")
        curl(frontend, "/no-such-page", source=ATTACKER_IP, ua=UA_SQLMAP)
        for target in RAW_ATTACKS:
            payload = f"GET {target} HTTP/1.0\r\nHost: www.clinic.test\r\nUser-Agent: {UA_SQLMAP}\r\n\r\n"
            status = raw_status(ports[frontend], payload.encode(), ATTACKER_IP)
            rec(frontend, "GET", target, status, ATTACKER_IP, client="raw-socket", user_agent=UA_SQLMAP)
    return ledger


def proxy_outputs(base: Path, wd: Path, ledger: list[dict], started: str, finished: str) -> list[Path]:
    """tests/data/real/apache2_errorlogformat-<v>/ and haproxy-<v>/ with their ledgers."""
    a_ver = re.search(r"Apache/(\S+)", run(["apache2", "-v"]).stdout.decode()).group(1)  # type: ignore[union-attr]
    h_out = run(["haproxy", "-v"]).stdout.decode()
    h_ver = re.search(r"version (\d+\.\d+\.\d+)", h_out).group(1)  # type: ignore[union-attr]
    auth_failures = [
        {"user": r["basic_auth_user"], "source_ip_at_proxy": r["source_ip"], "path": r["request_target"],
         "kind": "user not found" if r["basic_auth_user"] == BASIC_UNKNOWN_USER else "password mismatch"}
        for r in ledger
        if r["status"] == 401 and r.get("basic_auth_user")
    ]  # fmt: skip
    outs = []
    out = fresh_out_dir(base, f"apache2_errorlogformat-{a_ver}")
    copy_logs(wd / "apache_iso" / "logs", out, ["error.log", "access.log"])
    doc = common_header("apache2", a_ver, run(["apache2", "-v"]).stdout.decode(), ["apache2"], started, finished)
    doc["config"] = {"ErrorLogFormat": APACHE_ISO_ERRORLOGFORMAT, "LogLevel": "info", "behind": "haproxy"}
    doc["files"] = [
        file_info(out / "error.log", kind="apache_error", expected={"auth_failures": auth_failures}),
        file_info(
            out / "access.log",
            kind="apache_access",
            expected={"requests": [r for r in ledger if r["status"] not in (0, 400) and r["method"]]},
            note="every request HAProxy passed on (HAProxy answers malformed ones itself); peer is HAProxy",
        ),
    ]
    write_capture(out, doc)
    outs.append(out / "capture.json")
    out = fresh_out_dir(base, f"haproxy-{h_ver}")
    copy_logs(wd / "haproxy" / "logs", out, ["haproxy.log", "haproxy_custom.log"])
    doc = common_header("haproxy", h_ver, h_out, ["haproxy"], started, finished)
    doc["config"] = {"haproxy.cfg": (wd / "haproxy" / "haproxy.cfg").read_text().strip(),
                     "custom_log_format": HAPROXY_CUSTOM_FORMAT}  # fmt: skip
    doc["files"] = [
        file_info(out / "haproxy.log", kind="haproxy_httpslog",
                  expected={"requests": [r for r in ledger if r["frontend"] == "haproxy_httpslog"]}),
        file_info(out / "haproxy_custom.log", kind="haproxy_log_format", log_format=HAPROXY_CUSTOM_FORMAT,
                  expected={"requests": [r for r in ledger if r["frontend"] == "haproxy_custom"]}),
    ]  # fmt: skip
    write_capture(out, doc)
    outs.append(out / "capture.json")
    return outs


def capture_proxy(base: Path, wd: Path) -> list[Path]:
    """The whole ErrorLogFormat + HAProxy capture (``--only proxy``)."""
    started = utcnow()
    start_apache_iso(wd / "apache_iso", PORTS_USED["apache_iso"])
    start_haproxy(wd / "haproxy", PORTS_USED)
    log("proxy workload (HAProxy -> Apache)")
    ledger = proxy_workload(PORTS_USED)
    time.sleep(1.0)
    stop_all()
    return proxy_outputs(base, wd, ledger, started, utcnow())


# ---------------------------------------------------------------------------
# Database configuration variants and PgBouncer: verbose PostgreSQL errors with
# the AWS RDS prefix, PostgreSQL through syslog (rsyslog writing a file),
# MariaDB with a refused database and the audit query limit, PgBouncer in
# front of PostgreSQL.  Each writes its own folder (postgresql_variants-*,
# mariadb_variants-*, pgbouncer-*) with its own ledger; attacker-style SQL.
# ---------------------------------------------------------------------------
DB_SECRET = "payroll"  # a database the application account may not use
AUDIT_QUERY_LOG_LIMIT = 200  # server_audit_query_log_limit of the MariaDB variant
VARIANT_ROWS = 60


def _pg_attack_statements(copy_target: Path) -> list[dict]:
    """What an attacker with the application's account tries on PostgreSQL (invented data)."""
    return [
        stmt("SELECT id, last_name FROM patients WHERE id = 1", "read"),
        stmt(
            "SELECT id, last_name FROM patients WHERE id = 1 UNION ALL "
            "SELECT 0, table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
            "read",
            "sqli",
            "information_schema",
        ),
        stmt(
            "SELECT usename, passwd FROM pg_shadow UNION SELECT last_name, ssn FROM patients",
            "read",
            "sqli",
            "error",
            ok=False,
        ),
        stmt("SELECT 1 FROM DUAL", "sqli", "error", "dual", ok=False),
        stmt(f"COPY (SELECT * FROM patients) TO '{copy_target}'", "sqli", "error", "outfile", ok=False),
        stmt(
            "SELECT p.id, l.x, n FROM patients p JOIN LATERAL (SELECT p.id * 2 AS x) l ON true "
            "JOIN unnest(ARRAY[1, 2]) n ON true ORDER BY p.id LIMIT 4",
            "read",
            "lateral_unnest",
        ),
        stmt("SELECT * FROM patients WHERE id = 1 AND", "sqli", "error", "syntax_error", ok=False),
    ]


def pg_variant_workload(p: Postgres, copy_target: Path) -> None:
    """Setup, failed logins of three kinds, then the attacker's session."""
    L = p.ledger
    q = lambda s: s.replace("'", "''")  # noqa: E731
    step = "setup as postgres: application role, database, pgaudit"
    L.begin(step)
    p.session(
        "postgres",
        None,
        [
            stmt(f"CREATE ROLE {DB_APP_USER} LOGIN PASSWORD '{q(DB_APP_PASSWORD)}'", "role", "create_user"),
            stmt(f"CREATE DATABASE {DB_NAME} OWNER {DB_APP_USER}", "ddl"),
        ],
        database="postgres",
        step=step,
    )
    p.session("postgres", None, [stmt("CREATE EXTENSION pgaudit", "ddl")], step=step)
    step = "failed logins: wrong password, unknown user, database that does not exist"
    L.begin(step)
    p.failed_login(DB_APP_USER, DB_WRONG_PASSWORDS[0], "wrong_password", step)
    p.failed_login(DB_UNKNOWN_USERS[0], "toor", "unknown_user", step)
    p.failed_login(DB_APP_USER, DB_APP_PASSWORD, "database_does_not_exist", step, database=DB_SECRET)
    step = "table and rows as the application user"
    L.begin(step)
    p.session(
        DB_APP_USER,
        DB_APP_PASSWORD,
        [
            stmt(
                "CREATE TABLE patients (id int PRIMARY KEY, last_name text NOT NULL, ssn text)", "ddl", "implicit_index"
            ),
            stmt(
                "INSERT INTO patients SELECT g, 'Name' || g, '900-00-' || lpad(g::text, 4, '0') "
                f"FROM generate_series(1, {VARIANT_ROWS}) g",
                "write",
            ),
        ],
        step=step,
    )
    step = "attacker-style SQL with the application account"
    L.begin(step)
    p.session(DB_APP_USER, DB_APP_PASSWORD, _pg_attack_statements(copy_target), step=step)


PG_VARIANT_RUNS = [
    {
        "name": "verbose",
        "log_line_prefix": "%t:%r:%u@%d:[%p]:",
        "statement_logging": {"log_statement": "all", "log_min_duration_statement": "-1"},
        "extra": {"log_error_verbosity": "verbose"},
        "files": ["postgresql.log", "postgresql.csv", "postgresql.json"],
    },
    {
        "name": "syslog",
        "log_line_prefix": "user=%u,db=%d,app=%a,client=%h ",
        "statement_logging": {"log_statement": "all", "log_min_duration_statement": "-1"},
        "extra": {"log_destination": "syslog", "logging_collector": "off", "syslog_ident": "postgres"},
        "files": ["syslog.log"],
    },
]

RSYSLOG_CONF = """# Written by scripts/capture_real_logs.py: PostgreSQL's syslog lines to one file.
global(workDirectory="@D@")
module(load="imuxsock" SysSock.Name="/dev/log" SysSock.UsePIDFromSystem="on")
if $programname == "postgres" then {
  action(type="omfile" file="@D@/logs/syslog.log" template="RSYSLOG_TraditionalFileFormat")
}
"""


class PostgresVariant(Postgres):
    """A cluster whose settings add the run's ``extra`` (verbosity, destination)."""

    @property
    def settings(self) -> dict:
        s = super().settings
        s.update(self.cfg.get("extra", {}))
        return s


def start_rsyslog(d: Path) -> bool:
    """rsyslogd on /dev/log writing PostgreSQL's lines to d/logs/syslog.log; False when /dev/log is taken."""
    if Path("/dev/log").exists() or not shutil.which("rsyslogd"):
        log("skipping the syslog run: /dev/log already exists or rsyslogd is missing")
        return False
    (d / "logs").mkdir(parents=True, exist_ok=True)
    write(d / "rsyslog.conf", render(RSYSLOG_CONF, D=d))
    proc = subprocess.Popen(
        ["rsyslogd", "-n", "-f", str(d / "rsyslog.conf"), "-i", str(d / "rsyslog.pid")],
        env={**os.environ, "TZ": SERVER_TZ},  # the header times in the servers' zone, like the other logs
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )

    def stop():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        Path("/dev/log").unlink(missing_ok=True)

    STARTED.append(("rsyslogd", stop))
    wait_for(lambda: Path("/dev/log").exists(), "rsyslogd to open /dev/log", 30)
    return True


def pg_variants_capture(base: Path, wd: Path, ports: dict[str, int]) -> Path | None:
    """postgresql_variants-<version>/: the verbose (stderr, csvlog, jsonlog) and syslog runs."""
    started = utcnow()
    bindir = Path(
        sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parent.parent.name))[-1]
    ).parent
    runs = {}
    ver = vout = None
    for cfg in PG_VARIANT_RUNS:
        pd = wd / "postgresql_variants" / cfg["name"]
        pd.mkdir(parents=True)
        if cfg["name"] == "syslog" and not start_rsyslog(pd):
            continue
        ledger = DbLedger("postgresql")
        p = PostgresVariant(pd, ports[f"postgresql_{cfg['name']}"], ledger, bindir, cfg)
        log(f"starting PostgreSQL ({cfg['name']})")
        p.start()
        pg_variant_workload(p, pd / "stolen.csv")
        time.sleep(1.0)  # let rsyslog write the last lines
        stop_all()
        ver, vout = p.version()
        runs[cfg["name"]] = {"dir": pd, "ledger": ledger, "cfg": cfg, "settings": p.settings}
    finished = utcnow()
    if not runs:
        return None
    out = fresh_out_dir(base, f"postgresql_variants-{ver}")
    doc = common_header(
        "postgresql",
        ver,
        vout,
        [f"postgresql-{bindir.parent.name}", f"postgresql-{bindir.parent.name}-pgaudit", "rsyslog"],
        started,
        finished,
    )
    doc["files"], doc["runs"] = [], {}
    kinds = {".log": "postgresql_stderr", ".csv": "postgresql_csvlog", ".json": "postgresql_jsonlog"}
    for name, r in runs.items():
        copy_logs(r["dir"] / "logs", out / name, r["cfg"]["files"])
        pexp = postgres_file_expectations(r["ledger"], r["cfg"]["statement_logging"])
        files = []
        for fname in r["cfg"]["files"]:
            kind = "postgresql_syslog" if name == "syslog" else kinds[Path(fname).suffix]
            if name == "verbose" and kind == "postgresql_stderr":
                kind = "postgresql_stderr_verbose"  # "FATAL:  28P01: ...": not for the stderr smoke patterns
            extra = {"log_line_prefix": r["cfg"]["log_line_prefix"]} if kind != "postgresql_csvlog" else {}
            f = file_info(out / name / fname, kind=kind, expected=pexp, **extra)
            f["path"] = f"{name}/{f['path']}"
            files.append(f)
        doc["files"] += files
        doc["runs"][name] = {
            "config": {
                "settings": r["settings"],
                "pg_hba.conf": PG_HBA.strip(),
                "log_line_prefix": r["cfg"]["log_line_prefix"],
                **({"rsyslog.conf": render(RSYSLOG_CONF, D="<workdir>")} if name == "syslog" else {}),
            },
            "files": [f["path"] for f in files],
            **db_doc("postgresql", r["ledger"]),
        }
    doc["rotation"] = None
    doc["workload_note"] = "each run: a fresh cluster, the same setup, failed logins and attacker-style session"
    write_capture(out, doc)
    return out


MARIADB_VARIANT_CNF = MARIADB_CNF.replace(
    "server_audit_file_rotations = 9",
    f"server_audit_file_rotations = 9\nserver_audit_query_log_limit = {AUDIT_QUERY_LOG_LIMIT}",
)


class MariaDBVariant(MariaDB):
    """MariaDB with ``server_audit_query_log_limit`` set low (long statements are cut)."""

    def start(self) -> None:
        global MARIADB_CNF
        saved, MARIADB_CNF = MARIADB_CNF, MARIADB_VARIANT_CNF
        try:
            super().start()
        finally:
            MARIADB_CNF = saved

    def refused_database(self, step: str) -> dict:
        """Right password, but a database the account has no grant on: refused after the password."""
        cmd = self._client(DB_APP_USER, DB_APP_PASSWORD, tcp=True, database=DB_SECRET)
        res = run([*cmd, "-e", "SELECT 1"], check=False)
        err = res.stderr.decode(errors="replace")
        if res.returncode == 0 or f"to database '{DB_SECRET}'" not in err:
            raise RuntimeError(f"login to {DB_SECRET} should have been refused: {err}")
        rec = self.ledger.session(
            user=DB_APP_USER,
            via=f"tcp {LOOPBACK}:{self.port}",
            ok=False,
            statements=[],
            failure="database_refused",
            database=DB_SECRET,
            step=step,
        )
        rec["client_error"] = err.strip()
        return rec


def mariadb_variant_workload(m: MariaDB) -> None:
    L = m.ledger
    pw = lambda s: s.replace("\\", "\\\\").replace("'", "\\'")  # noqa: E731
    step = "setup as root: two databases, the application user may use only one"
    L.begin(step)
    m.session(
        "root",
        None,
        [
            stmt(f"CREATE DATABASE {DB_NAME} CHARACTER SET utf8mb4", "ddl"),
            stmt(f"CREATE DATABASE {DB_SECRET} CHARACTER SET utf8mb4", "ddl"),
            stmt(f"CREATE USER '{DB_APP_USER}'@'127.0.0.1' IDENTIFIED BY '{pw(DB_APP_PASSWORD)}'", "role"),
            stmt(f"GRANT SELECT, INSERT, CREATE ON {DB_NAME}.* TO '{DB_APP_USER}'@'127.0.0.1'", "role"),
        ],
        tcp=False,
        database=None,
        step=step,
    )
    step = "the application user asks for the database it may not use"
    L.begin(step)
    m.refused_database(step)
    step = "attacker-style SQL, some longer than the audit limit"
    L.begin(step)
    long_union = (
        "SELECT id, last_name FROM patients WHERE id = 1 UNION ALL SELECT table_schema, table_name "
        "FROM information_schema.tables WHERE table_schema NOT IN ('mysql', 'performance_schema', 'sys') "
        "UNION ALL SELECT 1, 'x' FROM DUAL ORDER BY 1"
    )
    m.session(
        DB_APP_USER,
        DB_APP_PASSWORD,
        [
            stmt("CREATE TABLE patients (id INT PRIMARY KEY, last_name VARCHAR(64), ssn CHAR(11))", "ddl"),
            stmt(
                "INSERT INTO patients SELECT seq, CONCAT('Name', seq), CONCAT('900-00-', LPAD(seq, 4, '0')) "
                f"FROM seq_1_to_{VARIANT_ROWS}",
                "write",
            ),
            stmt("SELECT 1 FROM DUAL", "read", "dual"),
            stmt(long_union, "read", "sqli", "information_schema", "over_audit_limit"),
            stmt(
                "SELECT * FROM patients INTO OUTFILE '/tmp/forensic-timeline-capture/patients.csv'",
                "sqli",
                "error",
                "outfile",
                ok=False,
            ),
            stmt(f"USE {DB_SECRET}", "error", "database_refused_in_session", ok=False),
        ],
        step=step,
    )


def mariadb_variants_capture(base: Path, wd: Path, ports: dict[str, int]) -> Path:
    started = utcnow()
    md = wd / "mariadb_variants"
    ledger = DbLedger("mariadb")
    m = MariaDBVariant(md, ports["mariadb_variants"], ledger)
    log("starting MariaDB (variants)")
    m.start()
    mariadb_variant_workload(m)
    time.sleep(0.5)
    stop_all()
    finished = utcnow()
    ver, vout = m.version()
    out = fresh_out_dir(base, f"mariadb_variants-{ver}")
    names = ["server_audit.log", "general.log", "slow.log", "error.log"]
    copy_logs(md / "logs", out, names)
    doc = common_header("mariadb", ver, vout, ["mariadb-server", "mariadb-client"], started, finished)
    doc["config"] = {
        "my.cnf": (md / "my.cnf").read_text().strip(),
        "server_audit_query_log_limit": AUDIT_QUERY_LOG_LIMIT,
        "port": ports["mariadb_variants"],
    }
    stmts = [st for s in ledger.sessions if s["login_ok"] for st in s["statements"]]
    cut = sum(1 for st in stmts if len(st["sql"].replace("\\", "\\\\").replace("'", "\\'")) > AUDIT_QUERY_LOG_LIMIT)
    refused = [s for s in ledger.sessions if s["failure"] == "database_refused"]
    doc["files"] = [
        file_info(out / "server_audit.log", kind="mariadb_audit", expected={"queries_over_limit": cut}),
        file_info(
            out / "general.log",
            kind="mariadb_general",
            expected={
                "database_refused_at_login": len(refused),
                "database_refused_in_session": sum(1 for st in stmts if "database_refused_in_session" in st["tags"]),
            },
        ),
        file_info(out / "slow.log", kind="mariadb_slow", expected={"entries": len(stmts)}),
        file_info(out / "error.log", kind="mariadb_error"),
    ]
    doc["rotation"] = None
    doc.update(db_doc("mariadb", ledger))
    write_capture(out, doc)
    return out


PGBOUNCER_INI = """;; Written by scripts/capture_real_logs.py -- loopback only.
[databases]
@DB@ = host=127.0.0.1 port=@PGPORT@ dbname=@DB@

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = @PORT@
unix_socket_dir =
auth_type = scram-sha-256
auth_file = @D@/userlist.txt
logfile = @D@/logs/pgbouncer.log
pidfile = @D@/run/pgbouncer.pid
log_connections = 1
log_disconnections = 1
log_pooler_errors = 1
stats_period = 60
"""


def pgbouncer_capture(base: Path, wd: Path, ports: dict[str, int]) -> Path:
    """pgbouncer-<version>/: logins through PgBouncer to a PostgreSQL cluster, good and refused."""
    started = utcnow()
    bindir = Path(
        sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parent.parent.name))[-1]
    ).parent
    pd, bd = wd / "pgbouncer" / "postgresql", wd / "pgbouncer"
    pd.mkdir(parents=True)
    cfg = {"name": "pgbouncer", "log_line_prefix": "%m [%p] ", "statement_logging": {}}
    server = Postgres(pd, ports["postgresql_pgbouncer"], DbLedger("postgresql"), bindir, cfg)
    server.start()
    server.session(
        "postgres",
        None,
        [
            stmt(f"CREATE ROLE {DB_APP_USER} LOGIN PASSWORD '{DB_APP_PASSWORD}'", "role"),
            stmt(f"CREATE DATABASE {DB_NAME} OWNER {DB_APP_USER}", "ddl"),
        ],
        database="postgres",
    )
    for sub in ("logs", "run"):
        (bd / sub).mkdir(parents=True, exist_ok=True)
        shutil.chown(bd / sub, "postgres", "postgres")
    write(
        bd / "pgbouncer.ini",
        render(PGBOUNCER_INI, D=bd, DB=DB_NAME, PGPORT=ports["postgresql_pgbouncer"], PORT=ports["pgbouncer"]),
    )
    write(bd / "userlist.txt", f'"{DB_APP_USER}" "{DB_APP_PASSWORD}"\n', 0o640)
    shutil.chown(bd / "userlist.txt", "postgres", "postgres")
    run(["pgbouncer", "-d", str(bd / "pgbouncer.ini")], user="postgres")
    STARTED.append(("pgbouncer", lambda: kill_pidfile(bd / "run/pgbouncer.pid")))
    wait_for(lambda: port_open(ports["pgbouncer"]), "pgbouncer to listen", 30)
    ledger = DbLedger("pgbouncer")
    front = Postgres(bd, ports["pgbouncer"], ledger, bindir, cfg)  # psql pointed at PgBouncer
    step = "good logins through PgBouncer"
    ledger.begin(step)
    front.session(DB_APP_USER, DB_APP_PASSWORD, [stmt("SELECT count(*) FROM pg_class", "read")], step=step)
    front.session(DB_APP_USER, DB_APP_PASSWORD, [stmt("SELECT 1 FROM DUAL", "error", "dual", ok=False)], step=step)
    step = "refused logins: wrong password, unknown user, unknown database"
    ledger.begin(step)
    front.failed_login(DB_APP_USER, DB_WRONG_PASSWORDS[0], "wrong_password", step)
    front.failed_login(DB_UNKNOWN_USERS[0], "toor", "unknown_user", step)
    front.failed_login(DB_APP_USER, DB_APP_PASSWORD, "database_does_not_exist", step, database=DB_SECRET)
    time.sleep(0.5)
    stop_all()
    finished = utcnow()
    vout = run(["pgbouncer", "--version"]).stdout.decode().strip()
    ver = vout.split()[1] if vout.startswith("PgBouncer ") else "unknown"
    out = fresh_out_dir(base, f"pgbouncer-{ver}")
    copy_logs(bd / "logs", out, ["pgbouncer.log"])
    doc = common_header("pgbouncer", ver, vout, ["pgbouncer"], started, finished)
    doc["config"] = {
        "pgbouncer.ini": render(PGBOUNCER_INI, D="<workdir>", DB=DB_NAME, PGPORT="<pg port>", PORT="<port>")
    }
    c = ledger.counts()
    doc["files"] = [
        file_info(
            out / "pgbouncer.log",
            kind="pgbouncer",
            expected={"login_attempts": c["db_connection_attempts"], "refused_logins": c["db_failed_logins"]},
        )
    ]
    doc["rotation"] = None
    doc.update(db_doc("pgbouncer", ledger))
    write_capture(out, doc)
    return out


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------
def stop_all() -> None:
    while STARTED:
        name, stop = STARTED.pop()
        try:
            log(f"stopping {name}")
            stop()
        except Exception as exc:  # keep stopping the others
            log(f"WARNING: could not stop {name} cleanly: {exc}")


def clean_workdir(wd: Path) -> None:
    """Stop servers left behind by an interrupted earlier run, then wipe."""
    if wd.exists():
        for pidfile in [
            wd / "nginx/run/nginx.pid",
            wd / "apache/run/apache2.pid",
            wd / "mariadb/run/mariadb.pid",
            *wd.glob("postgresql/*/data/postmaster.pid"),
        ]:
            if pidfile.exists():
                log(f"stopping leftover server from {pidfile}")
                try:
                    kill_pidfile(pidfile, signal.SIGTERM if "nginx" not in str(pidfile) else signal.SIGQUIT)
                except Exception as exc:
                    log(f"WARNING: {exc}")
        shutil.rmtree(wd)
    wd.mkdir(parents=True)
    wd.chmod(0o755)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--workdir", type=Path, default=DEFAULT_WORKDIR, help="scratch folder (wiped at start; default %(default)s)"
    )
    ap.add_argument(
        "--out",
        type=Path,
        default=REPO / "tests/data/real",
        help="where the fixture folders are written (default %(default)s)",
    )
    ap.add_argument(
        "--only",
        choices=["web", "mariadb", "postgresql", "proxy", "db-variants"],
        action="append",
        help="capture only these servers (repeatable)",
    )
    ap.add_argument("--keep-workdir", action="store_true", help="leave the scratch folder in place afterwards")
    args = ap.parse_args()
    only = set(args.only or ["web", "mariadb", "postgresql", "proxy", "db-variants"])
    if os.geteuid() != 0:
        print("must run as root (servers drop to www-data, mysql, postgres)", file=sys.stderr)
        return 2

    wd: Path = args.workdir
    base: Path = args.out
    base.mkdir(parents=True, exist_ok=True)
    clean_workdir(wd)
    taken: set[int] = set()
    for name in (
        "nginx_origin",
        "nginx_proxy",
        "apache_main",
        "apache_remoteip",
        "mariadb",
        "postgresql_run1",
        "postgresql_run2",
        "apache_iso",
        "haproxy_httpslog",
        "haproxy_custom",
        "haproxy_syslog",
        "postgresql_verbose",
        "postgresql_syslog",
        "postgresql_pgbouncer",
        "pgbouncer",
        "mariadb_variants",
    ):
        PORTS_USED[name] = free_port(taken)
    log(f"ports on 127.0.0.1: {PORTS_USED}")

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)

    folders: dict[str, str] = {}
    t0 = time.time()
    try:
        if "web" in only:
            started = utcnow()
            nd, ad = wd / "nginx", wd / "apache"
            setup_web_docroot(nd)
            setup_web_docroot(ad)
            start_apache(ad, PORTS_USED)
            start_nginx(nd, PORTS_USED)
            ledger = HttpLedger()
            http = Http(ledger, PORTS_USED)
            log("HTTP workload")
            rotations = http_workload(http, ledger, nd)
            time.sleep(1.0)
            stop_all()
            finished = utcnow()
            for p in web_outputs(base, wd, ledger, rotations, started, finished):
                log(f"wrote {p.relative_to(base)} ({p.stat().st_size} bytes)")
                folders[p.parent.name.split("-")[0]] = p.parent.name

        if "mariadb" in only:
            started = utcnow()
            md = wd / "mariadb"
            ledger = DbLedger("mariadb")
            m = MariaDB(md, PORTS_USED["mariadb"], ledger)
            log("starting MariaDB")
            m.start()
            log("MariaDB workload")
            rotations = mariadb_workload(m)
            time.sleep(0.5)
            stop_all()
            finished = utcnow()
            ver, vout = m.version()
            out = fresh_out_dir(base, f"mariadb-{ver}")
            names = ["server_audit.log.1", "server_audit.log", "general.log", "slow.log", "error.log"]
            copy_logs(md / "logs", out, names)
            doc = common_header(
                "mariadb", ver, vout, ["mariadb-server", "mariadb-server-core", "mariadb-client"], started, finished
            )
            doc["config"] = {
                "my.cnf": (md / "my.cnf").read_text().strip(),
                "settings": MARIADB_SETTINGS,
                "port": PORTS_USED["mariadb"],
            }
            fexp = mariadb_file_expectations(ledger)
            doc["files"] = [
                file_info(
                    out / "server_audit.log.1",
                    kind="mariadb_audit",
                    rotation_generation=1,
                    expected=fexp["server_audit.log.1"],
                ),
                file_info(
                    out / "server_audit.log",
                    kind="mariadb_audit",
                    rotation_generation=0,
                    expected=fexp["server_audit.log"],
                ),
                file_info(out / "general.log", kind="mariadb_general", expected=fexp["general.log"]),
                file_info(out / "slow.log", kind="mariadb_slow", expected=fexp["slow.log"]),
                file_info(out / "error.log", kind="mariadb_error", expected=fexp["error.log"]),
            ]
            doc["rotation"] = {
                "server_audit.log": {"oldest_first": ["server_audit.log.1", "server_audit.log"], "actions": rotations}
            }
            doc.update(db_doc("mariadb", ledger))
            doc["hostile"] = db_hostile()
            write_capture(out, doc)
            folders["mariadb"] = out.name
            log(f"wrote {out.relative_to(base)}")

        if "postgresql" in only:
            started = utcnow()
            bindir = Path(
                sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parent.parent.name))[-1]
            ).parent
            runs = {}
            ver = vout = None
            for cfg in PG_RUNS:
                pd = wd / "postgresql" / cfg["name"]
                pd.mkdir(parents=True)
                ledger = DbLedger("postgresql")
                p = Postgres(pd, PORTS_USED[f"postgresql_{cfg['name']}"], ledger, bindir, cfg)
                log(f"starting PostgreSQL ({cfg['name']})")
                p.start()
                log(f"PostgreSQL workload ({cfg['name']})")
                postgres_workload(p)
                time.sleep(0.5)
                stop_all()
                ver, vout = p.version()
                runs[cfg["name"]] = {"dir": pd, "ledger": ledger, "cfg": cfg, "settings": p.settings}
            finished = utcnow()
            out = fresh_out_dir(base, f"postgresql-{ver}")
            doc = common_header(
                "postgresql",
                ver,
                vout,
                [f"postgresql-{bindir.parent.name}", f"postgresql-{bindir.parent.name}-pgaudit"],
                started,
                finished,
            )
            doc["files"] = []
            doc["runs"] = {}
            for name, r in runs.items():
                copy_logs(r["dir"] / "logs", out / name, ["postgresql.log", "postgresql.csv", "postgresql.json"])
                pexp = postgres_file_expectations(r["ledger"], r["cfg"]["statement_logging"])
                # What the postmaster wrote to stderr (pg_ctl -l) before the
                # logging collector took over.
                copy_logs(r["dir"], out / name, ["startup.log"])
                files = [
                    file_info(
                        out / name / "startup.log",
                        kind="postgresql_stderr",
                        log_line_prefix=r["cfg"]["log_line_prefix"],
                        note="pg_ctl -l output: the lines written before the "
                        "logging collector started (the stderr log's "
                        "%l line numbers continue from these)",
                    ),
                    file_info(
                        out / name / "postgresql.log",
                        kind="postgresql_stderr",
                        log_line_prefix=r["cfg"]["log_line_prefix"],
                        expected=pexp,
                    ),
                    file_info(out / name / "postgresql.csv", kind="postgresql_csvlog", expected=pexp),
                    file_info(out / name / "postgresql.json", kind="postgresql_jsonlog", expected=pexp),
                ]
                for f in files:
                    f["path"] = f"{name}/{f['path']}"
                doc["files"] += files
                d = db_doc("postgresql", r["ledger"])
                doc["runs"][name] = {
                    "config": {
                        "settings": r["settings"],
                        "pg_hba.conf": PG_HBA.strip(),
                        "log_line_prefix": r["cfg"]["log_line_prefix"],
                    },
                    "files": [f["path"] for f in files],
                    **d,
                }
            doc["rotation"] = None
            doc["workload_note"] = (
                "the same workload ran on two fresh clusters that differ only in log_line_prefix and statement logging"
            )
            doc["workload"] = doc["runs"]["run1"]["workload"]
            doc["expected"] = doc["runs"]["run1"]["expected"]
            doc["hostile"] = db_hostile()
            write_capture(out, doc)
            folders["postgresql"] = out.name
            log(f"wrote {out.relative_to(base)}")
        if "proxy" in only:
            for p in capture_proxy(base, wd):
                log(f"wrote {p.relative_to(base)}")
                folders[p.parent.name] = p.parent.name
        if "db-variants" in only:
            for capture in (pg_variants_capture, mariadb_variants_capture, pgbouncer_capture):
                out = capture(base, wd, PORTS_USED)
                if out is not None:
                    folders[out.name.split("-")[0]] = out.name
                    log(f"wrote {out.relative_to(base)}")
    finally:
        stop_all()

    problems = smoke_check(base, folders)
    for p in problems:
        log(f"CHECK FAILED: {p}")
    if not args.keep_workdir:
        shutil.rmtree(wd, ignore_errors=True)
    log(f"done in {time.time() - t0:.0f} s; folders: {', '.join(folders.values())}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
