from __future__ import annotations

import json
import pathlib
import re

from conftest import lines_of

SPRAY = re.compile(rb'"POST /mediboard/index\.php HTTP/1\.1" 401 .* "203\.0\.113\.1\d"$')
CHUNK = re.compile(
    rb'"GET /mediboard/index\.php\?m=dPpatients&raw=ajax_export_patients_csv&date_min=(\d{4})-(\d\d)-01'
    rb"&date_max=\d{4}-\d\d-\d\d&patient_id=&all_prats=on HTTP/1\.1\" 200 \d+ .*\"203\.0\.113\.45\"$"
)
PAGE = re.compile(rb'"GET /mediboard/api/dossierpatient/patients\?offset=(\d+)&limit=100 HTTP/1\.1" 200 ')
DETAIL = re.compile(rb'"GET /mediboard/api/dossierpatient/patients/(\d+) HTTP/1\.1" 200 ')


def _tsv(root: pathlib.Path, table: str) -> list[list[bytes]]:
    data = (root / "mediboard_dump" / f"{table}.tsv").read_bytes()
    # INTO OUTFILE writes a backslash before a literal newline or tab inside a field
    return [re.split(rb"(?<!\\)\t", rec) for rec in re.split(rb"(?<!\\)\n", data) if rec]


def test_ground_truth_keys(case: tuple[pathlib.Path, dict]) -> None:
    root, truth = case
    on_disk = json.loads((root / "ground_truth.json").read_text())
    assert on_disk == truth
    for key in (
        "schema",
        "seed",
        "scale",
        "compromised_account",
        "compromised_user_id",
        "backdoor_account",
        "backdoor_user_id",
        "attacker_ips",
        "spoofed_ips",
        "first_attacker_event",
        "first_malicious",
        "last_malicious",
        "phases",
        "exfiltration",
        "techniques",
        "benign_lookalikes",
        "benign_ips",
        "skew_seconds",
        "log_gap",
        "counts",
    ):
        assert key in truth, key
    assert truth["schema"] == "forensics.ground_truth/1"
    assert truth["compromised_account"] == "adm.interop" and truth["compromised_user_id"] == 1042
    assert truth["backdoor_account"] == "support.xtrem" and truth["backdoor_user_id"] == 1377
    assert truth["first_attacker_event"] == "2024-10-24T21:02:00Z"
    assert truth["first_malicious"] == "2024-10-25T01:12:41Z"
    assert truth["last_malicious"] == "2024-10-27T03:05:40Z"
    assert truth["spoofed_ips"] == ["10.20.3.47"]
    assert set(truth["attacker_ips"]) == {f"203.0.113.{i}" for i in range(10, 20)} | {
        "203.0.113.45",
        "203.0.113.201",
        "203.0.113.202",
    }
    assert "198.51.100.77" in truth["benign_ips"] and "10.20.5.12" in truth["benign_ips"]
    assert not set(truth["benign_ips"]) & set(truth["attacker_ips"] + truth["spoofed_ips"])
    assert sorted(truth["phases"]) == sorted(f"A{i}" for i in range(1, 11))
    assert sorted(truth["benign_lookalikes"]) == ["B1", "B2", "B3", "B4"]
    exfil = truth["exfiltration"]
    assert exfil["distinct_patients"] == 118_412
    assert 100_000 < exfil["csv_export_patients"] < 118_412
    assert 200_000_000 < exfil["bytes"] < 340_000_000
    text = (root / "ground_truth.json").read_text()
    assert text == json.dumps(truth, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_spray_in_apache_and_mediboard(case: tuple[pathlib.Path, dict]) -> None:
    root, truth = case
    apache = lines_of(root, "app01/apache2/access.log*")
    assert sum(1 for line in apache if SPRAY.search(line)) == 1179 == truth["phases"]["A1"]["requests"]
    errors = [r for r in _tsv(root, "user_authentication_error") if r[6].startswith(b"203.0.113.")]
    assert len(errors) == 1179
    assert sum(1 for r in errors if r[1] == b"\\N") == 61 * 5
    assert len({r[2] for r in errors}) == 236
    success = [r for r in _tsv(root, "user_authentication") if r[5] == b"2024-10-25 03:12:44"]
    assert len(success) == 1
    row = success[0]
    assert row[1] == b"1042" and row[4] == b"standard" and row[10] == b"203.0.113.14"
    assert row[12] == b"\\N" and row[13] == b"\\N"  # a script: no screen size


def test_exports_api_and_backdoor(case: tuple[pathlib.Path, dict]) -> None:
    root, truth = case
    apache = lines_of(root, "app01/apache2/access.log*")
    chunks = [m.groups() for line in apache if (m := CHUNK.search(line))]
    assert len(chunks) == 154 == truth["phases"]["A6"]["requests"]
    assert chunks[0] == (b"2012", b"01") and chunks[-1] == (b"2024", b"10")
    pages = sorted(int(m.group(1)) for line in apache if (m := PAGE.search(line)))
    assert pages == list(range(0, 118_401, 100))
    details = [line for line in apache if DETAIL.search(line)]
    assert len(details) == truth["exfiltration"]["api_detail_ids"] == 4000
    assert all(
        line.endswith(b'"10.20.3.47, 203.0.113.201"') or line.endswith(b'"10.20.3.47, 203.0.113.202"')
        for line in details
    )
    assert sum(1 for line in apache if b" 500 - " in line and b"203.0.113.45" in line) == 1
    api = [r for r in _tsv(root, "user_authentication") if r[4] == b"basic"]
    assert len(api) == 1
    assert api[0][8] == b"5184" and api[0][10] == b"10.20.3.47" and api[0][11].startswith(b"stateless")
    assert api[0][7] == b"2024-10-27 03:04:03"
    backdoor = [r for r in _tsv(root, "user_log") if r[4] == b"1377" or b'"user_id":"1377"' in r[8]]
    kinds = sorted((r[3], r[5]) for r in backdoor)
    assert kinds == sorted(
        [(b"CUser", b"create"), (b"CMediusers", b"create"), (b"CUser", b"store")] + [(b"CPermModule", b"create")] * 3
    )
    assert all(r[1] == b"1042" and r[7] == b"0xCB00712D" for r in backdoor)
    longs = [r for r in _tsv(root, "long_request_log") if b"all_prats" in r[8] and b"2000-01-01" not in r[8]]
    assert len(longs) == truth["exfiltration"]["csv_long_request_rows"]
    audit02 = lines_of(root, "db02/mysql/server_audit.log*")
    in_lists = [line for line in audit02 if b"QUERY,mediboard,'SELECT * FROM `patients` WHERE (`patient_id` IN" in line]
    assert len(in_lists) >= 154
    assert all(not line.endswith(b"))',0") for line in in_lists if line.count(b"\\'") > 300)


def test_dst_and_gap_and_live_file(case: tuple[pathlib.Path, dict]) -> None:
    root, truth = case
    apache = lines_of(root, "app01/apache2/access.log*")
    repeated = [line for line in apache if b"[27/Oct/2024:02:" in line]
    assert any(b" +0200]" in line for line in repeated) and any(b" +0100]" in line for line in repeated)
    cet = [line for line in repeated if b" +0100]" in line and b"203.0.113.202" in line]
    assert cet, "the repeated hour in CET carries the second Tor exit"
    lost = [line for line in apache if re.search(rb"\[24/Oct/2024:13:(0[1-9]|[1-5]\d):", line)]
    assert lost == []
    rp01 = lines_of(root, "rp01/nginx/access.log*")
    assert any(b"[2024-10-24T11:3" in line for line in rp01)
    assert truth["log_gap"]["start"] == "2024-10-24T11:00:00Z"
    live = (root / "app01/apache2/access.log").read_bytes()
    assert not live.endswith(b"\n")
    assert truth["file_quirks"]["truncated_last_line"]["file"] == "app01/apache2/access.log"


def test_counts_match_files(case: tuple[pathlib.Path, dict]) -> None:
    root, truth = case
    from conftest import read_bytes

    for rel, n in truth["counts"].items():
        data = read_bytes(root / rel)
        assert data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1) == n, rel
