from __future__ import annotations

import pathlib
import re

from conftest import lines_of, read_bytes

APACHE = re.compile(
    rb'^(?P<h>\S+) - - \[(?P<t>\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\] "(?P<r>(?:[^"\\]|\\.)*)" '
    rb'(?P<s>\d{3}) (?P<b>\d+|-) "(?P<ref>(?:[^"\\]|\\.)*)" "(?P<ua>(?:[^"\\]|\\.)*)" (?P<d>\d+) '
    rb'"(?P<xff>[^"]*)"$'
)
NGINX = re.compile(
    rb'^(?P<ip>[\d.]+) - - \[(?P<t>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00)\] "(?P<r>[^"]*)" (?P<s>\d{3}) (?P<b>\d+) '
    rb'"(?P<ref>[^"]*)" "(?P<ua>[^"]*)" rt=\d+\.\d{3} xff_in="(?P<xff>[^"]*)"$'
)
AUDIT = re.compile(
    rb"^\d{8} \d\d:\d\d:\d\d,db0[12],mediboard,10\.10\.1\.21,\d+,\d+,(CONNECT|DISCONNECT|QUERY),mediboard,"
    rb"(|'(?:[^'\\]|\\.)*'?),0$"
)
ERROR_HEAD = re.compile(
    rb"^\[[A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d\.\d{6} \d{4}\] \[[a-z_]+:[a-z]+\] \[pid \d+:tid \d+\]"
)
GENERAL = re.compile(rb"^(\d{6} [ \d]\d:\d\d:\d\d\t|\t\t) *\d+ (Connect|Query|Quit)\t")
APPLOG = re.compile(rb"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}\] \[[A-Z]+\] .* \[context:\{.*\}\] \[extra:\{.*\}\]$")


def test_apache_access(case: tuple[pathlib.Path, dict]) -> None:
    root, _ = case
    lines = [line for line in lines_of(root, "app01/apache2/access.log*") if line]
    live_last = (root / "app01/apache2/access.log").read_bytes().rsplit(b"\n", 1)[1]
    bad = [line for line in lines if not APACHE.match(line) and line != live_last]
    assert bad == []
    assert any(rb"\"PACS-Viewer\"" in line for line in lines)
    assert any(rb"nom=B\xe9nard" in line for line in lines)
    assert any(b"nom=L%E9v%EAque" in line or b"%E9" in line for line in lines)
    assert any(b"login=bot.stats:St4ts2023" in line for line in lines)
    assert any(b"nom=L%C3%A9v%C3%AAque" in line for line in lines)  # UTF-8 from an API client
    assert any(line.startswith(b"10.10.0.9 ") and b"/mediboard/status.php" in line for line in lines)
    assert any(line.startswith(b"127.0.0.1 ") for line in lines)
    assert all(line.isascii() for line in lines)


def test_nginx(case: tuple[pathlib.Path, dict]) -> None:
    root, _ = case
    lines = [line for line in lines_of(root, "rp01/nginx/access.log*") if line]
    assert [line for line in lines if not NGINX.match(line)] == []
    assert any(b"\\x22PACS-Viewer\\x22" in line for line in lines)
    assert any(b'xff_in="10.20.3.47"' in line for line in lines)
    data = (root / "rp01/nginx/access.log-20241025.gz").read_bytes()
    assert data.count(b"\x1f\x8b\x08\x00") >= 2  # two gzip members


def test_server_audit(case: tuple[pathlib.Path, dict]) -> None:
    root, truth = case
    for host in ("db01", "db02"):
        files = sorted(root.glob(f"{host}/mysql/server_audit.log*"))
        assert files
        for path in files:
            for line in read_bytes(path).split(b"\n")[:-1]:
                assert AUDIT.match(line), (path.name, line[:200])
    assert len(list(root.glob("db01/mysql/server_audit.log.*"))) == 9
    assert truth["file_quirks"]["server_audit"]["db01"]["lines_overwritten"] > 0
    db01 = lines_of(root, "db01/mysql/server_audit.log*")
    assert not any(b",QUERY," in line for line in db01)


def test_general_and_slow(case: tuple[pathlib.Path, dict]) -> None:
    root, _ = case
    general = lines_of(root, "db02/mysql/general.log*")
    entries = [line for line in general if GENERAL.match(line)]
    assert any(line.startswith(b"\t\t") for line in entries)
    assert any(re.match(rb"^\d{6}  \d:\d\d:\d\d\t", line) for line in entries)  # %2d hour
    continuation = [
        line
        for line in general
        if line and not GENERAL.match(line) and not line.startswith((b"/usr/sbin/mariadbd", b"Tcp port", b"Time\t"))
    ]
    assert b"FROM patients" in continuation
    slow = read_bytes(sorted(root.glob("db02/mysql/mariadb-slow.log*"))[0]) + b"".join(
        read_bytes(p) for p in sorted(root.glob("db02/mysql/mariadb-slow.log.*"))
    )
    assert re.search(
        rb"# Time: \d{6} [ \d]\d:\d\d:\d\d\n# User@Host: mediboard\[mediboard\] @ app01\.hds\.local "
        rb"\[10\.10\.1\.21\]\n# Thread_id: \d+  Schema: mediboard  QC_hit: No\n# Query_time: \d+\.\d{6}  "
        rb"Lock_time: \d+\.\d{6}  Rows_sent: \d+  Rows_examined: \d+\n# Rows_affected: 0  Bytes_sent: \d+\n"
        rb"SET timestamp=\d{10};\n",
        slow,
    )
    assert b"'B\xe9nard%'" in slow or b"'L\xe9v\xeaque%'" in slow or b"\xe9" in slow


def test_error_log_and_applog(case: tuple[pathlib.Path, dict]) -> None:
    root, _ = case
    err = lines_of(root, "app01/apache2/error.log*")
    heads = [line for line in err if line.startswith(b"[")]
    assert heads and all(ERROR_HEAD.match(line) for line in heads)
    assert any(b"Allowed memory size of 1073741824 bytes exhausted" in line for line in err)
    assert b"Stack trace:" in err
    app = [line for line in lines_of(root, "app01/mediboard/tmp/application.log*") if line]
    assert all(APPLOG.match(line) for line in app)
    live = (root / "app01/mediboard/tmp/application.log").read_bytes().split(b"\n")
    old = (root / "app01/mediboard/tmp/application.log.1").read_bytes().split(b"\n")
    assert live[:40] == old[-41:-1]


def test_dumps_are_outfile_tsv(case: tuple[pathlib.Path, dict]) -> None:
    root, _ = case
    widths = {
        "users": 14,
        "user_authentication": 15,
        "user_authentication_error": 8,
        "user_agent": 10,
        "user_log": 9,
        "log_access_medical_data": 7,
        "long_request_log": 14,
        "access_log": 18,
        "datasource_log": 9,
        "module_action": 3,
    }
    for table, width in widths.items():
        data = (root / "mediboard_dump" / f"{table}.tsv").read_bytes()
        # a backslash before a real newline or tab continues the field (INTO OUTFILE escaping)
        records = re.split(rb"(?<!\\)\n", data.rstrip(b"\n"))
        for rec in records:
            fields = re.split(rb"(?<!\\)\t", rec)
            assert len(fields) == width, (table, rec[:120])
    users = (root / "mediboard_dump/users.tsv").read_bytes()
    assert "Bénard".encode("latin-1") in users
    user_log = (root / "mediboard_dump/user_log.tsv").read_bytes()
    assert b"\\\\u00e9" in user_log  # JSON \u00e9, its backslash escaped by INTO OUTFILE
    lamd = [
        line.split(b"\t")
        for line in (root / "mediboard_dump/log_access_medical_data.tsv").read_bytes().split(b"\n")
        if line
    ]
    assert all(r[2].endswith(b":00:00") for r in lamd)
    assert sum(1 for r in lamd if r[1] == b"1042" and r[2] == b"2024-10-25 03:00:00") == 6
