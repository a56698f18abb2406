"""Ingest warnings and skipped-path reasons (manifest.json) in the report's language.

The manifest is a machine-readable record and stays in English.  The report shows some of
its sentences to readers of other languages: each English template below is read back into
its values (``{n}`` a count, ``{x}`` a signed decimal, ``{t}`` free text) and written again
with the French template beside it.  A sentence no template reads is shown as written.
Warnings may start with the file or source they concern (``path: sentence``).
"""

from __future__ import annotations

import re
import string
from functools import cache
from typing import Any

#: English template (as forensics.ingest / evidence / timing / skew write it) -> French
FR: dict[str, str] = {
    # skipped paths (forensics.evidence)
    "excluded by the case config": "exclu par la configuration de l'affaire",
    "directory symlink not followed": "lien symbolique vers un dossier, non suivi",
    "cannot stat: {t}": "attributs illisibles : {t}",
    "broken or looping symlink": "lien symbolique cassé ou en boucle",
    "symlink pointing outside the evidence root not followed": "lien symbolique hors du dossier des preuves, non suivi",
    "FIFO skipped (never opened)": "tube nommé (FIFO) ignoré (jamais ouvert)",
    "socket skipped": "socket ignorée",
    "device skipped": "périphérique ignoré",
    "not a regular file": "pas un fichier ordinaire",
    "cannot read folder: {t}": "dossier illisible : {t}",
    "cannot read: {t}": "fichier illisible : {t}",
    "alias ({t}) of {t2}: read once under that name": "autre nom ({t}) de {t2} : lu une seule fois sous ce nom",
    # compressed files (forensics.evidence)
    "starts like {t} but does not decompress: read as plain bytes": "commence comme un fichier {t} mais ne se "
    "décompresse pas : lu tel quel",
    "{t} stream truncated: read {n} bytes, the rest is missing": "flux {t} tronqué : {n} octets lus, la suite manque",
    "{t} stream corrupt after {n} bytes: {t2}": "flux {t} corrompu après {n} octets : {t2}",
    "decompression cap of {n} bytes reached: rest of the file not read": "plafond de décompression de {n} octets "
    "atteint : la suite du fichier n'est pas lue",
    "trailing garbage after {t} member ignored ({n}+ bytes)": "données parasites après le membre {t} ignorées "
    "({n} octets ou plus)",
    "line ends are lone CR (classic Mac): each CR was read as the end of a line": "fins de ligne CR seules (ancien "
    "Mac) : chaque CR a été lu comme une fin de ligne",
    "text is {t} (byte order mark): decoded to UTF-8; line offsets are those of the decoded text": "texte en {t} "
    "(marque d'ordre des octets) : décodé en UTF-8 ; les positions des lignes sont celles du texte décodé",
    # reading (forensics.ingest)
    "cannot re-hash after the run: {t}": "empreinte impossible à recalculer après la lecture : {t}",
    "file changed while it was being read (SHA-256 before and after differ)": "le fichier a changé pendant sa "
    "lecture (SHA-256 avant et après différents)",
    "a line longer than {n} bytes was split into several lines": "une ligne de plus de {n} octets a été coupée en "
    "plusieurs lignes",
    "the last line has no newline (the file may have been cut while being written)": "la dernière ligne n'a pas de "
    "fin de ligne (le fichier a pu être coupé pendant son écriture)",
    "a record longer than {n} bytes was not held whole: its later lines are parsed as they come": "un "
    "enregistrement de plus de {n} octets n'a pas été gardé entier : ses lignes suivantes sont analysées telles "
    "quelles",
    "read error: {t}": "erreur de lecture : {t}",
    "no parser recognised this file; its lines were counted but not parsed": "aucun analyseur n'a reconnu ce "
    "fichier ; ses lignes ont été comptées mais pas analysées",
    "accounting mismatch: {n} lines read but {n2} accounted": "écart de comptage : {n} lignes lues mais {n2} "
    "comptabilisées",
    "{n} timestamps fall in a spring-forward gap (they do not exist in local time); read with the offset in force "
    "before the change": "{n} horodatages tombent dans l'heure sautée au passage à l'heure d'été (ils n'existent "
    "pas en heure locale) ; lus avec le décalage en vigueur avant le changement",
    "{n} records dated 29 February fall in a common year with the inferred year (read as 1 March); check the year": (
        "{n} enregistrements datés du 29 février tombent dans une année non bissextile avec l'année déduite (lus "
        "comme le 1er mars) ; année à vérifier"
    ),
    # time (forensics.timing, forensics.skew)
    "no time zone given for {n} naive timestamps; UTC assumed": "aucun fuseau indiqué pour {n} horodatages sans "
    "fuseau ; UTC supposé",
    "clock {x} s ahead (configured); corrected": "horloge en avance de {x} s (configuration) ; corrigée",
    "clock {x} s behind (configured); corrected": "horloge en retard de {x} s (configuration) ; corrigée",
    "clock {x} s ahead (estimated from {n} anchors); corrected": "horloge en avance de {x} s (estimée sur {n} "
    "paires d'événements) ; corrigée",
    "clock {x} s behind (estimated from {n} anchors); corrected": "horloge en retard de {x} s (estimée sur {n} "
    "paires d'événements) ; corrigée",
    "clock about {x} s off but not corrected ({t})": "horloge décalée d'environ {x} s mais non corrigée ({t})",
    "the dates jump by more than half a year {n} times; check the inferred years": "les dates font {n} fois un saut "
    "de plus de six mois ; années déduites à vérifier",
    "year of yearless timestamps inferred from weak evidence ({t})": "année des horodatages sans année déduite "
    "d'indices faibles ({t})",
    "{n} timestamps in the repeated DST hour could not be placed; both instants are kept (time.earliest, "
    "time.latest)": "{n} horodatages de l'heure répétée (passage à l'heure d'hiver) n'ont pas pu être placés ; "
    "les deux instants possibles sont conservés (time.earliest, time.latest)",
    "file order and ids disagree for {n} timestamps in the repeated DST hour": "l'ordre du fichier et les "
    "identifiants divergent pour {n} horodatages de l'heure répétée",
    "clock reference: no clock_offset in the case config: host {t}, the best connected, is taken as right (set "
    "clock_offset = 0 on an NTP-synchronised host to choose the reference)": "horloge de référence : aucun "
    "clock_offset dans la configuration de l'affaire ; l'hôte {t}, le mieux relié aux autres, est supposé à l'heure "
    "(indiquez clock_offset = 0 pour un hôte synchronisé par NTP afin de choisir la référence)",
    "host {t}: clock_offset {x} s in the case config, but {n} anchors with {t2} say {x2} s": "hôte {t} : "
    "clock_offset de {x} s dans la configuration de l'affaire, mais {n} paires d'événements avec {t2} indiquent "
    "{x2} s",
    "host {t}: sources give different clock_offset values; each source keeps its own": "hôte {t} : les sources "
    "donnent des valeurs de clock_offset différentes ; chacune garde la sienne",
    "clocks of {t} ({x} s) and {t2} ({x2} s) disagree with {n} anchors between them ({x3} s)": "les horloges de {t} "
    "({x} s) et de {t2} ({x2} s) ne concordent pas avec les {n} paires d'événements qui les relient ({x3} s)",
}

_VALUE = {"n": r"\d+", "x": r"[+-]?\d+(?:\.\d+)?", "t": r".+?"}


def _regex(template: str) -> re.Pattern[str]:
    out = []
    for literal, name, _, _ in string.Formatter().parse(template):
        out.append(re.escape(literal))
        if name is not None:
            out.append(f"(?P<{name}>{_VALUE[name[0]]})")
    return re.compile("".join(out) + r"\Z", re.S)


@cache
def _compiled() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((_regex(en), fr) for en, fr in FR.items())


def _french(text: str, loc: Any) -> str | None:
    for pattern, template in _compiled():
        m = pattern.match(text)
        if m is None:
            continue
        values = {}
        for name, value in m.groupdict().items():
            if name[0] == "n":
                values[name] = loc.num(int(value))
            elif name[0] == "x":
                values[name] = value.replace("-", "−").replace(".", ",")
            else:
                values[name] = value
        return template.format(**values)
    return None


def ingest_text(text: str, loc: Any) -> str:
    """A manifest warning or skipped-path reason in the report's language (as written when unknown)."""
    if loc.lang != "fr" or not isinstance(text, str):
        return text
    whole = _french(text, loc)
    if whole is not None:
        return whole
    where, sep, rest = text.partition(": ")
    while sep:
        said = _french(rest, loc)
        if said is not None:
            return f"{where} : {said}"
        head, sep, rest = rest.partition(": ")
        where = f"{where}: {head}"
    return text
