"""Load balancer, CDN and proxy logs (AWS ALB/ELB/CloudFront, Caddy, Traefik, Cloudflare).

Goldens, ``.gz`` equivalence, accounting, small chunks and the detection matrix come from
the shared web fixture tests (``tests/data/web/<parser>/``); here: nothing is lost on any
input, generated lines parse back to the values that made them, the JSON reader isolates
bad lines, and the zone and time-unit variants give the same instant.
"""

from __future__ import annotations

import ipaddress
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forensics.intake.detect import MIN_SCORE
from forensics.intake.reader import records_from_text
from parsers.base import get_parser
from parsers.web.edge import decode_json
from tests.parsers.web.fixtures import DATA, cases

EDGE = ["aws.alb", "aws.elb", "aws.cloudfront", "caddy.access", "traefik.access", "cloudflare.http"]
FOLDERS = {"aws.alb": "aws_alb", "aws.elb": "aws_elb", "aws.cloudfront": "aws_cloudfront"}


def _fixture_lines(name: str) -> list[str]:
    folder = DATA / FOLDERS.get(name, name.replace(".", "_"))
    lines: list[str] = []
    for path in sorted(folder.glob("*.log")):
        lines += [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    return lines


SEEDS = {name: _fixture_lines(name) for name in EDGE}


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, list[str]]:
    name = draw(st.sampled_from(EDGE))
    seeds = SEEDS[name]
    lines = []
    for _ in range(draw(st.integers(1, 8))):
        line = draw(st.sampled_from(seeds))
        cut = draw(st.integers(0, len(line)))
        junk = draw(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8))
        how = draw(st.sampled_from(["keep", "cut", "insert", "append", "junk"]))
        if how == "cut":
            line = line[:cut]
        elif how == "insert":
            line = line[:cut] + junk + line[cut:]
        elif how == "append":
            line = line + junk
        elif how == "junk":
            line = junk
        lines.append(line.replace("\r", " ").replace("\n", " "))
    return name, lines


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=mutated())
def test_every_record_is_an_event_a_reject_or_meta(case: tuple[str, list[str]]) -> None:
    name, lines = case
    parser = get_parser(name)
    # CloudFront needs its header: give it the one of the fixture first
    head = [ln for ln in SEEDS[name] if ln.startswith("#Fields:")][:1]
    records = records_from_text("\n".join(head + lines), parser)
    if records.height == 0:
        return
    result = parser.parse(records, {})
    events = set(result.events.get_column("_rec").to_list()) if result.events.height else set()
    rejects = set(result.rejects.get_column("_rec").to_list())
    meta = set(result.meta.get_column("_rec").to_list())
    assert events | rejects | meta == set(records.get_column("_rec").to_list())
    assert not events & rejects and not events & meta and not rejects & meta
    if result.events.height:
        assert result.events.get_column("_ts").null_count() == 0
    assert result.rejects.get_column("reason").null_count() == 0


# -- ALB: generated lines parse back -------------------------------------------------------

IPS = st.one_of(
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(lambda ip: str(ipaddress.IPv6Address(int(ip)))),
)
FREE = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40)
PATHS = st.text(alphabet='abcXYZ019-_.~"<>\\é=&%', max_size=20).map(lambda p: "/" + p)
WHEN = st.datetimes(min_value=datetime(2016, 1, 1), max_value=datetime(2037, 12, 31))


@st.composite
def alb_lines(draw: st.DrawFn) -> tuple[str, dict]:
    v = {
        "client": draw(IPS),
        "port": draw(st.integers(1, 65535)),
        "when": draw(WHEN),
        "took_us": draw(st.integers(0, 10**8)),
        "method": draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PROPFIND"])),
        "path": draw(PATHS),
        "status": draw(st.integers(100, 599)),
        "agent": draw(FREE),
        "rx": draw(st.integers(0, 10**9)),
        "tx": draw(st.integers(0, 10**12)),
    }
    host = f"[{v['client']}]" if ":" in v["client"] else v["client"]
    end = v["when"]
    start = end - timedelta(microseconds=v["took_us"])
    line = (
        f"https {end:%Y-%m-%dT%H:%M:%S.%fZ} app/lb-1/0123456789abcdef {host}:{v['port']} 10.0.0.9:8080 "
        f"0.001 0.002 0.000 {v['status']} {v['status']} {v['rx']} {v['tx']} "
        f'"{v["method"]} https://app.example.test:443{v["path"]} HTTP/1.1" "{v["agent"]}" '
        "ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:eu-west-3:111122223333:targetgroup/t/1 "
        f'"Root=1-00000000-000000000000000000000000" "app.example.test" "-" 1 {start:%Y-%m-%dT%H:%M:%S.%fZ} '
        '"forward" "-" "-" "10.0.0.9:8080" "200" "-" "-" TID_0'
    )
    return line, v


@settings(max_examples=120, deadline=None)
@given(items=st.lists(alb_lines(), min_size=1, max_size=6))
def test_generated_alb_lines_parse_back(items: list[tuple[str, dict]]) -> None:
    parser = get_parser("aws.alb")
    result = parser.parse(records_from_text("\n".join(line for line, _ in items), parser), {})
    assert result.rejects.height == 0, result.rejects
    events = result.events.sort("_rec")
    for row, (_, v) in zip(events.iter_rows(named=True), items, strict=True):
        assert row["source.ip"] == row["network.peer_ip"] == v["client"]
        assert row["source.port"] == v["port"]
        assert row["destination.ip"] == "10.0.0.9"
        assert row["_ts"] == v["when"] and row["_offset"] == 0
        assert row["event.duration"] == v["took_us"] * 1000
        assert row["http.request.method"] == v["method"]
        assert row["url.original"] == "https://app.example.test:443" + v["path"]
        assert row["url.domain"] == "app.example.test"
        assert row["user_agent.original"] == (None if v["agent"] == "-" else v["agent"])
        assert row["http.response.status_code"] == v["status"]
        assert (row["http.request.bytes"], row["http.response.bytes"]) == (v["rx"], v["tx"])
        assert row["host.name"] == "app/lb-1/0123456789abcdef"


# -- JSON lines: one bad line costs itself --------------------------------------------------


def test_bad_json_lines_cost_only_themselves() -> None:
    good = json.dumps(
        {
            "ClientIP": "192.0.2.1",
            "ClientRequestMethod": "GET",
            "ClientRequestURI": "/",
            "EdgeResponseStatus": 200,
            "EdgeStartTimestamp": 1773486000123000000,
        }
    )
    odd = good.replace('"ClientIP": "192.0.2.1"', '"ClientIP": {"v": 1}')
    lines = []
    for i in range(2000):
        lines.append(odd if i % 397 == 5 else ('{"cut": ' if i % 501 == 7 else good))
    parser = get_parser("cloudflare.http")
    records = records_from_text("\n".join(lines), parser)
    result = parser.parse(records, {})
    bad = {i for i in range(2000) if i % 397 == 5 or i % 501 == 7}
    assert set(result.rejects.get_column("_rec").to_list()) == bad
    assert result.events.height == 2000 - len(bad)
    assert result.events.get_column("source.ip").unique().to_list() == ["192.0.2.1"]


def test_decode_json_keeps_row_order_and_reasons() -> None:
    records = pl.DataFrame({"_rec": [0, 1, 2, 3], "text": ['{"a": 1}', "[1]", '{"a": {"x": 1}}', '{"a": "z"}']})
    rows, rejects = decode_json(records, pl.Struct({"a": pl.String}), "Test")
    assert rows.get_column("_rec").to_list() == [0, 3]
    assert rows.get_column("a").to_list() == ["1", "z"]
    reasons = dict(zip(rejects.get_column("_rec").to_list(), rejects.get_column("reason").to_list(), strict=True))
    assert set(reasons) == {1, 2}
    assert reasons[1].startswith("not a JSON object")
    assert reasons[2].startswith("not a Test record")


# -- the same instant, however the time is written -------------------------------------------


def test_caddy_time_formats_give_one_instant() -> None:
    instant = datetime(2026, 3, 14, 9, 22, 1, 524102, tzinfo=UTC)
    stamps = [
        "1773480121.524102",
        "1773480121524.102",
        "1773480121524102000",
        '"2026-03-14T09:22:01.524102Z"',
        '"2026-03-14T10:22:01.524102+01:00"',
    ]
    lines = [
        f'{{"ts":{ts},"logger":"http.log.access","request":{{"remote_ip":"192.0.2.3","method":"GET","uri":"/"}},"status":200}}'
        for ts in stamps
    ]
    parser = get_parser("caddy.access")
    events = parser.parse(records_from_text("\n".join(lines), parser), {}).events.sort("_rec")
    assert events.height == len(stamps)
    for row in events.iter_rows(named=True):
        assert row["_ts"].replace(tzinfo=UTC) - timedelta(seconds=row["_offset"]) == instant


def test_cloudflare_timestamp_formats_give_one_instant() -> None:
    base = {"ClientIP": "192.0.2.9", "ClientRequestMethod": "GET", "ClientRequestURI": "/", "EdgeResponseStatus": 200}
    stamps = [1773486000000000000, 1773486000, "2026-03-14T11:00:00Z", "2026-03-14T12:00:00+01:00"]
    lines = [json.dumps({**base, "EdgeStartTimestamp": s}) for s in stamps]
    parser = get_parser("cloudflare.http")
    events = parser.parse(records_from_text("\n".join(lines), parser), {}).events
    assert events.get_column("_ts").unique().to_list() == [datetime(2026, 3, 14, 11, 0)]
    assert events.get_column("_offset").unique().to_list() == [0]


# -- CloudFront's header is carried from one chunk to the next -------------------------------


def test_cloudfront_header_carries_across_chunks() -> None:
    lines = (DATA / "aws_cloudfront").glob("*.log").__next__().read_text(encoding="utf-8").splitlines()
    parser = get_parser("aws.cloudfront")
    state: dict = {}
    first = parser.parse(records_from_text("\n".join(lines[:3]), parser), state)
    second = parser.parse(records_from_text("\n".join(lines[3:6]), parser), state)
    assert first.events.height == 1 and second.events.height == 3
    assert second.rejects.height == 0
    assert second.events.get_column("user_agent.original").to_list()[0].startswith("Mozilla/5.0 (Macintosh;")


def test_cloudfront_refuses_an_iis_header() -> None:
    parser = get_parser("aws.cloudfront")
    text = "#Fields: date time c-ip cs-method cs-uri-stem sc-status\n2026-03-14 10:00:00 192.0.2.1 GET / 200"
    result = parser.parse(records_from_text(text, parser), {})
    assert result.events.height == 0 and result.rejects.height == 1


# -- the new parsers claim no other format's fixture ---------------------------------------


OTHER_FIXTURES = [c for c in cases() if c.parser not in EDGE] + [
    c for c in (Path(DATA).parent / "db").rglob("*") if c.is_file() and c.suffix in {".log", ".csv", ".json"}
]


@pytest.mark.parametrize("fixture", OTHER_FIXTURES, ids=[getattr(f, "id", None) or f.name for f in OTHER_FIXTURES])
def test_edge_parsers_claim_no_other_fixture(fixture: object) -> None:
    path = getattr(fixture, "path", fixture)
    assert isinstance(path, Path)
    text = path.read_bytes()[: 64 * 1024]
    for name in EDGE:
        parser = get_parser(name)
        if not type(parser).prefilter(text.decode("utf-8", "replace"), path.name):
            continue
        records = records_from_text(text, parser)
        assert parser.score(records, path.name) < MIN_SCORE, (name, path.name)


FAKE_TAILS = st.sampled_from(
    [
        "",
        '" - - arn:x "t" "d" "c" 1 2026-01-01T00:00:00Z "forward" "-" "-" "',
        '" - - - "',
        '" zz" "',
        '"',
        ' "-" "-" ',
    ]
)


@settings(max_examples=150, deadline=None)
@given(items=st.lists(st.tuples(alb_lines(), FAKE_TAILS, st.sampled_from(["", '"'])), min_size=1, max_size=6))
def test_alb_quote_split_gives_what_the_regex_gives(items: list[tuple[tuple[str, dict], str, str]]) -> None:
    """The fast split path is only an optimisation: on any line it takes, the regex agrees."""
    from parsers.web import aws_alb

    lines = []
    for (line, v), fake, quote in items:
        agent = v["agent"]
        lines.append(line.replace(f'"{agent}"', f'"{agent}{fake}"', 1).replace(" HTTP/1.1", quote + " HTTP/1.1", 1))
    records = records_from_text("\n".join(lines), get_parser("aws.alb"))
    fast, _ = aws_alb.split_fast(records)
    regex = (
        records.join(fast.select("_rec"), on="_rec", how="semi")
        .select("_rec", pl.col("text").str.extract_groups(aws_alb.LINE).alias("_m"))
        .unnest("_m")
    )
    assert fast.equals(regex.select(fast.columns))


# -- through the engine: UTC from the record, every line accounted for ----------------------


@pytest.mark.parametrize("case", [c for c in cases() if c.parser in EDGE], ids=lambda c: c.id)
def test_times_are_utc_from_the_record_and_nothing_is_lost(case: object, tmp_path: Path) -> None:
    from tests.golden import parse_file

    path = case.path  # type: ignore[attr-defined]
    events, rejects, manifest = parse_file(path, tmp_path, tz="Europe/Paris")
    report = manifest["files"][0]
    assert report["parser"] == case.parser  # type: ignore[attr-defined]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert report["lines_read"] == len(lines)
    assert report["lines_in_events"] + report["lines_meta"] + report["lines_blank"] + report["lines_rejected"] == len(
        lines
    )
    assert rejects.height == report["lines_rejected"]
    # every stamp these services write is UTC or carries its offset; only Caddy's optional
    # ``wall`` time format is naive, and then the source zone is applied and said
    naive = events.filter(pl.col("time.zone_source") != "record")
    assert naive.get_column("time.original").to_list() == (
        ["2026/03/14 10:16:00.000"] if case.parser == "caddy.access" else []  # type: ignore[attr-defined]
    )
    assert set(naive.get_column("time.zone").to_list()) <= {"Europe/Paris"}
    utc = events.filter(pl.col("time.zone_source") == "record")
    if case.parser not in ("caddy.access", "traefik.access"):  # type: ignore[attr-defined]
        assert set(utc.get_column("time.zone").to_list()) == {"+00:00"}
