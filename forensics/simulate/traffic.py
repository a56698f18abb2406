"""One HTTP request as it travels client -> rp01 -> app01 -> db01/db02.

The generators (baseline, look-alikes, attack) only build :class:`Request` objects and record
Mediboard table rows; the pipeline turns each request into lines for every host that sees it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PROXY_IP = "10.10.0.5"
APP_IP = "10.10.1.21"


@dataclass(slots=True)
class DbQuery:
    """A statement sent to db02 during a request. ``at`` is seconds after the request start."""

    at: float
    sql: str
    duration: float = 0.001
    rows_sent: int = 0
    rows_examined: int = 0
    bytes_sent: int = 0
    conn_id: int = 0
    query_id: int = 0


@dataclass(slots=True)
class Request:
    t: float  # true UTC epoch when app01 receives the request (Apache %t basis)
    dur: float  # seconds spent in app01 (Apache %D)
    method: str
    target: str  # request target; non-ASCII characters stand for raw bytes (latin-1)
    status: int
    size: int  # response body bytes (Apache %b, nginx $body_bytes_sent)
    referer: str | None
    ua: str | None
    peer: str  # address seen by rp01 (or app01 for direct clients)
    xff_in: str | None = None  # X-Forwarded-For sent by the client to rp01
    proxied: bool = True
    module: str = "system"
    action: str = "index"
    bot: int = 0
    user_id: int | None = None
    tag: str | None = None  # ground-truth label (A1..A10, B1..B4)
    db02: list[DbQuery] | None = None
    errors: list[tuple[float, str, str]] | None = None  # (offset, module:level, message)
    transfer: float = 0.0  # extra time rp01 needs to send the body to the client
    db01_conn: int = 0
    sql_count: int = 3
    peak_memory: int = 4_000_000
    extra: dict = field(default_factory=dict)

    @property
    def end(self) -> float:
        return self.t + self.dur

    @property
    def xff_header(self) -> str:
        """``X-Forwarded-For`` as app01 receives it (nginx ``$proxy_add_x_forwarded_for``)."""
        if not self.proxied:
            return "-"
        return f"{self.xff_in}, {self.peer}" if self.xff_in else self.peer

    @property
    def mediboard_ip(self) -> str:
        """Client IP as Mediboard records it: the first X-Forwarded-For value, unchecked."""
        if not self.proxied:
            return self.peer
        return (self.xff_in or self.peer).split(",")[0].strip()
