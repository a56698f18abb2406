"""Finding texts as a stable code plus parameters, rendered in English or French.

A detector writes ``Msg("spray.title", ips=[...], accounts=236)`` rather than an English
sentence: ``findings.json`` keeps the English text (``title``, ``reason``, ...) for the tools
that read it, and adds the message itself (``{"code": ..., "params": {...}}``) so that the
report can say the same thing in the reader's language, with numbers, times and addresses
written the way that language writes them.

Templates are ``str.format`` strings whose format spec names the kind of value, so that each
language (and each output: plain English for the JSON, the report's locale) formats it:

``{n:num}`` count, ``{x:g}`` short number, ``{x:dec:2}`` fixed decimals, ``{t:time}`` /
``{t:minute}`` / ``{t:clock}`` a UTC time, ``{d:date}`` a ``YYYY-MM-DD`` date, ``{ip:ip}`` an address (or an account name, written as is),
``{ips:ips:3}`` / ``{xs:list:6}`` lists cut after N items, ``{xs:join:, }`` whole lists,
``{v:word:prefix}`` the catalogue word ``prefix.v`` (or ``v`` as written), ``{m:msg}`` a nested message (or plain text, or nothing), ``{ms:msgs:; }`` nested messages
joined, ``{n:plural:one|many}`` a word agreeing with a count, ``{s:repr}`` quoted text; any
other spec (``{h:02d}``) is Python's.  Values stay JSON (times as ``...Z`` strings).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

LANGUAGES = ("en", "fr")


@dataclass(frozen=True)
class Msg:
    """One finding text: a catalogue code and the values it is built from."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "params": {k: _json(v) for k, v in sorted(self.params.items())}}

    def __str__(self) -> str:
        return render(self, "en")


def msg(code: str, **params: Any) -> Msg:
    """``Msg(code, params)``, shorter to write in the detectors."""
    return Msg(code, params)


def _json(value: Any) -> Any:
    if isinstance(value, Msg):
        return value.to_json()
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        text = value.strftime("%Y-%m-%dT%H:%M:%S")
        return text + (f".{value.microsecond:06d}" if value.microsecond else "") + "Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, float) and value.is_integer():
        return value
    return value


def as_time(value: Any) -> datetime | None:
    """A ``...Z`` string (or a datetime) as an aware UTC datetime; None when it is neither."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class Style:
    """How one output writes each kind of value.  This one writes the plain text of findings.json."""

    def __init__(self, lang: str = "en") -> None:
        self.lang = lang

    def num(self, value: Any, arg: str) -> str:
        if value is None:
            return "?"
        if isinstance(value, float) and not value.is_integer():
            return f"{value:,.1f}"
        return f"{int(value):,}"

    def g(self, value: Any, arg: str) -> str:
        return f"{float(value):g}"

    def dec(self, value: Any, arg: str) -> str:
        return f"{float(value):.{int(arg or 1)}f}"

    def time(self, value: Any, arg: str) -> str:
        t = as_time(value)
        if t is None:
            return "?"
        t = t.astimezone(UTC)
        fmt = {"minute": "%Y-%m-%d %H:%M", "clock": "%H:%M:%S"}.get(arg, "%Y-%m-%d %H:%M:%S")
        return t.strftime(fmt) + "Z"

    def date(self, value: Any, arg: str) -> str:
        return str(value)

    def ip(self, value: Any, arg: str) -> str:
        return str(value)

    def more(self, head: str, n: int) -> str:
        return render(Msg("_list.more", {"head": head, "n": n}), self.lang, self)

    def items(self, values: list[str], arg: str) -> str:
        limit = int(arg) if arg else 8
        if len(values) <= limit:
            return ", ".join(values)
        return self.more(", ".join(values[:limit]), len(values) - limit)

    def plural(self, value: Any, arg: str) -> str:
        one, _, many = arg.partition("|")
        count = abs(float(value or 0))
        return one if (count < 2 if self.lang == "fr" else count == 1) else many

    def repr(self, value: Any, arg: str) -> str:
        return repr(str(value))


class _Formatter(string.Formatter):
    def __init__(self, lang: str, style: Style) -> None:
        super().__init__()
        self.lang = lang
        self.style = style

    def format_field(self, value: Any, format_spec: str) -> str:
        kind, _, arg = format_spec.partition(":")
        s = self.style
        if kind in ("num", "g", "dec", "date", "plural", "repr"):
            return getattr(s, kind)(value, arg)
        if kind in ("time", "minute", "clock"):
            return s.time(value, kind)
        if kind == "ip":
            return s.ip(value, arg)
        if kind == "ips":
            return s.items([s.ip(v, "") for v in _list(value)], arg)
        if kind == "list":
            return s.items([str(v) for v in _list(value)], arg)
        if kind == "join":
            return (arg or ", ").join(str(v) for v in _list(value))
        if kind == "word":
            code = f"{arg}.{value}"
            return render(Msg(code), self.lang, s) if code in CATALOGUES[self.lang] else str(value)
        if kind == "msg":
            return _text(value, self.lang, s)
        if kind == "msgs":
            return (arg or "; ").join(_text(v, self.lang, s) for v in _list(value))
        return super().format_field(value, format_spec)


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _text(value: Any, lang: str, style: Style) -> str:
    if value is None:
        return ""
    if isinstance(value, Msg | Mapping):
        return render(value, lang, style)
    return str(value)


def render(message: Msg | Mapping[str, Any], lang: str = "en", style: Style | None = None) -> str:
    """The text of a message in ``lang``.  Raises KeyError/ValueError/TypeError when the
    code is unknown or its parameters do not fit the template (callers with untrusted input
    fall back to the stored English)."""
    if isinstance(message, Msg):
        code, params = message.code, message.params
    else:
        code, params = message.get("code"), message.get("params") or {}
        if not isinstance(code, str) or not isinstance(params, Mapping):
            raise ValueError("not a message")
    template = CATALOGUES[lang][code]
    return _Formatter(lang, style or Style(lang)).vformat(template, (), dict(params))


def codes(template: str) -> list[tuple[str, str]]:
    """The ``(name, kind)`` of each placeholder of a template (for the catalogue tests)."""
    out = []
    for _, name, spec, _ in string.Formatter().parse(template):
        if name is not None:
            out.append((name, (spec or "").partition(":")[0]))
    return out


EN: dict[str, str] = {
    "_list.more": "{head} and {n} more",
    "_seq": "{items:msgs: }",
    # anonymisers
    "anon.title": "Traffic through {label:msg}",
    "anon.title.account": "Use of {account} through {label:msg}",
    "anon.reason": "{events:num} events came from {ips:ips}, which the case's ip_context file labels {kind:msg}{notes:msg}.",
    "anon.reason.account": "{events:num} events as {account} came from {ips:ips}, which the case's ip_context file "
    "labels {kind:msg}{notes:msg}.",
    "anon.notes": " ({notes:join:; })",
    "anon.words.tor": "Tor exit nodes",
    "anon.words.vpn": "VPN endpoints",
    "anon.words.proxy": "proxies",
    "anon.words.hosting": "hosting networks",
    "anon.kind.tor": "tor",
    "anon.kind.vpn": "vpn",
    "anon.kind.proxy": "proxy",
    "anon.kind.hosting": "hosting",
    # brute force
    "brute.title": "Brute force against {account}",
    "brute.reason": "{events:num} failed logins on {account} from {ips:ips} between {first:time} and {last:clock}. "
    "Rule: at least {min_failures} failures on one account within {minutes:g} minutes, not from an address that had "
    "logged in to it before.",
    "brute.web.title": "Burst of failed logins from {ip:ip} (web logs)",
    "brute.web.reason": "{events:num} login requests from {ip:ip} were refused (HTTP 401/403) within {minutes:g} "
    "minutes; no audit trail names the accounts tried. Rule: at least {min_failures} refused login requests from "
    "one address within the window.",
    # coverage
    "coverage.title": "No events from {source} for {missing} hour(s) from {start:minute}",
    "coverage.reason": "{source} has events in {present} of the {total} hours between its first and last event, but "
    "none between {start:minute} and {end:minute}. Activity in that window cannot be seen in this source (rotation, "
    "retention, outage or removal).",
    # large database reads
    "db_reads.title": "{reads:num} large database reads tied to requests of {account}",
    "db_reads.title.unattributed": "{reads:num} large database reads tied to unattributed requests",
    "db_reads.reason": "{reads:num} large reads on patient tables on {hosts:list} ({rows:num} rows returned where "
    "logged) ran during web requests of {account}; tied by {how:msgs:, }.",
    "db_reads.reason.unattributed": "{reads:num} large reads on patient tables on {hosts:list} ({rows:num} rows "
    "returned where logged) ran during web requests from {ips:ips}; tied by {how:msgs:, }.",
    "db_reads.untied.title": "{reads:num} large database reads on {host} not tied to any web request",
    "db_reads.untied.reason": "{reads:num} large reads on patient tables on {host} ({rows:num} rows returned where "
    "logged) ran while no matching web request was being served (reports, batch jobs, or web logs missing). The "
    "shared database account cannot name the person.",
    "dblink.same_date_range": "shape: same date range",
    "dblink.same_offset": "shape: same offset and limit",
    "dblink.same_record": "shape: same record id",
    "dblink.connection": "connection: same database connection during the request",
    "dblink.time": "time: large read during a long request",
    # persistence
    "persistence.title": "{actor:msg} {parts:msgs:, }",
    "persistence.reason": "The audit trail records that {actor:msg} {parts:msgs:; } between {first:time} and "
    "{last:time}{source:msg}{end:msg}",
    "persistence.unknown_actor": "Unknown actor",
    "persistence.unknown_actor.lower": "an unknown actor",
    "persistence.created": "created {n} account(s): {accounts:list}",
    "persistence.permissions": "changed permissions {n:num} time(s)",
    "persistence.passwords": "changed passwords {n:num} time(s)",
    "persistence.from": " from {ips:ips}",
    "persistence.end.flagged": ", from a source unusual for this account (anonymiser, or an address that had never "
    "logged in to it).",
    "persistence.end": ".",
    "persistence.by_attacker": "{account} was compromised at that time: this is persistence by the attacker.",
    # reconnaissance
    "recon.title": "Administrative reconnaissance from {ips:ips:3}",
    "recon.title.account": "Administrative reconnaissance as {account} from {ips:ips:3}",
    "recon.reason": "{requests:num} requests to {views} account, permission and audit views ({names:list:6}) in "
    "{sessions} session(s), {context:msgs: and }. Rule: at least {min_views} distinct such views in one session, in "
    "an unusual context.",
    "recon.ctx.anonymiser": "from an anonymiser/hosting network",
    "recon.ctx.new_ip": "from an address that had not logged in to {account} before",
    "recon.ctx.outside": "from outside the internal networks",
    # scripted clients
    "scripted.title": "Scripted client from {ips:ips:3}",
    "scripted.title.account": "Scripted client as {account} from {ips:ips:3}",
    "scripted.reason": "{requests:num} request(s) in {sessions} session(s) from {ips:ips}: {why:msgs:; }.",
    "scripted.why.ua": "its user agent {ua:repr} is an HTTP library or tool",
    "scripted.why.cadence": "a request every {gap:dec:1} s with a coefficient of variation of {cv:dec:2} (at most "
    "{max_cv:g} over at least {min_requests} requests)",
    "scripted.why.no_screen": "its application login recorded no screen size",
    "scripted.why.logins": "{attempts:num} of its {requests:num} requests are login attempts ({failed:num} failed): "
    "the script tries credentials",
    "scripted.why.reads": "{reads:num} of its {requests:num} requests read data (records, exports, API, pages): the "
    "script collects data",
    # password spraying, credential stuffing
    "spray.title": "Password spraying from {n_ips} address(es) against {accounts:num} accounts",
    "spray.reason": "{events:num} failed logins from {ips:ips} against {accounts:num} distinct accounts "
    "({unknown:num} of them do not exist), at most {max_tries} per account: few passwords tried on many accounts, "
    "which stays under a per-account lockout. Rule: a source fails on at least {min_accounts} accounts with at most "
    "{max_per_account:g} attempts per account.",
    "stuffing.title": "Credential stuffing from {n_ips:num} addresses against {accounts:num} accounts",
    "stuffing.reason": "{events:num} failed logins on {accounts:num} accounts ({unknown:num} do not exist) from "
    "{n_ips:num} external addresses that each tried at most {max_per_ip} times and never logged in before: a pool of "
    "addresses replaying user/password pairs. Rule: at least {min_attempts} such attempts from {min_ips} addresses "
    "on {min_accounts} accounts within {minutes:g} minutes.",
    # successful logins after a credential attack
    "campaign.spray": "password spray",
    "campaign.brute_force": "brute force",
    "campaign.stuffing": "credential stuffing",
    "saf.campaign.title": "Successful login to {account} from the {kind:msg} ({ip:ip})",
    "saf.campaign.reason": "{account} logged in successfully at {time:time} from {ips:join:, }, {relation:msg} the "
    "{kind:msg} campaign{campaign:msg} ({failures:num} failures, {targets:num} accounts targeted, {before:num} on "
    "{account} before the success); the address had not logged in to {account} before the campaign. The password "
    "was most likely obtained by the {kind:msg}.",
    "saf.relation.address": "an address of",
    "saf.relation.during": "during",
    "saf.campaign_id": " {id}",
    "saf.title": "Login to {account} after {failures} failures from a new address",
    "saf.reason": "{failures} failed logins on {account} from {ip:ip}, then a success at {time:time} from the same "
    "address, which had never logged in to {account} before. Rule: at least 3 failures then a success within "
    "{minutes:g} minutes from an address new for the account.",
    # unusual access
    "unusual.title": "{account} logged in from a new {what:msgs:, }{count:msg}",
    "unusual.count": " ({n} such logins)",
    "unusual.new.address": "address {ip:ip}",
    "unusual.new.network": "network {network}",
    "unusual.new.ua": "user agent",
    "unusual.new.hour": "hour {hour:02d}h ({zone})",
    "unusual.login": "{time:time}: new {what:msgs:, }{label:msg}",
    "unusual.labelled": " (labelled {label:word:ipctx})",
    "ipctx.internal": "internal",
    "ipctx.isp": "isp",
    "ipctx.hosting": "hosting",
    "ipctx.tor": "tor",
    "ipctx.vpn": "vpn",
    "ipctx.proxy": "proxy",
    "unusual.more": "; and {n} more",
    "unusual.reason": "Compared with the earlier logins of {account} in the evidence: {logins:msgs:; }{more:msg}. "
    "Novelty alone is weak evidence (weight {weight:g} per new dimension, at most 0.35).",
    # forged X-Forwarded-For
    "xff.title": "Forged X-Forwarded-For {claim:ip}{internal:msg}{actor:msg} from {clients:ips:3}",
    "xff.internal": " (internal)",
    "xff.as": " as {account}",
    "xff.reason": "{events:num} events carry X-Forwarded-For {claim:ip} first while the trusted proxy saw "
    "{clients:ips}{stored:msg}{verdict:msg}",
    "xff.stored": "; {rows:num} application rows stored the forged {claim:ip}",
    "xff.strong": "; the claimed address is an internal workstation and the real client is outside: the client "
    "impersonated it (the application's stored address is not the attacker's).",
    "xff.weak": "; the first value was written by the client (or a proxy it used) and is not trusted.",
    # bulk collection
    "bulk.export.title": "Bulk export by {actor:ip}{chunks:msg}",
    "bulk.export.chunks": " in chunks",
    "bulk.export.reason": "{notes:msgs:; }. Rule: at least {min_requests} exports, {min_bytes:num} bytes or "
    "{min_days} days of data in one episode, not the actor's usual job.",
    "bulk.export.count": "{exports:num} successful exports, {bytes:num} bytes",
    "bulk.export.span": "date ranges covering {days:num} days",
    "bulk.export.all": "for all practitioners",
    "bulk.export.chain": "{chunks} of them in consecutive date ranges from {start:date} to {end:date} (chunking)",
    "bulk.export.failed": "after an export that failed with HTTP {status} at {time:time}{covers:msg}",
    "bulk.export.covers": " for {start:date} to {end:date}, a range that covers the chunks",
    "bulk.pages.title": "API pagination through the records by {actor:ip}",
    "bulk.pages.reason": "{pages:num} API list pages{offsets:msg}{per_page:msg}{every:msg}. Rule: at least "
    "{min_pages} list pages in one episode.",
    "bulk.pages.offsets": ", offsets {first:num} to {last:num}",
    "bulk.pages.per_page": ", {n:num} records per page",
    "bulk.pages.every": ", one every {seconds:dec:1} s",
    "bulk.details.title": "Record-by-record API enumeration by {actor:ip}",
    "bulk.details.reason": "{requests:num} API requests fetched {records:num} distinct records one by one. Rule: at "
    "least {min_records} distinct records in one episode.",
    "bulk.exfil.reason": "{reason:msg} Transfer: {notes:msgs:; }.",
    "bulk.exfil.channel": "{bytes:num} bytes of responses went to {ips:ips:3}, outside the internal networks, over "
    "the web sessions that asked for them (exfiltration over the same channel)",
    "bulk.exfil.automated": "{requests:num} of these requests came from a client found automated (automated "
    "exfiltration)",
    "bulk.exfil.pieces": "the records left in pages of a fixed size ({limit:num} per page)",
    "bulk.volume.title": "{account} accessed {records:num} records in one day, far above its baseline",
    "bulk.volume.reason": "{account} touched {records:num} records on {day:date} ({zone}){baseline:msg}{population:msg}"
    ". Rule: at least {min_records} records, {factor:g}x the account's median day and {population_factor:g}x the "
    "population's 95th percentile.",
    "bulk.volume.baseline": ", {ratio:dec:0} times its median day ({median:num})",
    "bulk.volume.no_baseline": ", with no other day to compare",
    "bulk.volume.population": " and {ratio:dec:0} times the 95th percentile of all account-days ({p95:num})",
    # accounts
    "attacker_ip.title": "{account} used from attacker address(es) {ips:ips:3}",
    "attacker_ip.reason": "{events:num} successful events of {account} came from {ips:ips}, addresses attributed to "
    "the attacker by other findings (campaign sources or addresses of a compromised account).",
    "backdoor.title": "Backdoor account {created} created by the compromised account {creator}",
    "backdoor.reason": "{created} was created by {creator} at {time:time}, after {creator} was compromised "
    "({since:time}): it is under the attacker's control until disabled.",
    "account.reason": "{signal:msg} (+{weight:g}): {title:msg} [{finding}]",
    "signal.credential_attack_success": "credentials obtained by a credential attack",
    "signal.backdoor_account": "created by the attacker",
    "signal.attacker_ip": "used from an attacker address",
    "signal.anonymiser_tor": "used through Tor",
    "signal.spoofed_identity": "forged internal address",
    "signal.anonymiser_proxy": "used through a VPN, proxy or hosting network",
    "signal.bulk_collection": "bulk collection",
    "signal.persistence": "persistence",
    "signal.success_after_failures": "login after failures",
    "signal.reconnaissance": "reconnaissance",
    "signal.scripted_client": "scripted client",
    "signal.large_db_reads": "large database reads",
    "signal.new_source": "new source",
    "signal.xff_mismatch": "X-Forwarded-For mismatch",
    # exfiltration estimate
    "exfil.method": "{components:msgs:; }{whole:msg}",
    "exfil.whole_table": "; the listing enumerated the whole table, so every record exposed is within it",
    "exfil.component": "{method:msg}: {description:msg}",
    "exfil.name.api_pagination": "api_pagination",
    "exfil.name.api_records": "api_records",
    "exfil.name.csv_export": "csv_export",
    "exfil.name.record_views": "record_views",
    "exfil.name.audit_trail_reads": "audit_trail_reads",
    "exfil.pages": "{pages:num} API list pages of {limit} records cover offsets {first:num} to {end:num} "
    "({covered:num} positions); the last page (offset {last_offset:num}) is {last_bytes:num} bytes against "
    "{page_bytes:num} for a full page, about {last_records:num} records{end_note:msg}{empty_note:msg}",
    "exfil.pages.end": ", so the listing reached the end of the table",
    "exfil.pages.not_end": ", so it may not be the end of the table",
    "exfil.pages.empty": "; empty pages past the end were left out",
    "exfil.pages.counted": "{pages:num} API list pages, each with the number of records the application said it "
    "returned: {records:num} distinct positions",
    "exfil.cursor": "{pages:num} distinct API list pages reached by cursor ({requests:num} requests); {how:msg}: "
    "{records:num} records ({low:num} to {high:num})",
    "exfil.cursor.counted": "the application stated each page's records",
    "exfil.cursor.sized": "every page but the last holds {limit:num} records, the last about {last_records:num} "
    "(from its bytes)",
    "exfil.cursor.bytes": "no page size: {low:dec:0} to {high:dec:0} bytes per record assumed",
    "exfil.name.api_cursor_pages": "api_cursor_pages",
    "exfil.fetched": "{requests:num} requests fetched {records:num} distinct records, each named in the URL",
    "exfil.displayed": "{requests:num} requests displayed {records:num} distinct records, each named in the URL",
    "exfil.exports": "{exports:num} successful exports: {tied:num} with the rows returned by their tied database "
    "reads, {untied:num} estimated from their bytes ({how:msg}); {rows:num} rows in total ({low:num} to {high:num}); "
    "patients in several date ranges appear once per range",
    "exfil.exports.measured": "bytes per row measured on {n} tied exports ({low:dec:0} to {high:dec:0})",
    "exfil.exports.assumed": "no export tied to a database read: {low:dec:0} to {high:dec:0} bytes per row assumed",
    "exfil.audit": "the record-access audit trail lists {records:num} distinct records read by {account} (times "
    "rounded)",
    # link reasons (forensics.correlate.links / dblinks / pipeline): the stored English, parsed back by the report
    "link.match": "{action:msg} of {account} at {at} matches {method} {path} -> {status} at {web_at} ({dt} s) from "
    "{ip}{forwarded:msg}{params:msg}{client:msg}{rid:msg}{sid:msg}{url:msg}{ua:msg}",
    "link.match.forwarded": "; the application stored {stored}, the first X-Forwarded-For value, which the client "
    "controls",
    "link.match.params": "; same request parameters",
    "link.match.client": "; the address the application stored",
    "link.match.rid": "; same request id",
    "link.match.sid": "; same session id",
    "link.match.url": "; same URL",
    "link.match.url_method": "; same URL and method",
    "link.same_ua": "; same user agent",
    "link.no_ua": "; no user agent to compare",
    "link.overlap": "application session of {account} ({first} to {last}) stored {ip}{how:msg}{ua:msg}; times overlap",
    "link.overlap.client": ", the web client's address",
    "link.overlap.forwarded": ", the forged X-Forwarded-For claim of client {client}",
    "link.continuation": "continues web session {previous} of {account}: same user agent, starts {gap} s after it "
    "stopped, from {ip} instead of {previous_ip}, while application session {app_session} is open",
    "link.orphan": "application event names the user: {reason:msg}",
    "link.db": "query on {host} at {at} ran during {activity:msg} request {path} ({start} to {end}Z); {how:msg}",
    "link.db_ties": "{n} web-database ties ({how:msgs:, })",
    "link.more": "and {n} more links",
    "link.action.login": "login",
    "link.action.login_failed": "login_failed",
    "link.action.logout": "logout",
    "link.action.session_end": "session_end",
    "link.action.account_created": "account_created",
    "link.action.permission_changed": "permission_changed",
    "link.action.password_changed": "password_changed",
    "link.action.record_create": "record_create",
    "link.action.record_update": "record_update",
    "link.action.record_delete": "record_delete",
    "link.action.privilege_use": "privilege_use",
    "link.action.export": "export",
    "link.action.api_call": "api_call",
    "link.activity.static": "static",
    "link.activity.status": "status",
    "link.activity.logout": "logout",
    "link.activity.login": "login",
    "link.activity.api_detail": "api_detail",
    "link.activity.export": "export",
    "link.activity.api_list": "api_list",
    "link.activity.api_other": "api_other",
    "link.activity.export_form": "export_form",
    "link.activity.admin_permissions": "admin_permissions",
    "link.activity.admin_audit": "admin_audit",
    "link.activity.admin_accounts": "admin_accounts",
    "link.activity.admin_system": "admin_system",
    "link.activity.admin_other": "admin_other",
    "link.activity.patient_search": "patient_search",
    "link.activity.patient_view": "patient_view",
    "link.activity.login_failed": "login_failed",
    "link.activity.form_post": "form_post",
    "link.activity.page": "page",
}

FR: dict[str, str] = {
    "_list.more": "{head} et {n:num} autres",
    "_seq": "{items:msgs: }",
    # anonymisers
    "anon.title": "Trafic passé par {label:msg}",
    "anon.title.account": "Utilisation de {account} par {label:msg}",
    "anon.reason": "{events:num} événements provenaient de {ips:ips}, que le fichier ip_context de l'affaire classe "
    "en {kind:msg}{notes:msg}.",
    "anon.reason.account": "{events:num} événements au nom de {account} provenaient de {ips:ips}, que le fichier "
    "ip_context de l'affaire classe en {kind:msg}{notes:msg}.",
    "anon.notes": " ({notes:join: ; })",
    "anon.words.tor": "des nœuds de sortie Tor",
    "anon.words.vpn": "des points d'accès VPN",
    "anon.words.proxy": "des proxys",
    "anon.words.hosting": "des réseaux d'hébergement",
    "anon.kind.tor": "Tor",
    "anon.kind.vpn": "VPN",
    "anon.kind.proxy": "proxy",
    "anon.kind.hosting": "hébergement",
    # brute force
    "brute.title": "Force brute contre {account}",
    "brute.reason": "{events:num} échecs de connexion sur {account} depuis {ips:ips} entre {first:time} et "
    "{last:clock}. Règle : au moins {min_failures:num} échecs sur un même compte en {minutes:g} minutes, depuis une "
    "adresse qui ne s'y était jamais connectée.",
    "brute.web.title": "Rafale d'échecs de connexion depuis {ip:ip} (journaux web)",
    "brute.web.reason": "{events:num} demandes de connexion depuis {ip:ip} ont été refusées (HTTP 401/403) en "
    "{minutes:g} minutes ; aucun journal d'audit ne nomme les comptes essayés. Règle : au moins {min_failures:num} "
    "demandes de connexion refusées depuis une même adresse dans la fenêtre.",
    # coverage
    "coverage.title": "Aucun événement de {source} pendant {missing:num} {missing:plural:heure|heures} à partir de "
    "{start:minute}",
    "coverage.reason": "{source} a des événements dans {present:num} des {total:num} heures entre son premier et son "
    "dernier événement, mais aucun entre {start:minute} et {end:minute}. L'activité de cette période n'est pas visible "
    "dans cette source (rotation, durée de conservation, panne ou suppression).",
    # large database reads
    "db_reads.title": "{reads:num} {reads:plural:lecture massive|lectures massives} de la base liées aux requêtes de "
    "{account}",
    "db_reads.title.unattributed": "{reads:num} {reads:plural:lecture massive|lectures massives} de la base liées à "
    "des requêtes non attribuées",
    "db_reads.reason": "{reads:num} {reads:plural:lecture massive|lectures massives} de tables de patients sur "
    "{hosts:list} ({rows:num} lignes renvoyées, là où c'est journalisé) ont eu lieu pendant des requêtes web de "
    "{account} ; rapprochement par {how:msgs:, }.",
    "db_reads.reason.unattributed": "{reads:num} {reads:plural:lecture massive|lectures massives} de tables de "
    "patients sur {hosts:list} ({rows:num} lignes renvoyées, là où c'est journalisé) ont eu lieu pendant des requêtes "
    "web venant de {ips:ips} ; rapprochement par {how:msgs:, }.",
    "db_reads.untied.title": "{reads:num} {reads:plural:lecture massive|lectures massives} de la base sur {host} sans "
    "requête web correspondante",
    "db_reads.untied.reason": "{reads:num} {reads:plural:lecture massive|lectures massives} de tables de patients sur "
    "{host} ({rows:num} lignes renvoyées, là où c'est journalisé) ont eu lieu sans requête web correspondante en cours "
    "(éditions, traitements par lots, ou journaux web manquants). Le compte partagé de la base ne permet pas de nommer "
    "la personne.",
    "dblink.same_date_range": "forme : même plage de dates",
    "dblink.same_offset": "forme : même position et même taille de page",
    "dblink.same_record": "forme : même identifiant d'enregistrement",
    "dblink.connection": "connexion : même connexion à la base pendant la requête",
    "dblink.time": "heure : lecture massive pendant une requête longue",
    # persistence
    "persistence.title": "{actor:msg} a {parts:msgs:, }",
    "persistence.reason": "Le journal d'audit enregistre que {actor:msg} a {parts:msgs: ; } entre {first:time} et "
    "{last:time}{source:msg}{end:msg}",
    "persistence.unknown_actor": "Auteur inconnu",
    "persistence.unknown_actor.lower": "un auteur inconnu",
    "persistence.created": "créé {n:num} {n:plural:compte|comptes} : {accounts:list}",
    "persistence.permissions": "modifié des droits {n:num} fois",
    "persistence.passwords": "changé de mot de passe {n:num} fois",
    "persistence.from": " depuis {ips:ips}",
    "persistence.end.flagged": ", depuis une source inhabituelle pour ce compte (anonymiseur, ou adresse qui ne s'y "
    "était jamais connectée).",
    "persistence.end": ".",
    "persistence.by_attacker": "{account} était alors compromis : il s'agit d'une persistance installée par "
    "l'attaquant.",
    # reconnaissance
    "recon.title": "Reconnaissance administrative depuis {ips:ips:3}",
    "recon.title.account": "Reconnaissance administrative sous {account} depuis {ips:ips:3}",
    "recon.reason": "{requests:num} requêtes vers {views:num} vues de comptes, de droits et d'audit ({names:list:6}) "
    "en {sessions:num} {sessions:plural:session|sessions}, {context:msgs: et }. Règle : au moins {min_views:num} vues "
    "distinctes de ce type dans une session, dans un contexte inhabituel.",
    "recon.ctx.anonymiser": "depuis un anonymiseur ou un réseau d'hébergement",
    "recon.ctx.new_ip": "depuis une adresse qui ne s'était jamais connectée à {account}",
    "recon.ctx.outside": "depuis l'extérieur des réseaux internes",
    # scripted clients
    "scripted.title": "Client automatisé depuis {ips:ips:3}",
    "scripted.title.account": "Client automatisé sous {account} depuis {ips:ips:3}",
    "scripted.reason": "{requests:num} {requests:plural:requête|requêtes} en {sessions:num} "
    "{sessions:plural:session|sessions} depuis {ips:ips} : {why:msgs: ; }.",
    "scripted.why.ua": "son agent utilisateur {ua:repr} est une bibliothèque ou un outil HTTP",
    "scripted.why.cadence": "une requête toutes les {gap:dec:1} s avec un coefficient de variation de {cv:dec:2} (au "
    "plus {max_cv:g} sur au moins {min_requests:num} requêtes)",
    "scripted.why.no_screen": "sa connexion à l'application n'a enregistré aucune taille d'écran",
    "scripted.why.logins": "{attempts:num} de ses {requests:num} requêtes sont des tentatives de connexion "
    "({failed:num} en échec) : le script essaie des identifiants",
    "scripted.why.reads": "{reads:num} de ses {requests:num} requêtes lisent des données (dossiers, exports, API, "
    "pages) : le script collecte des données",
    # password spraying, credential stuffing
    "spray.title": "Pulvérisation de mots de passe depuis {n_ips:num} {n_ips:plural:adresse|adresses} contre "
    "{accounts:num} comptes",
    "spray.reason": "{events:num} échecs de connexion depuis {ips:ips} contre {accounts:num} comptes distincts "
    "(dont {unknown:num} inexistants), au plus {max_tries:num} par compte : peu de mots de passe essayés sur de "
    "nombreux comptes, ce qui reste sous le seuil de verrouillage par compte. Règle : une source échoue sur au moins "
    "{min_accounts:num} comptes avec au plus {max_per_account:g} tentatives par compte.",
    "stuffing.title": "Bourrage d'identifiants depuis {n_ips:num} adresses contre {accounts:num} comptes",
    "stuffing.reason": "{events:num} échecs de connexion sur {accounts:num} comptes (dont {unknown:num} inexistants) "
    "depuis {n_ips:num} adresses externes qui ont chacune essayé au plus {max_per_ip:num} fois et ne s'étaient jamais "
    "connectées : un ensemble d'adresses qui rejoue des couples identifiant/mot de passe. Règle : au moins "
    "{min_attempts:num} tentatives de ce type depuis {min_ips:num} adresses sur {min_accounts:num} comptes en "
    "{minutes:g} minutes.",
    # successful logins after a credential attack
    "campaign.spray": "pulvérisation de mots de passe",
    "campaign.brute_force": "force brute",
    "campaign.stuffing": "bourrage d'identifiants",
    "saf.campaign.title": "Connexion réussie à {account} depuis l'attaque par {kind:msg} ({ip:ip})",
    "saf.campaign.reason": "{account} s'est connecté avec succès le {time:time} depuis {ips:ips:99}, {relation:msg} "
    "l'attaque par {kind:msg}{campaign:msg} ({failures:num} échecs, {targets:num} comptes visés, dont {before:num} "
    "sur {account} avant la réussite) ; cette adresse ne s'était jamais connectée à {account} avant l'attaque. Le mot "
    "de passe a très probablement été obtenu par cette attaque.",
    "saf.relation.address": "une adresse de",
    "saf.relation.during": "pendant",
    "saf.campaign_id": " {id}",
    "saf.title": "Connexion à {account} après {failures:num} échecs depuis une nouvelle adresse",
    "saf.reason": "{failures:num} échecs de connexion sur {account} depuis {ip:ip}, puis une réussite le {time:time} "
    "depuis la même adresse, qui ne s'était jamais connectée à {account}. Règle : au moins 3 échecs puis une réussite "
    "en {minutes:g} minutes depuis une adresse nouvelle pour le compte.",
    # unusual access
    "unusual.title": "Connexion de {account} avec nouveauté : {what:msgs:, }{count:msg}",
    "unusual.count": " ({n:num} connexions de ce type)",
    "unusual.new.address": "adresse {ip:ip}",
    "unusual.new.network": "réseau {network}",
    "unusual.new.ua": "agent utilisateur",
    "unusual.new.hour": "heure {hour:02d} h ({zone})",
    "unusual.login": "{time:time} : éléments nouveaux : {what:msgs:, }{label:msg}",
    "unusual.labelled": " (classée {label:word:ipctx})",
    "ipctx.internal": "réseau interne",
    "ipctx.isp": "fournisseur d'accès",
    "ipctx.hosting": "hébergement",
    "ipctx.tor": "Tor",
    "ipctx.vpn": "VPN",
    "ipctx.proxy": "proxy",
    "unusual.more": " ; et {n:num} autres",
    "unusual.reason": "Par rapport aux connexions antérieures de {account} dans les preuves : {logins:msgs: ; }"
    "{more:msg}. La nouveauté seule est un indice faible (poids {weight:g} par nouveauté, au plus 0,35).",
    # forged X-Forwarded-For
    "xff.title": "En-tête X-Forwarded-For falsifié {claim:ip}{internal:msg}{actor:msg} depuis {clients:ips:3}",
    "xff.internal": " (adresse interne)",
    "xff.as": " sous {account}",
    "xff.reason": "{events:num} événements portent en premier l'en-tête X-Forwarded-For {claim:ip} alors que le proxy "
    "de confiance a vu {clients:ips}{stored:msg}{verdict:msg}",
    "xff.stored": " ; {rows:num} lignes de l'application ont enregistré l'adresse falsifiée {claim:ip}",
    "xff.strong": " ; l'adresse revendiquée est un poste interne et le vrai client est à l'extérieur : le client s'est "
    "fait passer pour ce poste (l'adresse enregistrée par l'application n'est pas celle de l'attaquant).",
    "xff.weak": " ; la première valeur a été écrite par le client (ou par un proxy qu'il utilisait) et n'est pas "
    "fiable.",
    # bulk collection
    "bulk.export.title": "Export massif par {actor:ip}{chunks:msg}",
    "bulk.export.chunks": " en tranches",
    "bulk.export.reason": "{notes:msgs: ; }. Règle : au moins {min_requests:num} exports, {min_bytes:num} octets ou "
    "{min_days:num} jours de données dans un même épisode, hors du travail habituel de l'auteur.",
    "bulk.export.count": "{exports:num} exports réussis, {bytes:num} octets",
    "bulk.export.span": "plages de dates couvrant {days:num} jours",
    "bulk.export.all": "pour tous les praticiens",
    "bulk.export.chain": "dont {chunks:num} en plages de dates consécutives du {start:date} au {end:date} (découpage)",
    "bulk.export.failed": "après un export échoué avec le code HTTP {status} le {time:time}{covers:msg}",
    "bulk.export.covers": " pour la période du {start:date} au {end:date}, qui couvre les tranches",
    "bulk.pages.title": "Parcours des enregistrements page par page dans l'API par {actor:ip}",
    "bulk.pages.reason": "{pages:num} pages de liste de l'API{offsets:msg}{per_page:msg}{every:msg}. Règle : au moins "
    "{min_pages:num} pages de liste dans un même épisode.",
    "bulk.pages.offsets": ", positions {first:num} à {last:num}",
    "bulk.pages.per_page": ", {n:num} enregistrements par page",
    "bulk.pages.every": ", une toutes les {seconds:dec:1} s",
    "bulk.details.title": "Énumération des enregistrements un par un dans l'API par {actor:ip}",
    "bulk.details.reason": "{requests:num} requêtes à l'API ont récupéré {records:num} enregistrements distincts un "
    "par un. Règle : au moins {min_records:num} enregistrements distincts dans un même épisode.",
    "bulk.exfil.reason": "{reason:msg} Transfert : {notes:msgs: ; }.",
    "bulk.exfil.channel": "{bytes:num} octets de réponses sont partis vers {ips:ips:3}, hors des réseaux internes, "
    "par les sessions web qui les avaient demandés (exfiltration par le même canal)",
    "bulk.exfil.automated": "{requests:num} de ces requêtes venaient d'un client reconnu comme automatisé "
    "(exfiltration automatisée)",
    "bulk.exfil.pieces": "les enregistrements sont sortis par pages de taille fixe ({limit:num} par page)",
    "bulk.volume.title": "{account} a consulté {records:num} enregistrements en une journée, bien au-delà de son "
    "habitude",
    "bulk.volume.reason": "{account} a consulté {records:num} enregistrements le {day:date} ({zone}){baseline:msg}"
    "{population:msg}. Règle : au moins {min_records:num} enregistrements, {factor:g} fois la journée médiane du "
    "compte et {population_factor:g} fois le 95e centile de l'ensemble.",
    "bulk.volume.baseline": ", {ratio:dec:0} fois sa journée médiane ({median:num})",
    "bulk.volume.no_baseline": ", sans autre journée de comparaison",
    "bulk.volume.population": " et {ratio:dec:0} fois le 95e centile de toutes les journées de tous les comptes "
    "({p95:num})",
    # accounts
    "attacker_ip.title": "{account} utilisé depuis {ips:ips:3}, {ips:plural:adresse|adresses} de l'attaquant",
    "attacker_ip.reason": "{events:num} événements réussis de {account} provenaient de {ips:ips}, adresses attribuées "
    "à l'attaquant par d'autres constats (sources d'une attaque ou adresses d'un compte compromis).",
    "backdoor.title": "Compte dérobé {created} créé par le compte compromis {creator}",
    "backdoor.reason": "{created} a été créé par {creator} le {time:time}, après la compromission de {creator} "
    "({since:time}) : il reste sous le contrôle de l'attaquant tant qu'il n'est pas désactivé.",
    "account.reason": "{signal:msg} (+{weight:g}) : {title:msg} [{finding}]",
    "signal.credential_attack_success": "identifiants obtenus par une attaque sur les mots de passe",
    "signal.backdoor_account": "créé par l'attaquant",
    "signal.attacker_ip": "utilisé depuis une adresse de l'attaquant",
    "signal.anonymiser_tor": "utilisé par Tor",
    "signal.spoofed_identity": "adresse interne falsifiée",
    "signal.anonymiser_proxy": "utilisé par un VPN, un proxy ou un réseau d'hébergement",
    "signal.bulk_collection": "collecte massive",
    "signal.persistence": "persistance",
    "signal.success_after_failures": "connexion après des échecs",
    "signal.reconnaissance": "reconnaissance",
    "signal.scripted_client": "client automatisé",
    "signal.large_db_reads": "lectures massives de la base",
    "signal.new_source": "nouvelle source",
    "signal.xff_mismatch": "incohérence de l'en-tête X-Forwarded-For",
    # exfiltration estimate
    "exfil.method": "{components:msgs: ; }{whole:msg}",
    "exfil.whole_table": " ; le parcours a énuméré toute la table : tout enregistrement exposé en fait partie",
    "exfil.component": "{method:msg} : {description:msg}",
    "exfil.name.api_pagination": "pages de liste de l'API",
    "exfil.name.api_records": "enregistrements de l'API",
    "exfil.name.csv_export": "exports CSV",
    "exfil.name.record_views": "dossiers affichés",
    "exfil.name.audit_trail_reads": "journal d'accès aux dossiers",
    "exfil.pages": "{pages:num} pages de liste de l'API de {limit:num} enregistrements couvrent les positions "
    "{first:num} à {end:num} ({covered:num} positions) ; la dernière page (position {last_offset:num}) fait "
    "{last_bytes:num} octets contre {page_bytes:num} pour une page pleine, soit environ {last_records:num} "
    "enregistrements{end_note:msg}{empty_note:msg}",
    "exfil.pages.end": " : le parcours a donc atteint la fin de la table",
    "exfil.pages.not_end": " : ce n'est donc peut-être pas la fin de la table",
    "exfil.pages.empty": " ; les pages vides au-delà de la fin ne sont pas comptées",
    "exfil.pages.counted": "{pages:num} pages de liste de l'API, chacune avec le nombre d'enregistrements que "
    "l'application dit avoir renvoyés : {records:num} positions distinctes",
    "exfil.cursor": "{pages:num} pages de liste de l'API distinctes atteintes par curseur ({requests:num} "
    "requêtes) ; {how:msg} : {records:num} enregistrements ({low:num} à {high:num})",
    "exfil.cursor.counted": "l'application a indiqué le nombre d'enregistrements de chaque page",
    "exfil.cursor.sized": "chaque page sauf la dernière contient {limit:num} enregistrements, la dernière environ "
    "{last_records:num} (d'après sa taille)",
    "exfil.cursor.bytes": "taille de page inconnue : {low:dec:0} à {high:dec:0} octets par enregistrement supposés",
    "exfil.name.api_cursor_pages": "pages de l'API par curseur",
    "exfil.fetched": "{requests:num} requêtes ont récupéré {records:num} enregistrements distincts, chacun nommé dans "
    "l'URL",
    "exfil.displayed": "{requests:num} requêtes ont affiché {records:num} dossiers distincts, chacun nommé dans l'URL",
    "exfil.exports": "{exports:num} {exports:plural:export réussi|exports réussis} : {tied:num} avec les lignes renvoyées par les lectures de la base "
    "qui leur sont liées, {untied:num} estimés d'après leur taille ({how:msg}) ; {rows:num} lignes au total "
    "({low:num} à {high:num}) ; un patient présent dans plusieurs plages de dates apparaît une fois par plage",
    "exfil.exports.measured": "octets par ligne mesurés sur {n:num} exports liés ({low:dec:0} à {high:dec:0})",
    "exfil.exports.assumed": "aucun export lié à une lecture de la base : {low:dec:0} à {high:dec:0} octets par "
    "ligne supposés",
    "exfil.audit": "le journal d'accès aux dossiers liste {records:num} dossiers distincts lus par {account} (heures "
    "arrondies)",
    # raisons des liens
    "link.match": "{action:msg} du compte {account} à {at:time} correspond à {method} {path} -> {status} à {web_at:time} "
    "({dt} s) depuis {ip}{forwarded:msg}{params:msg}{client:msg}{rid:msg}{sid:msg}{url:msg}{ua:msg}",
    "link.match.forwarded": " ; l'application a enregistré {stored}, la première valeur X-Forwarded-For, que le "
    "client contrôle",
    "link.match.params": " ; mêmes paramètres de requête",
    "link.match.client": " ; l'adresse que l'application a enregistrée",
    "link.match.rid": " ; même identifiant de requête",
    "link.match.sid": " ; même identifiant de session",
    "link.match.url": " ; même URL",
    "link.match.url_method": " ; même URL et même méthode",
    "link.same_ua": " ; même agent utilisateur",
    "link.no_ua": " ; aucun agent utilisateur à comparer",
    "link.overlap": "la session applicative du compte {account} ({first:time} à {last:time}) a enregistré {ip}{how:msg}"
    "{ua:msg} ; les périodes se chevauchent",
    "link.overlap.client": ", l'adresse du client web",
    "link.overlap.forwarded": ", la valeur X-Forwarded-For falsifiée envoyée par le client {client}",
    "link.continuation": "prolonge la session web {previous} du compte {account} : même agent utilisateur, commence {gap} s "
    "après son arrêt, depuis {ip} au lieu de {previous_ip}, pendant que la session applicative {app_session} est "
    "ouverte",
    "link.orphan": "un événement applicatif nomme l'utilisateur : {reason:msg}",
    "link.db": "requête sur {host} à {at:time} exécutée pendant la requête {activity:msg} {path} ({start} à {end} "
    "UTC) ; {how:msg}",
    "link.db_ties": "{n:num} liens entre requêtes web et base de données ({how:msgs:, })",
    "link.more": "et {n:num} autres liens",
    "link.action.login": "la connexion",
    "link.action.login_failed": "l'échec de connexion",
    "link.action.logout": "la déconnexion",
    "link.action.session_end": "la fin de session",
    "link.action.account_created": "la création de compte",
    "link.action.permission_changed": "le changement de droits",
    "link.action.password_changed": "le changement de mot de passe",
    "link.action.record_create": "la création d'enregistrement",
    "link.action.record_update": "la modification d'enregistrement",
    "link.action.record_delete": "la suppression d'enregistrement",
    "link.action.privilege_use": "l'usage de privilèges",
    "link.action.export": "l'export",
    "link.action.api_call": "l'appel d'API",
    "link.activity.static": "de fichier statique",
    "link.activity.status": "de supervision",
    "link.activity.logout": "de déconnexion",
    "link.activity.login": "de connexion",
    "link.activity.api_detail": "d'API (un enregistrement)",
    "link.activity.export": "d'export",
    "link.activity.api_list": "d'API (liste)",
    "link.activity.api_other": "d'API",
    "link.activity.export_form": "de formulaire d'export",
    "link.activity.admin_permissions": "d'administration des droits",
    "link.activity.admin_audit": "de consultation de l'audit",
    "link.activity.admin_accounts": "d'administration des comptes",
    "link.activity.admin_system": "d'administration du système",
    "link.activity.admin_other": "d'administration",
    "link.activity.patient_search": "de recherche de patient",
    "link.activity.patient_view": "d'affichage de dossier",
    "link.activity.login_failed": "de connexion refusée",
    "link.activity.form_post": "d'envoi de formulaire",
    "link.activity.page": "de page",
}

CATALOGUES: dict[str, dict[str, str]] = {"en": EN, "fr": FR}

#: ``how`` values of the database links (forensics.correlate.dblinks) and their codes.
DBLINK_HOW = {
    "shape: same date range": "dblink.same_date_range",
    "shape: same offset and limit": "dblink.same_offset",
    "shape: same record id": "dblink.same_record",
    "connection: same database connection during the request": "dblink.connection",
    "time: large read during a long request": "dblink.time",
}


def word(prefix: str, value: str | None) -> Msg | str:
    """``Msg(prefix.value)`` when the catalogue knows it, else the value as written."""
    code = f"{prefix}.{value}"
    return Msg(code) if code in EN else (value or "")


__all__ = ["CATALOGUES", "DBLINK_HOW", "EN", "FR", "LANGUAGES", "Msg", "Style", "as_time", "codes", "msg", "render"]
