"""mariadb.audit: quoting and escapes, truncated queries, query-id order, syslog form, and round trips."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from forensics.intake.reader import records_from_text
from parsers.base import get_parser
from parsers.db.mariadb_audit import _fast_split, _regex_split, unescape_audit
from tests.golden import parse_file

PARSER = get_parser("mariadb.audit")


def parse(text: str | bytes, state: dict | None = None) -> tuple[list[dict], pl.DataFrame]:
    result = PARSER.parse(records_from_text(text, PARSER), {} if state is None else state)
    return result.events.sort("_rec").to_dicts(), result.rejects


def audit_escape(sql: str) -> str:
    """What server_audit.c escape_string writes (newer versions: \\n, \\r, \\t too)."""
    out = sql.replace("\\", "\\\\").replace("'", "\\'")
    return out.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def test_commas_and_escaped_quotes() -> None:
    line = (
        "20241027 00:41:07,db02,mediboard,10.10.1.21,5531207,88121950,QUERY,mediboard,"
        "'UPDATE users SET nom = \\'N\\\\\\'Guessan\\', adresse = \\'12, rue des Lilas\\' WHERE user_id = 1377',0\n"
    )
    (event,), rejects = parse(line)
    assert rejects.height == 0
    assert (
        event["db.query.text"]
        == "UPDATE users SET nom = 'N\\'Guessan', adresse = '12, rue des Lilas' WHERE user_id = 1377"
    )
    assert event["db.operation"] == "UPDATE" and event["db.tables"] == ["users"]
    assert event["event.outcome"] == "success" and event["db.query.id"] == 88121950
    assert event["tags"] == []


def test_truncated_query_without_closing_quote() -> None:
    lines = (
        "20241027 00:41:06,db02,mediboard,10.10.1.21,5531207,88121941,QUERY,mediboard,"
        "'SELECT * FROM `patients` WHERE (`patient_id` IN (\\'31877\\',\\'31880\n"
        # cut right after an escaped quote followed by digits: must not be read as ",retcode"
        "20241027 00:41:06,db02,mediboard,10.10.1.21,5531207,88121942,QUERY,mediboard,'SELECT 1 FROM t WHERE a IN (\\',123\n"
    )
    events, rejects = parse(lines)
    assert rejects.height == 0
    assert [e["tags"] for e in events] == [["query_truncated"], ["query_truncated"]]
    assert events[0]["db.query.text"] == "SELECT * FROM `patients` WHERE (`patient_id` IN ('31877','31880"
    assert events[1]["db.query.text"] == "SELECT 1 FROM t WHERE a IN (',123"
    assert [e["event.outcome"] for e in events] == ["unknown", "unknown"]
    assert events[0]["db.tables"] == ["patients"]


def test_query_at_the_log_limit_is_flagged() -> None:
    sql = "SELECT * FROM patients WHERE patient_id IN (" + ",".join(str(n) for n in range(300)) + ")"
    cut = sql[:1024]
    (event,), _ = parse(f"20241027 00:41:06,db02,mediboard,10.10.1.21,1,2,QUERY,mediboard,'{cut}',0\n")
    # cut at exactly the (default) limit, the quote still closed: truncated
    assert event["tags"] == ["query_truncated", "query_at_log_limit"]


def test_query_cut_by_a_configured_log_limit_is_truncated() -> None:
    """``server_audit_query_log_limit = 120``: the escaped query is cut at 120 bytes, quote closed."""
    parser = get_parser("mariadb.audit", {"server_audit_query_log_limit": 120})
    sql = "SELECT table_name FROM information_schema.tables UNION ALL SELECT 'x' FROM DUAL WHERE 'a' = 'a' " * 3
    cut = audit_escape(sql)[:120]
    text = (
        f"20250302 10:15:06,ward-db,ward_app,192.0.2.41,7,31,QUERY,wards,'{cut}',0\n"
        "20250302 10:15:07,ward-db,ward_app,192.0.2.41,7,32,QUERY,wards,'SELECT 1',0\n"
    )
    events = parser.parse(records_from_text(text, parser), {}).events.sort("_rec").to_dicts()
    assert [e["tags"] for e in events] == [["query_truncated"], []]


def test_latin1_bytes_inside_sql() -> None:
    line = "20241027 00:41:08,db02,mediboard,10.10.1.21,5531207,88121952,QUERY,mediboard,'SELECT * FROM patients WHERE nom = \\'L\xe9v\xeaque\\'',0\n"
    (event,), rejects = parse(line.encode("latin-1"))
    assert rejects.height == 0
    assert event["db.query.text"] == "SELECT * FROM patients WHERE nom = 'Lévêque'"


def test_order_follows_query_ids_across_chunks() -> None:
    state: dict = {}
    first, _ = parse(
        "20241027 02:15:26,db02,mediboard,10.10.1.21,5540871,88930012,QUERY,mediboard,'SELECT 1',0\n"
        "20241027 02:15:30,db02,mediboard,10.10.1.21,5540871,0,DISCONNECT,mediboard,,0\n",
        state,
    )
    second, _ = parse(
        "20241027 02:15:20,db02,mediboard,10.10.1.21,5577302,0,CONNECT,mediboard,,0\n"
        "20241027 02:15:26,db02,mediboard,10.10.1.21,5577302,89412290,QUERY,mediboard,'SELECT 2',0\n",
        state,
    )
    assert [e["_order"] for e in first + second] == [88930012, 88930012, 88930012, 89412290]
    # the clock went back (02:15:30 -> 02:15:20) but the ids keep increasing
    assert state["last_query_id"] == 89412290


def test_failed_connect_and_table_events() -> None:
    events, _ = parse(
        "20241027 00:40:58,db02,mediboard,10.10.1.99,5531206,0,FAILED_CONNECT,,,1045\n"
        "20241027 00:41:04,db02,mediboard,10.10.1.21,5531207,88121933,READ,mediboard,patients,\n"
        "20241027 00:41:04,db02,root,localhost,5531209,88121935,RENAME,mediboard,t1|archive.t1_old,\n"
    )
    failed, read, rename = events
    assert (failed["event.action"], failed["event.outcome"], failed["db.operation"]) == (
        "db_connect_failed",
        "failure",
        "CONNECT",
    )
    assert failed["source.ip"] == "10.10.1.99" and failed["db.name"] is None
    assert (read["event.action"], read["db.operation"], read["db.tables"], read["event.outcome"]) == (
        "db_query", "READ", ["patients"], "unknown",
    )  # fmt: skip
    assert rename["db.tables"] == ["t1", "t1_old"] and rename["source.ip"] is None
    assert '"client_host":"localhost"' in rename["labels"]


def test_syslog_form() -> None:
    line = "Oct 27 00:41:03 db02 mysql-server_auditing:  db02,mediboard,10.10.1.21,5531207,0,CONNECT,mediboard,,0\n"
    (event,), rejects = parse(line)
    assert rejects.height == 0
    assert event["_ts"].isoformat() == "2000-10-27T00:41:03"
    assert event["time.flags"] == ["year_missing"]
    assert event["event.action"] == "db_connect" and event["db.user"] == "mediboard"
    assert '"syslog_ident":"mysql-server_auditing"' in event["labels"]


def test_not_audit_lines_are_rejected() -> None:
    events, rejects = parse("hello, world\n20241027 00:40:58,db02,x,y,NOTANID,0,QUERY,db,'q',0\n")
    assert events == []
    assert rejects.get_column("reason").to_list() == ["not a server_audit line"] * 2


_SQL = st.text(
    alphabet=st.sampled_from(list("SELECT*FROMpatients WHERE nom='L\\évêque',\"`()\n\t\r0123456789;%")), max_size=80
)
_NAME = st.text(alphabet=st.sampled_from(list("abcdefghijklmnop_0123456789.-")), min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(
    sql=_SQL, user=_NAME, db=_NAME, cid=st.integers(1, 2**31 - 1), qid=st.integers(1, 2**40), ret=st.integers(0, 9999)
)
def test_generated_lines_parse_back(sql: str, user: str, db: str, cid: int, qid: int, ret: int) -> None:
    """A line written the way the plugin writes it gives back the values that made it, by both paths."""
    line = f"20241027 02:15:26,db02,{user},10.10.1.21,{cid},{qid},QUERY,{db},'{audit_escape(sql)}',{ret}"
    records = records_from_text(line + "\n", PARSER)
    fast, left = _fast_split(records)
    slow, bad = _regex_split(records)
    assert left.height == 0 and bad.height == 0
    assert fast.drop("_rec").to_dicts() == slow.drop("_rec").to_dicts()
    (event,), _ = parse(line + "\n")
    assert event["db.query.text"] == sql
    assert (event["db.user"], event["db.name"], event["db.connection_id"], event["db.query.id"]) == (user, db, cid, qid)
    assert event["event.outcome"] == ("success" if ret == 0 else "failure")


def test_unescape() -> None:
    assert unescape_audit("a\\'b\\\\n\\nc") == "a'b\\n\nc"


def test_a_huge_line_is_cut_by_the_reader_and_still_parsed(tmp_path: Path) -> None:
    ids = ",".join(f"\\'{n}\\'" for n in range(400_000))
    line = f"20241027 00:41:06,db02,mediboard,10.10.1.21,5531207,88121941,QUERY,mediboard,'SELECT * FROM patients WHERE id IN ({ids})',0\n"
    path = tmp_path / "server_audit.log"
    path.write_text(line + "20241027 00:41:07,db02,mediboard,10.10.1.21,5531207,0,DISCONNECT,mediboard,,0\n")
    events, rejects, _ = parse_file(path, tmp_path, fmt="mariadb.audit", tz="Europe/Paris")
    assert rejects.height == 0 and events.height == 2
    big = events.row(0, named=True)
    assert set(big["tags"]) == {"query_truncated", "line_truncated"}
    assert big["db.tables"] == ["patients"]


def test_the_audit_limit_can_be_set_in_the_case_config() -> None:
    from forensics.config import config_from_dict

    cfg = config_from_dict(
        {"source": [{"path": "db/server_audit.log*", "format": "mariadb.audit", "server_audit_query_log_limit": 200}]}
    )
    assert cfg.sources[0].options == {"server_audit_query_log_limit": 200}
