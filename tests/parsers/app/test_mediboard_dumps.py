"""Mediboard table dumps: goldens per table and form, .gz copies, sibling resolution, rejects."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl
import pytest

from forensics.config import CaseConfig
from forensics.intake.engine import ingest
from forensics.intake.reader import records_from_text
from forensics.schema import ACTIONS
from parsers.base import ParserState, get_parser, load_all
from tests.golden import check_golden
from tests.parsers.app.dumps import DATA, file_rows, ingest_folder, inputs

FOLDERS = ["mediboard_outfile", "mediboard_batch", "mediboard_versions"]

Ingested = tuple[pl.DataFrame, pl.DataFrame, dict]


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Ingested]:
    """Each fixture folder ingested once for the whole module (plain and gzipped)."""
    out: dict[str, Ingested] = {}
    for case in FOLDERS:
        out[case] = ingest_folder(DATA / case, tmp_path_factory.mktemp(case))
        out[f"{case}.gz"] = ingest_folder(DATA / case, tmp_path_factory.mktemp(case), gz=True)
    return out


@pytest.mark.parametrize("case", FOLDERS)
def test_golden_per_table(case: str, ingested: dict[str, Ingested], update_goldens: bool) -> None:
    folder = DATA / case
    events, rejects, manifest = ingested[case]
    assert rejects.height == 0, rejects.to_dicts()
    for report in manifest["files"]:
        assert report["parser"] == "mediboard." + report["path"].removesuffix(".tsv"), report
        assert report["lines_read"] == report["lines_in_events"] + report["lines_meta"], report
        assert not report["warnings"], report["warnings"]
    assert set(events.get_column("event.action").unique().to_list()) <= set(ACTIONS)
    registry = load_all()
    for (dataset,), group in events.group_by("event.dataset"):
        declared = set(registry[str(dataset)].actions)
        assert set(group.get_column("event.action").to_list()) <= declared, dataset
    for path in inputs(folder):
        check_golden(folder / f"{path.name}.golden.jsonl", file_rows(events, path.name), update_goldens)


@pytest.mark.parametrize("case", FOLDERS)
def test_gz_copies_give_the_same_rows(case: str, ingested: dict[str, Ingested]) -> None:
    folder = DATA / case
    plain, _, _ = ingested[case]
    packed, rejects, manifest = ingested[f"{case}.gz"]
    assert rejects.height == 0
    assert all(f["compression"] == "gzip" for f in manifest["files"])
    for path in inputs(folder):
        assert file_rows(packed, path.name) == file_rows(plain, path.name), path.name


def _by_line(events: pl.DataFrame, name: str) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {}
    for row in events.filter(pl.col("log.file.path") == name).to_dicts():
        out.setdefault(row["log.file.line"], []).append(row)
    return out


def test_outfile_hostile_values_are_kept_as_written(ingested: dict[str, Ingested]) -> None:
    events, _, _ = ingested["mediboard_outfile"]
    errors = _by_line(events, "user_authentication_error.tsv")
    names = {line: rows_[0]["user.name"] for line, rows_ in errors.items()}
    assert names[3] == "<script>alert('x')</script>"
    assert names[4] == "tab\there"  # backslash + TAB inside a field
    assert names[5] == "two\nlines"  # backslash + newline: one record over two physical lines
    assert errors[5][0]["log.file.lines"] == 2
    assert names[7] == "NULL"  # the four letters, not NULL, in a header-less dump
    assert names[8] == "back\\slash\\"
    assert errors[1][0]["user.id"] is None and "unknown_account" in errors[1][0]["tags"]
    assert errors[3][0]["event.reason"] == "Mot de passe erroné"  # latin-1 byte decoded
    assert "latin1_decoded" in errors[3][0]["tags"]


def test_batch_form_escapes_and_null(ingested: dict[str, Ingested]) -> None:
    events, _, manifest = ingested["mediboard_batch"]
    errors = _by_line(events, "user_authentication_error.tsv")
    assert errors[3][0]["event.reason"] == "tab\tand\nnewline"  # \t and \n written as two characters
    assert errors[4][0]["user.name"] == "back\\slash \\N"  # escaped backslashes, not a NULL
    assert errors[4][0]["event.reason"] is None  # NULL in a --batch dump
    assert errors[2][0]["event.reason"] == "Mot de passe erroné"  # UTF-8
    metas = {f["path"]: f["lines_meta"] for f in manifest["files"]}
    assert metas["user_authentication_error.tsv"] == 1  # the header line


def test_header_without_optional_columns(ingested: dict[str, Ingested]) -> None:
    events, _, _ = ingested["mediboard_batch"]
    logins = events.filter(
        (pl.col("log.file.path") == "user_authentication.tsv") & (pl.col("event.action") == "login")
    ).sort("log.file.line")
    labels = [json.loads(v) for v in logins.get_column("labels").to_list()]
    assert "screen_width" not in labels[0] and "authentication_factor_id" not in labels[0]
    assert labels[1]["previous_auth_id"] == 2210387
    # a header column named by an older version (id_address) and an unknown column
    log = events.filter(pl.col("log.file.path") == "user_log.tsv").sort("log.file.line")
    assert log.get_column("source.ip").to_list() == ["203.0.113.45", "10.20.7.12"]
    assert json.loads(log.get_column("labels")[0])["future_column"] == "x"


def test_header_less_layouts_of_other_versions(ingested: dict[str, Ingested]) -> None:
    events, _, _ = ingested["mediboard_versions"]
    auth = events.filter(pl.col("log.file.path") == "user_authentication.tsv")
    assert set(auth.get_column("user_agent.original").to_list()) == {None}
    assert json.loads(auth.get_column("labels")[0])["user_agent_id"] == 9931  # 14 fields: no factor column
    log = events.filter(pl.col("log.file.path") == "user_log.tsv").sort("log.file.line")
    assert log.get_column("object.type").to_list() == ["CUser", "CUser"]  # type before object_class
    assert log.get_column("event.action").to_list() == ["account_created", "password_changed"]


def test_cross_table_resolution_and_its_absence(ingested: dict[str, Ingested], tmp_path: Path) -> None:
    events, _, _ = ingested["mediboard_outfile"]
    auth = events.filter(pl.col("log.file.path") == "user_authentication.tsv").sort("log.file.line")
    first = auth.row(0, named=True)
    assert first["user.name"] == "adm.interop"
    assert first["user_agent.original"].startswith("Mozilla/5.0 (Windows NT 10.0")
    last = auth.filter(pl.col("log.file.line") == 4).row(0, named=True)
    assert {"user_id_unresolved", "user_agent_id_unresolved"} <= set(last["tags"])
    # the same file alone: nothing to resolve with, and the tags say so
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "user_authentication.tsv").write_bytes(
        (DATA / "mediboard_outfile" / "user_authentication.tsv").read_bytes()
    )
    solo, _, _ = ingest_folder(alone, tmp_path)
    assert solo.get_column("user.name").null_count() == solo.height
    assert all("user_id_unresolved" in t for t in solo.get_column("tags").to_list())


def test_user_action_values_from_user_action_data(ingested: dict[str, Ingested]) -> None:
    events, _, _ = ingested["mediboard_outfile"]
    actions = events.filter(pl.col("log.file.path") == "user_action.tsv").sort("log.file.line")
    first = actions.row(0, named=True)
    assert first["object.type"] == "CUser" and first["event.action"] == "password_changed"
    data = json.loads(first["labels"])["data"]
    assert data["user_password"] == "ancien-hash-e3b0c442"  # gzcompress()ed value, escaped bytes
    assert "values_decompressed" in first["tags"]
    fourth = actions.row(3, named=True)
    assert json.loads(fourth["labels"])["data"]["libelle"] == "tab\tand\nnewline"
    assert "object_class_id_unresolved" in fourth["tags"]


def test_change_history_actions_and_addresses(ingested: dict[str, Ingested]) -> None:
    events, _, _ = ingested["mediboard_outfile"]
    log = events.filter(pl.col("log.file.path") == "user_log.tsv").sort("log.file.line")
    assert log.get_column("event.action").to_list() == [
        "account_created",
        "account_created",
        "permission_changed",
        "permission_changed",
        "permission_changed",
        "password_changed",
        "record_update",
        "record_delete",
        "record_update",
    ]
    assert log.get_column("source.ip").to_list() == [
        "203.0.113.45",
        "203.0.113.45",
        "203.0.113.45",  # raw bytes CB 00 71 2D (the NUL written \0)
        "203.0.113.45",
        "203.0.113.45",
        "203.0.113.45",
        "2001:db8::77",
        None,
        "10.20.5.12",
    ]
    assert "ip_undecodable" in log.row(7, named=True)["tags"]
    extra = json.loads(log.row(6, named=True)["labels"])["extra"]
    assert extra == {"nom": "Lévêque", "prenom": "Hélène"}
    assert "\\u00e9" in log.row(6, named=True)["labels"]  # the JSON escapes are kept as written


def test_rounded_reads_and_aggregates(ingested: dict[str, Ingested]) -> None:
    events, _, _ = ingested["mediboard_outfile"]
    reads = events.filter(pl.col("log.file.path") == "log_access_medical_data.tsv").sort("log.file.line")
    assert reads.get_column("event.action").unique().to_list() == ["record_read"]
    flags = [f for f in reads.get_column("time.flags").to_list()]
    assert flags[:3] == [["rounded_hour"]] * 3
    assert flags[3] == ["rounded_10min"] and flags[4] == ["rounded_minute"]
    usage = events.filter(pl.col("log.file.path").is_in(["access_log.tsv", "datasource_log.tsv"]))
    assert usage.get_column("event.action").unique().to_list() == ["usage_aggregate"]
    assert usage.get_column("http.response.bytes").null_count() == usage.height


def test_long_requests(ingested: dict[str, Ingested]) -> None:
    events, _, _ = ingested["mediboard_outfile"]
    slow = events.filter(pl.col("log.file.path") == "long_request_log.tsv").sort("log.file.line")
    assert slow.get_column("event.action").to_list() == ["export", "export", "api_call", "log_message"]
    first = slow.row(0, named=True)
    assert first["event.duration"] == 29_100_000_000
    assert first["url.query"].startswith("m=dPpatients&raw=ajax_export_patients_csv&date_min=2019-01-01")
    assert json.loads(first["labels"])["query_params_get"]["all_prats"] == "on"
    assert "praticien_id[]=212&praticien_id[]=219" in slow.row(1, named=True)["url.query"]


def test_users_reference_rows_and_events(ingested: dict[str, Ingested]) -> None:
    events, _, manifest = ingested["mediboard_outfile"]
    users = events.filter(pl.col("log.file.path") == "users.tsv").sort("log.file.line")
    assert users.filter(pl.col("event.action") == "password_changed").height == 5
    locked = users.filter(pl.col("event.action") == "log_message").row(0, named=True)
    assert locked["user.name"] == "n.guessan" and locked["time.original"] == "2024-10-24 07:03:40"
    report = next(f for f in manifest["files"] if f["path"] == "users.tsv")
    assert report["lines_meta"] == 1  # bot.hl7: no readable date (0000-00-00)
    labels = json.loads(users.row(0, named=True)["labels"])
    assert labels["user_type_name"] == "Administrator"


def test_naive_local_times_and_order_keys(ingested: dict[str, Ingested]) -> None:
    events, _, _ = ingested["mediboard_outfile"]
    assert set(events.get_column("time.zone_source").to_list()) == {"case"}
    amb = events.filter(pl.col("time.original") == "2024-10-27 02:15:30")
    assert "dst_ambiguous" in amb.row(0, named=True)["time.flags"]


def test_rejects_name_the_problem(tmp_path: Path) -> None:
    events, rejects, manifest = ingest_folder(
        DATA / "mediboard_rejects", tmp_path, fmt="mediboard.user_authentication_error"
    )
    assert events.get_column("log.file.line").to_list() == [1, 5]
    reasons = dict(zip(rejects.get_column("log.file.line").to_list(), rejects.get_column("reason").to_list()))
    assert reasons[2].startswith("4 fields: a header-less user_authentication_error dump has 8")
    assert reasons[3] == "datetime: no readable DATETIME"
    assert reasons[4].startswith("1 fields")
    assert manifest["files"][0]["lines_read"] == 5


def test_configured_column_list(tmp_path: Path) -> None:
    folder = tmp_path / "custom"
    folder.mkdir()
    (folder / "user_authentication_error.tsv").write_text(
        "c.moreau\t2024-10-25 01:07:55\t203.0.113.12\t771045\n", encoding="utf-8"
    )
    fields = ["login_value", "datetime", "ip_address", "user_authentication_error_id"]
    events, rejects, _ = ingest_folder(
        folder, tmp_path, fmt="mediboard.user_authentication_error", options={"fields": fields}
    )
    assert rejects.height == 0
    row = events.row(0, named=True)
    assert (row["user.name"], row["source.ip"], row["time.original"]) == (
        "c.moreau",
        "203.0.113.12",
        "2024-10-25 01:07:55",
    )
    assert json.loads(row["labels"]) == {"user_authentication_error_id": 771045}


def test_order_key_is_the_auto_increment_id() -> None:
    """``_order`` (read by the time module inside a repeated DST hour) is the primary key."""
    parser = get_parser("mediboard.user_log")
    records = records_from_text((DATA / "mediboard_outfile" / "user_log.tsv").read_bytes(), parser)
    events = parser.parse(records, {}).events.sort("_rec")
    assert events.get_column("_order").to_list() == list(range(98812233, 98812242))
    assert events.get_column("_offset").null_count() == events.height  # naive local DATETIMEs
    # session_end is not an insertion time: no order key for it
    parser = get_parser("mediboard.user_authentication")
    records = records_from_text((DATA / "mediboard_outfile" / "user_authentication.tsv").read_bytes(), parser)
    events = parser.parse(records, {}).events
    by_action = dict(events.group_by("event.action").agg(pl.col("_order").drop_nulls().len()).iter_rows())
    assert by_action == {"login": 4, "session_end": 0}


@pytest.mark.parametrize("case", ["mediboard_outfile", "mediboard_batch"])
def test_small_chunks_give_the_same_rows(
    case: str, ingested: dict[str, Ingested], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records cut by chunk boundaries (escaped newlines, the header kept in state) read the same."""
    import forensics.intake.reader

    monkeypatch.setattr(forensics.intake.reader, "CHUNK_BYTES", 97)
    events, rejects, _ = ingest_folder(DATA / case, tmp_path)
    plain, _, _ = ingested[case]
    assert rejects.height == 0
    for path in inputs(DATA / case):
        assert file_rows(events, path.name) == file_rows(plain, path.name), path.name


def _copy(folder: Path, to: Path) -> Path:
    to.mkdir()
    for path in inputs(folder):
        (to / path.name).write_bytes(path.read_bytes())
    return to


def test_reference_tables_are_files_the_engine_walked_hashed_and_counted(tmp_path: Path) -> None:
    """users.tsv resolves user_authentication.tsv's ids; it is one of the run's files, hashed and balanced."""
    evidence = _copy(DATA / "mediboard_outfile", tmp_path / "evidence")
    result = ingest(evidence, tmp_path / "out", config=CaseConfig(timezone="Europe/Paris"))
    auth = result.events.filter(pl.col("log.file.path") == "user_authentication.tsv").sort("log.file.line")
    assert auth.row(0, named=True)["user.name"] == "adm.interop"
    files = {f["path"]: f for f in result.manifest["files"]}
    users = files["users.tsv"]
    assert users["parser"] == "mediboard.users" and users["unchanged"] is True and users["balanced"] is True
    assert users["sha256_before"] == hashlib.sha256((evidence / "users.tsv").read_bytes()).hexdigest()
    assert users["lines_read"] == len((evidence / "users.tsv").read_bytes().splitlines()) > 0


def test_an_excluded_reference_table_is_not_read(tmp_path: Path) -> None:
    """The parser no longer opens its folder: a table the case config excludes resolves nothing."""
    evidence = _copy(DATA / "mediboard_outfile", tmp_path / "evidence")
    cfg = CaseConfig(timezone="Europe/Paris", exclude=("users.tsv",))
    result = ingest(evidence, tmp_path / "out", config=cfg)
    assert "users.tsv" not in {f["path"] for f in result.manifest["files"]}
    auth = result.events.filter(pl.col("log.file.path") == "user_authentication.tsv")
    assert auth.get_column("user.name").null_count() == auth.height
    assert all("user_id_unresolved" in t for t in auth.get_column("tags").to_list())
    # the user agents' table is still there, and still resolves
    assert auth.get_column("user_agent.original").drop_nulls().len() > 0


def test_a_table_parser_reads_references_from_its_state_only() -> None:
    """What the engine hands over in ``state.references`` resolves ids; the folder is never looked at."""
    parser = get_parser("mediboard.user_authentication")
    assert parser.references == ("mediboard.users", "mediboard.user_agent")
    folder = DATA / "mediboard_outfile"
    records = records_from_text((folder / "user_authentication.tsv").read_bytes(), parser)
    users = records_from_text((folder / "users.tsv").read_bytes(), get_parser("mediboard.users"))
    resolved = parser.parse(records, ParserState(references={"mediboard.users": users})).events.sort("_rec")
    assert resolved.get_column("user.name")[0] == "adm.interop"
    assert resolved.get_column("user_agent.original").null_count() == resolved.height  # not handed over
    alone = get_parser("mediboard.user_authentication", {"_path": str(folder / "user_authentication.tsv")})
    unresolved = alone.parse(records, ParserState()).events
    assert unresolved.get_column("user.name").null_count() == unresolved.height
    assert all("user_id_unresolved" in tags for tags in unresolved.get_column("tags").to_list())
