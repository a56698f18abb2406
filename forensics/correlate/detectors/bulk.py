"""Bulk collection: exports, API pagination, record enumeration, volume far above baseline.

The actor is the account the requests are attributed to, else the client address.  An
actor's data requests are cut into episodes wherever it pauses longer than 6 hours.

* **Bulk export** (T1213): in one episode at least ``export_min_requests`` exports, or
  ``export_min_bytes`` bytes of exports, or date ranges covering ``export_min_span_days``
  days.  **Chunking** (T1030): at least ``chunk_min_requests`` exports whose date ranges
  follow one another; a failed export (HTTP 5xx) just before them whose range covers them
  is quoted (the tool first asked for everything, then cut the request to fit).  An actor
  that does the same in at least ``usual_min_episodes`` other episodes (earlier or later)
  from the same address and user agent, each with at least ``usual_volume_share`` of the
  volume, is running its usual job (a scheduled export) and is not reported; neither is an
  episode under ``listing_peer_factor`` times the median export episode of its peers, in
  exports and in bytes (accounts like it export as much).
* **API pagination** (T1119, T1213): at least ``api_min_pages`` list pages (offset/limit);
  pages of one fixed size (``limit``) are also T1030.
* **Record enumeration** (T1119, T1213): at least ``api_min_details`` distinct records
  fetched one by one through the API.
* **Volume above baseline** (T1213): an account's records touched in one day (case time
  zone: record views, API records, audit-trail reads) at least ``volume_min_records``, at
  least ``volume_factor`` times its own median day, and at least
  ``volume_population_factor`` times the 95th percentile of all account-days.

Exfiltration.  The data of these requests leaves in their own responses: when the client
is outside the internal networks and the successful responses carried bytes, the data
went out over the attacker's own HTTPS session (T1041, Exfiltration Over C2 Channel); when
the requests also come from a client the ``scripted`` detector found automated (script
user agent or metronomic cadence), the exfiltration is automated (T1020).  T1567
(Exfiltration Over Web Service) is never claimed: a re-upload elsewhere is not visible in
the victim's logs.

Signal ``bulk_collection``.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from forensics.correlate.baselines import peer_groups
from forensics.correlate.context import LOCAL_LABELS, Context
from forensics.correlate.detectors._util import by_detector, rows, short_list, span
from forensics.correlate.thresholds import SIGNAL_WEIGHTS
from forensics.finding_text import Msg, msg
from forensics.findings import Finding, sort_ips

NAME = "bulk"
ORDER = 100
TECHNIQUES: tuple[str, ...] = ("T1213", "T1030", "T1119", "T1041", "T1020")
SIGNALS: dict[str, float] = {"bulk_collection": 0.5}
BASELINE = "own_history+peers+population"
THRESHOLDS: dict[str, float] = {
    #: Pagination or enumeration is reported only when the records it listed in one episode
    #: reach this many times the actor's own median episode (other episodes)...
    "listing_own_factor": 3.0,
    #: ...and this many times the median episode of its peers (accounts that use the same
    #: functions; every other actor for an address or when too few behave alike).
    "listing_peer_factor": 3.0,
    #: A listing weighs as bulk collection on its own (``bulk_collection``) only from this many
    #: times both medians, the same tenfold departure an account's daily volume must reach
    #: (``volume_factor``); between the factors above and this one it is reported with
    #: ``listing_weak_weight``: worth a look, not enough to call an account suspicious alone (a
    #: manager's monthly report from the usual desk is a few times a usual day).
    "listing_strong_factor": 10.0,
    "listing_weak_weight": 0.25,
}

#: The texts of its findings, in English and French (see forensics.finding_text).
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "bulk.export.title": "Bulk export by {actor:ip}{chunks:msg}",
        "bulk.export.chunks": " in chunks",
        "bulk.export.reason": "{notes:msgs:; }. Rule: at least {min_requests} exports, {min_bytes:num} bytes or {min_days} days of data in one episode, not the actor's usual job.",
        "bulk.export.count": "{exports:num} successful exports, {bytes:num} bytes",
        "bulk.export.span": "date ranges covering {days:num} days",
        "bulk.export.all": "for all practitioners",
        "bulk.export.chain": "{chunks} of them in consecutive date ranges from {start:date} to {end:date} (chunking)",
        "bulk.export.failed": "after an export that failed with HTTP {status} at {time:time}{covers:msg}",
        "bulk.export.covers": " for {start:date} to {end:date}, a range that covers the chunks",
        "bulk.pages.title": "API pagination through the records by {actor:ip}",
        "bulk.pages.reason": "{pages:num} API list pages{offsets:msg}{per_page:msg}{every:msg}. Rule: at least {min_pages} list pages in one episode.",
        "bulk.baseline": "It listed {volume:num} records, against a median episode of {own:msg} for this actor ({episodes:num} other episode(s)) and {peers:msg} for its {n_peers:num} peers ({peer_basis:msg}); a listing is reported from {own_factor:g} times the first and {peer_factor:g} times the second.",
        "bulk.listing.weak": "Under {factor:g} times both it weighs {weight:g}: alone it does not make the account suspicious.",
        "bulk.baseline.none": "none",
        "bulk.baseline.n": "{n:num}",
        "bulk.pages.offsets": ", offsets {first:num} to {last:num}",
        "bulk.pages.per_page": ", {n:num} records per page",
        "bulk.pages.every": ", one every {seconds:dec:1} s",
        "bulk.details.title": "Record-by-record API enumeration by {actor:ip}",
        "bulk.details.reason": "{requests:num} API requests fetched {records:num} distinct records one by one. Rule: at least {min_records} distinct records in one episode.",
        "bulk.exfil.reason": "{reason:msg} Transfer: {notes:msgs:; }.",
        "bulk.exfil.channel": "{bytes:num} bytes of responses went to {ips:ips:3}, outside the internal networks, over the web sessions that asked for them (exfiltration over the same channel)",
        "bulk.exfil.automated": "{requests:num} of these requests came from a client found automated (automated exfiltration)",
        "bulk.exfil.pieces": "the records left in pages of a fixed size ({limit:num} per page)",
        "bulk.volume.title": "{account} accessed {records:num} records in one day, far above its baseline",
        "bulk.volume.reason": "{account} touched {records:num} records on {day:date} ({zone}){baseline:msg}{population:msg}. Rule: at least {min_records} records, {factor:g}x the account's median day and {population_factor:g}x the population's 95th percentile.",
        "bulk.volume.baseline": ", {ratio:dec:0} times its median day ({median:num})",
        "bulk.volume.no_baseline": ", with no other day to compare",
        "bulk.volume.population": " and {ratio:dec:0} times the 95th percentile of all account-days ({p95:num})",
    },
    "fr": {
        "bulk.export.title": "Export massif par {actor:ip}{chunks:msg}",
        "bulk.export.chunks": " en tranches",
        "bulk.export.reason": "{notes:msgs: ; }. Règle : au moins {min_requests:num} exports, {min_bytes:num} octets ou {min_days:num} jours de données dans un même épisode, hors du travail habituel de l'auteur.",
        "bulk.export.count": "{exports:num} exports réussis, {bytes:num} octets",
        "bulk.export.span": "plages de dates couvrant {days:num} jours",
        "bulk.export.all": "pour tous les praticiens",
        "bulk.export.chain": "dont {chunks:num} en plages de dates consécutives du {start:date} au {end:date} (découpage)",
        "bulk.export.failed": "après un export échoué avec le code HTTP {status} le {time:time}{covers:msg}",
        "bulk.export.covers": " pour la période du {start:date} au {end:date}, qui couvre les tranches",
        "bulk.pages.title": "Parcours des enregistrements page par page dans l'API par {actor:ip}",
        "bulk.pages.reason": "{pages:num} pages de liste de l'API{offsets:msg}{per_page:msg}{every:msg}. Règle : au moins {min_pages:num} pages de liste dans un même épisode.",
        "bulk.baseline": "Il a listé {volume:num} enregistrements, contre un épisode médian de {own:msg} pour cet acteur ({episodes:num} autre(s) épisode(s)) et de {peers:msg} pour ses {n_peers:num} pairs ({peer_basis:msg}) ; une liste est signalée à partir de {own_factor:g} fois le premier et {peer_factor:g} fois le second.",
        "bulk.listing.weak": "En deçà de {factor:g} fois l'un et l'autre, elle pèse {weight:g} : seule, elle ne rend pas le compte suspect.",
        "bulk.baseline.none": "aucun",
        "bulk.baseline.n": "{n:num}",
        "bulk.pages.offsets": ", positions {first:num} à {last:num}",
        "bulk.pages.per_page": ", {n:num} enregistrements par page",
        "bulk.pages.every": ", une toutes les {seconds:dec:1} s",
        "bulk.details.title": "Énumération des enregistrements un par un dans l'API par {actor:ip}",
        "bulk.details.reason": "{requests:num} requêtes à l'API ont récupéré {records:num} enregistrements distincts un par un. Règle : au moins {min_records:num} enregistrements distincts dans un même épisode.",
        "bulk.exfil.reason": "{reason:msg} Transfert : {notes:msgs: ; }.",
        "bulk.exfil.channel": "{bytes:num} octets de réponses sont partis vers {ips:ips:3}, hors des réseaux internes, par les sessions web qui les avaient demandés (exfiltration par le même canal)",
        "bulk.exfil.automated": "{requests:num} de ces requêtes venaient d'un client reconnu comme automatisé (exfiltration automatisée)",
        "bulk.exfil.pieces": "les enregistrements sont sortis par pages de taille fixe ({limit:num} par page)",
        "bulk.volume.title": "{account} a consulté {records:num} enregistrements en une journée, bien au-delà de son habitude",
        "bulk.volume.reason": "{account} a consulté {records:num} enregistrements le {day:date} ({zone}){baseline:msg}{population:msg}. Règle : au moins {min_records:num} enregistrements, {factor:g} fois la journée médiane du compte et {population_factor:g} fois le 95e centile de l'ensemble.",
        "bulk.volume.baseline": ", {ratio:dec:0} fois sa journée médiane ({median:num})",
        "bulk.volume.no_baseline": ", sans autre journée de comparaison",
        "bulk.volume.population": " et {ratio:dec:0} fois le 95e centile de toutes les journées de tous les comptes ({p95:num})",
    },
}
EPISODE_GAP_S = 6 * 3600


def _actor() -> pl.Expr:
    return pl.coalesce(pl.col("account"), pl.concat_str([pl.lit("ip:"), pl.col("source.ip")]))


def data_requests(ctx: Context) -> pl.DataFrame:
    """Export and API requests with ``actor`` and ``episode`` columns (record views are counted by ``_volume``)."""
    d = ctx.web.filter(pl.col("activity").is_in(["export", "api_list", "api_detail"]))
    if d.height == 0:
        return d.with_columns(
            pl.lit(None, dtype=pl.String).alias("actor"), pl.lit(None, dtype=pl.Int64).alias("episode")
        )
    d = d.with_columns(_actor().alias("actor")).sort("actor", "@timestamp", "_row")
    gap = (pl.col("@timestamp") - pl.col("@timestamp").shift(1)).dt.total_seconds() > EPISODE_GAP_S
    new = (pl.col("actor") != pl.col("actor").shift(1)) | gap
    return d.with_columns(new.fill_null(True).cum_sum().cast(pl.Int64).alias("episode"))


def _date(s: str | None) -> date | None:
    if not s:
        return None
    try:
        return date.fromisoformat(s[:10])
    except ValueError:
        return None


def _union_days(ranges: list[tuple[date, date]]) -> int:
    total, cur = 0, None
    for a, b in sorted(ranges):
        if cur is None or a > cur[1] + timedelta(days=1):
            if cur:
                total += (cur[1] - cur[0]).days + 1
            cur = [a, b]
        else:
            cur[1] = max(cur[1], b)
    if cur:
        total += (cur[1] - cur[0]).days + 1
    return total


def _chain(ranges: list[tuple[date, date, int]]) -> list[tuple[date, date, int]]:
    """The longest run of date ranges that follow one another (sorted by start)."""
    best: list = []
    cur: list = []
    for r in sorted(ranges):
        if cur and cur[-1][1] < r[0] <= cur[-1][1] + timedelta(days=1):
            cur.append(r)
        else:
            cur = [r]
        if len(cur) > len(best):
            best = list(cur)
    return best


def automated_sessions(prior: list[Finding]) -> set[str]:
    """Web sessions of the clients the scripted detector found automated (script user agent or cadence)."""
    return {s for f in by_detector(prior, "scripted") if f.details.get("automated") for s in f.sessions}


def exfiltration(g: pl.DataFrame, automated: set[str]) -> tuple[list[str], list[Msg], dict]:
    """Exfiltration techniques the requests support, the notes that say why, and their details.

    T1041 when successful responses carried bytes to addresses outside the internal networks
    (the data left over the session that asked for it); T1020 when, in addition, the
    requests came from a client found automated.
    """
    label = pl.col("ip.label") if "ip.label" in g.columns else pl.lit(None, dtype=pl.String)
    out = g.filter(
        (pl.col("http.response.status_code") < 400)
        & ~label.fill_null("").is_in(list(LOCAL_LABELS))
        & (pl.col("http.response.bytes").fill_null(0) > 0)
    )
    nbytes = int(out.get_column("http.response.bytes").sum() or 0)
    if out.height == 0 or nbytes == 0:
        return [], [], {}
    ips = sort_ips(out.get_column("source.ip").drop_nulls().unique().to_list())
    techniques, notes = ["T1041"], [msg("bulk.exfil.channel", bytes=nbytes, ips=ips)]
    scripted = out.filter(pl.col("session.web").is_in(list(automated))).height if automated else 0
    if scripted:
        techniques.append("T1020")
        notes.append(msg("bulk.exfil.automated", requests=scripted))
    return techniques, notes, {"bytes_out": nbytes, "out_ips": ips, "automated_requests": scripted}


def _departure(baseline: dict) -> float:
    """How many times the listing exceeds the larger of its two baselines (inf without any)."""
    v = float(baseline.get("volume") or 0)
    meds = [m for m in (baseline["own_history"]["median"], baseline["peers"]["median"]) if m]
    return v / max(meds) if meds else float("inf")


def _listing_weight(ctx: Context, baseline: dict) -> float:
    t = ctx.thresholds
    strong = _departure(baseline) >= t.listing_strong_factor
    return SIGNAL_WEIGHTS["bulk_collection"] if strong else float(t.listing_weak_weight)


def _weak(ctx: Context, baseline: dict) -> list[Msg]:
    t = ctx.thresholds
    if _departure(baseline) >= t.listing_strong_factor:
        return []
    return [msg("bulk.listing.weak", factor=t.listing_strong_factor, weight=t.listing_weak_weight)]


def _weak_note(ctx: Context, reason: Msg, baseline: dict) -> Msg:
    extra = _weak(ctx, baseline)
    return msg("_seq", items=[reason, *extra]) if extra else reason


def _finding(
    ctx: Context,
    actor: str,
    g: pl.DataFrame,
    title: Msg,
    techniques: list[str],
    reason: Msg,
    details: dict,
    weight: float | None = None,
) -> Finding:
    acc = None if actor.startswith("ip:") else actor
    first, last = span(g)
    if "account.session" in g.columns:
        # the application sessions that carry the behaviour (what the exfiltration estimate counts)
        details = details | {"app_sessions": sorted(g.get_column("account.session").drop_nulls().unique().to_list())}
    return Finding(
        detector=NAME,
        title=title,
        techniques=techniques,
        basis="derived",
        reason=reason,
        account=acc,
        ips=sort_ips(g.get_column("source.ip").unique().to_list()),
        first_seen=first,
        last_seen=last,
        event_count=g.height,
        rows=rows(g, "_row"),
        sessions=sorted(g.get_column("session.web").unique().to_list()),
        signal="bulk_collection" if acc else None,
        weight=(weight if weight is not None else SIGNAL_WEIGHTS["bulk_collection"]) if acc else None,
        details=details,
    )


def _exports(ctx: Context, d: pl.DataFrame, automated: set[str]) -> list[Finding]:
    t = ctx.thresholds
    ex = d.filter(pl.col("activity") == "export")
    out = []
    if ex.height == 0:
        return out
    episodes = ex.group_by("actor", "episode").agg(
        pl.len().alias("_n"),
        pl.col("http.response.bytes").sum().alias("_bytes"),
        pl.col("@timestamp").min().alias("_first"),
        pl.col("source.ip").mode().first().alias("_ip"),
        pl.col("user_agent.original").mode().first().alias("_ua"),
    )
    for ep in episodes.sort("_first").to_dicts():
        g = ex.filter((pl.col("actor") == ep["actor"]) & (pl.col("episode") == ep["episode"])).sort("@timestamp")
        ok = g.filter(pl.col("http.response.status_code") < 400)
        failed = g.filter(pl.col("http.response.status_code") >= 500)
        ranges = []
        for r in ok.select("export.date_min", "export.date_max", "_row").to_dicts():
            a, b = _date(r["export.date_min"]), _date(r["export.date_max"])
            if a and b and a <= b:
                ranges.append((a, b, r["_row"]))
        span_days = _union_days([(a, b) for a, b, _ in ranges])
        nbytes = int(ok.get_column("http.response.bytes").sum() or 0)
        big = ok.height >= t.export_min_requests or nbytes >= t.export_min_bytes or span_days >= t.export_min_span_days
        if not big:
            continue
        usual = episodes.filter(
            (pl.col("actor") == ep["actor"])
            & (pl.col("episode") != ep["episode"])
            & (pl.col("_ip") == ep["_ip"])
            & (pl.col("_ua").eq_missing(ep["_ua"]))
            & (pl.col("_bytes") >= t.usual_volume_share * ep["_bytes"])
        )
        if usual.height >= t.usual_min_episodes:
            continue
        # peers: when accounts that use the application alike export as much in their episodes,
        # this is how the job is done (a team that exports its monthly lists), not collection
        group = peer_groups(ctx).get(ep["actor"])
        pe = episodes.filter(pl.col("actor").is_in(list(group.peers))) if group is not None else episodes.clear()
        peer_n = float(pe.get_column("_n").median()) if pe.height else None  # type: ignore[arg-type]
        peer_b = float(pe.get_column("_bytes").median() or 0) if pe.height else None  # type: ignore[arg-type]
        if (
            peer_n is not None
            and peer_b is not None
            and ok.height < t.listing_peer_factor * peer_n
            and nbytes < t.listing_peer_factor * peer_b
        ):
            continue
        chain = _chain(ranges)
        techniques = ["T1213"]
        notes = [msg("bulk.export.count", exports=ok.height, bytes=nbytes)]
        if span_days:
            notes.append(msg("bulk.export.span", days=span_days))
        if g.get_column("export.all").fill_null(False).any():
            notes.append(msg("bulk.export.all"))
        details = {
            "exports": ok.height,
            "bytes": nbytes,
            "span_days": span_days,
            "failed": failed.height,
            "baseline": {
                "own_history": {"usual_episodes": usual.height},
                "peers": (group.describe() if group else {"basis": "population", "accounts": 0})
                | {"median_exports": peer_n, "median_bytes": peer_b},
            },
        }
        if len(chain) >= t.chunk_min_requests:
            techniques.append("T1030")
            notes.append(msg("bulk.export.chain", chunks=len(chain), start=chain[0][0], end=chain[-1][1]))
            details["chunks"] = len(chain)
            details["chunk_range"] = [str(chain[0][0]), str(chain[-1][1])]
            first_chunk = ok.filter(pl.col("_row").is_in([c[2] for c in chain])).get_column("@timestamp").min()
            before = failed.filter(pl.col("@timestamp") <= first_chunk)
            if before.height:
                f0 = before.row(-1, named=True)
                a, b = _date(f0["export.date_min"]), _date(f0["export.date_max"])
                covers = a is not None and b is not None and a <= chain[0][0] and b >= chain[-1][1] - timedelta(days=31)
                notes.append(
                    msg(
                        "bulk.export.failed",
                        status=f0["http.response.status_code"],
                        time=f0["@timestamp"],
                        covers=msg("bulk.export.covers", start=a, end=b) if covers else "",
                    )
                )
                details["failed_before"] = {
                    "row": f0["_row"],
                    "date_min": f0["export.date_min"],
                    "date_max": f0["export.date_max"],
                }
        out_tech, out_notes, out_details = exfiltration(ok, automated)
        techniques += out_tech
        notes += out_notes
        if out_details:
            details["exfiltration"] = out_details
        who = ep["actor"].removeprefix("ip:")
        out.append(
            _finding(
                ctx,
                ep["actor"],
                g,
                msg("bulk.export.title", actor=who, chunks=msg("bulk.export.chunks") if "T1030" in techniques else ""),
                techniques,
                msg(
                    "bulk.export.reason",
                    notes=notes,
                    min_requests=t.export_min_requests,
                    min_bytes=t.export_min_bytes,
                    min_days=t.export_min_span_days,
                ),
                details,
            )
        )
    return out


def _listing_volumes(g: pl.DataFrame, value: pl.Expr) -> pl.DataFrame:
    """Per actor and episode: the records a listing covered (``value`` summed)."""
    return g.group_by("actor", "episode").agg(value.sum().alias("_v"))


def _judge(ctx: Context, vols: pl.DataFrame, actor: str, episode: int) -> tuple[bool, dict, Msg]:
    """Is this episode's listing unusual for the actor's own history AND for its peers?

    Own history: the actor's other episodes (none: nothing to compare with, the peers
    decide).  Peers: ``baselines.peer_groups`` for an account; for an address, every other
    actor.  Both medians count episodes that listed anything, whatever their size.
    """
    t = ctx.thresholds
    v = float(vols.filter((pl.col("actor") == actor) & (pl.col("episode") == episode)).get_column("_v").sum())
    own = vols.filter((pl.col("actor") == actor) & (pl.col("episode") != episode)).get_column("_v")
    group = peer_groups(ctx).get(actor)
    if group is not None:
        peers, basis = list(group.peers), group.basis
    else:
        peers, basis = [a for a in vols.get_column("actor").unique().to_list() if a != actor], "population"
    pv = vols.filter(pl.col("actor").is_in(peers)).get_column("_v")
    own_med = float(own.median()) if own.len() else None  # type: ignore[arg-type]
    peer_med = float(pv.median()) if pv.len() else None  # type: ignore[arg-type]
    unusual = (own_med is None or v >= t.listing_own_factor * own_med) and (
        peer_med is None or v >= t.listing_peer_factor * peer_med
    )
    baseline = {
        "volume": v,
        "own_history": {"episodes": own.len(), "median": own_med},
        "peers": {"basis": basis, "accounts": len(peers), "median": peer_med},
    }
    none = msg("bulk.baseline.none")
    text = msg(
        "bulk.baseline",
        volume=v,
        own=msg("bulk.baseline.n", n=own_med) if own_med is not None else none,
        episodes=own.len(),
        peers=msg("bulk.baseline.n", n=peer_med) if peer_med is not None else none,
        n_peers=len(peers),
        peer_basis=msg(f"baseline.peers.{basis}"),
        own_factor=t.listing_own_factor,
        peer_factor=t.listing_peer_factor,
    )
    return unusual, baseline, text


def _carriers(ctx: Context, g: pl.DataFrame, value: pl.Expr, baseline: dict) -> pl.DataFrame:
    """The application sessions of an unusual episode that are unusual by themselves.

    An episode (activity without a 6-hour pause) can hold the owner's ordinary morning
    session and the afternoon session that read far beyond it.  The same rule (own median
    episode and peers' median episode, same factors) is applied to each session; the finding
    keeps the sessions that pass it, so that it starts with the behaviour itself.  When no
    session passes alone (the excess is spread over many), the whole episode is kept.
    """
    if "account.session" not in g.columns or g.get_column("account.session").null_count() == g.height:
        return g
    t = ctx.thresholds
    per = g.filter(pl.col("account.session").is_not_null()).group_by("account.session").agg(value.alias("_v"))
    own, peer = baseline["own_history"]["median"], baseline["peers"]["median"]
    ok = per
    if own is not None:
        ok = ok.filter(pl.col("_v") >= t.listing_own_factor * own)
    if peer is not None:
        ok = ok.filter(pl.col("_v") >= t.listing_peer_factor * peer)
    if ok.height == 0 or ok.height == per.height:
        return g
    return g.filter(pl.col("account.session").is_in(ok.get_column("account.session").to_list()))


def _with_exfil(reason: Msg, notes: list[Msg]) -> Msg:
    return msg("bulk.exfil.reason", reason=reason, notes=notes) if notes else reason


def _pagination(ctx: Context, d: pl.DataFrame, automated: set[str]) -> list[Finding]:
    t = ctx.thresholds
    out = []
    pages = d.filter((pl.col("activity") == "api_list") & (pl.col("http.response.status_code") < 400))
    # records a listing covered: its pages' sizes (1 per page when the size is not in the URL)
    page_vols = _listing_volumes(pages, pl.col("api.limit").fill_null(1))
    for (actor, ep), g in pages.group_by(["actor", "episode"], maintain_order=True):
        if g.height < t.api_min_pages:
            continue
        unusual, baseline, baseline_text = _judge(ctx, page_vols, str(actor), int(ep))
        if not unusual:
            continue  # paging through lists is what this actor and its peers do
        g = _carriers(ctx, g, pl.col("api.limit").fill_null(1).sum(), baseline).sort("@timestamp")
        offs = g.get_column("api.offset").drop_nulls()
        lim = g.get_column("api.limit").drop_nulls()
        gaps = g.get_column("@timestamp").diff().dt.total_milliseconds().drop_nulls().cast(pl.Float64) / 1000
        reason = msg(
            "bulk.pages.reason",
            pages=g.height,
            offsets=msg("bulk.pages.offsets", first=offs.min(), last=offs.max()) if offs.len() else "",
            per_page=msg("bulk.pages.per_page", n=lim.mode()[0]) if lim.len() else "",
            every=msg("bulk.pages.every", seconds=gaps.median()) if gaps.len() else "",
            min_pages=t.api_min_pages,
        )
        reason = msg("_seq", items=[reason, baseline_text])
        techniques = ["T1119", "T1213"]
        details = {
            "baseline": baseline,
            "pages": g.height,
            "offset_min": offs.min() if offs.len() else None,
            "offset_max": offs.max() if offs.len() else None,
        }
        notes: list[Msg] = []
        # most pages of one size: the table left in fixed-size pieces
        if lim.len() and 2 * int((lim == lim.mode()[0]).sum()) > g.height:
            techniques.append("T1030")
            notes.append(msg("bulk.exfil.pieces", limit=lim.mode()[0]))
            details["page_size"] = int(lim.mode()[0])
        out_tech, out_notes, out_details = exfiltration(g, automated)
        techniques += out_tech
        notes += out_notes
        if out_details:
            details["exfiltration"] = out_details
        out.append(
            _finding(
                ctx,
                str(actor),
                g,
                msg("bulk.pages.title", actor=str(actor).removeprefix("ip:")),
                techniques,
                _with_exfil(_weak_note(ctx, reason, baseline), notes),
                details,
                _listing_weight(ctx, baseline),
            )
        )
    detail = d.filter((pl.col("activity") == "api_detail") & (pl.col("http.response.status_code") < 400))
    detail_vols = detail.group_by("actor", "episode").agg(pl.col("activity.object").n_unique().alias("_v"))
    for (actor, ep), g in detail.group_by(["actor", "episode"], maintain_order=True):
        ids = g.get_column("activity.object").n_unique()
        if ids < t.api_min_details:
            continue
        unusual, baseline, baseline_text = _judge(ctx, detail_vols, str(actor), int(ep))
        if not unusual:
            continue
        g = _carriers(ctx, g, pl.col("activity.object").n_unique(), baseline)
        ids = g.get_column("activity.object").n_unique()
        out_tech, out_notes, out_details = exfiltration(g, automated)
        details = {"distinct_records": ids, "baseline": baseline} | (
            {"exfiltration": out_details} if out_details else {}
        )
        out.append(
            _finding(
                ctx,
                str(actor),
                g,
                msg("bulk.details.title", actor=str(actor).removeprefix("ip:")),
                ["T1119", "T1213", *out_tech],
                _with_exfil(
                    msg(
                        "_seq",
                        items=[
                            msg("bulk.details.reason", requests=g.height, records=ids, min_records=t.api_min_details),
                            baseline_text,
                            *_weak(ctx, baseline),
                        ],
                    ),
                    out_notes,
                ),
                details,
                _listing_weight(ctx, baseline),
            )
        )
    return out


def _volume_carriers(ctx: Context, g: pl.DataFrame, base: float | None, p95: float | None) -> pl.DataFrame:
    """The web sessions of an unusual day that are unusual by themselves, with the audit rows of their hours.

    A local day can hold the owner's ordinary night shift and the afternoon session that
    read far beyond it; the same rule (``volume_factor`` times the usual day,
    ``volume_population_factor`` times the population's 95th percentile) is applied to each
    session, and the finding keeps those that pass, so that it starts with the behaviour
    itself.  When none passes alone (the excess is spread over many), the whole day is kept.
    """
    t = ctx.thresholds
    web = g.filter(~pl.col("_audit") & pl.col("session.web").is_not_null())
    if web.height == 0:
        return g
    per = web.group_by("session.web").agg(pl.col("_records").sum().alias("_v"))
    ok = per
    if base is not None:
        ok = ok.filter(pl.col("_v") >= t.volume_factor * max(base, 1.0))
    if p95 is not None:
        ok = ok.filter(pl.col("_v") >= t.volume_population_factor * p95)
    if ok.height == 0 or ok.height == per.height:
        return g
    kept = web.filter(pl.col("session.web").is_in(ok.get_column("session.web").implode()))
    first, last = span(kept)
    # audit rows are rounded (to the hour at worst): those of the carriers' hours stay
    audit = g.filter(
        pl.col("_audit") & (pl.col("@timestamp") >= first - pl.duration(hours=1)) & (pl.col("@timestamp") <= last)
    )
    return pl.concat([kept, audit]).sort("@timestamp", "_row")


def _volume(ctx: Context) -> list[Finding]:
    t = ctx.thresholds
    zone = ctx.zone_name
    cols = [
        "_row",
        "@timestamp",
        "account",
        "source.ip",
        "session.web",
        "activity",
        "api.limit",
        "http.response.status_code",
    ]
    web = (
        ctx.web.select(cols)
        .filter(
            pl.col("activity").is_in(["api_list", "api_detail", "patient_view"])
            & pl.col("account").is_not_null()
            & (pl.col("http.response.status_code") < 400)
        )
        .select(
            "_row",
            "@timestamp",
            "account",
            "source.ip",
            "session.web",
            pl.when(pl.col("activity") == "api_list")
            .then(pl.col("api.limit").fill_null(1))
            .when(pl.col("activity") == "export")
            .then(0)
            .otherwise(1)
            .cast(pl.Int64)
            .alias("_records"),
            pl.lit(False).alias("_audit"),
        )
    )
    reads = ctx.app.filter((pl.col("event.action") == "record_read") & pl.col("account").is_not_null()).select(
        "_row",
        "@timestamp",
        "account",
        pl.lit(None, dtype=pl.String).alias("source.ip"),
        pl.lit(None, dtype=pl.String).alias("session.web"),
        pl.lit(1, dtype=pl.Int64).alias("_records"),
        pl.lit(True).alias("_audit"),
    )
    allx = pl.concat([web, reads])
    if allx.height == 0:
        return []
    allx = allx.with_columns(pl.col("@timestamp").dt.convert_time_zone(zone).dt.date().alias("_day"))
    # the web log and the audit trail record the same views: count the larger of the two, not both
    days = (
        allx.group_by("account", "_day")
        .agg(
            pl.col("_records").filter(~pl.col("_audit")).sum().alias("_web"),
            pl.col("_records").filter(pl.col("_audit")).sum().alias("_trail"),
        )
        .with_columns(pl.max_horizontal("_web", "_trail").alias("_n"))
    )
    p95 = days.get_column("_n").quantile(0.95) if days.height >= 20 else None
    # median of the other days: computed per account in Python (few accounts pass the absolute floor)
    cand = days.filter(pl.col("_n") >= t.volume_min_records)
    out = []
    for r in cand.sort("account", "_day").to_dicts():
        others = days.filter((pl.col("account") == r["account"]) & (pl.col("_day") != r["_day"])).get_column("_n")
        base = float(others.median()) if others.len() >= 2 else None
        if base is not None and r["_n"] < t.volume_factor * max(base, 1.0):
            continue
        if p95 is not None and r["_n"] < t.volume_population_factor * p95:
            continue
        if base is None and p95 is None:
            continue
        g = allx.filter((pl.col("account") == r["account"]) & (pl.col("_day") == r["_day"]))
        g = _volume_carriers(ctx, g, base, p95)
        first, last = span(g.filter(~pl.col("_audit")))
        if first is None:
            first, last = span(g)
        reason = msg(
            "bulk.volume.reason",
            account=r["account"],
            records=r["_n"],
            day=r["_day"],
            zone=zone,
            baseline=msg("bulk.volume.baseline", ratio=r["_n"] / max(base, 1), median=base)
            if base is not None
            else msg("bulk.volume.no_baseline"),
            population=msg("bulk.volume.population", ratio=r["_n"] / max(p95, 1), p95=p95) if p95 is not None else "",
            min_records=t.volume_min_records,
            factor=t.volume_factor,
            population_factor=t.volume_population_factor,
        )
        out.append(
            Finding(
                detector=NAME,
                title=msg("bulk.volume.title", account=r["account"], records=r["_n"]),
                techniques=["T1213"],
                basis="derived",
                reason=reason,
                account=r["account"],
                ips=sort_ips(g.get_column("source.ip").drop_nulls().unique().to_list()),
                first_seen=first,
                last_seen=last,
                event_count=g.height,
                rows=rows(g, "_row"),
                sessions=sorted(g.get_column("session.web").drop_nulls().unique().to_list()),
                signal="bulk_collection",
                weight=SIGNAL_WEIGHTS["bulk_collection"],
                details={"day": str(r["_day"]), "records": r["_n"], "baseline_median": base, "population_p95": p95},
            )
        )
    return out


def detect(ctx: Context, prior: list[Finding]) -> list[Finding]:
    d = data_requests(ctx)
    automated = automated_sessions(prior)
    return _exports(ctx, d, automated) + _pagination(ctx, d, automated) + _volume(ctx)


__all__ = ["automated_sessions", "data_requests", "detect", "exfiltration", "short_list"]
