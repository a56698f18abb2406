"""What an address is: Tor exit, VPN, hosting, ISP, internal, from the case's ``ip_context`` file.

The file is the investigator's own knowledge (threat-intel exports, the hospital's network
plan), a CSV ``network,label,note`` (header optional, ``#`` comments allowed)::

    network,label,note
    203.0.113.201/32,tor,Tor exit (list of 2024-10-27)
    198.51.100.0/25,isp,French residential ISP

Labels are normalised to a small vocabulary (``tor``, ``vpn``, ``hosting``, ``proxy``,
``isp``, ``internal``); anything else is kept lower-cased.  The config's ``internal``
networks are ``internal`` and its ``trusted_proxies`` are ``infrastructure``; loopback and
the private ranges are known without configuration (``loopback``, ``private``).  The most
specific network wins; between equal networks, the case's own knowledge wins.  Lookups run once per distinct address, vectorised over IPv4.
"""

from __future__ import annotations

import csv
import io
import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

#: Labels that hide the real origin of a connection (T1090).
ANONYMISERS = {"tor": "T1090.003", "vpn": "T1090.002", "proxy": "T1090.002", "hosting": "T1090.002"}

_ALIASES = [
    ("tor", "tor"),
    ("vpn", "vpn"),
    ("residential proxy", "proxy"),
    ("proxy", "proxy"),
    ("hosting", "hosting"),
    ("datacenter", "hosting"),
    ("data center", "hosting"),
    ("cloud", "hosting"),
    ("vps", "hosting"),
    ("isp", "isp"),
    ("residential", "isp"),
    ("broadband", "isp"),
    ("mobile", "isp"),
    ("internal", "internal"),
    ("lan", "internal"),
    ("corporate", "internal"),
]


#: Always known: loopback is this host; private ranges are someone's inside network.
BUILTIN = (
    ("127.0.0.0/8", "loopback"),
    ("::1/128", "loopback"),
    ("10.0.0.0/8", "private"),
    ("172.16.0.0/12", "private"),
    ("192.168.0.0/16", "private"),
    ("fc00::/7", "private"),
)
HEADER_NETWORK = {"network", "cidr", "ip", "prefix", "address", "range"}
HEADER_LABEL = {"label", "type", "category", "kind", "class"}
HEADER_NOTE = {"note", "notes", "description", "comment", "org", "organisation", "organization", "name"}


def _label_from_name(stem: str) -> str | None:
    label = normalise_label(stem)
    return label if label in {"tor", "vpn", "proxy", "hosting", "isp", "internal"} else None


def normalise_label(label: str) -> str:
    """``"Tor exit node"`` -> ``tor``; unknown labels are kept, lower-cased and trimmed."""
    text = " ".join(label.strip().lower().split())
    for needle, value in _ALIASES:
        if needle in text.replace("_", " ").replace("-", " "):
            return value
    return text or "unknown"


@dataclass
class IpContext:
    """Networks with a label and a note; ``lookup`` classifies addresses."""

    entries: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str, str]] = field(default_factory=list)

    @classmethod
    def from_config(cls, config: object | None) -> IpContext:
        """Build from a CaseConfig: built-in loopback/private ranges, trusted proxies, internal networks, ip_context."""
        ctx = cls()
        for net, label in BUILTIN:
            ctx.add(net, label, "built in")
        if config is None:
            return ctx
        for net in getattr(config, "trusted_proxies", ()) or ():
            ctx.add(net, "infrastructure", "trusted proxy (case config)")
        for net in getattr(config, "internal", ()) or ():
            ctx.add(net, "internal", "internal network (case config)")
        path = getattr(config, "ip_context", None)
        if path:
            ctx.load(Path(path))
        return ctx

    def add(self, network: str, label: str, note: str = "") -> None:
        """A network (``203.0.113.0/24``), an address, or a range (``203.0.113.201-203.0.113.203``, ``...201-203``)."""
        text = network.strip()
        if "-" in text and "/" not in text:
            first, last = (p.strip() for p in text.split("-", 1))
            start = ipaddress.ip_address(first)
            if "." in first and last.isdigit():
                last = first.rsplit(".", 1)[0] + "." + last
            nets = list(ipaddress.summarize_address_range(start, ipaddress.ip_address(last)))  # type: ignore[arg-type]
        else:
            nets = [ipaddress.ip_network(text, strict=False)]
        for net in nets:
            self.entries.append((net, normalise_label(label), note.strip()))

    def load(self, path: Path) -> None:
        """Read a ``network,label,note`` CSV; bad lines raise with their line number.

        A header may name the columns (``network``/``cidr``/``ip``, ``label``/``type``/
        ``category``, ``note``/``description``/``org``); a file with one address per line
        takes its label from the file name (``tor_exits.txt`` -> ``tor``).
        """
        text = path.read_text(encoding="utf-8", errors="replace")
        self.load_text(text, str(path), default_label=_label_from_name(path.stem))

    def load_text(self, text: str, name: str = "ip_context", default_label: str | None = None) -> None:
        reader = csv.reader(io.StringIO(text))
        net_i, label_i, note_i = 0, 1, 2
        header = False
        for lineno, row in enumerate(reader, 1):
            if not row or not row[0].strip() or row[0].lstrip().startswith("#"):
                continue
            lowered = [c.strip().lower() for c in row]
            if lineno == 1 and lowered[0] in HEADER_NETWORK:
                net_i = 0
                label_i = next((i for i, c in enumerate(lowered) if c in HEADER_LABEL), -1)
                note_i = next((i for i, c in enumerate(lowered) if c in HEADER_NOTE), -1)
                header = True
                continue
            label = row[label_i] if 0 <= label_i < len(row) and row[label_i].strip() else default_label
            if label is None:
                raise ValueError(f"{name}:{lineno}: expected network,label[,note]")
            note = row[note_i] if 0 <= note_i < len(row) else ""
            if not header and len(row) > 3:  # an unquoted comma in the note
                note = ",".join(row[2:])
            try:
                self.add(row[net_i], label, note)
            except ValueError as exc:
                raise ValueError(f"{name}:{lineno}: {row[net_i]!r} is not an IP network or range") from exc

    def __bool__(self) -> bool:
        return bool(self.entries)

    def lookup(self, ips: pl.Series) -> pl.DataFrame:
        """Distinct addresses -> ``ip``, ``ip.label``, ``ip.note``, ``ip.network`` (matched network or /24, /48)."""
        distinct = ips.drop_nulls().unique().sort()
        df = pl.DataFrame({"ip": distinct.cast(pl.String)})
        v4 = _ipv4_int(pl.col("ip"))
        df = df.with_columns(v4.alias("_v4"))
        label = pl.lit(None, dtype=pl.String)
        note = pl.lit(None, dtype=pl.String)
        network = pl.lit(None, dtype=pl.String)
        # least specific first: later (more specific) matches override
        for net, lab, nt in sorted(self.entries, key=lambda e: e[0].prefixlen):
            if net.version != 4:
                continue
            mask = (0xFFFFFFFF << (32 - net.prefixlen)) & 0xFFFFFFFF
            hit = (pl.col("_v4") & mask) == int(net.network_address)
            label = pl.when(hit).then(pl.lit(lab)).otherwise(label)
            note = pl.when(hit).then(pl.lit(nt)).otherwise(note)
            network = pl.when(hit).then(pl.lit(str(net))).otherwise(network)
        slash24 = pl.concat_str(
            [
                pl.col("ip").str.replace(r"\.\d+$", ""),
                pl.lit(".0/24"),
            ]
        )
        df = df.with_columns(
            label.alias("ip.label"),
            note.alias("ip.note"),
            pl.when(pl.col("_v4").is_not_null()).then(pl.coalesce(network, slash24)).alias("ip.network"),
        )
        v6 = df.filter(pl.col("_v4").is_null())
        if v6.height:
            df = df.update(self._lookup_python(v6.get_column("ip").to_list()), on="ip", how="left")
        return df.drop("_v4")

    def _lookup_python(self, ips: list[str]) -> pl.DataFrame:
        labels, notes, networks = [], [], []
        for raw in ips:
            best = None
            try:
                addr = ipaddress.ip_address(raw.strip().strip("[]"))
            except ValueError:
                addr = None
            if addr is not None:
                for net, lab, nt in self.entries:
                    if (
                        addr.version == net.version
                        and addr in net
                        and (best is None or net.prefixlen > best[0].prefixlen)
                    ):
                        best = (net, lab, nt)
            labels.append(best[1] if best else None)
            notes.append(best[2] if best else None)
            if best:
                networks.append(str(best[0]))
            elif addr is not None and addr.version == 6:
                networks.append(str(ipaddress.ip_network(f"{addr}/48", strict=False)))
            else:
                networks.append(None)
        return pl.DataFrame(
            {"ip": ips, "ip.label": labels, "ip.note": notes, "ip.network": networks},
            schema={"ip": pl.String, "ip.label": pl.String, "ip.note": pl.String, "ip.network": pl.String},
        )


def _ipv4_int(expr: pl.Expr) -> pl.Expr:
    """Dotted IPv4 text -> UInt32-valued Int64, null for anything else."""
    parts = expr.str.extract_groups(r"^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$")
    octets = [parts.struct.field(str(i)).cast(pl.Int64, strict=False) for i in range(1, 5)]
    valid = pl.all_horizontal([(o >= 0) & (o <= 255) for o in octets])
    value = octets[0] * 16777216 + octets[1] * 65536 + octets[2] * 256 + octets[3]
    return pl.when(valid).then(value)


def classify_ips(df: pl.DataFrame | pl.LazyFrame, ctx: IpContext, column: str = "source.ip") -> pl.DataFrame:
    """Add ``ip.label``, ``ip.note`` and ``ip.network`` for ``column`` (same rows, same order).

    Needs: ``column``.  Adds: ``ip.label`` (tor, vpn, hosting, proxy, isp, internal,
    infrastructure, other labels from the file, or null when unknown), ``ip.note``,
    ``ip.network`` (the matched context network, else the /24 or /48).
    """
    frame = df.collect() if isinstance(df, pl.LazyFrame) else df
    table = ctx.lookup(frame.get_column(column)).rename({"ip": column})
    drop = [c for c in ("ip.label", "ip.note", "ip.network") if c in frame.columns]
    return frame.drop(drop).join(table, on=column, how="left", maintain_order="left")
