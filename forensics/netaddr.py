"""Client addresses behind proxies, and IP helpers shared by the engine and correlators."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

import polars as pl


class NetworkSet:
    """A set of IPs and networks with a fast membership test for address strings."""

    def __init__(self, items: Iterable[str]) -> None:
        self.networks = [ipaddress.ip_network(i.strip(), strict=False) for i in items]

    def __contains__(self, address: str | None) -> bool:
        if not address:
            return False
        try:
            ip = ipaddress.ip_address(strip_port(address))
        except ValueError:
            return False
        return any(ip in net for net in self.networks)

    def __bool__(self) -> bool:
        return bool(self.networks)


def strip_port(address: str) -> str:
    """``1.2.3.4:5678`` -> ``1.2.3.4``; ``[::1]:80`` -> ``::1``; bare IPv6 stays.

    Only a numeric port is removed: nginx logs a unix-socket peer as ``unix:``, which is
    kept whole.
    """
    address = address.strip()
    if address.startswith("[") and "]" in address:
        return address[1 : address.index("]")]
    if address.count(":") == 1:
        host, _, port = address.partition(":")
        return host if port.isdigit() else address
    return address


def forwarded_chain(header: str | None) -> list[str]:
    """Elements of an X-Forwarded-For value, left to right, without ``-``/``unknown`` noise."""
    if not header or header == "-":
        return []
    return [p.strip() for p in header.split(",") if p.strip() and p.strip().lower() not in {"-", "unknown"}]


def is_ip(address: str) -> bool:
    """Whether ``address`` (port allowed) is an IP address, not ``unix:``, ``localhost`` or a name."""
    try:
        ipaddress.ip_address(strip_port(address))
    except ValueError:
        return False
    return True


def resolve_client(peer: str | None, header: str | None, trusted: NetworkSet) -> str | None:
    """The right-most untrusted address of ``XFF + [peer]`` (what mod_remoteip does).

    Elements that are not IPs (``unix:``, ``localhost``, ``unknown``) are skipped:
    ``source.ip`` only ever holds an address.
    """
    chain = [a for a in forwarded_chain(header) if is_ip(a)]
    if peer and is_ip(peer):
        chain.append(peer)
    for address in reversed(chain):
        if address not in trusted:
            return strip_port(address)
    return strip_port(chain[0]) if chain else None


def resolve_clients(events: pl.DataFrame, trusted: Sequence[str]) -> pl.DataFrame:
    """Set ``source.ip`` from peer + XFF with the trusted proxies, tag forgeable first values.

    Runs the Python resolution once per distinct (peer, chain) pair, not once per row.
    ``network.forwarded_first`` is always filled from the chain; when it differs from the
    resolved client the event is tagged ``xff_spoof_candidate``.
    """
    if "network.forwarded_ip" not in events.columns:
        return events
    fwd = pl.col("network.forwarded_ip")
    first = fwd.str.split(",").list.first().str.strip_chars()
    events = events.with_columns(
        pl.when(fwd.is_null() | (fwd == "-") | (first == ""))
        .then(None)
        .otherwise(first)
        .alias("network.forwarded_first")
    )
    if not trusted or "network.peer_ip" not in events.columns:
        resolved = events.with_columns(
            pl.coalesce(pl.col("source.ip"), pl.col("network.peer_ip")).alias("source.ip")
            if "network.peer_ip" in events.columns
            else pl.col("source.ip")
        )
    else:
        nets = NetworkSet(trusted)
        pairs = events.select("network.peer_ip", "network.forwarded_ip").unique()
        clients = [
            resolve_client(p, h, nets)
            for p, h in zip(
                pairs.get_column("network.peer_ip").to_list(), pairs.get_column("network.forwarded_ip").to_list()
            )
        ]
        pairs = pairs.with_columns(_client=pl.Series(clients, dtype=pl.String))
        resolved = (
            events.join(
                pairs,
                on=["network.peer_ip", "network.forwarded_ip"],
                how="left",
                nulls_equal=True,
                maintain_order="left",
            )
            .with_columns(pl.coalesce(pl.col("_client"), pl.col("source.ip")).alias("source.ip"))
            .drop("_client")
        )
    if not trusted:
        return resolved
    spoof = pl.col("network.forwarded_first").is_not_null() & (pl.col("network.forwarded_first") != pl.col("source.ip"))
    tags = pl.col("tags") if "tags" in resolved.columns else pl.lit([], dtype=pl.List(pl.String))
    return resolved.with_columns(
        pl.when(spoof.fill_null(False))
        .then(pl.concat_list([tags.fill_null([]), pl.lit(["xff_spoof_candidate"])]))
        .otherwise(tags)
        .alias("tags")
    )
