"""Property tests: nothing is lost, and generated lines parse back to the values that made them."""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forensics.intake.reader import records_from_text
from parsers.base import get_parser

WEB_PARSERS = ["apache.access", "nginx.access", "apache.error", "nginx.error", "iis.w3c", "haproxy.http"]
SEEDS = [
    '10.10.0.5 - - [25/Oct/2024:01:07:55 +0200] "POST /mediboard/index.php HTTP/1.1" 401 6021 "-" "UA" 184233 "1.2.3.4"',
    "[Sat Oct 26 23:43:58.912304 2024] [proxy_fcgi:error] [pid 1:tid 2] [client 10.10.0.5:51234] AH01071: Got error",
    '2024/10/27 00:41:12 [error] 1234#1234: *5 upstream timed out, client: 1.2.3.4, request: "GET / HTTP/1.1"',
    "#Fields: date time c-ip cs-method cs-uri-stem sc-status",
    "2024-10-27 00:31:45 10.10.0.5 GET /x 200",
    'Oct 27 02:15:33 rp01 haproxy[1]: 1.2.3.4:5 [27/Oct/2024:02:15:33.102] fe be/s 0/0/1/2/3 200 10 - - ---- 1/1/0/0/0 0/0 "GET / HTTP/1.1"',
]


def _mutations() -> st.SearchStrategy[str]:
    """A known-good line cut, extended or with characters replaced."""

    @st.composite
    def mutate(draw: st.DrawFn) -> str:
        line = draw(st.sampled_from(SEEDS))
        cut = draw(st.integers(0, len(line)))
        junk = draw(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8))
        how = draw(st.sampled_from(["cut", "insert", "append"]))
        if how == "cut":
            return line[:cut]
        if how == "insert":
            return line[:cut] + junk + line[cut:]
        return line + junk

    return mutate()


LINES = st.lists(
    st.one_of(
        st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60),
        _mutations(),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=LINES, name=st.sampled_from(WEB_PARSERS))
def test_every_record_is_an_event_a_reject_or_meta(lines: list[str], name: str) -> None:
    parser = get_parser(name)
    text = "\n".join(line.replace("\r", " ").replace("\n", " ") for line in lines)
    records = records_from_text(text, parser)
    if records.height == 0:
        return
    result = parser.parse(records, {})
    events = set(result.events.get_column("_rec").to_list()) if result.events.height else set()
    rejects = set(result.rejects.get_column("_rec").to_list())
    meta = set(result.meta.get_column("_rec").to_list())
    everything = set(records.get_column("_rec").to_list())
    assert events | rejects | meta == everything
    assert not events & rejects and not events & meta and not rejects & meta
    if result.events.height:
        assert result.events.get_column("_ts").null_count() == 0
        assert result.rejects.get_column("reason").null_count() == 0


# -- round trip ---------------------------------------------------------------------------


def apache_escape(value: str) -> str:
    """What ``ap_escape_logitem`` does: ``"`` and ``\\`` escaped, other non-printable bytes as ``\\xhh``."""
    out = []
    for byte in value.encode("utf-8"):
        if byte == 0x22:
            out.append('\\"')
        elif byte == 0x5C:
            out.append("\\\\")
        elif byte < 0x20 or byte >= 0x7F:
            out.append(f"\\x{byte:02x}")
        else:
            out.append(chr(byte))
    return "".join(out)


IPS = st.one_of(
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(lambda ip: str(ipaddress.IPv6Address(int(ip)))),
)
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"), max_size=30)
PATH = st.builds(
    lambda segs, pct: "/" + "/".join(segs) + pct,
    st.lists(st.text(alphabet="abcXYZ019-_.~\"'<>\\ é=&?", max_size=8), max_size=4),
    st.sampled_from(["", "?q=%E9t%C3%A9", "?a=%22b%22&c=1", "%2F"]),
).filter(lambda p: "HTTP/" not in p)
WHEN = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31)).map(
    lambda d: d.replace(microsecond=0)
)
OFFSETS = st.integers(-12 * 60, 14 * 60).map(lambda m: m // 15 * 15)


@st.composite
def combined_lines(draw: st.DrawFn) -> tuple[str, dict]:
    values = {
        "ip": draw(IPS),
        "user": draw(st.one_of(st.just("-"), st.from_regex(r"[a-z][a-z0-9.]{0,10}", fullmatch=True))),
        "when": draw(WHEN),
        "offset": draw(OFFSETS),
        "method": draw(st.sampled_from(["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PROPFIND"])),
        "path": draw(PATH),
        "version": draw(st.sampled_from(["1.0", "1.1", "2.0"])),
        "status": draw(st.integers(100, 599)),
        "bytes": draw(st.one_of(st.just(0), st.integers(1, 10**12))),
        "referrer": draw(TEXT),
        "agent": draw(TEXT),
    }
    sign = "+" if values["offset"] >= 0 else "-"
    off = abs(values["offset"])
    stamp = values["when"].strftime("%d/%b/%Y:%H:%M:%S") + f" {sign}{off // 60:02d}{off % 60:02d}"
    size = str(values["bytes"]) if values["bytes"] else "-"
    line = (
        f"{values['ip']} - {values['user']} [{stamp}] "
        f'"{values["method"]} {apache_escape(values["path"])} HTTP/{values["version"]}" {values["status"]} {size} '
        f'"{apache_escape(values["referrer"])}" "{apache_escape(values["agent"])}"'
    )
    return line, values


@settings(max_examples=150, deadline=None)
@given(items=st.lists(combined_lines(), min_size=1, max_size=8))
def test_generated_combined_lines_parse_back(items: list[tuple[str, dict]]) -> None:
    parser = get_parser("apache.access")
    records = records_from_text("\n".join(line for line, _ in items), parser)
    result = parser.parse(records, {})
    assert result.rejects.height == 0, result.rejects
    events = result.events.sort("_rec")
    assert events.height == len(items)
    for row, (_, v) in zip(events.iter_rows(named=True), items, strict=True):
        assert row["source.ip"] == row["network.peer_ip"] == v["ip"]
        assert row["user.name"] == (None if v["user"] == "-" else v["user"])
        assert row["_ts"] == v["when"]
        assert row["_offset"] == v["offset"] * 60
        assert row["http.request.method"] == v["method"]
        assert row["url.original"] == v["path"]
        assert row["http.version"] == v["version"]
        assert row["http.response.status_code"] == v["status"]
        assert row["http.response.bytes"] == v["bytes"]
        assert row["http.request.referrer"] == (None if v["referrer"] in ("", "-") else v["referrer"])
        assert row["user_agent.original"] == (None if v["agent"] == "-" else v["agent"])
        assert row["event.outcome"] == ("failure" if v["status"] >= 400 else "success")


@settings(max_examples=40, deadline=None)
@given(items=st.lists(combined_lines(), min_size=1, max_size=5), duration=st.integers(0, 10**9))
def test_generated_lines_with_a_configured_format(items: list[tuple[str, dict]], duration: int) -> None:
    """The same lines plus ``%D "%{X-Forwarded-For}i"`` read through ``log_format``."""
    fmt = '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D "%{X-Forwarded-For}i"'
    parser = get_parser("apache.access", {"log_format": fmt})
    lines = [f'{line} {duration} "{v["ip"]}, 10.0.0.1"' for line, v in items]
    result = parser.parse(records_from_text("\n".join(lines), parser), {})
    assert result.rejects.height == 0
    events = result.events.sort("_rec")
    for row, (_, v) in zip(events.iter_rows(named=True), items, strict=True):
        assert row["event.duration"] == duration * 1000
        assert row["network.forwarded_ip"] == f"{v['ip']}, 10.0.0.1"
        assert row["url.original"] == v["path"]
        assert row["user_agent.original"] == (None if v["agent"] == "-" else v["agent"])
        assert row["_ts"] - timedelta(seconds=row["_offset"]) == v["when"] - timedelta(minutes=v["offset"])


def test_round_trip_helper_escapes_like_apache() -> None:
    assert apache_escape('a"b\\c\x1bé') == 'a\\"b\\\\c\\x1b\\xc3\\xa9'
    assert pl.Series([apache_escape("x")]).item() == "x"


def _json_object_whole(pairs: list[tuple[str, pl.Expr]]) -> pl.Expr:
    """The reference: the whole struct encoded once, then each null member cut out of the text."""
    encoded = pl.struct([e.cast(pl.String).alias(k) for k, e in pairs]).struct.json_encode()
    for k, _ in pairs:
        encoded = encoded.str.replace(f'"{k}":null,', "", literal=True).str.replace(f',"{k}":null', "", literal=True)
        encoded = encoded.str.replace(f'"{k}":null', "", literal=True)
    return pl.when(encoded == "{}").then(None).otherwise(encoded)


_LABEL_VALUES = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from(['"a":null,', ",}", '\\"', "\\", "\x00\x1f\x7f", "é\u2028", "{}", "null"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_LABEL_VALUES, min_size=4, max_size=4), min_size=1, max_size=5), st.integers(0, 3))
def test_json_object_is_the_struct_encoded_without_its_null_members(rows: list[list[str | None]], as_int: int) -> None:
    import json

    from parsers.web.common import json_object

    keys = ["haproxy.frontend", "a", "syslog.priority", "k:x@(1)#-"]
    df = pl.DataFrame({f"c{i}": [r[i] for r in rows] for i in range(4)}, schema={f"c{i}": pl.String for i in range(4)})
    # one column an integer, as the parsers pass some (cast to text inside)
    df = df.with_columns(pl.col(f"c{as_int}").str.len_chars().cast(pl.Int64).alias(f"c{as_int}"))
    pairs = [(k, pl.col(f"c{i}")) for i, k in enumerate(keys)]
    got = df.select(json_object(pairs).alias("j")).to_series().to_list()
    assert got == df.select(_json_object_whole(pairs).alias("j")).to_series().to_list()
    for row, text in zip(df.rows(), got, strict=True):
        expected = {k: str(v) for k, v in zip(keys, row, strict=True) if v is not None}
        assert (json.loads(text) if text is not None else {}) == expected
