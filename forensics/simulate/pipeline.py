"""Runs the week hour by hour and routes every request to the logs of every host that sees it."""

from __future__ import annotations

import pathlib
import random
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from .attack import Attack, build_attack
from .baseline import Baseline, week_bounds
from .clock import HOST_SKEW, paris, utc
from .lookalikes import LookAlikes, build_lookalikes
from .mediboard import Mediboard
from .mediboard_routes import RouteWeek, build_route_week
from .model import Clinic, Patients, build_clinic, build_patients
from .traffic import PROXY_IP, Request
from .writers.formats import (
    GeneralLog,
    SlowLog,
    apache_access,
    apache_error,
    audit_line,
    nginx_access,
)
from .writers.rotation import Segment, SizeRotator, TimedSink, TimeRotator, gzip_bytes

APP, DB01, DB02 = HOST_SKEW["app01"], HOST_SKEW["db01"], HOST_SKEW["db02"]
GAP = (
    utc(2024, 10, 24, 11, 0, 0),
    utc(2024, 10, 24, 12, 0, 0),
)  # 13:00-14:00 CEST lost on app01
GENERAL_LOG_ON = paris(2024, 10, 26, 18, 0, 0) - DB02  # SET GLOBAL general_log=ON at 18:00 by db02's clock
AUDIT_ROTATIONS = 9


@dataclass
class Outputs:
    files: dict[str, bytes] = field(default_factory=dict)
    notes: dict[str, object] = field(default_factory=dict)


@dataclass
class World:
    clinic: Clinic
    patients: Patients
    mb: Mediboard
    look: LookAlikes
    attack: Attack
    t0: float
    t1: float


def _apache_segments(t0: float, t1: float) -> list[Segment]:
    """Daily logrotate at 06:25 (app01 clock), delaycompress: .1 plain, .2.gz and older compressed."""
    bounds = []
    for day in range(21, 29):
        b = paris(2024, 10, day, 6, 25, 2) - APP
        if t0 < b < t1:
            bounds.append(b)
    n = len(bounds)
    segs = []
    for k, b in enumerate(bounds):
        idx = n - k
        segs.append(Segment(f"{idx}" if idx == 1 else f"{idx}.gz", b, compress=idx >= 2))
    segs.append(Segment("", float("inf")))
    return segs


_DB01_FIXED = len("20241021 00:00:00,db01,mediboard,10.10.1.21,,0,,mediboard,,0\n")


def _render_db01(item: object) -> str:
    when, conn, op = item  # type: ignore[misc]
    return audit_line(when, "db01", conn, 0, op)


def _size_db01(item: object) -> int:
    _, conn, op = item  # type: ignore[misc]
    return _DB01_FIXED + len(str(conn)) + len(op)


def _db_rotations(skew: float, t0: float, t1: float) -> list[float]:
    """logrotate for /var/log/mysql/*.log: daily from cron at 06:25 by the host clock."""
    out = []
    for day in range(21, 29):
        b = paris(2024, 10, day, 6, 25, 1) - skew
        if t0 < b < t1:
            out.append(b)
    return out


def _rp01_segments(t0: float, t1: float) -> list[Segment]:
    """rp01 (UTC host): daily at 00:00 UTC with dateext, compressed at once."""
    segs = []
    for day in range(21, 29):
        b = utc(2024, 10, day)
        if t0 < b < t1:
            segs.append(Segment(f"-202410{day:02d}.gz", b, compress=True))
    segs.append(Segment("", float("inf")))
    return segs


class Pipeline:
    def __init__(
        self,
        scale: float,
        seed: int,
        progress: Callable[[str], None],
        quiet: bool = False,
        routes: tuple[str, ...] | None = None,
    ) -> None:
        """``routes``: the routes to an account to play (``()`` for a quiet week) instead of the
        sample case's own attack; ``quiet`` alone keeps the sample's week without its attack."""
        self.scale, self.seed, self.progress = scale, seed, progress
        self.rng = random.Random(f"{seed}:pipeline:{scale}")
        t0, t1 = week_bounds()
        clinic = build_clinic(seed)
        progress("building the patient population (118,412 records)")
        patients = build_patients(seed)
        mb = Mediboard(clinic, random.Random(f"{seed}:mediboard"))
        look = build_lookalikes(clinic, patients, mb, seed)
        self.routes: RouteWeek | None = None
        reserved, extra = look.reserved, look.sessions
        if routes is not None:
            progress(f"scripting the routes: {', '.join(routes) or 'none'}")
            self.routes = build_route_week(clinic, patients, mb, seed, t0, routes)
            attack = Attack(requests=self.routes.requests)
            reserved = {k: [*look.reserved.get(k, []), *self.routes.reserved.get(k, [])] for k in
                        sorted(set(look.reserved) | set(self.routes.reserved))}  # fmt: skip
        elif quiet:
            attack = Attack()  # a quiet week: the same clinic, no attack
        else:
            progress("scripting the attack")
            attack = build_attack(clinic, patients, mb, seed)
        self.world = World(clinic, patients, mb, look, attack, t0, t1)
        self.baseline = Baseline(clinic, patients, mb, scale, seed, t0, t1, reserved, extra)
        self.special = sorted(look.requests + attack.requests, key=lambda r: r.t)
        self.t0, self.t1 = t0, t1

        self.apache = TimeRotator(_apache_segments(t0, t1), encoding="ascii")
        self.apache_err = TimeRotator(_apache_segments(t0, t1))
        self.rp01 = TimeRotator(_rp01_segments(t0, t1), encoding="ascii")
        self.audit01 = SizeRotator(
            max(20_000, int(1_000_000 * scale)),
            AUDIT_ROTATIONS,
            render=_render_db01,
            size_of=_size_db01,
        )
        self.audit02 = SizeRotator(2_000_000, AUDIT_ROTATIONS)
        self.general = GeneralLog(DB02, _db_rotations(DB02, t0, t1))
        self.slow02 = SlowLog(DB02, _db_rotations(DB02, t0, t1))
        self.slow01 = SlowLog(DB01, _db_rotations(DB01, t0, t1))
        self.sinks = {
            "apache": TimedSink(self.apache.write),
            "apache_err": TimedSink(self.apache_err.write),
            "rp01": TimedSink(self.rp01.write),
            "audit01": TimedSink(self.audit01.write),
            "audit02": TimedSink(self.audit02.write),
            "general": TimedSink(self.general.write),
            "slow02": TimedSink(self.slow02.write),
            "slow01": TimedSink(self.slow01.write),
        }
        self.conn01 = 3_870_000
        self.conn02 = 5_396_000
        self.qid02 = 86_900_000
        self.pending_q: list[tuple[float, int, object]] = []
        self.gap_lines = 0
        self.counts_by_tag: dict[str, int] = {}
        self.bytes_by_tag: dict[str, int] = {}
        self.first_by_tag: dict[str, float] = {}
        self.last_by_tag: dict[str, float] = {}
        self.end_by_tag: dict[str, float] = {}
        self.ports = 40_000
        self.apache_pid = 22_811

    # ------------------------------------------------------------------ main loop
    def run(self) -> None:
        h0 = self.t0
        k = 0
        hours = int((self.t1 - self.t0) // 3600) + 1
        while h0 < self.t1:
            h1 = h0 + 3600
            reqs = [r for r in self.baseline.hour(h0) if r.t < self.t1]
            while k < len(self.special) and self.special[k].t < h1:
                reqs.append(self.special[k])
                k += 1
            reqs.sort(key=lambda r: r.t)
            self._route(reqs, h1)
            for sink in self.sinks.values():
                sink.flush(h1)
            if int((h0 - self.t0) // 3600) % 24 == 23:
                self.progress(f"  generated {int((h1 - self.t0) // 3600)}/{hours} hours")
            h0 = h1
        for q_at, _, q in self.pending_q:
            if q_at < self.t1:
                self.qid02 += 1
                q.query_id = self.qid02  # type: ignore[attr-defined]
                self._emit_query(q_at, q)
        self.after_collection = {}
        for name, sink in self.sinks.items():
            sink.flush(self.t1)
            self.after_collection[name] = sink.drop()

    def _route(self, reqs: list[Request], h1: float) -> None:
        rng = self.rng
        sinks = self.sinks
        mb = self.world.mb
        apache_add = sinks["apache"].add
        rp01_add = sinks["rp01"].add
        audit01_add = sinks["audit01"].add
        db02_reqs = []
        for r in reqs:
            php = r.module != "static"  # static files never reach PHP, hence no DB connection
            if php:
                self.conn01 += 1 + (rng.random() < 0.03)
                r.db01_conn = self.conn01
            if r.db02:
                db02_reqs.append(r)
            end = r.end
            if r.tag:
                self._tally(r)
            # app01 Apache access log (lost hour on Thursday)
            if not (GAP[0] <= r.t < GAP[1]):
                apache_add((end, apache_access(r, APP)))
            else:
                self.gap_lines += 1
            # rp01 sees everything that is proxied
            if r.proxied:
                lat = 0.0008 + rng.random() * 0.004
                rt = r.dur + 2 * lat + r.transfer
                written = r.t - lat + rt
                rp01_add((written, nginx_access(r, written, rt)))
            # db01: one connection per request (server_audit_events=CONNECT)
            if php:
                c_at = r.t + 0.002 + rng.random() * 0.01
                d_at = max(c_at + 0.001, end - 0.001 - rng.random() * 0.004)
                audit01_add((c_at, (c_at + DB01, r.db01_conn, "CONNECT")))
                audit01_add((d_at, (d_at + DB01, r.db01_conn, "DISCONNECT")))
            slow = r.extra.get("db01_slow")
            if slow:
                qt, sql = slow
                start = r.t + 0.05
                sinks["slow01"].add(
                    (
                        start + qt,
                        (
                            r.db01_conn,
                            start,
                            qt,
                            0.000081,
                            rng.randint(1, 5000),
                            rng.randint(100_000, 3_000_000),
                            rng.randint(500, 900_000),
                            sql,
                        ),
                    )
                )
            if r.errors:
                for off, level, msg in r.errors:
                    self.ports = 40_000 + (self.ports - 40_000 + 1 + rng.randint(0, 40)) % 20_000
                    client = f"{PROXY_IP if r.proxied else r.peer}:{self.ports}"
                    line = apache_error(
                        r.t + off + APP,
                        level,
                        self.apache_pid + rng.randint(0, 6),
                        140331225515584 - rng.randint(0, 40) * 8392704,
                        client,
                        msg,
                        r.referer,
                    )
                    sinks["apache_err"].add((r.t + off, line))
            if r.module != "static":
                mb.record_hit(
                    r.t,
                    r.module,
                    r.action,
                    r.dur,
                    r.size,
                    r.bot,
                    r.sql_count,
                    r.peak_memory,
                    r.status,
                    bool(r.db02),
                )
        # db02: connections in connect order, then query ids in time order (carried across hours)
        db02_reqs.sort(key=lambda r: r.t + r.db02[0].at)
        for r in db02_reqs:
            self.conn02 += 1 + (rng.random() < 0.05)
            c_at = r.t + r.db02[0].at - 0.004
            last_end = max(r.t + q.at + q.duration for q in r.db02)
            d_at = min(max(last_end + 0.002, c_at + 0.003), r.end + 0.5)
            r.extra["db02_conn"] = (self.conn02, c_at, d_at)
            self.sinks["audit02"].add((c_at, audit_line(c_at + DB02, "db02", self.conn02, 0, "CONNECT")))
            self.sinks["audit02"].add((d_at, audit_line(d_at + DB02, "db02", self.conn02, 0, "DISCONNECT")))
            if c_at >= GENERAL_LOG_ON:
                self.sinks["general"].add(
                    (
                        c_at,
                        (
                            self.conn02,
                            "Connect",
                            "mediboard@app01.hds.local on mediboard",
                        ),
                    )
                )
                self.sinks["general"].add((d_at, (self.conn02, "Quit", "")))
            for q in r.db02:
                q.conn_id = self.conn02
                self.pending_q.append((r.t + q.at, len(self.pending_q), q))
        self.pending_q.sort(key=lambda e: (e[0], e[1]))
        keep = []
        for at, seq, q in self.pending_q:
            if at >= h1:
                keep.append((at, seq, q))
                continue
            self.qid02 += rng.randint(1, 25)
            q.query_id = self.qid02  # type: ignore[attr-defined]
            self._emit_query(at, q)
        self.pending_q = [(at, i, q) for i, (at, _, q) in enumerate(keep)]

    def _emit_query(self, at: float, q: object) -> None:
        self.sinks["audit02"].add((at, audit_line(at + DB02, "db02", q.conn_id, q.query_id, "QUERY", q.sql)))  # type: ignore[attr-defined]
        if at >= GENERAL_LOG_ON:
            self.sinks["general"].add((at, (q.conn_id, "Query", q.sql)))  # type: ignore[attr-defined]
        if q.duration >= 2.0:  # type: ignore[attr-defined]
            end = at + q.duration  # type: ignore[attr-defined]
            self.sinks["slow02"].add(
                (
                    end,
                    (
                        q.conn_id,
                        at,
                        q.duration,
                        0.000094,
                        q.rows_sent,  # type: ignore[attr-defined]
                        q.rows_examined,
                        q.bytes_sent,
                        q.sql,
                    ),
                )
            )  # type: ignore[attr-defined]

    def _tally(self, r: Request) -> None:
        tag = r.tag or ""
        self.counts_by_tag[tag] = self.counts_by_tag.get(tag, 0) + 1
        self.bytes_by_tag[tag] = self.bytes_by_tag.get(tag, 0) + r.size
        self.first_by_tag[tag] = min(self.first_by_tag.get(tag, r.t), r.t)
        self.last_by_tag[tag] = max(self.last_by_tag.get(tag, r.t), r.t)
        self.end_by_tag[tag] = max(self.end_by_tag.get(tag, r.end), r.end)


def _restart_notices(pipe: Pipeline) -> None:
    """Graceful reload after each Apache log rotation, written to the new error.log."""
    for seg in pipe.apache_err.segments[:-1]:
        b = seg.end
        pid = 1021
        lines = [
            apache_error(
                b + 0.4 + APP,
                "mpm_event:notice",
                pid,
                140120391849856,
                None,
                "AH00493: SIGUSR1 received.  Doing graceful restart",
            ),
            apache_error(
                b + 0.9 + APP,
                "mpm_event:notice",
                pid,
                140120391849856,
                None,
                "AH00489: Apache/2.4.52 (Ubuntu) configured -- resuming normal operations",
            ),
            apache_error(
                b + 0.9 + APP,
                "core:notice",
                pid,
                140120391849856,
                None,
                "AH00094: Command line: '/usr/sbin/apache2'",
            ),
        ]
        for k, line in enumerate(lines):
            pipe.sinks["apache_err"].add((b + 0.4 + k * 0.25, line))


def build_outputs(pipe: Pipeline) -> Outputs:
    """Turn the sinks into file contents (rotation, compression, quirks)."""
    out = Outputs()
    files = out.files
    jobs: list[tuple[str, bytes, bool, int]] = []

    def add(
        path: str,
        lines: list[str],
        compress: bool,
        encoding: str = "latin-1",
        members: int = 1,
        trailing_newline: bool = True,
    ) -> None:
        text = "\n".join(lines) + ("\n" if lines and trailing_newline else "")
        jobs.append((path, text.encode(encoding), compress, members))

    for name, data, compress, lines in pipe.apache.payloads():
        path = "app01/apache2/access.log" + (f".{name}" if name else "")
        if not name:
            # the live file was copied while Apache was writing its last line
            last = lines[-1]
            text = "\n".join(lines[:-1]) + "\n" + last[: len(last) // 2]
            jobs.append((path, text.encode("ascii"), False, 1))
            out.notes["truncated_last_line"] = {
                "file": path,
                "kept_chars": len(last) // 2,
            }
            continue
        jobs.append((path, data, compress, 1))
    for name, data, compress, lines in pipe.apache_err.payloads():
        path = "app01/apache2/error.log" + (f".{name}" if name else "")
        if lines:
            add(path, lines, compress)
        else:
            jobs.append((path, data, compress, 1))
    for name, data, compress, lines in pipe.rp01.payloads():
        path = "rp01/nginx/access.log" + name
        if lines:
            add(path, lines, compress, "ascii")
        else:
            jobs.append((path, data, compress, 2 if name == "-20241025.gz" else 1))
    out.notes["concatenated_gzip"] = "rp01/nginx/access.log-20241025.gz"

    for base, rot in (
        ("db01/mysql/server_audit.log", pipe.audit01),
        ("db02/mysql/server_audit.log", pipe.audit02),
    ):
        for path, data in rot.files(base):
            files[path] = data
    out.notes["audit"] = {
        "db01": {
            "rotate_size": pipe.audit01.limit,
            "rotations": AUDIT_ROTATIONS,
            "lines_overwritten": pipe.audit01.dropped_lines,
            "oldest_retained": pipe.audit01.oldest_time(),
        },
        "db02": {
            "rotate_size": pipe.audit02.limit,
            "rotations": AUDIT_ROTATIONS,
            "lines_overwritten": pipe.audit02.dropped_lines,
            "oldest_retained": pipe.audit02.oldest_time(),
        },
    }
    for base, log in (
        ("db01/mysql/mariadb-slow.log", pipe.slow01),
        ("db02/mysql/mariadb-slow.log", pipe.slow02),
        ("db02/mysql/general.log", pipe.general),
    ):
        for name, lines, compress in log.files(base):
            add(name, lines, compress)

    # application.log: rotated by copytruncate on Sun 27 at 06:25; the last block of .1 was
    # written again at the top of the live file (the copy was retried before the truncate).
    app = sorted(pipe.world.mb.applog, key=lambda e: e[0])
    split = paris(2024, 10, 27, 6, 25, 3) - APP
    old = [line for t, line in app if t < split]
    new = [line for t, line in app if split <= t < pipe.t1]
    dup = min(40, len(old))
    add("app01/mediboard/tmp/application.log.1", old, False, "utf-8")
    add(
        "app01/mediboard/tmp/application.log",
        old[len(old) - dup :] + new,
        False,
        "utf-8",
    )
    out.notes["copytruncate_duplicate"] = {
        "file": "app01/mediboard/tmp/application.log",
        "duplicated_lines": dup,
        "of": "app01/mediboard/tmp/application.log.1",
    }

    def finish(job: tuple[str, bytes, bool, int]) -> tuple[str, bytes]:
        path, data, compress, members = job
        if not compress:
            return path, data
        if members == 1 or not data:
            return path, gzip_bytes(data)
        cut = data.rfind(b"\n", 0, len(data) // 2) + 1
        return path, gzip_bytes(data[:cut]) + gzip_bytes(data[cut:])

    with ThreadPoolExecutor(max_workers=2) as pool:
        for path, data in pool.map(finish, jobs):
            files[path] = data
    return out


def generate(
    scale: float,
    seed: int,
    progress: Callable[[str], None] | None = None,
    quiet: bool = False,
    routes: tuple[str, ...] | None = None,
) -> tuple[Pipeline, Outputs]:
    prog = progress or (lambda msg: print(msg, file=sys.stderr))
    pipe = Pipeline(scale, seed, prog, quiet, routes)
    prog(f"generating the week at scale {scale} (seed {seed})")
    _restart_notices(pipe)
    pipe.run()
    prog("rotating and compressing")
    outputs = build_outputs(pipe)
    return pipe, outputs


def write_tree(root: pathlib.Path, files: dict[str, bytes]) -> None:
    for rel in sorted(files):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[rel])
