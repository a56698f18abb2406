"""Ingest warnings and skipped-path reasons as a message code plus parameters, in English and French.

The engine (``forensics/intake``) and time handling (``forensics/time``) write what went wrong
while reading the evidence as a ``Note``: a code from the catalogue below and the values it is
built from.  A ``Note`` *is* its English sentence (a ``str``), so the manifest's ``warnings`` and
each skipped path's ``reason`` keep the text they have always had; the manifest also stores the
code and the values (``warning_messages``, ``reason_code``/``params``) so that the report can
write the same sentence in its reader's language without reading the English back.

This module is a leaf (standard library only): the intake, time handling and the report may all
import it without importing one another.

Placeholders are ``str.format`` fields whose format spec names the kind of value:
``{n:count}`` a count (digits in English, grouped the reader's way in the report), ``{x:+.2f}``
or any other numeric spec a decimal (the report writes the French minus sign and decimal comma),
``{t}`` text shown as written (a path, a zone, an error from the system).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from typing import Any

EN: dict[str, str] = {
    # skipped paths (forensics/intake/walk.py, engine.py)
    "walk.excluded": "excluded by the case config",
    "walk.dir_symlink": "directory symlink not followed",
    "walk.cannot_stat": "cannot stat: {error}",
    "walk.broken_symlink": "broken or looping symlink",
    "walk.outside_symlink": "symlink pointing outside the evidence root not followed",
    "walk.fifo": "FIFO skipped (never opened)",
    "walk.socket": "socket skipped",
    "walk.device": "device skipped",
    "walk.not_regular": "not a regular file",
    "walk.cannot_read_folder": "cannot read folder: {error}",
    "walk.cannot_read": "cannot read: {error}",
    "walk.alias_symlink": "alias (symlink) of {kept}: read once under that name",
    "walk.alias_hard_link": "alias (hard link) of {kept}: read once under that name",
    # compressed and encoded files (forensics/intake/stream.py)
    "stream.not_compressed": "starts like {kind} but does not decompress: read as plain bytes",
    "stream.truncated": "{kind} stream truncated: read {n:count} bytes, the rest is missing",
    "stream.corrupt": "{kind} stream corrupt after {n:count} bytes: {error}",
    "stream.cap": "decompression cap of {n:count} bytes reached: rest of the file not read",
    "stream.trailing_garbage": "trailing garbage after {kind} member ignored ({n:count}+ bytes)",
    "stream.lone_cr": "line ends are lone CR (classic Mac): each CR was read as the end of a line",
    "stream.utf16": "text is {encoding} (byte order mark): decoded to UTF-8; line offsets are those of the decoded "
    "text",
    # reading (forensics/intake/engine.py, reader.py, accounting.py)
    "read.rehash_failed": "cannot re-hash after the run: {error}",
    "read.changed": "file changed while it was being read (SHA-256 before and after differ)",
    "read.worker_hash_failed": "cannot hash the file where it was read: {error}",
    "read.worker_hash_differs": "the file read by the worker is not the file hashed by the client (SHA-256 "
    "{measured} where {expected} was measured): the evidence differs between machines or changed",
    "read.line_split": "a line longer than {n:count} bytes was split into several lines",
    "read.no_final_newline": "the last line has no newline (the file may have been cut while being written)",
    "read.record_split": "a record longer than {n:count} bytes was not held whole: its later lines are parsed as "
    "they come",
    "read.error": "read error: {error}",
    "read.unrecognised": "no parser recognised this file; its lines were counted but not parsed",
    "read.mismatch": "accounting mismatch: {n:count} lines read but {n2:count} accounted",
    "read.parser_error": "lines {first:count}-{last:count}: {error}",
    # time (forensics/intake/manifest.py, forensics/time/; window.*: the --since/--until bounds)
    "time.dst_gap": "{n:count} timestamps fall in a spring-forward gap (they do not exist in local time); read with "
    "the offset in force before the change",
    "time.year_conflict": "{n:count} records dated 29 February fall in a common year with the inferred year (read as "
    "1 March); check the year",
    "time.assumed_utc": "no time zone given for {n:count} naive timestamps; UTC assumed",
    "time.ahead_configured": "clock {x:.1f} s ahead (configured); corrected",
    "time.behind_configured": "clock {x:.1f} s behind (configured); corrected",
    "time.ahead_estimated": "clock {x:.1f} s ahead (estimated from {n:count} anchors); corrected",
    "time.behind_estimated": "clock {x:.1f} s behind (estimated from {n:count} anchors); corrected",
    "time.skew_not_applied": "clock about {x:+.1f} s off but not corrected ({why})",
    "time.year_jumps": "the dates jump by more than half a year {n:count} times; check the inferred years",
    "time.year_weak": "year of yearless timestamps inferred from weak evidence ({detail})",
    "time.dst_unplaced": "{n:count} timestamps in the repeated DST hour could not be placed; both instants are kept "
    "(time.earliest, time.latest)",
    "time.dst_order_conflict": "file order and ids disagree for {n:count} timestamps in the repeated DST hour",
    "time.reference_clock": "clock reference: no clock_offset in the case config: host {host}, the best connected, "
    "is taken as right (set clock_offset = 0 on an NTP-synchronised host to choose the reference)",
    "time.configured_offset_disputed": "host {host}: clock_offset {x:+.2f} s in the case config, but {n:count} "
    "anchors with {other} say {x2:+.2f} s",
    "time.offsets_differ": "host {host}: sources give different clock_offset values; each source keeps its own",
    "window.no_zone": "{bound} {text!r} has no zone: read in {zone} (assumed), i.e. {iso}",
    "window.dst_gap": "{local} does not exist in {zone} (DST gap): read with the offset in force before it",
    "window.dst_ambiguous": "{local} is ambiguous in {zone} (DST change): read with the offset in force before it",
    "time.clocks_disagree": "clocks of {host} ({x:+.2f} s) and {other} ({x2:+.2f} s) disagree with {n:count} anchors "
    "between them ({x3:+.2f} s)",
}

FR: dict[str, str] = {
    "walk.excluded": "exclu par la configuration de l'affaire",
    "walk.dir_symlink": "lien symbolique vers un dossier, non suivi",
    "walk.cannot_stat": "attributs illisibles : {error}",
    "walk.broken_symlink": "lien symbolique cassé ou en boucle",
    "walk.outside_symlink": "lien symbolique hors du dossier des preuves, non suivi",
    "walk.fifo": "tube nommé (FIFO) ignoré (jamais ouvert)",
    "walk.socket": "socket ignorée",
    "walk.device": "périphérique ignoré",
    "walk.not_regular": "pas un fichier ordinaire",
    "walk.cannot_read_folder": "dossier illisible : {error}",
    "walk.cannot_read": "fichier illisible : {error}",
    "walk.alias_symlink": "autre nom (lien symbolique) de {kept} : lu une seule fois sous ce nom",
    "walk.alias_hard_link": "autre nom (lien physique) de {kept} : lu une seule fois sous ce nom",
    "stream.not_compressed": "commence comme un fichier {kind} mais ne se décompresse pas : lu tel quel",
    "stream.truncated": "flux {kind} tronqué : {n:count} octets lus, la suite manque",
    "stream.corrupt": "flux {kind} corrompu après {n:count} octets : {error}",
    "stream.cap": "plafond de décompression de {n:count} octets atteint : la suite du fichier n'est pas lue",
    "stream.trailing_garbage": "données parasites après le membre {kind} ignorées ({n:count} octets ou plus)",
    "stream.lone_cr": "fins de ligne CR seules (ancien Mac) : chaque CR a été lu comme une fin de ligne",
    "stream.utf16": "texte en {encoding} (marque d'ordre des octets) : décodé en UTF-8 ; les positions des lignes "
    "sont celles du texte décodé",
    "read.rehash_failed": "empreinte impossible à recalculer après la lecture : {error}",
    "read.changed": "le fichier a changé pendant sa lecture (SHA-256 avant et après différents)",
    "read.worker_hash_failed": "empreinte impossible à calculer là où le fichier a été lu : {error}",
    "read.worker_hash_differs": "le fichier lu par le nœud de calcul n'est pas celui dont le client a pris "
    "l'empreinte (SHA-256 {measured} au lieu de {expected}) : les preuves diffèrent d'une machine à l'autre "
    "ou ont changé",
    "read.line_split": "une ligne de plus de {n:count} octets a été coupée en plusieurs lignes",
    "read.no_final_newline": "la dernière ligne n'a pas de fin de ligne (le fichier a pu être coupé pendant son "
    "écriture)",
    "read.record_split": "un enregistrement de plus de {n:count} octets n'a pas été gardé entier : ses lignes "
    "suivantes sont analysées telles quelles",
    "read.error": "erreur de lecture : {error}",
    "read.unrecognised": "aucun analyseur n'a reconnu ce fichier ; ses lignes ont été comptées mais pas analysées",
    "read.mismatch": "écart de comptage : {n:count} lignes lues mais {n2:count} comptabilisées",
    "read.parser_error": "lignes {first:count}-{last:count} : {error}",
    "time.dst_gap": "{n:count} horodatages tombent dans l'heure sautée au passage à l'heure d'été (ils n'existent "
    "pas en heure locale) ; lus avec le décalage en vigueur avant le changement",
    "time.year_conflict": "{n:count} enregistrements datés du 29 février tombent dans une année non bissextile avec "
    "l'année déduite (lus comme le 1er mars) ; année à vérifier",
    "time.assumed_utc": "aucun fuseau indiqué pour {n:count} horodatages sans fuseau ; UTC supposé",
    "time.ahead_configured": "horloge en avance de {x:.1f} s (configuration) ; corrigée",
    "time.behind_configured": "horloge en retard de {x:.1f} s (configuration) ; corrigée",
    "time.ahead_estimated": "horloge en avance de {x:.1f} s (estimée sur {n:count} paires d'événements) ; corrigée",
    "time.behind_estimated": "horloge en retard de {x:.1f} s (estimée sur {n:count} paires d'événements) ; corrigée",
    "time.skew_not_applied": "horloge décalée d'environ {x:+.1f} s mais non corrigée ({why})",
    "time.year_jumps": "les dates font {n:count} fois un saut de plus de six mois ; années déduites à vérifier",
    "time.year_weak": "année des horodatages sans année déduite d'indices faibles ({detail})",
    "time.dst_unplaced": "{n:count} horodatages de l'heure répétée (passage à l'heure d'hiver) n'ont pas pu être "
    "placés ; les deux instants possibles sont conservés (time.earliest, time.latest)",
    "time.dst_order_conflict": "l'ordre du fichier et les identifiants divergent pour {n:count} horodatages de "
    "l'heure répétée",
    "time.reference_clock": "horloge de référence : aucun clock_offset dans la configuration de l'affaire ; l'hôte "
    "{host}, le mieux relié aux autres, est supposé à l'heure (indiquez clock_offset = 0 pour un hôte synchronisé "
    "par NTP afin de choisir la référence)",
    "time.configured_offset_disputed": "hôte {host} : clock_offset de {x:+.2f} s dans la configuration de "
    "l'affaire, mais {n:count} paires d'événements avec {other} indiquent {x2:+.2f} s",
    "time.offsets_differ": "hôte {host} : les sources donnent des valeurs de clock_offset différentes ; chacune "
    "garde la sienne",
    "window.no_zone": "{bound} {text!r} n'indique pas de fuseau : lu en {zone} (supposé), soit {iso}",
    "window.dst_gap": "{local} n'existe pas en {zone} (heure sautée au passage à l'heure d'été) : lu avec le décalage "
    "en vigueur avant le changement",
    "window.dst_ambiguous": "{local} est ambigu en {zone} (heure répétée au passage à l'heure d'hiver) : lu avec le "
    "décalage en vigueur avant le changement",
    "time.clocks_disagree": "les horloges de {host} ({x:+.2f} s) et de {other} ({x2:+.2f} s) ne concordent pas avec "
    "les {n:count} paires d'événements qui les relient ({x3:+.2f} s)",
}

CATALOGUES: dict[str, dict[str, str]] = {"en": EN, "fr": FR}

#: How the report joins a subject (a file, a source) to the sentence about it, per language.
SUBJECT = {"en": "{subject}: {text}", "fr": "{subject} : {text}"}


def fields(template: str) -> list[tuple[str, str]]:
    """The ``(name, spec)`` of each placeholder of a template (for the catalogue tests)."""
    return [(name, spec or "") for _, name, spec, _ in string.Formatter().parse(template) if name is not None]


class _Formatter(string.Formatter):
    def __init__(self, lang: str, count: Callable[[int], str] | None) -> None:
        super().__init__()
        self.lang = lang
        self.count = count

    def format_field(self, value: Any, format_spec: str) -> str:
        if value is None and format_spec:
            return "?"  # a count or offset nobody could measure: the warning is still written
        if format_spec == "count":
            n = int(value)
            return self.count(n) if self.count is not None else str(n)
        text = super().format_field(value, format_spec)
        if format_spec and self.lang == "fr" and isinstance(value, int | float):
            text = text.replace("-", "\u2212").replace(".", ",")
        return text


def render(
    code: str,
    params: Mapping[str, Any] | None = None,
    lang: str = "en",
    *,
    subject: str | None = None,
    count: Callable[[int], str] | None = None,
) -> str:
    """The sentence of ``code`` in ``lang`` (``count`` writes counts, e.g. the report's ``Locale.num``).

    Raises KeyError/ValueError/TypeError when the code is unknown or the values do not fit its
    template: a caller reading a manifest falls back to the English stored beside the code.
    """
    text = _Formatter(lang, count).vformat(CATALOGUES[lang][code], (), dict(params or {}))
    return SUBJECT[lang].format(subject=subject, text=text) if subject else text


class Note(str):
    """A warning or skip reason: its English sentence, with the code and values it is built from.

    Being a ``str``, it travels through every list of warnings unchanged and is written to the
    manifest as the sentence it has always been; ``to_json`` is the structured form beside it.
    """

    code: str
    params: dict[str, Any]
    subject: str | None

    def __new__(cls, code: str, params: Mapping[str, Any] | None = None, subject: str | None = None) -> Note:
        values = dict(params or {})
        self = super().__new__(cls, render(code, values, "en", subject=subject))
        self.code, self.params, self.subject = code, values, subject
        return self

    def about(self, subject: str) -> Note:
        """The same message said of ``subject`` (a file or source), as ``subject: sentence``."""
        return Note(self.code, self.params, f"{subject}: {self.subject}" if self.subject else subject)

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params), "subject": self.subject}

    def __reduce__(self) -> tuple[Any, ...]:
        return (Note, (self.code, self.params, self.subject))


def note(code: str, /, **params: Any) -> Note:
    """``Note(code, params)``, shorter to write where warnings are made."""
    return Note(code, params)


def structured(text: Any) -> dict[str, Any] | None:
    """The ``{"code", "params", "subject"}`` of a warning or reason; None for plain text."""
    return text.to_json() if isinstance(text, Note) else None


__all__ = ["CATALOGUES", "EN", "FR", "Note", "fields", "note", "render", "structured"]
