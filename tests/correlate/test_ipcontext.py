"""ip_context: labels, most specific network wins, internal networks from the config."""

from __future__ import annotations

import polars as pl
import pytest

from forensics.config import CaseConfig
from forensics.correlate.ipcontext import IpContext, classify_ips, normalise_label


def test_normalise():
    assert normalise_label("Tor exit node") == "tor"
    assert normalise_label("Commercial VPN") == "vpn"
    assert normalise_label("residential proxy pool") == "proxy"
    assert normalise_label("Hosting / datacenter") == "hosting"
    assert normalise_label("French residential ISP") == "isp"
    assert normalise_label("  Partner   Lab ") == "partner lab"


def test_lookup_most_specific_wins(tmp_path):
    f = tmp_path / "ctx.csv"
    f.write_text(
        "network,label,note\n# comment\n203.0.113.0/24,hosting,Some cloud\n203.0.113.201/32,tor,exit\n2001:db8::/32,vpn,v6 vpn\n",
        encoding="utf-8",
    )
    ctx = IpContext.from_config(CaseConfig(internal=("10.0.0.0/8",), trusted_proxies=("10.10.0.5",), ip_context=f))
    out = {
        r["ip"]: r
        for r in ctx.lookup(
            pl.Series(
                ["203.0.113.201", "203.0.113.7", "10.10.0.5", "10.20.3.47", "198.51.100.1", "2001:db8::1", "junk", None]
            )
        ).to_dicts()
    }
    assert out["203.0.113.201"]["ip.label"] == "tor" and out["203.0.113.201"]["ip.network"] == "203.0.113.201/32"
    assert out["203.0.113.7"]["ip.label"] == "hosting" and out["203.0.113.7"]["ip.note"] == "Some cloud"
    assert out["10.10.0.5"]["ip.label"] == "infrastructure"
    assert out["10.20.3.47"]["ip.label"] == "internal"
    assert out["198.51.100.1"]["ip.label"] is None and out["198.51.100.1"]["ip.network"] == "198.51.100.0/24"
    assert out["2001:db8::1"]["ip.label"] == "vpn"
    assert out["junk"]["ip.label"] is None


def test_bad_line_names_it():
    ctx = IpContext()
    with pytest.raises(ValueError, match=":3:"):
        ctx.load_text("network,label\n10.0.0.0/8,internal\nnot-an-ip,tor\n")


def test_classify_keeps_rows_and_order():
    ctx = IpContext()
    ctx.load_text("203.0.113.201,tor\n")
    df = pl.DataFrame({"source.ip": ["203.0.113.201", None, "1.2.3.4", "203.0.113.201"], "n": [1, 2, 3, 4]})
    out = classify_ips(df, ctx)
    assert out.get_column("n").to_list() == [1, 2, 3, 4]
    assert out.get_column("ip.label").to_list() == ["tor", None, None, "tor"]


def test_ranges_headers_and_address_lists(tmp_path):
    ctx = IpContext.from_config(None)
    ctx.load_text("cidr,asn,org,type\n198.51.100.0/25,64500,Example ISP,residential\n", "geo.csv")
    tor = tmp_path / "tor_exits_synthetic.txt"
    tor.write_text("203.0.113.201-203\n203.0.113.220\n", encoding="utf-8")
    ctx.load(tor)
    out = {
        r["ip"]: r
        for r in ctx.lookup(
            pl.Series(["198.51.100.77", "203.0.113.202", "203.0.113.204", "203.0.113.220", "127.0.0.1", "192.168.1.10"])
        ).to_dicts()
    }
    assert out["198.51.100.77"]["ip.label"] == "isp" and out["198.51.100.77"]["ip.note"] == "Example ISP"
    assert out["203.0.113.202"]["ip.label"] == "tor" and out["203.0.113.220"]["ip.label"] == "tor"
    assert out["203.0.113.204"]["ip.label"] is None
    assert out["127.0.0.1"]["ip.label"] == "loopback" and out["192.168.1.10"]["ip.label"] == "private"


def test_config_wins_over_builtin_private_range():
    ctx = IpContext.from_config(CaseConfig(internal=("10.0.0.0/8",)))
    assert ctx.lookup(pl.Series(["10.1.2.3"])).get_column("ip.label").to_list() == ["internal"]
