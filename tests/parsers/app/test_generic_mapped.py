"""jsonl and csv: audit logs of any application, mapped by the case config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forensics.intake.reader import records_from_text
from parsers.app.generic_map import MappingError
from parsers.base import get_parser
from tests.golden import IDENTITY_FIELDS, check_golden, parse_file, rows

DATA = Path(__file__).resolve().parents[2] / "data" / "app"

JSONL_OPTIONS = {
    "fields": {
        "@timestamp": "ts",
        "user.name": "actor",
        "source.ip": "client.ip",
        "source.port": "client.port",
        "event.action": "action",
        "event.outcome": "result",
        "session.id": "sid",
        "object.id": "patient_id",
    },
    "values": {
        "event.action": {"LOGIN_OK": "login", "LOGIN_KO": "login_failed", "LOGOUT": "logout", "EXPORT": "export"},
        "event.outcome": {"ok": "success", "ko": "failure", "denied": "failure"},
    },
}
CSV_OPTIONS = {
    "fields": {
        "@timestamp": "ts",
        "user.name": "actor",
        "source.ip": "ip",
        "event.action": "action",
        "event.outcome": "result",
    },
    "values": {
        "event.action": {
            "LOGIN_OK": "login",
            "LOGIN_KO": "login_failed",
            "LOGOUT": "logout",
            "VIEW_PATIENT": "record_read",
        },
        "event.outcome": {"ok": "success", "denied": "failure"},
    },
}


def test_jsonl_nested_mapping(tmp_path: Path, update_goldens: bool) -> None:
    events, rejects, manifest = parse_file(
        DATA / "audit.jsonl", tmp_path, fmt="jsonl", options=JSONL_OPTIONS, tz="Europe/Paris"
    )
    check_golden(DATA / "audit.jsonl.golden.jsonl", rows(events, drop=IDENTITY_FIELDS), update_goldens)
    by_line = {r["log.file.line"]: r for r in events.to_dicts()}
    first = by_line[1]
    assert (first["event.action"], first["event.outcome"], first["source.ip"], first["source.port"]) == (
        "login",
        "success",
        "203.0.113.14",
        51544,
    )
    assert first["time.zone"] == "+02:00" and first["time.original"] == "2024-10-27T03:12:44.120+02:00"
    assert json.loads(first["labels"])["extra"] == {"ua": "Chrome/118"}  # unknown keys are kept
    assert by_line[2]["event.action"] == "log_message" and "action_unmapped" in by_line[2]["tags"]
    assert by_line[2]["object.id"] == "48213"
    assert by_line[3]["time.zone"] == "+00:00"  # epoch seconds
    assert by_line[4]["@timestamp"] == by_line[3]["@timestamp"].replace(microsecond=123000)  # epoch ms
    assert by_line[5]["time.zone_source"] == "source"  # naive ISO: the configured zone
    assert by_line[10]["user.name"] == "Hélène" and by_line[10]["source.ip"] == "2001:db8::1"
    reasons = dict(zip(rejects.get_column("log.file.line").to_list(), rejects.get_column("reason").to_list()))
    assert reasons == {
        6: "mapped timestamp field 'ts' is missing",
        7: "timestamp last tuesday in 'ts' is not ISO 8601 or epoch seconds/ms",
        8: "not a JSON object",
        9: "not a JSON object",
    }
    assert manifest["files"][0]["lines_read"] == 10


def test_jsonl_timestamp_format(tmp_path: Path) -> None:
    path = tmp_path / "custom.jsonl"
    path.write_text(
        '{"when":"27/10/2024 03:12:44 +0100","who":"x"}\n'
        '{"when":"2024-10-27T03:12:44Z","who":"y"}\n'
        '{"when":"27/10/2024","who":"z"}\n'
    )
    options = {"fields": {"@timestamp": "when", "user.name": "who"}, "timestamp_format": "%d/%m/%Y %H:%M:%S %z"}
    events, rejects, _ = parse_file(path, tmp_path, fmt="jsonl", options=options)
    first, fallback = events.sort("log.file.line").rows(named=True)
    assert (first["time.original"], first["time.zone"], first["@timestamp"].hour) == (
        "27/10/2024 03:12:44 +0100",
        "+01:00",
        2,
    )
    assert (fallback["time.zone"], fallback["@timestamp"].hour) == ("+00:00", 3)  # not the format, but ISO 8601
    assert rejects.get_column("reason").to_list() == [
        "timestamp 27/10/2024 in 'when' is not in the configured timestamp_format, ISO 8601 or epoch seconds/ms"
    ]


def test_csv_mapping(tmp_path: Path, update_goldens: bool) -> None:
    events, rejects, manifest = parse_file(
        DATA / "audit.csv", tmp_path, fmt="csv", options=CSV_OPTIONS, tz="Europe/Paris"
    )
    check_golden(DATA / "audit.csv.golden.jsonl", rows(events, drop=IDENTITY_FIELDS), update_goldens)
    by_line = {r["log.file.line"]: r for r in events.to_dicts()}
    assert json.loads(by_line[3]["labels"])["note"] == 'opened 48213, then "closed"'
    assert by_line[3]["event.action"] == "record_read"
    assert by_line[4]["log.file.lines"] == 2 and json.loads(by_line[4]["labels"])["note"] == "multi\nline note"
    assert by_line[8]["user.name"] == "hélène" and "latin1_decoded" in by_line[8]["tags"]
    hostile = by_line[9]
    assert hostile["user.name"] == "<img src=x onerror=alert(1)>"
    assert hostile["event.action"] == "log_message" and json.loads(hostile["labels"])["action"] == "=cmd|' /C calc'!A0"
    reasons = dict(zip(rejects.get_column("log.file.line").to_list(), rejects.get_column("reason").to_list()))
    assert reasons == {6: "mapped timestamp field 'ts' is missing", 7: "3 fields, the header has 6"}
    assert manifest["files"][0]["lines_meta"] == 1


def test_csv_delimiter_and_encoding(tmp_path: Path) -> None:
    path = tmp_path / "audit.tsv"
    path.write_bytes("when\twho\n2024-10-27 03:12:44\tL\u00e9on \u2019x\n".encode("cp1252"))
    options = {"fields": {"@timestamp": "when", "user.name": "who"}, "delimiter": "\\t", "encoding": "cp1252"}
    events, rejects, _ = parse_file(path, tmp_path, fmt="csv", options=options)
    assert rejects.height == 0
    assert events.get_column("user.name").to_list() == ["L\u00e9on \u2019x"]  # cp1252 quote, not latin-1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "needs a [source.fields] table"),
        ({"fields": {"user.name": "u"}}, 'must map "@timestamp"'),
        ({"fields": {"@timestamp": "t", "nope": "x"}}, "'nope' is not an event schema column"),
        ({"fields": {"@timestamp": "t", "event.dataset": "x"}}, "filled by the engine"),
        ({"fields": {"@timestamp": "t"}, "values": {"user.name": {"a": "b"}}}, "not mapped in [source.fields]"),
    ],
)
def test_mapping_errors_name_the_key(options: dict, message: str) -> None:
    for fmt in ("jsonl", "csv"):
        with pytest.raises(MappingError, match=message.replace("[", r"\[").replace("(", r"\(")):
            get_parser(fmt, options)


@pytest.mark.parametrize(
    ("name", "fmt", "options"), [("audit.jsonl", "jsonl", JSONL_OPTIONS), ("audit.csv", "csv", CSV_OPTIONS)]
)
def test_gz_and_small_chunks_give_the_same_rows(
    name: str, fmt: str, options: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gzip

    import forensics.intake.reader

    src = DATA / name
    events, _, _ = parse_file(src, tmp_path, fmt=fmt, options=options, tz="Europe/Paris")
    gz = tmp_path / f"{name}.gz"
    gz.write_bytes(gzip.compress(src.read_bytes(), mtime=0))
    events_gz, _, _ = parse_file(gz, tmp_path, fmt=fmt, options=options, tz="Europe/Paris")
    assert rows(events_gz, drop=IDENTITY_FIELDS) == rows(events, drop=IDENTITY_FIELDS)
    monkeypatch.setattr(forensics.intake.reader, "CHUNK_BYTES", 61)
    small = tmp_path / "small"
    small.mkdir()
    events_small, _, _ = parse_file(src, small, fmt=fmt, options=options, tz="Europe/Paris")
    assert rows(events_small, drop=IDENTITY_FIELDS) == rows(events, drop=IDENTITY_FIELDS)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(max_size=50), min_size=1, max_size=10), st.sampled_from(["jsonl", "csv", "mediboard.applog"]))
def test_every_record_is_an_event_a_reject_or_meta(lines: list[str], fmt: str) -> None:
    options = {"jsonl": JSONL_OPTIONS, "csv": CSV_OPTIONS}.get(fmt)
    parser = get_parser(fmt, options)
    body = "\n".join(line.replace("\r", " ") for line in lines)
    if fmt == "mediboard.applog":
        body = "[2024-10-27 00:41:12.004311] [INFO] start [context:[]] [extra:[]]\n" + body
    records = records_from_text(body, parser)
    result = parser.parse(records, {})
    covered = (
        set(result.events.get_column("_rec").to_list())
        | set(result.rejects.get_column("_rec").to_list())
        | set(result.meta.get_column("_rec").to_list())
    )
    assert covered == set(records.get_column("_rec").to_list())


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.lists(st.text(alphabet=st.sampled_from(["a", ",", '"', "\n", "\x1f", "\x1e", "\x00", "é"]), max_size=4)),
        ),
        max_size=8,
    )
)
def test_csv_field_lists_are_the_lists_parsed(parsed: list[list[str] | None]) -> None:
    # the fields are joined and split back in one expression: the lists must come back as parsed
    import polars as pl

    from parsers.app.csv_mapped import _field_lists

    texts = ['"'.join(f) if f is not None else "" for f in parsed]  # the texts hold every field's characters
    got = _field_lists(parsed, texts)
    assert got.dtype == pl.List(pl.String) and got.name == "_fields"
    assert got.to_list() == parsed
