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
            return render(Msg(code), self.lang, s) if code in catalogue(self.lang) else str(value)
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
    template = catalogue(lang)[code]
    return _Formatter(lang, style or Style(lang)).vformat(template, (), dict(params))


def codes(template: str) -> list[tuple[str, str]]:
    """The ``(name, kind)`` of each placeholder of a template (for the catalogue tests)."""
    out = []
    for _, name, spec, _ in string.Formatter().parse(template):
        if name is not None:
            out.append((name, (spec or "").partition(":")[0]))
    return out


_EN: dict[str, str] = {
    # grouped findings (forensics/correlate/grouping.py)
    "group.title": "{n:num} findings of one kind ({kind:msg}) about {accounts:num} account(s)",
    "group.title.unattributed": "{n:num} findings of one kind ({kind:msg})",
    "group.reason": "{n:num} low-signal findings of the same kind ({kind:msg}), grouped so that the findings that "
    "matter stand out; each one is listed with its own evidence under the members of this finding. Accounts: "
    "{names:list:12}. Strongest weight: {weight:g}.",
    "group.reason.unattributed": "{n:num} low-signal findings of the same kind ({kind:msg}), grouped so that the "
    "findings that matter stand out; each one is listed with its own evidence under the members of this finding.",
    "detector.unusual_access": "logins from a new address, network, user agent or hour",
    "detector.db_reads": "large database reads",
    "detector.scripted": "scripted clients",
    "detector.persistence": "account and permission changes",
    "detector.coverage": "gaps in log coverage",
    "detector.anonymisers": "traffic through anonymisers",
    "detector.xff_spoof": "X-Forwarded-For mismatches",
    "detector.recon": "administrative views",
    "detector.bulk": "bulk reads",
    "_list.more": "{head} and {n} more",
    "_seq": "{items:msgs: }",
    "dblink.same_date_range": "shape: same date range",
    "dblink.same_offset": "shape: same offset and limit",
    "dblink.same_record": "shape: same record id",
    "dblink.connection": "connection: same database connection during the request",
    "dblink.time": "time: large read during a long request",
    "ipctx.internal": "internal",
    "ipctx.isp": "isp",
    "ipctx.hosting": "hosting",
    "ipctx.tor": "tor",
    "ipctx.vpn": "vpn",
    "ipctx.proxy": "proxy",
    "baseline.peers.behaviour": "accounts that use the same functions",
    "baseline.peers.population": "every account: too few behave alike",
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
    "exfil.audit.unplaced": "the record-access audit trail lists {records:num} distinct records read by {account} "
    "from the attacker's addresses and {unplaced:num} stored without an address at those hours; those may be the "
    "owner's own reads, so they count in the high bound only (times rounded)",
    "exfil.exports.named": "{exports:num} successful exports whose database reads name the records they sent: "
    "{rows:num} rows, {records:num} distinct records (a record in several date ranges counted once)",
    "exfil.name.csv_export_records": "csv_export_records",
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

_FR: dict[str, str] = {
    # grouped findings (forensics/correlate/grouping.py)
    "group.title": "{n:num} constats de même nature ({kind:msg}) concernant {accounts:num} compte(s)",
    "group.title.unattributed": "{n:num} constats de même nature ({kind:msg})",
    "group.reason": "{n:num} constats de faible poids de même nature ({kind:msg}), regroupés pour que les constats "
    "importants ressortent ; chacun est listé avec ses propres preuves parmi les membres de ce constat. Comptes : "
    "{names:list:12}. Poids le plus fort : {weight:g}.",
    "group.reason.unattributed": "{n:num} constats de faible poids de même nature ({kind:msg}), regroupés pour que "
    "les constats importants ressortent ; chacun est listé avec ses propres preuves parmi les membres de ce constat.",
    "detector.unusual_access": "connexions depuis une adresse, un réseau, un agent utilisateur ou une heure nouveaux",
    "detector.db_reads": "lectures volumineuses en base de données",
    "detector.scripted": "clients automatisés",
    "detector.persistence": "modifications de comptes et de droits",
    "detector.coverage": "lacunes dans les journaux",
    "detector.anonymisers": "trafic par des anonymiseurs",
    "detector.xff_spoof": "incohérences X-Forwarded-For",
    "detector.recon": "consultations d'écrans d'administration",
    "detector.bulk": "lectures en masse",
    "_list.more": "{head} et {n:num} autres",
    "_seq": "{items:msgs: }",
    "dblink.same_date_range": "forme : même plage de dates",
    "dblink.same_offset": "forme : même position et même taille de page",
    "dblink.same_record": "forme : même identifiant d'enregistrement",
    "dblink.connection": "connexion : même connexion à la base pendant la requête",
    "dblink.time": "heure : lecture massive pendant une requête longue",
    "ipctx.internal": "réseau interne",
    "ipctx.isp": "fournisseur d'accès",
    "ipctx.hosting": "hébergement",
    "ipctx.tor": "Tor",
    "ipctx.vpn": "VPN",
    "ipctx.proxy": "proxy",
    "baseline.peers.behaviour": "comptes qui utilisent les mêmes fonctions",
    "baseline.peers.population": "tous les comptes : trop peu se comportent de même",
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
    "exfil.audit.unplaced": "le journal d'accès aux dossiers liste {records:num} dossiers distincts lus par "
    "{account} depuis les adresses de l'attaquant et {unplaced:num} enregistrés sans adresse à ces heures ; "
    "ceux-ci peuvent être des lectures du titulaire lui-même et ne comptent donc que dans la borne haute (heures "
    "arrondies)",
    "exfil.exports.named": "{exports:num} {exports:plural:export réussi|exports réussis} dont les lectures de la base "
    "nomment les enregistrements envoyés : {rows:num} lignes, {records:num} enregistrements distincts (un "
    "enregistrement présent dans plusieurs plages de dates compté une fois)",
    "exfil.name.csv_export_records": "exports CSV (enregistrements nommés)",
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

_CATALOGUES: dict[str, dict[str, str]] = {"en": _EN, "fr": _FR}
#: Which detector declared each code (codes of this module have none).
OWNERS: dict[str, str] = {}
_plugins_loaded = False


def register_messages(messages: Mapping[str, Mapping[str, str]], owner: str) -> None:
    """Add a detector's texts (``{"en": {...}, "fr": {...}}``) to the catalogues.

    Every code needs both languages, and a code belongs to one detector only.
    """
    en, fr = dict(messages.get("en", {})), dict(messages.get("fr", {}))
    if set(en) != set(fr):
        raise ValueError(f"{owner}: codes without both an English and a French text: {sorted(set(en) ^ set(fr))}")
    for code in en:
        known = OWNERS.get(code, "core" if code in _EN else None)
        if known is not None and known != owner:
            raise ValueError(f"{owner}: message code {code} already belongs to {known}")
        OWNERS[code] = owner
    _EN.update(en)
    _FR.update(fr)


def _load_plugins() -> None:
    """Import the detectors once, so that their texts are in the catalogues."""
    global _plugins_loaded
    if not _plugins_loaded:
        _plugins_loaded = True
        import forensics.correlate.detectors  # noqa: F401  (registers on import)


def catalogue(lang: str) -> dict[str, str]:
    """Every text of one language: this module's plus the detectors' own."""
    _load_plugins()
    return _CATALOGUES[lang]


#: Complete catalogues (this module's texts and the detectors'), served by ``__getattr__``.
EN: dict[str, str]
FR: dict[str, str]
CATALOGUES: dict[str, dict[str, str]]


def __getattr__(name: str) -> dict:
    # EN, FR and CATALOGUES stay importable (the report reads them) and are complete:
    # the detectors' own texts are merged in on first use
    if name in ("EN", "FR", "CATALOGUES"):
        _load_plugins()
        return {"EN": _EN, "FR": _FR, "CATALOGUES": _CATALOGUES}[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    return Msg(code) if code in catalogue("en") else (value or "")


__all__ = [
    "CATALOGUES",
    "DBLINK_HOW",
    "EN",
    "FR",
    "Msg",
    "Style",
    "as_time",
    "catalogue",
    "codes",
    "msg",
    "register_messages",
    "render",
]
