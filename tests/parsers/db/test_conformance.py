"""Conformance against other tools' fixtures in ../shared/corpus (skipped when absent).

* Filebeat mysql slowlog and error, postgresql csvlog: field values compared with its
  expected JSON (its harness reads zone-less logs as -02:00, so we do too).
* MariaDB's own server_audit test extract: every line parsed, no reject.
* pgaudit's regression output: the 415 ``AUDIT:`` records split into their fields, both
  by the splitter alone and inside a PostgreSQL stderr log.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import polars as pl

from parsers.db.pgaudit import FIELDS, split_pgaudit
from tests.golden import parse_file

FILEBEAT = "elastic+beats/filebeat/module"
#: Filebeat's test harness zone (see the corpus README)
FILEBEAT_TZ = "Etc/GMT+2"


def _expected(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))


def _by_offset(events: pl.DataFrame) -> dict[int, dict[str, Any]]:
    out = {}
    for row in events.to_dicts():
        row["_labels"] = json.loads(row.get("labels") or "{}")
        out[row["log.offset"]] = row
    return out


def _containing(events: dict[int, dict[str, Any]], offset: int) -> dict[str, Any]:
    """The event whose record holds byte ``offset`` (Filebeat starts slow-log events at ``# User@Host``)."""
    for start, event in events.items():
        if start <= offset < start + len(event["event.original"].encode("utf-8")):
            return event
    raise KeyError(offset)


def _iso(ts: Any) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) else value


def test_filebeat_mysql_slowlog(corpus: Path, tmp_path: Path) -> None:
    log = corpus / FILEBEAT / "mysql/slowlog/test/mysql-ubuntu-8.0.15.log"
    events, rejects, manifest = parse_file(log, tmp_path, fmt="mysql.slow", tz=FILEBEAT_TZ)
    assert rejects.height == 0
    assert manifest["files"][0]["lines_meta"] == 3
    got = _by_offset(events)
    expected = _expected(log.with_name(log.name + "-expected.json"))
    assert len(got) == len(expected) == 2
    for want in expected:
        e = _containing(got, want["log.offset"])
        # Filebeat keeps the SET timestamp second; the start to the microsecond (UTC ``# Time:`` end
        # minus Query_time) falls in that second
        assert _iso(e["@timestamp"].replace(microsecond=0)) == want["@timestamp"]
        assert "start_from_time_header" in e["tags"]
        assert e["event.duration"] == want["event.duration"]
        assert e["db.user"] == want["user.name"]
        assert e["_labels"]["client_host"] == want["source.domain"]
        assert e["db.rows_returned"] == want["mysql.slowlog.rows_sent"]
        assert e["db.rows_examined"] == want["mysql.slowlog.rows_examined"]
        assert e["db.name"] == want["mysql.slowlog.schema"]
        assert e["db.connection_id"] == int(_first(want["mysql.thread_id"]))
        assert e["db.query.text"] == want["mysql.slowlog.query"]
        assert float(e["_labels"]["Lock_time"]) == want["mysql.slowlog.lock_time.sec"]
        if "mysql.slowlog.bytes_sent" in want:
            assert int(e["_labels"]["Bytes_sent"]) == want["mysql.slowlog.bytes_sent"]
            assert e["_labels"]["Start"] == want["event.start"]
            assert e["_labels"]["End"] == want["event.end"]


def test_filebeat_mysql_error(corpus: Path, tmp_path: Path) -> None:
    log = corpus / FILEBEAT / "mysql/error/test/mysql-ubuntu-8.0.15.log"
    events, rejects, _ = parse_file(log, tmp_path, fmt="mysql.error", tz=FILEBEAT_TZ)
    assert rejects.height == 0
    got = _by_offset(events)
    expected = _expected(log.with_name(log.name + "-expected.json"))
    assert len(got) == len(expected) == 14
    for want in expected:
        e = got[want["log.offset"]]
        assert _iso(e["@timestamp"]) == want["@timestamp"]
        assert e["log.level"] == want["log.level"]
        assert e["message"] == want["message"]
        assert int(e["_labels"]["thread_id"]) == want["mysql.thread_id"]
        assert e["_labels"].get("error_code") == want.get("event.code")
        assert e["_labels"].get("subsystem") == want.get("event.provider")
        if "user.name" in want:
            assert e["db.user"] == want["user.name"]
    aborted = got[1723]
    assert aborted["event.action"] == "db_disconnect" and aborted["event.outcome"] == "failure"
    assert (aborted["db.user"], aborted["db.name"], aborted["db.connection_id"]) == ("sherlock", "testdb", 4016575)
    assert aborted["event.reason"] == "Got an error reading communication packets"


def test_filebeat_postgresql_csvlog(corpus: Path, tmp_path: Path) -> None:
    log = corpus / FILEBEAT / "postgresql/log/test/postgresql-11-connection-disconnection.csv.log"
    events, rejects, _ = parse_file(log, tmp_path, fmt="postgresql.csv", tz=FILEBEAT_TZ)
    assert rejects.height == 0
    got = _by_offset(events)
    expected = _expected(log.with_name(log.name + "-expected.json"))
    assert len(got) == len(expected) == 20
    for want in expected:
        e = got[want["log.offset"]]
        labels = e["_labels"]
        assert _iso(e["@timestamp"]) == want["@timestamp"]
        assert e["log.level"] == want["log.level"]
        assert e["db.connection_id"] == int(want["process.pid"])
        assert labels["session_id"] == want["postgresql.log.session_id"]
        assert labels.get("sqlstate") == want["postgresql.log.sql_state_code"]
        assert labels.get("command_tag") == want.get("postgresql.log.command_tag")
        assert labels.get("application_name") == want.get("postgresql.log.application_name")
        assert labels.get("detail") == want.get("postgresql.log.detail")
        assert e["source.ip"] == want.get("postgresql.log.client_addr")
        assert e["source.port"] == want.get("postgresql.log.client_port")
        if "user.name" in want:
            assert e["db.user"] == want["user.name"]
        if "postgresql.log.database" in want:
            assert e["db.name"] == want["postgresql.log.database"]
        # Filebeat strips "statement: " from statements; we keep the SQL in db.query.text
        assert (e["db.query.text"] or labels.get("message") or e["message"].split("]: ", 1)[1]).startswith(
            want["message"].split("\n")[0][:60]
        ) or e["db.query.text"] == want["message"]
    failed = [e for e in got.values() if e["event.action"] == "db_connect_failed"]
    assert len(failed) == 4 and {e["db.user"] for e in failed} == {"azlev"}
    assert {e["event.outcome"] for e in failed} == {"failure"}
    gone = [e for e in got.values() if e["event.action"] == "db_disconnect"]
    assert len(gone) == 1 and gone[0]["event.duration"] == 45_407_000_000


def _masked_extract(corpus: Path) -> bytes:
    return (corpus / "MariaDB+server/mysql-test/suite/plugins/r/server_audit.result.auditlog-extract.txt").read_bytes()


def _extract(corpus: Path) -> str:
    """MariaDB's test extract with the values its test suite masks (TIME, HOSTNAME, ID) filled in."""
    counter = iter(range(1000, 100_000))
    text = (corpus / "MariaDB+server/mysql-test/suite/plugins/r/server_audit.result.auditlog-extract.txt").read_text()
    text = text.replace("TIME,HOSTNAME,", "20241027 01:00:00,db02,")
    return re.sub(r",ID(?=,)|,ID$", lambda m: f",{next(counter)}", text, flags=re.M)


def test_mariadb_server_audit_extract(corpus: Path, tmp_path: Path) -> None:
    path = tmp_path / "server_audit.log"
    path.write_text(_extract(corpus), encoding="utf-8")
    events, rejects, manifest = parse_file(path, tmp_path, fmt="mariadb.audit", tz="Europe/Paris")
    assert rejects.height == 0
    assert events.height == 215 == manifest["files"][0]["lines_read"]
    ops = events.select(pl.col("labels").str.json_path_match("$.operation")).to_series().value_counts()
    assert dict(ops.iter_rows()) == {
        "QUERY": 98, "WRITE": 81, "READ": 17, "DISCONNECT": 5, "CREATE": 4, "CONNECT": 3, "DROP": 2,
        "FAILED_CONNECT": 2, "ALTER": 1, "RENAME": 1, "PROXY_CONNECT": 1,
    }  # fmt: skip
    texts = events.get_column("db.query.text").to_list()
    assert "set global server_audit_incl_users='odin, dva, tri'" in texts
    assert "set global server_audit_incl_users= repeat(\"'root',\", 10000)" in texts
    assert "select 1,\n2,\n# comment\n3" in texts
    assert "select 'A', " in texts
    long = [t for t in texts if t and t.startswith("select length(")]
    # cut at server_audit_query_log_limit = 1024 escaped bytes; one \\' became '
    assert len(long) == 1 and len(long[0]) == 1023
    assert events.filter(pl.col("tags").list.contains("query_at_log_limit")).height == 1
    failed = events.filter(pl.col("event.action") == "db_connect_failed")
    assert failed.get_column("db.user").to_list() == ["no_such_user", "plug"]
    assert set(failed.get_column("event.outcome")) == {"failure"}
    renamed = events.filter(pl.col("db.operation") == "RENAME")
    assert renamed.get_column("db.tables").to_list() == [["t1", "renamed_t1"]]


def pgaudit_payloads(corpus: Path) -> list[str]:
    """The AUDIT payloads of pgaudit's psql output (records continue while a quote is open)."""
    lines = (corpus / "pgaudit+pgaudit/expected/pgaudit.out").read_text(encoding="utf-8").split("\n")
    payloads = []
    i = 0
    while i < len(lines):
        m = re.match(r"^[A-Z]+:  AUDIT: (.*)$", lines[i])
        if m:
            payload = m.group(1)
            while payload.count('"') % 2 == 1 and i + 1 < len(lines):
                i += 1
                payload += "\n" + lines[i]
            payloads.append(payload)
        i += 1
    return payloads


def _as_csv(fields: list[str | None]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerow(["" if f is None else f for f in fields])
    return out.getvalue().removesuffix("\n")


def test_pgaudit_records_split(corpus: Path) -> None:
    payloads = pgaudit_payloads(corpus)
    assert len(payloads) == 415
    split = pl.DataFrame({"p": payloads}).select(split_pgaudit(pl.col("p")).alias("s")).unnest("s")
    assert split.get_column("audit_type").null_count() == 0
    assert set(split.get_column("audit_type")) == {"SESSION", "OBJECT"}
    assert set(split.get_column("class")) <= {"READ", "WRITE", "FUNCTION", "ROLE", "DDL", "MISC", "MISC_SET"}
    assert split.get_column("statement").null_count() == 0
    assert split.get_column("parameter").null_count() == 0
    # the nine fields written back as CSV give the payload again
    for payload, row in zip(payloads, split.select(*FIELDS, "rows").iter_rows(), strict=True):
        fields = list(row[:-1]) if row[-1] is None else list(row)
        assert _as_csv(fields) == payload
    assert split.get_column("rows").drop_nulls().len() > 0  # pgaudit.log_rows adds a tenth field


def test_pgaudit_records_inside_a_stderr_log(corpus: Path, tmp_path: Path) -> None:
    payloads = pgaudit_payloads(corpus)
    lines = []
    for n, payload in enumerate(payloads):
        stamp = f"2024-10-27 00:{n // 60:02d}:{n % 60:02d}.000 CEST"
        body = payload.replace("\n", "\n\t")  # PostgreSQL's stderr continuation
        lines.append(f"{stamp} [{4000 + n % 7}] regress_user1@contrib_regression LOG:  AUDIT: {body}")
    path = tmp_path / "postgresql-audit.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    events, rejects, _ = parse_file(path, tmp_path, fmt="postgresql.log")
    assert rejects.height == 0
    assert events.height == 415
    labels = events.get_column("labels").str.json_decode(infer_schema_length=None)
    assert labels.struct.field("audit_type").null_count() == 0
    assert (events.get_column("event.action") == "db_query").all()
    statements = pl.Series([p for p in payloads])
    split = pl.DataFrame({"p": statements}).select(split_pgaudit(pl.col("p")).alias("s")).unnest("s")
    shown = events.get_column("db.query.text").fill_null(labels.struct.field("audit_statement"))
    assert shown.to_list() == split.get_column("statement").to_list()
    assert events.get_column("db.operation").to_list() == split.get_column("command").to_list()
    assert events.get_column("object.id").to_list() == split.get_column("object_name").to_list()
