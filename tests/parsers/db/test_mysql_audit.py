"""mysql.audit_json and mysql.audit_xml: both syntaxes of both plugins, entities, UTC, the connection's database."""

from __future__ import annotations

import json

from forensics.intake.reader import records_from_text
from parsers.base import Parser, get_parser

JSON = get_parser("mysql.audit_json")
XML = get_parser("mysql.audit_xml")


def parse(parser: Parser, text: str) -> tuple[list[dict], list[str], list[str]]:
    result = parser.parse(records_from_text(text, parser), {})
    return (
        result.events.sort("_rec").to_dicts(),
        result.rejects.get_column("reason").to_list(),
        result.meta.get_column("reason").to_list(),
    )


def test_enterprise_json_objects_over_several_lines() -> None:
    text = (
        "[\n"
        '{\n  "timestamp": "2024-10-26 22:41:03",\n  "id": 0,\n  "class": "connection",\n  "event": "connect",\n'
        '  "connection_id": 9,\n  "account": { "user": "mediboard", "host": "%" },\n'
        '  "login": { "user": "mediboard", "os": "", "ip": "10.10.1.21", "proxy": "" },\n'
        '  "connection_data": { "connection_type": "tcp/ip", "status": 0, "db": "mediboard" } },\n'
        '{ "timestamp": "2024-10-26 22:41:04", "id": 1, "class": "general", "event": "status", "connection_id": 9,'
        ' "account": { "user": "mediboard", "host": "%" }, "login": { "user": "mediboard", "os": "", "ip": "10.10.1.21",'
        ' "proxy": "" }, "general_data": { "command": "Query", "sql_command": "select",'
        ' "query": "SELECT * FROM patients WHERE nom = \\"Zo\\u00e9\\"", "status": 0 } },\n'
        '{ "timestamp": "2024-10-26 22:41:05", "id": 2, "class": "table_access", "event": "read", "connection_id": 9,'
        ' "table_access_data": { "db": "mediboard", "table": "patients", "query": "SELECT 1", "sql_command": "select" } }\n'
        "]\n"
    )
    events, rejects, meta = parse(JSON, text)
    assert rejects == [] and meta == ["JSON array bracket"] * 2
    connect, query, table = events
    assert (connect["event.action"], connect["event.outcome"], connect["db.name"]) == (
        "db_connect",
        "success",
        "mediboard",
    )
    assert (connect["_ts"].isoformat(), connect["_offset"]) == ("2024-10-26T22:41:03", 0)
    assert query["db.query.text"] == 'SELECT * FROM patients WHERE nom = "Zoé"'
    assert query["db.name"] == "mediboard" and "db_session_carried" in query["tags"]  # from the connect record
    assert (table["db.operation"], table["db.tables"]) == ("READ", ["patients"])


def test_percona_json_failed_login() -> None:
    line = (
        '{"audit_record":{"name":"Connect","record":"7_2024-10-26T18:00:02","timestamp":"2024-10-26T22:41:07 UTC",'
        '"connection_id":"5531208","status":1045,"user":"root","priv_user":"","os_login":"","proxy_user":"",'
        '"host":"","ip":"10.10.1.99","db":""}}\n'
    )
    (event,), rejects, _ = parse(JSON, line)
    assert rejects == []
    assert (event["event.action"], event["event.outcome"], event["event.reason"]) == (
        "db_connect_failed",
        "failure",
        "error 1045",
    )
    assert (event["db.user"], event["source.ip"], event["_offset"]) == ("root", "10.10.1.99", 0)


def test_xml_attribute_and_element_forms_agree() -> None:
    sql = "SELECT * FROM patients WHERE nom = 'N\\'Guessan' AND ville &lt;&gt; 'Saint-&#201;tienne'"
    attrs = (
        f'<AUDIT_RECORD NAME="Query" RECORD="2_x" TIMESTAMP="2024-10-26T22:41:04 UTC" COMMAND_CLASS="select" '
        f'CONNECTION_ID="9" STATUS="0" SQLTEXT="{sql.replace(chr(39), "&apos;")}" '
        f'USER="mediboard[mediboard] @ app01.hds.local [10.10.1.21]" HOST="app01.hds.local" OS_USER="" IP="10.10.1.21" DB="mediboard"/>\n'
    )
    elements = (
        "<AUDIT_RECORD>\n <NAME>Query</NAME>\n <RECORD>2_x</RECORD>\n <TIMESTAMP>2024-10-26T22:41:04 UTC</TIMESTAMP>\n"
        " <COMMAND_CLASS>select</COMMAND_CLASS>\n <CONNECTION_ID>9</CONNECTION_ID>\n <STATUS>0</STATUS>\n"
        f" <SQLTEXT>{sql}</SQLTEXT>\n <USER>mediboard[mediboard] @ app01.hds.local [10.10.1.21]</USER>\n"
        " <HOST>app01.hds.local</HOST>\n <OS_USER/>\n <IP>10.10.1.21</IP>\n <DB>mediboard</DB>\n</AUDIT_RECORD>\n"
    )
    (a,), ra, _ = parse(XML, attrs)
    (b,), rb, _ = parse(XML, elements)
    assert ra == rb == []
    keep = [
        "_ts",
        "_offset",
        "event.action",
        "db.user",
        "db.name",
        "db.connection_id",
        "db.query.text",
        "source.ip",
        "labels",
    ]
    assert {k: a[k] for k in keep} == {k: b[k] for k in keep}
    assert a["db.query.text"] == "SELECT * FROM patients WHERE nom = 'N\\'Guessan' AND ville <> 'Saint-Étienne'"
    assert json.loads(a["labels"])["client_host"] == "app01.hds.local"


def test_xml_cut_record_is_rejected() -> None:
    _, rejects, meta = parse(XML, '<?xml version="1.0"?>\n<AUDIT>\n<AUDIT_RECORD\n  NAME="Query"\n  TIMESTAMP="2024')
    assert rejects == ["incomplete or unrecognised AUDIT_RECORD"]
    assert meta == ["XML wrapper", "XML wrapper"]
