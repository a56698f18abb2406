"""``correlate``: events in, sessions + links + findings out.

    events.parquet ─▶ web / app / db frames ─▶ activity labels, address labels
        ─▶ sessions ─▶ app event ↔ web request matches ─▶ session links ─▶ account per request
        ─▶ web ↔ db links ─▶ detectors ─▶ verdicts, attacker addresses ─▶ exfiltration
        ─▶ findings.json, sessions.parquet, links.parquet, finding_events.parquet,
           accounts.parquet, coverage.parquet

Every step is a function of plain frames (see the modules); this one wires them, times
them, and turns row numbers into evidence references (file + line) at the end.
"""

from __future__ import annotations

import html
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from forensics._version import __version__
from forensics.apps import AppProfile, label_requests, profile_for
from forensics.config import CaseConfig, load_config
from forensics.correlate.accounts import Decision, account_profiles, decide
from forensics.correlate.context import Context
from forensics.correlate.dblinks import link_web_db, query_shape
from forensics.correlate.dedupe import kept_rows
from forensics.correlate.detectors import MODULES as DETECTOR_MODULES
from forensics.correlate.detectors import run_all
from forensics.correlate.exfil import estimate
from forensics.correlate.frames import Inputs, coverage_table, evidence_rows, load_inputs, rebuilt
from forensics.correlate.grouping import Group, entry_finding, group_findings
from forensics.correlate.ipcontext import IpContext
from forensics.correlate.links import (
    LINK_SCHEMA,
    attribute_matched,
    attribute_requests,
    link_sessions,
    match_app_to_web,
    reconcile_app,
)
from forensics.correlate.pagination import with_pagination
from forensics.correlate.prepare import id_names, prepare_app
from forensics.correlate.sessions import (
    all_sessions,
    app_sessions,
    db_sessions,
    sessionize_app,
    sessionize_db,
    sessionize_web,
    web_sessions,
)
from forensics.correlate.thresholds import DEFAULT, SIGNAL_WEIGHTS, Thresholds
from forensics.finding_text import msg, render, word
from forensics.findings import (
    AccountVerdict,
    Attack,
    BaselineRef,
    Bounds,
    CaseInfo,
    Document,
    EvidenceRef,
    ExfilComponent,
    Exfiltration,
    Finding,
    SignalRef,
    Summary,
    Tool,
    jsonable,
    sort_ips,
    utc_iso,
    validate,
    write_findings,
)
from forensics.findings.vocabulary import verdict_rank
from forensics.outputs import atomic, parquet_metadata, read_run_id

OUTPUTS = {
    "findings": "findings.json",
    "sessions": "sessions.parquet",
    "links": "links.parquet",
    "finding_events": "finding_events.parquet",
    "accounts": "accounts.parquet",
    "coverage": "coverage.parquet",
}


@dataclass
class Correlation:
    """What correlation concluded; ``save`` writes it next to the ingest outputs."""

    sessions: pl.DataFrame
    links: pl.DataFrame
    document: Document
    finding_events: pl.DataFrame
    accounts: pl.DataFrame
    coverage: pl.DataFrame
    timings: dict[str, float] = field(default_factory=dict)
    context: Context | None = field(default=None, repr=False)

    @property
    def findings(self) -> dict[str, Any]:
        """The findings document as ``findings.json`` holds it (JSON values)."""
        return self.document.to_json()

    def save(self, out_dir: Path | str) -> dict[str, Path]:
        """Write findings.json and the Parquet tables; return their paths."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {k: out / v for k, v in OUTPUTS.items()}
        # every file carries the run id of the ingest it was made from; each is written under a
        # temporary name and renamed, findings.json last
        rid = read_run_id(out / "manifest.json")
        if rid:
            self.document.run_id = rid
        meta = parquet_metadata(rid)
        for key in ("sessions", "links", "finding_events", "accounts", "coverage"):
            with atomic(paths[key]) as tmp:
                getattr(self, key).write_parquet(tmp, compression="zstd", metadata=meta)
        with atomic(paths["findings"]) as tmp:
            write_findings(self.document.to_json(), tmp)
        return paths

    @property
    def verdicts(self) -> dict[str, str]:
        return self.document.verdicts

    def _repr_html_(self) -> str:
        d = self.document
        rows = "".join(
            f"<tr><td>{html.escape(a.account)}</td><td>{html.escape(a.verdict)}</td><td>{a.score or 0:.2f}</td>"
            f"<td>{html.escape(utc_iso(a.first_malicious) or '')}</td></tr>"
            for a in d.accounts[:20]
        )
        return (
            f"<div><b>Correlation</b>: {len(d.findings)} findings, {len(d.accounts)} accounts listed, "
            f"attacker addresses: {html.escape(', '.join(d.attacker_ips[:20]) or 'none')}; attack "
            f"{html.escape(str(utc_iso(d.attack.first_seen)))} to {html.escape(str(utc_iso(d.attack.last_seen)))}"
            f"<table><tr><th>account</th><th>verdict</th><th>score</th><th>first malicious</th></tr>{rows}</table></div>"
        )


def _config(config: CaseConfig | Path | str | None, inputs: Inputs) -> tuple[CaseConfig, list[str]]:
    """The config to use, and what to say about it (the ingest's own config by default)."""
    recorded = inputs.manifest.get("config") or {}
    notes: list[str] = []
    if isinstance(config, CaseConfig):
        cfg = config
    elif config is not None:
        cfg = load_config(config)
    else:
        path = recorded.get("path")
        if path and Path(path).is_file():
            cfg = load_config(path)
        else:
            if path:
                notes.append(f"the case config the ingest used ({path}) was not found: defaults were used")
            cfg = CaseConfig()
    if recorded.get("sha256") and cfg.sha256 and recorded["sha256"] != cfg.sha256:
        notes.append("the case config differs from the one the ingest used (SHA-256 changed)")
    return cfg, notes


def _profile(cfg: CaseConfig, inputs: Inputs) -> AppProfile:
    """The application profile: the one the case config names, else the one the datasets show."""
    datasets = inputs.app.get_column("event.dataset").unique().to_list() if inputs.app.height else []
    return profile_for(cfg.app_profile, cfg.app_options, datasets)


def _ip_table(ipctx: IpContext, *series: pl.Series) -> pl.DataFrame:
    """Labels of every distinct address the events name."""
    parts = [s.cast(pl.String).drop_nulls().unique() for s in series if s.len()]
    allx = pl.concat(parts).unique() if parts else pl.Series("ip", [], dtype=pl.String)
    return ipctx.lookup(allx)


def _label_requests(web: pl.DataFrame, profile: AppProfile, cfg: CaseConfig) -> pl.DataFrame:
    """Activity labels and list pages of the web requests, without the query string.

    The labels are computed once per distinct request (``forensics.apps.label_requests``);
    the list pages read the labels and a request's own query and Range header, row by row.
    """
    # the query string has said what it had to say
    return with_pagination(label_requests(profile, web), cfg.pagination).drop("url.query")


def _with_ip_labels(web: pl.DataFrame, ip_info: pl.DataFrame) -> pl.DataFrame:
    """The requests with their address's label, note and network, in one chunk per column.

    The labels are joined to the address column alone (a join of the whole frame copies every
    column at once), and the requests, labelled a slice at a time, are put into one chunk per
    column a column at a time: the later steps read them whole, and a frame in several chunks
    is copied again by each step that needs it contiguous.  **``web`` is emptied.**
    """
    labels = (
        web.select("source.ip")
        .join(
            ip_info.select(pl.col("ip").alias("source.ip"), "ip.label", "ip.note", "ip.network"),
            on="source.ip",
            how="left",
            maintain_order="left",
        )
        .drop("source.ip")
        .rechunk()
    )
    if labels.height != web.height:
        raise ValueError("an address has two labels: the address table must list each address once")
    return rebuilt(web, lambda column: column.rechunk()).hstack(labels.get_columns())


def prepare(
    source: Path | str | pl.DataFrame | pl.LazyFrame,
    config: CaseConfig | Path | str | None = None,
    accounts: Sequence[str] = (),
    thresholds: Thresholds | None = None,
    timings: dict[str, float] | None = None,
    inputs: Inputs | None = None,
) -> tuple[Context, Inputs]:
    """Everything up to the detectors: frames, labels, sessions, links, attribution, coverage.

    ``inputs`` are the frames already read (on a cluster: ``forensics.correlate.partitions``),
    with their coverage table when they carry one; without them they are read from ``source``.
    """
    t = thresholds or DEFAULT
    timings = {} if timings is None else timings
    clock = time.perf_counter()
    cpu = time.process_time()

    def lap(name: str) -> None:
        nonlocal clock, cpu
        now, now_cpu = time.perf_counter(), time.process_time()
        timings[name] = round(now - clock, 3)
        timings[f"{name}.cpu"] = round(now_cpu - cpu, 3)
        clock, cpu = now, now_cpu

    inputs = load_inputs(source) if inputs is None else inputs
    cfg, config_notes = _config(config, inputs)
    tol = float(cfg.skew_tolerance)
    lap("load")
    ipctx = IpContext.from_config(cfg)
    # a shallow copy this step owns, and the inputs let go of theirs: the frames below are
    # rebuilt a column at a time (``rebuilt``), each old column released as its new one is made
    web = inputs.web.clone()
    inputs.web = inputs.web.clear()
    if getattr(inputs, "deduplicated_with", None) == tol:
        # the workers dropped the copies already, with the same tolerance (partitions.py)
        duplicates = int(getattr(inputs, "duplicates_dropped", 0))
    else:
        keep = kept_rows(web, tol)
        duplicates = 0 if keep is None else int(keep.len() - keep.sum())
        if keep is not None:
            web = rebuilt(web, lambda column: column.filter(keep))
    # what the application's URLs, audit keys and tables mean: its profile's job
    profile = _profile(cfg, inputs)
    done = getattr(inputs, "labelled_with", None)  # labelled where they were read (row by row)
    if done is None or (done.name, done.options) != (profile.name, profile.options):
        if "url.query" not in web.columns:
            raise ValueError(
                f"the events were labelled on the workers with the application profile {done.name if done else '?'}"
                f", not {profile.name}: correlate again with the same case config"
            )
        web = _label_requests(web, profile, cfg)
    elif getattr(inputs, "paginated_with", None) == cfg.pagination and "url.query" not in web.columns:
        pass  # list pages read on the workers too, with the same [pagination]
    elif "url.query" in web.columns:
        # the query string has said what it had to say
        web = with_pagination(web, cfg.pagination).drop("url.query")
    else:
        raise ValueError("the list pages were read on the workers with another [pagination]: correlate again")
    ip_info = _ip_table(
        ipctx,
        web.get_column("source.ip"),
        web.get_column("network.forwarded_first"),
        inputs.app.get_column("source.ip"),
        inputs.db.get_column("source.ip"),
    )
    web = _with_ip_labels(web, ip_info)
    lap("label")
    web = sessionize_web(web, t)
    lap("web_sessions")
    app = prepare_app(profile.app_fields(inputs.app), inputs.names)
    names = id_names(pl.concat([inputs.app.select("user.id", "user.name", "event.action"), inputs.names]))
    # the raw application events and account pairs have said what they had to say: released
    # before matching and linking, whose working frames are the largest of the preparation
    inputs.app, inputs.names = inputs.app.clear(), inputs.names.clear()
    matches = match_app_to_web(app, web, t, tol)
    app = reconcile_app(app, matches, web_available=web.height > 0)
    app = sessionize_app(app, t)
    app_sess = app_sessions(app, t)
    lap("match")
    web_sess0 = web_sessions(web)
    links, intervals = link_sessions(app, app_sess, web_sess0, matches, t, tol)
    web = attribute_matched(attribute_requests(web, intervals), app)
    lap("attribute")
    db = sessionize_db(
        query_shape(inputs.db, t, record_tables=profile.record_tables, record_id_columns=profile.record_id_columns), t
    )
    inputs.db = inputs.db.clear()  # prepared: the raw database events are not needed twice
    db_sess = db_sessions(db)
    db_links = link_web_db(web, db, t, tol)
    lap("db")
    coverage = getattr(inputs, "coverage", None)
    coverage = coverage_table(inputs.scan) if coverage is None else coverage
    lap("coverage")
    web_sess = _with_accounts(web_sess0, web)
    requested = tuple(accounts) or tuple(cfg.accounts)
    ctx = Context(
        config=cfg,
        thresholds=t,
        ipctx=ipctx,
        web=web,
        app=app,
        db=db,
        web_sessions=web_sess,
        app_sessions=app_sess,
        db_sessions=db_sess,
        links=_with_db_links(links, db_links),
        db_links=db_links,
        ip_info=ip_info,
        coverage=coverage,
        accounts_requested=requested,
        names=names,
        notes=config_notes,
        web_duplicates=duplicates,
        profile=profile.name,
    )
    lap("sessions")
    return ctx, inputs


def _with_accounts(sessions: pl.DataFrame, web: pl.DataFrame) -> pl.DataFrame:
    """The account of each web session: that of its first attributed request (the links name any other)."""
    if sessions.height == 0 or "account" not in web.columns:
        return sessions
    per = (
        web.select("session.web", "account", "account.confidence")
        .filter(pl.col("account").is_not_null())
        .group_by("session.web")
        .agg(pl.col("account").first().alias("_a"), pl.col("account.confidence").max().alias("_c"))
        .rename({"session.web": "session"})
    )
    return (
        sessions.join(per, on="session", how="left", maintain_order="left")
        .with_columns(pl.col("_a").alias("account"), pl.col("_c").alias("account_confidence"))
        .drop("_a", "_c")
    )


def _with_db_links(links: pl.DataFrame, db_links: pl.DataFrame) -> pl.DataFrame:
    if db_links.height == 0:
        return links
    d = db_links.select(
        pl.lit("web_db").alias("kind"),
        pl.col("session.web").alias("left"),
        pl.col("session.db").alias("right"),
        pl.lit(None, dtype=pl.String).alias("account"),
        "time",
        pl.col("web_row").alias("left_row"),
        pl.col("db_row").alias("right_row"),
        "confidence",
        "reason",
    )
    return pl.concat([links, d.select([pl.col(c).cast(t) for c, t in LINK_SCHEMA.items()])]).sort(
        "time", "kind", "left", "right", nulls_last=True
    )


def _session_reasons(sessions: pl.DataFrame, links: pl.DataFrame, limit: int = 5) -> pl.DataFrame:
    """Fill ``link_reasons``: the reasons of the links that touch each session (strongest first)."""
    if links.height == 0 or sessions.height == 0:
        return sessions
    account_links = links.filter(pl.col("kind") != "web_db")
    ends = pl.concat(
        [
            account_links.select(pl.col("left").alias("session"), "reason", "confidence"),
            account_links.select(pl.col("right").alias("session"), "reason", "confidence"),
        ]
    ).drop_nulls("session")
    db = links.filter(pl.col("kind") == "web_db")
    if db.height:
        # database ties are many: one summary line per session
        summary = pl.concat(
            [
                db.select(pl.col("left").alias("session"), "reason", "confidence"),
                db.select(pl.col("right").alias("session"), "reason", "confidence"),
            ]
        ).drop_nulls("session")
        summary = summary.group_by("session").agg(
            pl.len().alias("_n"),
            pl.col("reason")
            .str.extract(r"; ((?:shape|connection|time)[^;]*)$", 1)
            .drop_nulls()
            .unique()
            .sort()
            .str.join(", ")
            .alias("_how"),
            pl.col("confidence").max(),
        )
        ends = pl.concat(
            [
                ends,
                summary.select(
                    "session",
                    pl.concat_str(
                        [pl.col("_n").cast(pl.String), pl.lit(" web-database ties ("), pl.col("_how"), pl.lit(")")]
                    ).alias("reason"),
                    (pl.col("confidence") * 0.5).alias("confidence"),
                ),
            ]
        )
    agg = ends.group_by("session").agg(
        pl.col("reason").sort_by("confidence", descending=True).unique(maintain_order=True).alias("_r")
    )
    agg = agg.with_columns(
        pl.when(pl.col("_r").list.len() > limit)
        .then(
            pl.concat_list(
                [
                    pl.col("_r").list.head(limit),
                    pl.concat_str(
                        [pl.lit("and "), (pl.col("_r").list.len() - limit).cast(pl.String), pl.lit(" more links")]
                    ),
                ]
            )
        )
        .otherwise(pl.col("_r"))
        .alias("_r")
    )
    return (
        sessions.join(agg, on="session", how="left", maintain_order="left")
        .with_columns(pl.coalesce(pl.col("_r"), pl.col("link_reasons")).alias("link_reasons"))
        .drop("_r")
    )


def warnings_for(ctx: Context) -> list[str]:
    """What limits the conclusions, in words (shown with the findings)."""
    out = list(ctx.notes)
    web, app = ctx.web, ctx.app
    if web.height == 0:
        out.append("no web server logs: addresses stored by the application cannot be checked against the proxy")
    elif not ctx.config.trusted_proxies:
        fwd = web.filter(
            pl.col("network.forwarded_first").is_not_null() & (pl.col("network.forwarded_first") != pl.col("source.ip"))
        )
        if fwd.height > web.height / 2:
            top = fwd.get_column("source.ip").value_counts(sort=True).row(0)
            out.append(
                f"{fwd.height} of {web.height} web requests arrive from another address than their X-Forwarded-For "
                f"(most from {top[0]}): if that is a reverse proxy, declare it in [network] trusted_proxies, "
                "otherwise every request looks like it comes from the proxy"
            )
    if app.filter(pl.col("event.action").is_in(["login", "login_failed"])).height == 0:
        out.append("no authentication records: accounts cannot be tied to web sessions; verdicts rest on web logs only")
    unmatched = app.filter(
        (pl.col("client.basis") == "application") & pl.col("event.action").is_in(["login", "login_failed"])
    )
    if web.height and unmatched.height:
        out.append(
            f"{unmatched.height} logins or failed logins were not found in the web logs: their stored address "
            "(the first X-Forwarded-For value, forgeable) is kept but not trusted"
        )
    return out


#: What the verdict step's own findings were judged against.
_VERDICT_BASELINES = {"attacker_ip": "population", "backdoor": "observed"}


def _baseline(f: Finding) -> tuple[str | None, str | None]:
    """What a finding was compared with: the kind (``own_history+peers``...) and, when the
    finding recorded it, the figures (``own_history.logins=12, peers.accounts=40...``)."""
    declared = {m.NAME: getattr(m, "BASELINE", None) for m in DETECTOR_MODULES}
    kind = declared.get(f.detector) or _VERDICT_BASELINES.get(f.detector)
    detail = f.details.get("baseline")
    if not isinstance(detail, dict):
        return kind, None
    flat: list[str] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for k in value:
                walk(f"{prefix}.{k}" if prefix else str(k), value[k])
        else:
            flat.append(f"{prefix}={value}")

    walk("", jsonable(detail))
    return kind, ", ".join(flat)


def _pick(rows: list[int], k: int) -> list[int]:
    """At most ``k`` rows: the first ones, the last ones, and evenly spaced ones between."""
    rows = sorted(set(rows))
    if len(rows) <= k:
        return rows
    head, tail = rows[: k // 2], rows[-(k // 5) :]
    middle = rows[len(head) : len(rows) - len(tail)]
    need = k - len(head) - len(tail)
    step = len(middle) / need if need else 0
    return sorted(set(head + tail + [middle[int(i * step)] for i in range(need)]))


def correlate(
    out_dir_or_events: Path | str | pl.DataFrame | pl.LazyFrame,
    config: CaseConfig | Path | str | None = None,
    accounts: Sequence[str] = (),
    *,
    thresholds: Thresholds | None = None,
    inputs: Inputs | None = None,
) -> Correlation:
    """Correlate an ingest (an OUT folder, an events.parquet path, or an event frame).

    ``config`` is a CaseConfig or case.toml (default: the one the ingest recorded);
    ``accounts`` names accounts the investigator wants looked at (always reported, with an
    exfiltration estimate); without them every account is ranked by suspicion.  ``inputs``
    are the event frames when they were read elsewhere (see ``prepare``).
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    ctx, inputs = prepare(out_dir_or_events, config, accounts, thresholds, timings, inputs)
    clock = time.perf_counter()
    found = run_all(ctx)
    timings["detectors"] = round(time.perf_counter() - clock, 3)
    clock = time.perf_counter()
    decision = decide(ctx, found)
    findings = found + decision.extra
    exfil = estimate(ctx, decision)
    timings["verdicts"] = round(time.perf_counter() - clock, 3)
    clock = time.perf_counter()
    doc, finding_events = _document(ctx, inputs, findings, decision, exfil)
    sessions = all_sessions(ctx.web_sessions, ctx.app_sessions, ctx.db_sessions)
    sessions = _session_reasons(sessions, ctx.links)
    profiles = account_profiles(ctx, decision)
    timings["document"] = round(time.perf_counter() - clock, 3)
    timings["total"] = round(time.perf_counter() - started, 3)
    return Correlation(
        sessions=sessions,
        links=ctx.links,
        document=doc,
        finding_events=finding_events,
        accounts=profiles,
        coverage=ctx.coverage,
        timings=timings,
        context=ctx,
    )


def _document(
    ctx: Context, inputs: Inputs, findings: list[Finding], decision: Decision, exfil: list[dict[str, Any]]
) -> tuple[Document, pl.DataFrame]:
    """The findings document (see ``forensics.findings.document``) and the finding_events table."""
    t = ctx.thresholds
    far = "9999"

    def order(f: Finding) -> tuple[str, str, str, str]:
        return (utc_iso(f.first_seen) or far, f.detector, f.title, utc_iso(f.last_seen) or far)

    findings = sorted(findings, key=order)
    # repeated low-signal findings of one kind become one finding that lists them all
    flagged = {a for a, s in decision.accounts.items() if s.verdict != "normal"}
    entries = sorted(group_findings(findings, flagged), key=lambda e: order(entry_finding(e)))
    owner: dict[int, tuple[str, str | None]] = {}  # finding -> (its id in findings[], member id)
    for i, e in enumerate(entries, 1):
        top = entry_finding(e)
        top.id = f"F-{i:03d}"
        if isinstance(e, Group):
            for k, m in enumerate(e.members, 1):
                m.id = f"{top.id}.{k}"
                owner[id(m)] = (top.id, m.id)
        else:
            owner[id(top)] = (top.id, None)
    listed = [entry_finding(e) for e in entries] + [m for e in entries if isinstance(e, Group) for m in e.members]
    quoted: dict[str, list[int]] = {f.id: _pick(f.rows, t.evidence_max) for f in listed}
    comp_rows = [r for e in exfil for c in e["_components"] for r in _pick(c.rows, t.evidence_max)]
    wanted = {r for f in findings for r in f.rows} | set(comp_rows)
    ev = evidence_rows(inputs.scan, wanted) if wanted else pl.DataFrame(schema={"_row": pl.Int64})
    lookup: dict[int, EvidenceRef] = {}
    for r in ev.to_dicts():
        lookup[int(r["_row"])] = EvidenceRef(
            file=r["log.file.path"],
            line=r["log.file.line"],
            event_id=r["event.id"],
            dataset=r["event.dataset"],
            time=r["@timestamp"],
        )

    def refs(rws: list[int]) -> list[EvidenceRef]:
        return [lookup[r] for r in rws if r in lookup]

    records = []
    for e in entries:
        top = entry_finding(e)
        members = [m.record(refs(quoted[m.id])) for m in e.members] if isinstance(e, Group) else None
        records.append(top.record(refs(quoted[top.id]), members))
    by_account: dict[str, set[str]] = {}
    for f in findings:
        if f.account:
            by_account.setdefault(f.account, set()).add(owner[id(f)][0])
    verdicts = [
        _verdict(acc, s, by_account, owner, ctx.accounts_requested)
        for acc, s in decision.accounts.items()
        if not (s.score <= 0 and acc not in ctx.accounts_requested and s.verdict == "normal")
    ]
    verdicts.sort(key=lambda a: (-(a.score or 0), verdict_rank(a.verdict), a.account))
    first, last = decision.attack_first, decision.attack_last
    doc = Document(
        tool=Tool(name="forensic-timeline", version=__version__),
        case=CaseInfo(
            name=ctx.config.name,
            timezone=ctx.zone_name,
            config_sha256=ctx.config.sha256,
            skew_tolerance=ctx.tol,
            accounts_requested=list(ctx.accounts_requested),
            application_profile=ctx.profile,
        ),
        attack=Attack(
            first_seen=first,
            last_seen=last,
            basis=decision.attack_basis,
            dwell_seconds=(last - first).total_seconds() if first and last else None,
        ),
        accounts=verdicts,
        warnings=warnings_for(ctx),
        attacker_ips=list(decision.attacker_ips),
        spoofed_ips=list(decision.spoofed_ips),
        created_accounts=list(decision.created_accounts),
        findings=records,
        exfiltration=[_exfiltration(e, lambda rws: refs(_pick(rws, t.evidence_max))) for e in exfil],
        summary=Summary(
            events=inputs.total,
            events_without_time=inputs.untimed,
            web_requests=ctx.web.height,
            web_requests_logged_twice=ctx.web_duplicates,
            application_events=ctx.app.height,
            database_events=ctx.db.height,
            web_sessions=ctx.web_sessions.height,
            application_sessions=ctx.app_sessions.height,
            database_sessions=ctx.db_sessions.height,
            links=ctx.links.height,
            web_requests_attributed=int(ctx.web.get_column("account").is_not_null().sum()) if ctx.web.height else 0,
        ),
        thresholds=t.as_dict(),
        signal_weights=dict(SIGNAL_WEIGHTS),
    )
    validate(doc.to_json())
    fe_rows = [(owner[id(f)][0], owner[id(f)][1], r) for f in findings for r in sorted(set(f.rows))]
    fe = pl.DataFrame(
        fe_rows, schema={"finding": pl.String, "member": pl.String, "_row": pl.Int64}, orient="row"
    ).unique(maintain_order=True)
    meta = pl.DataFrame(
        [
            {
                "finding": owner[id(f)][0],
                "member": owner[id(f)][1],
                "detector": f.detector,
                "tactic": f.tactic,
                "account": f.account,
                "title": f.title,
            }
            for f in findings
        ],
        schema={
            "finding": pl.String,
            "member": pl.String,
            "detector": pl.String,
            "tactic": pl.String,
            "account": pl.String,
            "title": pl.String,
        },
    )
    fe = (
        fe.join(meta, on=["finding", "member"], how="left", nulls_equal=True)
        .join(ev, on="_row", how="left")
        .rename({"_row": "row"})
    )
    return doc, fe.sort("finding", "member", "row", nulls_last=False)


def _verdict(
    acc: str,
    s: Any,
    by_account: dict[str, set[str]],
    owner: dict[int, tuple[str, str | None]],
    requested: Sequence[str],
) -> AccountVerdict:
    """One account's verdict as the document lists it: each reason and signal names its finding."""
    sigs = sorted(s.signals.items(), key=lambda kv: (-(kv[1].weight or 0), kv[0]))
    reasons = [
        msg("account.reason", signal=word("signal", k), weight=f.weight, title=f.title_msg or f.title, finding=f.id)
        for k, f in sigs
    ]
    return AccountVerdict(
        account=acc,
        verdict=s.verdict,
        score=round(s.score, 3),
        first_malicious=s.first_malicious,
        last_malicious=s.last_malicious,
        source_ips=sort_ips(s.source_ips),
        reasons=[render(m) for m in reasons],
        reason_messages=[m.to_json() for m in reasons],
        # a signal names the finding in findings[] that carries it, and the member within a group
        signals=[SignalRef(k, f.weight, owner[id(f)][0], owner[id(f)][1]) for k, f in sigs],
        baselines=[
            BaselineRef(signal=k, finding=owner[id(f)][0], baseline=kind, compared_with=text)
            for k, f in sigs
            for kind, text in [_baseline(f)]
        ],
        findings=sorted(by_account.get(acc, set())),
        requested=acc in requested,
        created_by=s.created_by,
    )


#: Keys of an exfiltration row (``exfil.combine``) the document names; any other is kept as written.
_EXFIL_KEYS = (
    "account", "ip", "records", "distinct_objects", "bytes", "first_seen", "last_seen", "method", "method_message",
    "rows_transferred", "requests", "_components",
)  # fmt: skip


def _bounds(value: dict[str, Any] | None) -> Bounds | None:
    return Bounds(value["estimate"], value["low"], value["high"]) if value is not None else None


def _exfiltration(e: dict[str, Any], refs: Any) -> Exfiltration:
    """One exfiltration estimate as the document lists it, each component citing its lines."""
    records = _bounds(e["records"])
    assert records is not None
    return Exfiltration(
        account=e["account"],
        ip=e["ip"],
        records=records,
        distinct_objects=e["distinct_objects"],
        bytes=e["bytes"],
        first_seen=e["first_seen"],
        last_seen=e["last_seen"],
        method=e["method"],
        method_message=e.get("method_message"),
        rows_transferred=_bounds(e.get("rows_transferred")),
        requests=e.get("requests"),
        components=[
            ExfilComponent(
                method=c.method,
                basis=c.basis,
                records=Bounds(c.estimate, c.low, c.high),
                requests=c.requests,
                bytes=c.bytes,
                description=c.description,
                description_message=c.message.to_json() if c.message else None,
                reached_end_of_table=c.reached_end,
                evidence=refs(c.rows),
            )
            for c in e["_components"]
        ],
        extra={k: v for k, v in e.items() if k not in _EXFIL_KEYS},
    )
