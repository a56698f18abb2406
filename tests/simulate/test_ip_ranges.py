from __future__ import annotations

import ipaddress
import pathlib
import re

from conftest import read_bytes

ALLOWED = [
    ipaddress.ip_network(n)
    for n in (
        "192.0.2.0/24",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
    )
]
IPV4 = re.compile(rb"(?<![\w./-])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\d.])")


def test_only_documentation_and_private_addresses(case: tuple[pathlib.Path, dict]) -> None:
    root, _ = case
    seen: set[str] = set()
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        for m in IPV4.finditer(read_bytes(path)):
            parts = [int(x) for x in m.groups()]
            if any(p > 255 for p in parts):
                continue
            seen.add(".".join(map(str, parts)))
    bad = sorted(ip for ip in seen if not any(ipaddress.ip_address(ip) in net for net in ALLOWED))
    assert bad == [], bad[:20]
    assert "203.0.113.201" in seen and "198.51.100.77" in seen
