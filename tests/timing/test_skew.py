"""Clock-skew estimation: known offsets are recovered, weak evidence is reported and not applied."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from forensics.cli import print_summary
from forensics.config import SourceConfig
from forensics.time import skew
from tests.timing.helpers import run
from tests.timing.skewgen import HOSTS, START, generate


def _estimate(df: pl.DataFrame, configured: dict[str, float] | None = None) -> skew.SkewReport:
    return skew.estimate(df.lazy(), HOSTS, configured if configured is not None else {"rp01": 0.0}, 10.0)


@pytest.mark.parametrize(("app", "db01", "db02"), [(3.0, 0.4, -7.0), (-7.0, 3.0, 0.4), (0.4, -7.0, 3.0)])
def test_known_offsets_are_recovered(app: float, db01: float, db02: float) -> None:
    report = _estimate(generate(app_offset=app, db01_offset=db01, db02_offset=db02))
    hosts = report.hosts
    assert hosts["rp01"].origin == "config"
    for name, want in (("app01", app), ("db01", db01), ("db02", db02)):
        got = hosts[name]
        assert got.origin == "estimated", (name, got.reason)
        assert got.offset == pytest.approx(want, abs=0.5), name
        assert got.applied
    # app01 is reached by pairing requests one to one; the databases by counting CONNECTs
    assert hosts["app01"].via == ["rp01"]
    edge = next(e for e in report.edges if {e.host_a, e.host_b} == {"app01", "rp01"} and e.method == "pairs")
    assert edge.supported and edge.pairs >= skew.MIN_PAIRS and edge.mad is not None and edge.mad <= skew.MAX_MAD
    assert edge.kinds == {"same_request": edge.pairs}


def test_repeated_keys_are_not_paired() -> None:
    df = generate(n_requests=3000)
    anchors = skew.anchor_events(df.lazy(), HOSTS)
    pairs = skew.anchor_pairs(anchors, 12.0)
    assert pairs.height > 100
    # a login form hit every few seconds and the monitoring page never make pairs; every pair is right
    assert set(pairs.get_column("host_a")) == {"app01"} and set(pairs.get_column("host_b")) == {"rp01"}
    assert pairs.get_column("delta").is_between(-4.0, -2.0).all()  # rp01 - app01


def test_too_few_pairs_is_low_confidence_and_not_applied() -> None:
    report = _estimate(generate(n_requests=12))
    app = report.hosts["app01"]
    assert app.origin is None and not app.applied and app.offset is None
    assert "below the rule" in app.reason
    edge = next(e for e in report.edges if {e.host_a, e.host_b} == {"app01", "rp01"})
    assert not edge.supported and edge.pairs < skew.MIN_PAIRS
    assert edge.estimate == pytest.approx(-3.0, abs=1.0)  # still reported (rp01 - app01)


def test_scattered_pairs_are_not_applied() -> None:
    df = generate(n_requests=3000)
    rng = random.Random(1)
    noisy = df.with_columns(
        pl.when(pl.col("log.source") == "app01/apache2/access.log")
        .then(pl.col("time.recorded") + pl.duration(seconds=pl.Series([rng.randint(-4, 4) for _ in range(df.height)])))
        .otherwise(pl.col("time.recorded"))
        .alias("time.recorded")
    )
    app = _estimate(noisy).hosts["app01"]
    assert not app.applied and "MAD" in app.reason


def test_reference_without_configuration_is_the_most_connected_host() -> None:
    true = {"rp01": 0.0, "app01": 3.0, "db01": 0.4, "db02": -7.0}
    report = _estimate(generate(), configured={})
    # app01 and rp01 both reach the three other hosts; app01 has more anchors (CONNECTs of its own requests)
    assert report.reference == ["app01"]
    assert report.hosts["app01"].origin == "reference"
    for host, offset in true.items():  # every clock relative to the reference's
        assert report.hosts[host].offset == pytest.approx(offset - true["app01"], abs=0.5), host
    assert any("clock_offset = 0" in w for w in report.warnings)


def test_configured_offsets_disagreeing_with_anchors_are_reported() -> None:
    report = _estimate(generate(), configured={"rp01": 0.0, "app01": 0.0})
    assert report.hosts["app01"].origin == "config"
    assert report.hosts["app01"].estimate == pytest.approx(3.0, abs=0.5)
    assert any("disagree" in w for w in report.warnings)


def test_pair_stats_use_the_mean_of_inliers() -> None:
    # one-second logs: +0.4 s shows as 60 % zeros and 40 % ones; an outlier is ignored
    med, mad, est, n = skew.pair_stats([0.0] * 60 + [1.0] * 40 + [9.0])
    assert med == 0.0 and mad == 0.0
    assert est == pytest.approx(0.4)
    assert n == 100


# -- end to end ------------------------------------------------------------------------------


def _access_logs(n: int = 80, app_offset: float = 3.0) -> dict[str, str]:
    """The same requests in the proxy log (UTC) and the app server log (+0200, clock ahead)."""
    rng = random.Random(3)
    proxy, app = [], []
    t = 0.0
    for i in range(n):
        t += rng.uniform(2.0, 40.0)
        true = START + timedelta(seconds=t)
        seen = true + timedelta(seconds=app_offset + rng.uniform(0.001, 0.01))
        url = f"/mediboard/index.php?m=dPpatients&tab=vw_full_patients&patient_id={1000 + i}"
        size = 5000 + i
        ip = f"198.51.100.{i % 100 + 1}"
        stamp = true.strftime("%d/%b/%Y:%H:%M:%S +0000")
        local = (seen + timedelta(hours=2)).strftime("%d/%b/%Y:%H:%M:%S +0200")
        proxy.append(f'{ip} - - [{stamp}] "GET {url} HTTP/1.1" 200 {size} "-" "Mozilla/5.0"')
        app.append(f'10.10.0.5 - - [{local}] "GET {url} HTTP/1.1" 200 {size} "-" "Mozilla/5.0" 80211 "{ip}"')
    return {"rp01/nginx/access.log": "\n".join(proxy) + "\n", "app01/apache2/access.log": "\n".join(app) + "\n"}


def _sources(rp01_offset: float | None) -> tuple[SourceConfig, ...]:
    return (
        SourceConfig(path="rp01/**", format="apache.access", host="rp01", clock_offset=rp01_offset),
        SourceConfig(path="app01/**", format="apache.access", host="app01"),
    )


def test_end_to_end_app_clock_ahead(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events, manifest = run(_access_logs(), tmp_path, sources=_sources(0.0), trusted_proxies=("10.10.0.5",))
    src = {s["clock_host"]: s for s in manifest["sources"]}
    app = src["app01"]
    assert app["skew_origin"] == "estimated"
    assert app["skew_applied"] == pytest.approx(3.0, abs=0.5)
    assert app["skew_estimate"]["pairs"] >= 20
    assert src["rp01"]["skew_origin"] == "config" and src["rp01"]["skew_applied"] == 0.0
    assert manifest["clock"]["reference"] == ["rp01"]
    app_events = events.filter(pl.col("host.name") == "app01")
    # time.recorded keeps what the clock said; @timestamp is corrected
    lag = (app_events["time.recorded"] - app_events["@timestamp"]).dt.total_microseconds() / 1e6
    assert lag.unique().to_list() == [app["skew_applied"]]
    assert app_events["time.skew"].unique().to_list() == [app["skew_applied"]]
    assert all("skew_corrected" in f for f in app_events["time.flags"].to_list())
    # after correction the proxy and the app server agree on every request within a second
    joined = events.filter(pl.col("host.name") == "rp01").join(app_events, on=["url.original"], suffix="_app")
    gap = (joined["@timestamp_app"] - joined["@timestamp"]).dt.total_microseconds().abs() / 1e6
    assert gap.max() < 1.0
    assert manifest["totals"]["skew_corrected"] == app_events.height
    print_summary(manifest)
    err = " ".join(capsys.readouterr().err.split())
    assert "app01/apache2/access.log: clock 3.0 s ahead (estimated from" in err


def test_end_to_end_without_reference_aligns_on_one_host(tmp_path: Path) -> None:
    _, manifest = run(_access_logs(), tmp_path, sources=_sources(None), trusted_proxies=("10.10.0.5",))
    ref = manifest["clock"]["reference"]
    assert len(ref) == 1
    other = "rp01" if ref == ["app01"] else "app01"
    s = next(s for s in manifest["sources"] if s["clock_host"] == other)
    assert abs(s["skew_applied"]) == pytest.approx(3.0, abs=0.5)
    assert any("clock_offset = 0" in w for w in manifest["warnings"])


def test_configured_offset_applied_as_given_without_anchors(tmp_path: Path) -> None:
    files = {"db02/audit.log": "2024-10-27 00:41:03,5531207 CONNECT\n"}
    sources = (SourceConfig(path="db02/**", format="apache.access", host="db02", clock_offset=-7.0),)
    sources = (SourceConfig(path="db02/**", format="test.naive_ids", host="db02", timezone="UTC", clock_offset=-7.0),)
    events, manifest = run(files, tmp_path, sources=sources)
    row = events.row(0, named=True)
    assert row["time.recorded"].strftime("%H:%M:%S") == "00:41:03"
    assert row["@timestamp"].strftime("%H:%M:%S") == "00:41:10"
    assert row["time.skew"] == -7.0
    src = manifest["sources"][0]
    assert src["clock_offset"] == -7.0 and src["skew_applied"] == -7.0 and src["skew_origin"] == "config"
    assert "db02/audit.log: clock 7.0 s behind (configured); corrected" in manifest["warnings"]


def test_login_rows_pair_with_the_post_that_caused_them() -> None:
    rng = random.Random(9)
    rows = []
    t = 0.0
    for i in range(60):
        t += rng.uniform(30, 300)
        ip = f"198.51.100.{i}"
        post = START + timedelta(seconds=int(t + 3.0))  # app01 access log, clock +3 s
        login = START + timedelta(seconds=int(t + 0.2 + 3.0))  # the login row, written by app01's PHP
        rows.append(("app01/apache2/access.log", "http_request", post, "POST", ip))
        rows.append(("mediboard/user_authentication.tsv", "login", login, None, ip))
        # unrelated GETs from the same client right after: not POSTs, so not candidates
        rows.append(("app01/apache2/access.log", "http_request", post + timedelta(seconds=2), "GET", ip))
    df = pl.DataFrame(
        rows,
        schema={
            "log.source": pl.String,
            "event.action": pl.String,
            "time.recorded": pl.Datetime("us", "UTC"),
            "http.request.method": pl.String,
            "source.ip": pl.String,
        },
        orient="row",
    ).with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("time.flags"))
    hosts = {"app01/apache2/access.log": "app01", "mediboard/user_authentication.tsv": "mediboard"}
    report = skew.estimate(df.lazy(), hosts, {"app01": 3.0}, 10.0)
    edge = next(e for e in report.edges if e.method == "pairs")
    assert edge.kinds == {"login_request": 60}
    # the dump has no clock of its own: it is app01's PHP clock, found to agree with app01
    assert report.hosts["mediboard"].offset == pytest.approx(3.0, abs=0.5)
    assert report.hosts["mediboard"].applied


def test_the_clock_report_does_not_depend_on_the_order_edges_arrive_in() -> None:
    """Edges come out of group-bys in no fixed order; the manifest must not change with it."""
    import itertools

    from forensics.time.skew import Edge, solve

    edges = [
        Edge("app01", "rp01", "pairs", {"same_request": 900}, 900, -3.0, 0.1, -3.0, True),
        Edge("db01", "rp01", "counted", {"connect_request": 300}, 300, 0.4, 0.5, 0.4, True, z=9.0),
        Edge("app01", "db01", "counted", {"connect_request": 300}, 300, 3.4, 0.5, 3.4, True, z=9.0),
        Edge("app01", "db02", "counted", {"connect_request": 300}, 300, -10.0, 0.5, -10.0, True, z=9.0),
    ]
    reports = {
        json.dumps(solve(["app01", "db01", "db02", "rp01"], list(order), {"rp01": 0.0}).as_dict(), sort_keys=True)
        for order in itertools.permutations(edges)
    }
    assert len(reports) == 1


@pytest.mark.parametrize("configured", [{}, {"rp01": 0.0}, {"rp01": 2.0}])
def test_one_host_reads_no_anchor_and_reports_as_before(configured: dict[str, float]) -> None:
    """Anchors pair two hosts: with one host the events are not read, and the report is the one
    the events would have given."""
    df = generate(n_requests=800)
    one_host = {source: "rp01" for source in HOSTS}
    read = skew.estimate_from(skew.anchor_events(df.lazy(), one_host), one_host, configured, 10.0)

    def unreadable(s: pl.Series) -> pl.Series:
        raise AssertionError("the events were read")

    untouched = df.lazy().with_columns(pl.col("url.original").map_batches(unreadable, return_dtype=pl.String))
    report = skew.estimate(untouched, one_host, configured, 10.0)
    assert report.as_dict() == read.as_dict()
    assert report.warnings == read.warnings
