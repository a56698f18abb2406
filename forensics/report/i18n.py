"""Every heading, label and sentence of the report, in English and French, and their formatting.

``EN`` and ``FR`` hold the same keys with the same ``{placeholders}`` (a test checks it).
Messages may carry a little trusted markup (``<strong>``); values are escaped when they
are substituted (``Markup.format``), so a value from a log can never add an element.
Numbers, sizes, durations and dates are formatted here: the French report writes
``118 412``, ``254,4 Mo`` and ``25 octobre 2024 à 03:12:41``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup

from forensics.finding_text import Style, as_time, render
from forensics.findings.vocabulary import LANGUAGES
from forensics.report.text import defang, is_ip, show

EN: dict[str, str] = {
    # page furniture
    "banner": "Confidential: incident report. It quotes text written by the attacker; that text is shown inert, "
    "as plain characters.",
    "kicker": "Incident report · attack timeline",
    "title.default": "Attack timeline: {case}",
    "masthead.generated": "Generated {when}",
    "masthead.analyst": "Analyst: {analyst}",
    "toc": "Contents",
    "footer.end": "End of report.",
    "footer.hash": "Every printed page shows the report's content hash: the first 16 hexadecimal digits of the "
    "SHA-256 of this file in which that value is replaced by 16 zeros in the running-header "
    "stylesheet (docs/report.md says how to check it). The SHA-256 of the file as it is is written "
    "beside it, in a file of the same name ending in .sha256 (check it with sha256sum -c).",
    "footer.tool": "Produced by {tool} {version}.",
    "na": "not available",
    "none": "none",
    "dash": "–",
    "yes": "yes",
    "no": "no",
    "more_rows": "{shown} of {total} rows shown; the rest are in {file}.",
    "cut": "… [{n} more characters]",
    "noscript": "This figure is drawn by the script embedded in this file; it needs JavaScript.",
    "time.utc": "UTC",
    "time.zone_city": "{city} time",
    "time.long": "{day} {month} {year} at {clock}",
    "time.long_zone": "{when} {city} ({offset}; {utc} UTC)",
    "time.long_utc": "{when} UTC",
    "list.and": "{head} and {last}",
    "list.sep": "; ",
    "list.then": "{head}, then {last}",
    "months": "January February March April May June July August September October November December",
    "months_short": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
    "days": "Sunday Monday Tuesday Wednesday Thursday Friday Saturday",
    "unit.bytes": "bytes",
    "unit.size": "B kB MB GB TB",
    "duration.d": "{n} d",
    "duration.h": "{n} h",
    "duration.min": "{n} min",
    "duration.s": "{n} s",
    # first lines of section 1 when the case is empty or scoped to a window
    "scope.nothing_read": "Nothing was read: no file of the evidence was recognised ({files} files, {lines} lines), "
    "so this report can conclude nothing about the case.",
    "scope.window": "This case is limited to {since} – {until} (UTC): {outside} events outside that window were read "
    "but are not in this report.",
    # section titles
    "s1": "Identification",
    "s2": "Executive summary",
    "s3": "Attack timeline",
    "s4": "Phases of the attack",
    "s5": "Findings",
    "s6": "Accounts",
    "s7": "Exfiltration estimate",
    "s8": "Indicators",
    "s9": "Time statement",
    "s10": "Coverage and limitations",
    "s11": "Notification aid (GDPR art. 33)",
    # 1 identification
    "id.case": "Case",
    "id.analyst": "Analyst",
    "id.generated": "Report generated",
    "id.tool": "Tool",
    "id.tool_value": "{name} {version} (ingest by {ingest_name} {ingest_version}, Python {python}, polars {polars})",
    "id.cmd_ingest": "Ingest command line",
    "id.cmd_correlate": "Correlation command line",
    "id.cmd_report": "Report command line",
    "id.config": "Case configuration",
    "id.config_value": "{path} · SHA-256 {sha}",
    "id.manifest_hash": "Manifest SHA-256",
    "id.evidence_root": "Evidence folder",
    "id.ingest_run": "Ingest run",
    "id.ingest_run_value": "from {start} to {end}",
    "id.no_config": "no case configuration was used",
    "id.unknown": "not recorded",
    # 2 summary
    "sum.no_findings": "Correlation results are not available (no findings.json in the output folder): this report "
    "describes the evidence and its coverage, but it does not say which account was compromised or what was taken. "
    "Run <code>forensics correlate</code> on this folder, then build the report again.",
    "sum.bad_findings": "The correlation results could not be read: {error}.",
    "sum.lead.compromised": "The account {accounts} of the application was used by an attacker from {first} to {last} "
    "({zone}).",
    "sum.lead.compromised_many": "The accounts {accounts} of the application were used by an attacker from {first} "
    "to {last} ({zone}).",
    "sum.lead.none": "No account is assessed as compromised in these logs.",
    "sum.lead.first": "The first sign of the attack dates from {first}.",
    "sum.lead.how": "The attacker got in by {how}.",
    "sum.lead.from": "They used {n} network addresses: {list}.",
    "sum.lead.exfil": "About {records} records ({size}) were sent to the attacker.",
    "sum.lead.persistence": "Before leaving, the attacker created the account {accounts}.",
    "sum.lead.persistence_many": "Before leaving, the attacker created the accounts {accounts}.",
    "sum.lead.uncertain": "Still to be confirmed: {items}.",
    "uncs.inferred": "finding {id} ({phase}), which is inferred rather than observed",
    "uncs.bounds": "the exact number of records (between {low} and {high})",
    "uncs.gaps": "what happened during {n} of log silence",
    "kf.account": "Compromised account",
    "kf.account_many": "Compromised accounts",
    "kf.account_none": "none found",
    "kf.account_sub": "used from {first} to {last}",
    "kf.account_sub_many": "used from {first} to {last}",
    "kf.records": "Records taken",
    "kf.records_value": "≈ {n}",
    "kf.records_sub": "{size}; between {low} and {high}",
    "kf.records_none": "none found",
    "kf.addresses": "Attacker addresses",
    "kf.addresses_sub": "first activity {when}",
    "kf.persistence": "Account left behind",
    "kf.persistence_many": "Accounts left behind",
    "kf.persistence_sub": "created by the attacker",
    "kf.persistence_sub_many": "created by the attacker",
    "kf.persistence_inferred": "created by the attacker (to confirm)",
    "kf.persistence_inferred_many": "created by the attacker (to confirm)",
    "kf.persistence_none": "none found",
    "kf.deadline": "Notify the authority by",
    "kf.deadline_sub": "{zone}; 72 h after awareness (GDPR art. 33)",
    "kf.deadline_none": "awareness time not set",
    "time.short": "{day} {month} {year}, {clock}",
    "sum.which": "Which account",
    "sum.which_many": "Which accounts",
    "sum.since": "Since when",
    "sum.from": "From where",
    "sum.how": "How the attacker got in",
    "sum.taken": "What was taken",
    "sum.persistence": "Persistence left",
    "sum.uncertain": "Still uncertain",
    "sum.which.item": "{account}: assessed <strong>{verdict}</strong> (score {score})",
    "sum.which.none": "none assessed compromised",
    "sum.since.attack": "first sign of the attack: {when}",
    "sum.since.use": "first use of {account} by the attacker: {when}",
    "sum.since.last": "last attacker activity: {when}",
    "sum.from.count": "{n} addresses used by the attacker: {list}",
    "sum.from.range": "{first} to {last} ({n} addresses)",
    "sum.from.none": "no attacker address identified",
    "sum.how.steps": "{steps} (findings {ids})",
    "sum.how.none": "not established by the findings",
    "sum.taken.records": "about {estimate} records (between {low} and {high}), {size}",
    "sum.taken.objects": "{n} distinct records identified",
    "sum.taken.categories": "data: {categories}",
    "sum.taken.basis": "findings {ids}",
    "sum.taken.none": "no data exfiltration was found in these logs",
    "sum.persistence.item": "The account {account} was created by the attacker ({evidence}).",
    "sum.persistence.account": "The account {account} was created by the attacker.",
    "sum.persistence.basis_one": "{basis}: finding {ids}",
    "sum.persistence.basis": "{basis}: findings {ids}",
    "list.semicolon": "; ",
    "sum.persistence.none": "no account creation or permission change by the attacker was found",
    "unc.inferred": "{id} rests on inference, not on a log line that says it: “{title}”",
    "unc.bounds": "the number of records taken lies between {low} and {high}",
    "unc.zone_assumed": "no time zone was given for {sources}: UTC was assumed",
    "unc.gaps": "{n} gap(s) in log coverage (section 10): what happened then is not visible",
    "unc.unrecognised": "{n} evidence file(s) were not recognised and not read into the timeline",
    "unc.rejects": "{n} line(s) could not be parsed (annex C)",
    "unc.changed": "{n} evidence file(s) changed while they were read",
    "unc.missing_quotes": "{n} cited line(s) were not found in events.parquet",
    "unc.no_sessions": "sessions and cross-source links are not available",
    "unc.findings_problems": "findings.json has {n} formatting problem(s) (section 10)",
    "unc.no_awareness": "the awareness time is not in the case configuration: the 72-hour deadline cannot be computed",
    "unc.from_findings": "note from the correlation: “{text}”",
    "unc.none": "nothing flagged by the tool; the limitations of section 10 still apply",
    # 3 timeline
    "tl.intro": "The attack window, in the case's local time with UTC under each time. The top rows are the phases "
    "of the attack: a bar where the attacker's activity in that phase is continuous, a diamond for a "
    "single moment. Below, one row per log source: grey shading is that source's volume (darker is "
    "busier, against its own busiest moment), coloured marks are the events the findings attribute to "
    "a phase. The strip at the bottom is the whole evidence, with the attack window framed in red. "
    "Hover a mark for its local time, file and line; drag to zoom, double-click to reset.",
    "tl.grouped": "{total} attack events are grouped per {step} to keep this file small: each mark is a group, its size "
    "grows with the number of events, and its hover gives the first file and line.",
    "tl.no_sessions": "Sessions of the compromised account are not drawn: sessions.parquet is not available.",
    "tl.empty": "There are no events to draw.",
    "fig.phases_lane": "Attack phases",
    "fig.sessions_lane": "Sessions: {account}",
    "fig.other_lane": "other sources ({n})",
    "fig.axis_time": "{city}, with UTC under each time",
    "fig.axis_source": "Source",
    "fig.density": "All events",
    "fig.h.events": "events",
    "fig.h.local": "local",
    "fig.h.finding": "finding",
    "fig.h.client": "client",
    "fig.h.first": "first",
    "fig.h.last": "last",
    "fig.h.span": "span",
    "fig.h.gap": "gap: no event",
    "fig.h.expected": "expected per hour",
    "fig.h.session": "session",
    "fig.gap": "Gap",
    "fig.dst": "change of time",
    "fig.coverage_title": "Events per source and hour",
    # 4 phases
    "ph.intro": "Each finding carries the MITRE ATT&CK techniques it shows. References are written as text (nothing in "
    "this file opens a web page); type them in a browser to read the technique's description.",
    "ph.phase": "Phase",
    "ph.techniques": "Techniques",
    "ph.first": "First",
    "ph.last": "Last",
    "ph.findings": "Findings",
    "ph.none": "No technique is attributed in the findings.",
    "ph.others_one": "One other finding, not tied to the attack, is not counted in these phases (end of section 5).",
    "ph.others": "{n} other findings, not tied to the attack, are not counted in these phases (end of section 5).",
    "ph.unknown_technique": "technique not in this tool's catalogue",
    "phase.credential_access": "Credential access",
    "phase.initial_access": "Initial access",
    "phase.discovery": "Discovery",
    "phase.collection": "Collection",
    "phase.exfiltration": "Exfiltration",
    "phase.persistence": "Persistence",
    "phase.command_and_control": "Command and control",
    "phase.defense_evasion": "Defence evasion",
    "phase.other": "Other",
    # 5 findings
    "fi.intro": "Each finding states its basis, its period, the account and addresses it concerns, its techniques "
    "and the reasoning behind it; the log lines it cites are quoted in annex A. Alike findings (one "
    "kind, one account) are shown as one entry.",
    "basis.observed": "observed",
    "basis.derived": "derived",
    "basis.inferred": "inferred",
    "basis.unknown": "basis not stated",
    "basis.observed.help": "a log line says it",
    "basis.derived.help": "computed from log lines",
    "basis.inferred.help": "a judgement drawn from the lines: to be confirmed",
    "basis.unknown.help": "the finding does not state its basis",
    "fi.techniques": "Techniques",
    "fi.account": "Account",
    "fi.ips": "Addresses",
    "fi.period": "Period",
    "fi.events": "Events",
    "fi.reasoning": "Reasoning",
    "fi.evidence": "Evidence",
    "fi.file": "File",
    "fi.line": "Line",
    "fi.time": "Time",
    "fi.raw": "Raw line",
    "fi.not_found": "not found in events.parquet or rejects.parquet",
    "fi.from_rejects": "(from rejects.parquet: the line could not be parsed)",
    "fi.more_evidence": "{n} more cited lines: {refs}",
    "fi.none": "The findings list is empty.",
    "fi.none_attack": "No finding is tied to the attack.",
    "fi.other.title": "Other signals, not tied to the attack",
    "fi.other.intro": "The correlation also reported signals that it did not tie to the attacker: they concern "
    "accounts it judged normal, or no account, and addresses it did not attribute to the "
    "attacker (a login from a new address, a password changed after expiry, a large report). "
    "They are not part of the attack's phases, timeline, summary or indicators. One row per "
    "kind, with how many and on which accounts; each is in annex A in full, so that this "
    "judgement can be checked.",
    "fi.untitled": "(untitled)",
    # 6 accounts, sessions, links
    "ac.intro": "Accounts the correlation assessed, most suspicious first, with its reasons.",
    "ac.account": "Account",
    "ac.verdict": "Verdict",
    "ac.score": "Score",
    "ac.first": "First malicious use",
    "ac.last": "Last malicious use",
    "ac.ips": "Source addresses",
    "ac.reasons": "Reasons",
    "ac.none": "No account is assessed as compromised or suspicious.",
    "verdict.compromised": "compromised",
    "verdict.suspicious": "suspicious",
    "verdict.normal": "normal",
    "se.title": "Sessions",
    "se.intro": "Sessions of the accounts above and of the attacker addresses (web, application and database).",
    "se.na": "Not available: sessions.parquet is not in the output folder (run forensics correlate).",
    "se.empty": "No session of these accounts or addresses.",
    "li.title": "Cross-source links",
    "li.intro": "How events of different sources were tied together, with the reason and the confidence of each link.",
    "li.na": "Not available: links.parquet is not in the output folder (run forensics correlate).",
    "li.empty": "No link concerns these accounts or addresses.",
    "col.kind": "Kind",
    "word.kind.app": "application",
    "word.kind.web": "web",
    "word.kind.db": "database",
    "word.kind.app_login_web": "login or session end → web request",
    "word.kind.app_event_web": "application event → web request",
    "word.kind.app_session_web": "application session → web session",
    "word.kind.web_continuation": "web session continued by another",
    "word.kind.web_db": "web request → database query",
    "word.flag.end_unknown": "end unknown",
    "word.flag.no_screen_size": "no screen size",
    "word.kind.system": "operating system",
    "word.flag.internal": "internal",
    "word.flag.hosting": "hosting",
    "word.flag.isp": "ISP",
    "word.flag.tor": "Tor",
    "word.flag.vpn": "VPN",
    "word.flag.proxy": "proxy",
    "word.flag.large_read": "large read",
    "word.flag.xff_spoof": "forged X-Forwarded-For",
    "word.row": "row {n}",
    "col.keys": "Keys",
    "col.key": "Key",
    "col.account": "Account",
    "col.ips": "Addresses",
    "col.ip": "Address",
    "col.user_agents": "User agents",
    "col.first_seen": "First",
    "col.last_seen": "Last",
    "col.event_count": "Events",
    "col.bytes": "Bytes",
    "col.reasons": "Reasons",
    "col.reason": "Reason",
    "col.confidence": "Confidence",
    "col.session": "Session",
    "col.left": "From",
    "col.right": "To",
    "col.host": "Host",
    "col.account_confidence": "Account confidence",
    "col.forwarded_ips": "Forwarded addresses (X-Forwarded-For)",
    "col.rows_returned": "Rows returned",
    "col.auth_method": "Authentication",
    "col.flags": "Flags",
    "col.time": "Time",
    "col.left_row": "From row",
    "col.right_row": "To row",
    # 7 exfiltration
    "ex.intro": "What left the system, per account and per address. Each figure comes with its method and its bounds; "
    "the row without an address is the account's total.",
    "ex.account": "Account",
    "ex.ip": "Address",
    "ex.records": "Distinct records (estimate, bounds)",
    "ex.bounds": "Bounds",
    "ex.objects": "Named by number",
    "ex.bytes": "Bytes sent",
    "ex.period": "Period",
    "ex.method": "Method",
    "ex.basis": "Findings",
    "ex.total": "total",
    "ex.categories": "Data categories",
    "ex.categories_none": "not stated by the findings; to be established by the data controller",
    "ex.none": "No exfiltration is estimated in the findings.",
    "cat.identity": "identity (names, dates of birth)",
    "cat.contact": "contact details",
    "cat.health": "health data",
    "cat.social_security": "social security numbers",
    "cat.financial": "financial data",
    "cat.credentials": "credentials",
    "cat.administrative": "administrative data",
    # 8 indicators
    "in.intro": "Addresses are written defanged (203.0.113[.]14) so that they cannot be clicked, resolved or pasted "
    "into a tool by mistake.",
    "in.ips": "Network addresses",
    "in.ip": "Address",
    "in.role": "Role",
    "in.role_attacker": "attacker",
    "in.role_cited": "named in a finding",
    "in.events": "Events naming it",
    "in.ua_events": "Events naming it",
    "in.first": "First seen",
    "in.last": "Last seen",
    "in.findings": "Findings",
    "in.uas": "User agents sent from attacker addresses",
    "in.ua": "User agent",
    "in.ua_ips": "From",
    "in.accounts": "Accounts",
    "in.compromised": "Compromised accounts",
    "in.created": "Accounts created by the attacker",
    "in.plain": "Plain list (defanged)",
    "in.none": "No indicator.",
    # 9 manifest
    "ma.inputs": "Inputs of this report",
    "ma.input": "File",
    "ma.sha": "SHA-256",
    "ma.totals": "{files} files read ({unrecognised} unrecognised), {lines} lines, {events} events, {rejects} rejected "
    "lines, {skipped} paths skipped.",
    "ma.files": "Files",
    "ma.file": "File",
    "ma.size": "Size",
    "ma.sha_before": "SHA-256 before",
    "ma.sha_after": "SHA-256 after",
    "ma.unchanged": "Unchanged",
    "ma.parser": "Parser",
    "ma.lines": "Lines",
    "ma.events": "Events",
    "ma.rejects": "Rejects",
    "ma.zone": "Zone",
    "ma.skew": "Clock correction",
    "ma.unrecognised": "unrecognised",
    "ma.changed": "CHANGED",
    "ma.unrecognised_title": "Unrecognised files",
    "ma.unrecognised_none": "Every file was recognised.",
    "ma.skipped_title": "Paths not read",
    "ma.skipped_none": "No path was skipped.",
    "ma.reason": "Reason",
    "ma.rejects_title": "Rejected lines per reason",
    "ma.rejects_none": "No line was rejected.",
    "ma.example": "Example",
    "ma.count": "Lines",
    "ma.warnings_title": "Warnings of the ingest",
    "ma.warnings_none": "The ingest raised no warning.",
    "ma.accounting_title": "Every line accounted for",
    "ma.accounting_intro": "For every file: lines read = lines in events + blank + meta (headers, directives) "
    "+ rejected + not parsed (unrecognised file).",
    "ma.read": "Read",
    "ma.in_events": "In events",
    "ma.blank": "Blank",
    "ma.meta": "Meta",
    "ma.not_parsed": "Not parsed",
    "ma.balanced": "Balanced",
    "ma.secrets_title": "Secrets masked in this report",
    "ma.secrets_intro": "Secrets found in the logs are shown as [REDACTED] in this report and in exports; "
    "the evidence and events.parquet keep them as written. Events holding each kind:",
    "ma.secrets_kept": "Secrets were NOT masked in this report (--keep-secrets): passwords, keys and session "
    "cookies found in the logs are shown as written.",
    "ma.secrets_none": "No password, key, Authorization value or session cookie was found in the logs.",
    "ma.secret_kind": "Kind",
    "ma.secret_events": "Events",
    "ma.secret_why": "Why it is masked",
    "se.url_password": "password in a URL",
    "se.url_password.why": "a password written in a URL logs a user in",
    "se.password": "password parameter",
    "se.password.why": "a password sent in a query string or a form body",
    "se.api_key": "API key or token",
    "se.api_key.why": "an API key or access token gives the access of its owner",
    "se.authorization": "Authorization header",
    "se.authorization.why": "the credentials of an Authorization header (Basic is a password in base64)",
    "se.session_cookie": "session cookie",
    "se.session_cookie.why": "a session cookie lets whoever holds it act as the logged-in user",
    # 10 time
    "ti.intro": "Every time in this report is shown in the case's zone ({zone}) with its offset, and in UTC. Events are "
    "ordered on UTC after each source's clock correction.",
    "ti.tolerance": "Events of different sources are matched within a tolerance of {seconds} seconds.",
    "ti.source": "Source",
    "ti.host": "Host",
    "ti.zone": "Zone used",
    "ti.zone_how": "How it was decided",
    "ti.skew": "Clock correction",
    "ti.flags": "Time flags",
    "ti.naive": "Times without zone",
    "zs.record": "written in each record",
    "zs.source": "set for this source in the case configuration",
    "zs.case": "the case's zone (configuration)",
    "zs.cli": "given on the command line",
    "zs.assumed_utc": "NOT GIVEN: UTC assumed",
    "ti.skew_config": "{seconds} s (case configuration)",
    "ti.skew_estimate": "{seconds} s (estimated from {pairs} paired events, spread {mad} s)",
    "ti.skew_not_applied": "{seconds} s suggested by {pairs} paired events, not applied: {reason}",
    "ti.skew_reference": "reference clock (0 s)",
    "ti.skew_none": "none",
    "ti.dst_title": "Daylight-saving changes in the case period",
    "ti.dst_back": "On {when}, clocks in {zone} went back from {before} to {after}: local times between {after} and "
    "{before} occurred twice that night. Sources that write an offset or UTC are unambiguous; the others were "
    "resolved with the record order and flagged.",
    "ti.dst_forward": "On {when}, clocks in {zone} went forward from {before} to {after}: local times in between did "
    "not exist.",
    "ti.dst_none": "No daylight-saving change in the case period.",
    "ti.flags_title": "What the time flags mean",
    "flag.dst_ambiguous": "local time in the repeated hour, order not provable",
    "flag.dst_ambiguous_resolved": "local time in the repeated hour, resolved from the record order",
    "flag.dst_nonexistent": "local time that did not exist (clocks went forward)",
    "flag.year_inferred": "the log has no year; it was inferred",
    "flag.skew_corrected": "the source's clock correction was applied",
    "flag.rounded": "the source rounds its times",
    # 11 coverage
    "co.intro": "Events per source and hour over the evidence window, on a logarithmic shade. A red cross marks a "
    "gap: a silence that the source's own rhythm cannot explain (it usually writes at least ten events "
    "over those hours of the day). A quiet log at night is not a gap; an hour of silence in a busy log "
    "is one, even with a stray event in it.",
    "co.gaps": "Gaps in coverage",
    "co.source": "Source",
    "co.from": "From",
    "co.to": "To",
    "co.hours": "Silence",
    "co.expected": "Usual volume at those hours",
    "co.expected_value": "{n} events per hour",
    "co.gaps_none": "No gap: no source falls silent for longer than its own rhythm explains.",
    "co.limits": "Limitations",
    "co.binned": "Cells are {hours} hours wide to keep this file small.",
    "lim.logs_only": "The report shows what the logs say. An action that no log records (a POST body, a file copied "
    "out of band) is not visible here.",
    "lim.gaps": "During the gaps above, activity is unknown.",
    "lim.unrecognised": "{n} unrecognised file(s) are not in the timeline (annex C).",
    "lim.rejects": "{n} line(s) could not be parsed; they are kept in rejects.parquet (annex C).",
    "lim.warning": "Ingest: {text}",
    "lim.note": "Report: {text}",
    "lim.findings": "findings.json: {text}",
    "lim.more": "… and {n} more in manifest.json.",
    "lim.no_correlation": "Correlation results are not available: no account, session or exfiltration is assessed.",
    # 12 notification
    "no.intro": "An aid for the data controller's notification to the supervisory authority (CNIL in France) under "
    "article 33 of the GDPR. It gathers what the logs establish; the assessment of the risk to people and the "
    "notification itself remain the controller's. Article 33(4) allows information to be provided in phases.",
    "no.awareness": "Awareness of the breach",
    "no.awareness_none": "not set: add [case] awareness to the case configuration",
    "no.deadline": "Notification deadline (72 hours)",
    "no.remaining": "At the time of this report",
    "no.remaining_value": "{duration} left",
    "no.passed": "the deadline passed {duration} ago: the notification must give the reasons for the delay",
    "no.nature": "Nature of the breach",
    "no.nature_confidentiality": "confidentiality: personal data were read and sent out by an unauthorised person",
    "no.nature_access": "confidentiality: an account was used by an unauthorised person",
    "no.nature_integrity": "integrity: the attacker created or changed accounts ({accounts})",
    "no.nature_unknown": "to be established: the findings do not establish a breach",
    "no.subjects": "Categories of data subjects",
    "no.subjects_value": "to be completed by the controller (for example: patients)",
    "no.subjects_n": "Approximate number of data subjects",
    "no.subjects_n_value": "about {n} patients (distinct patient records exposed, between {low} and {high}; one "
    "record is one patient)",
    "no.records": "Categories of personal data records",
    "no.records_n": "Approximate number of records",
    "no.records_n_value": "about {estimate} (between {low} and {high})",
    "no.period": "Period of the breach",
    "no.consequences": "Likely consequences",
    "no.measures": "Measures taken or proposed",
    "no.to_complete": "to be completed by the controller",
    "no.measures_hint": "to be completed by the controller; the indicators of section 8 list the addresses to block "
    "and the accounts to disable",
    "no.rests_on": "Rests on",
    "no.from_config": "case configuration ([case] awareness)",
    "no.rule": "GDPR art. 33(1): within 72 hours of awareness",
    "no.unknown": "not established by the findings",
    "a1": "Findings in full, with their evidence lines",
    "a2": "Sessions and cross-source links",
    "a3": "Evidence manifest",
    "annexes": "Annexes",
    "annexes.intro": "The annexes hold the detail the body rests on: every finding with the log lines it cites, "
    "the sessions and links of the assessed accounts and attacker addresses, and the evidence "
    "files with their hashes. On screen they are folded (open one by its title); on paper they "
    "follow the body.",
    "print.hash": "Report SHA-256",
    "print.page": "Page",
    "id.reference": "Case reference",
    "id.no_reference": "not set ([case] reference in the case configuration)",
    "fi.group_title": "{n} findings of one kind, for example: {example}",
    "fi.id": "Finding",
    "fi.title": "Title",
    "fi.other.kind": "Kind (the first of them)",
    "fi.other.n": "Findings",
    "fi.other.accounts": "Accounts",
    "fi.other.ids": "Numbers",
    "fi.more_accounts": "and {n} more",
    "fi.evidence_link": "Cited lines: annex A",
    "fi.annex_intro": "Every finding, the attack's first, then the other signals, with the lines it cites quoted "
    "as the logs hold them (cut when long; control characters shown as \\xNN codes). The Time "
    "column is corrected for the source's clock (section 9); the raw line shows the clock as it "
    "was written.",
    "fi.evidence_total": "{shown} of the {n} lines it rests on are quoted here; finding_events.parquet lists them all.",
    "ac.sessions_annex": "The sessions of these accounts and of the attacker addresses, and how events of "
    "different sources were tied together, are in annex B.",
    "ex.rows": "Rows sent",
    "ex.no_account": "no account",
    "ex.columns": "Distinct records count each record once: the account's total is what was exposed. Rows sent "
    "count every row of every answer, repeats included (one export per date range repeats a patient "
    "in every range), so the figures per address overlap and do not add up to the total. Named by "
    "number: distinct records whose number is in the requests.",
    "ti.outside": "The evidence window runs from {first} to {last}. {n} events carry dates outside it (from "
    "{earliest} to {latest}): dated facts of table dumps, such as a password set or an account "
    "created long before. They are kept in the data but do not stretch the window, the timeline or "
    "the coverage map.",
    "fig.overview": "Whole evidence",
    "fig.axis_utc": "Time (UTC)",
    "lim.warnings": "The ingest raised {n} warning(s) about the evidence files (rotated files, clock corrections, "
    "odd lines): they are listed in annex C.",
    "ex.capped": "cut to the account's total",
}

FR: dict[str, str] = {
    "banner": "Confidentiel : rapport d'incident. Il cite des textes écrits par l'attaquant ; ces textes sont "
    "affichés sans effet, comme de simples caractères.",
    "kicker": "Rapport d'incident · chronologie de l'attaque",
    "title.default": "Chronologie de l'attaque : {case}",
    "masthead.generated": "Généré le {when}",
    "masthead.analyst": "Analyste : {analyst}",
    "toc": "Sommaire",
    "footer.end": "Fin du rapport.",
    "footer.hash": "Chaque page imprimée porte l'empreinte de contenu du rapport : les 16 premiers chiffres "
    "hexadécimaux du SHA-256 de ce fichier dans lequel cette valeur est remplacée par 16 zéros dans "
    "la feuille de style de l'en-tête (docs/report.md explique comment la vérifier). Le SHA-256 du "
    "fichier tel qu'il est est écrit à côté, dans un fichier de même nom terminé par .sha256 "
    "(vérifiable avec sha256sum -c).",
    "footer.tool": "Produit par {tool} {version}.",
    "na": "non disponible",
    "none": "aucun",
    "dash": "–",
    "yes": "oui",
    "no": "non",
    "more_rows": "{shown} lignes affichées sur {total} ; les autres sont dans {file}.",
    "cut": "… [{n} caractères de plus]",
    "noscript": "Cette figure est dessinée par le script contenu dans ce fichier ; elle nécessite JavaScript.",
    "time.utc": "UTC",
    "time.zone_city": "heure de {city}",
    "time.long": "{day} {month} {year} à {clock}",
    "time.long_zone": "{when} {city} ({offset} ; {utc} UTC)",
    "time.long_utc": "{when} UTC",
    "list.sep": " ; ",
    "list.and": "{head} et {last}",
    "list.then": "{head}, puis {last}",
    "months": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "months_short": "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.",
    "days": "dimanche lundi mardi mercredi jeudi vendredi samedi",
    "unit.bytes": "octets",
    "unit.size": "o ko Mo Go To",
    "duration.d": "{n} j",
    "duration.h": "{n} h",
    "duration.min": "{n} min",
    "duration.s": "{n} s",
    "scope.nothing_read": "Rien n'a été lu : aucun fichier des pièces n'a été reconnu ({files} fichiers, {lines} lignes) ; "
    "ce rapport ne peut donc rien conclure sur l'affaire.",
    "scope.window": "Cette affaire est limitée à la période {since} – {until} (UTC) : {outside} événements hors de cette "
    "période ont été lus mais ne figurent pas dans ce rapport.",
    "s1": "Identification",
    "s2": "Synthèse",
    "s3": "Chronologie de l'attaque",
    "s4": "Phases de l'attaque",
    "s5": "Constats",
    "s6": "Comptes",
    "s7": "Estimation de l'exfiltration",
    "s8": "Indicateurs",
    "s9": "Déclaration sur le temps",
    "s10": "Couverture et limites",
    "s11": "Aide à la notification (RGPD, art. 33)",
    "id.case": "Affaire",
    "id.analyst": "Analyste",
    "id.generated": "Rapport généré le",
    "id.tool": "Outil",
    "id.tool_value": "{name} {version} (acquisition par {ingest_name} {ingest_version}, Python {python}, "
    "polars {polars})",
    "id.cmd_ingest": "Ligne de commande de l'acquisition",
    "id.cmd_correlate": "Ligne de commande de la corrélation",
    "id.cmd_report": "Ligne de commande du rapport",
    "id.config": "Configuration de l'affaire",
    "id.config_value": "{path} · SHA-256 {sha}",
    "id.manifest_hash": "SHA-256 du manifeste",
    "id.evidence_root": "Dossier des preuves",
    "id.ingest_run": "Acquisition",
    "id.ingest_run_value": "du {start} au {end}",
    "id.no_config": "aucune configuration d'affaire n'a été utilisée",
    "id.unknown": "non enregistré",
    "sum.no_findings": "Les résultats de la corrélation ne sont pas disponibles (pas de findings.json dans le dossier "
    "de sortie) : ce rapport décrit les preuves et leur couverture, mais ne dit pas quel compte a été compromis ni ce "
    "qui a été pris. Lancez <code>forensics correlate</code> sur ce dossier, puis générez de nouveau le rapport.",
    "sum.bad_findings": "Les résultats de la corrélation n'ont pas pu être lus : {error}.",
    "sum.lead.compromised": "Le compte {accounts} de l'application a été utilisé par un attaquant du {first} au {last} "
    "({zone}).",
    "sum.lead.compromised_many": "Les comptes {accounts} de l'application ont été utilisés par un attaquant du {first} "
    "au {last} ({zone}).",
    "sum.lead.none": "Aucun compte n'est évalué comme compromis dans ces journaux.",
    "sum.lead.first": "Le premier signe de l'attaque date du {first}.",
    "sum.lead.how": "L'attaquant est entré {how}.",
    "sum.lead.from": "Il a utilisé {n} adresses réseau : {list}.",
    "sum.lead.exfil": "Environ {records} enregistrements ({size}) ont été envoyés à l'attaquant.",
    "sum.lead.persistence": "Avant de partir, l'attaquant a créé le compte {accounts}.",
    "sum.lead.persistence_many": "Avant de partir, l'attaquant a créé les comptes {accounts}.",
    "sum.lead.uncertain": "Reste à confirmer : {items}.",
    "uncs.inferred": "le constat {id} ({phase}), déduit et non observé",
    "uncs.bounds": "le nombre exact d'enregistrements (entre {low} et {high})",
    "uncs.gaps": "ce qui s'est passé pendant {n} de silence des journaux",
    "kf.account": "Compte compromis",
    "kf.account_many": "Comptes compromis",
    "kf.account_none": "aucun trouvé",
    "kf.account_sub": "utilisé du {first} au {last}",
    "kf.account_sub_many": "utilisés du {first} au {last}",
    "kf.records": "Enregistrements pris",
    "kf.records_value": "≈ {n}",
    "kf.records_sub": "{size} ; entre {low} et {high}",
    "kf.records_none": "aucun trouvé",
    "kf.addresses": "Adresses de l'attaquant",
    "kf.addresses_sub": "première activité le {when}",
    "kf.persistence": "Compte laissé en place",
    "kf.persistence_many": "Comptes laissés en place",
    "kf.persistence_sub": "créé par l'attaquant",
    "kf.persistence_sub_many": "créés par l'attaquant",
    "kf.persistence_inferred": "créé par l'attaquant (à confirmer)",
    "kf.persistence_inferred_many": "créés par l'attaquant (à confirmer)",
    "kf.persistence_none": "aucun trouvé",
    "kf.deadline": "Notifier l'autorité avant le",
    "kf.deadline_sub": "{zone} ; 72 h après la prise de connaissance (RGPD art. 33)",
    "kf.deadline_none": "heure de prise de connaissance non renseignée",
    "time.short": "{day} {month} {year}, {clock}",
    "sum.which": "Quel compte",
    "sum.which_many": "Quels comptes",
    "sum.since": "Depuis quand",
    "sum.from": "D'où",
    "sum.how": "Comment l'attaquant est entré",
    "sum.taken": "Ce qui a été pris",
    "sum.persistence": "Persistance laissée",
    "sum.uncertain": "Ce qui reste incertain",
    "sum.which.item": "{account} : évalué <strong>{verdict}</strong> (score {score})",
    "sum.which.none": "aucun compte évalué comme compromis",
    "sum.since.attack": "premier signe de l'attaque : {when}",
    "sum.since.use": "première utilisation de {account} par l'attaquant : {when}",
    "sum.since.last": "dernière activité de l'attaquant : {when}",
    "sum.from.count": "{n} adresses utilisées par l'attaquant : {list}",
    "sum.from.range": "{first} à {last} ({n} adresses)",
    "sum.from.none": "aucune adresse de l'attaquant identifiée",
    "sum.how.steps": "{steps} (constats {ids})",
    "sum.how.none": "non établi par les constats",
    "sum.taken.records": "environ {estimate} enregistrements (entre {low} et {high}), {size}",
    "sum.taken.objects": "{n} enregistrements distincts identifiés",
    "sum.taken.categories": "données : {categories}",
    "sum.taken.basis": "constats {ids}",
    "sum.taken.none": "aucune exfiltration de données n'a été trouvée dans ces journaux",
    "sum.persistence.item": "Le compte {account} a été créé par l'attaquant ({evidence}).",
    "sum.persistence.account": "Le compte {account} a été créé par l'attaquant.",
    "sum.persistence.basis_one": "{basis} : constat {ids}",
    "sum.persistence.basis": "{basis} : constats {ids}",
    "list.semicolon": " ; ",
    "sum.persistence.none": "aucune création de compte ni modification de droits par l'attaquant n'a été trouvée",
    "unc.inferred": "{id} repose sur une déduction, pas sur une ligne de journal qui l'énonce : « {title} »",
    "unc.bounds": "le nombre d'enregistrements pris se situe entre {low} et {high}",
    "unc.zone_assumed": "aucun fuseau horaire n'a été donné pour {sources} : UTC a été supposé",
    "unc.gaps": "{n} lacune(s) dans la couverture des journaux (section 10) : ce qui s'est passé alors n'est pas visible",
    "unc.unrecognised": "{n} fichier(s) de preuve n'ont pas été reconnus ni intégrés à la chronologie",
    "unc.rejects": "{n} ligne(s) n'ont pas pu être analysées (annexe C)",
    "unc.changed": "{n} fichier(s) de preuve ont changé pendant leur lecture",
    "unc.missing_quotes": "{n} ligne(s) citée(s) introuvable(s) dans events.parquet",
    "unc.no_sessions": "les sessions et les liens entre sources ne sont pas disponibles",
    "unc.findings_problems": "findings.json présente {n} problème(s) de format (section 10)",
    "unc.no_awareness": "l'heure de prise de connaissance n'est pas dans la configuration de l'affaire : le délai de "
    "72 heures ne peut pas être calculé",
    "unc.from_findings": "note de la corrélation : « {text} »",
    "unc.none": "rien n'est signalé par l'outil ; les limites de la section 10 s'appliquent toujours",
    "tl.intro": "La fenêtre de l'attaque, à l'heure locale de l'affaire avec l'heure UTC sous chaque heure. Les "
    "lignes du haut sont les phases de l'attaque : une barre quand l'activité de l'attaquant dans "
    "cette phase est continue, un losange pour un moment isolé. En dessous, une ligne par source de "
    "journal : la teinte grise est le volume de cette source (plus foncé est plus chargé, par rapport "
    "à son propre moment le plus chargé), les marques colorées sont les événements que les constats "
    "rattachent à une phase. Le bandeau du bas montre toutes les preuves, la fenêtre de l'attaque "
    "encadrée en rouge. Survolez une marque pour son heure locale, son fichier et sa ligne ; faites "
    "glisser pour zoomer, double-cliquez pour revenir.",
    "tl.grouped": "{total} événements de l'attaque sont regroupés par tranche de {step} pour garder ce fichier léger : "
    "chaque marque est un groupe, sa taille croît avec le nombre d'événements, et son survol donne le premier fichier "
    "et la première ligne.",
    "tl.no_sessions": "Les sessions du compte compromis ne sont pas dessinées : sessions.parquet n'est pas disponible.",
    "tl.empty": "Il n'y a aucun événement à dessiner.",
    "fig.phases_lane": "Phases de l'attaque",
    "fig.sessions_lane": "Sessions : {account}",
    "fig.other_lane": "autres sources ({n})",
    "fig.axis_time": "{city}, avec l'heure UTC sous chaque heure",
    "fig.axis_source": "Source",
    "fig.density": "Tous les événements",
    "fig.h.events": "événements",
    "fig.h.local": "heure locale",
    "fig.h.finding": "constat",
    "fig.h.client": "client",
    "fig.h.first": "premier",
    "fig.h.last": "dernier",
    "fig.h.span": "durée",
    "fig.h.gap": "lacune : aucun événement",
    "fig.h.expected": "attendu par heure",
    "fig.h.session": "session",
    "fig.gap": "Lacune",
    "fig.dst": "changement d'heure",
    "fig.coverage_title": "Événements par source et par heure",
    "ph.intro": "Chaque constat porte les techniques MITRE ATT&CK qu'il montre. Les références sont écrites en texte "
    "(rien dans ce fichier n'ouvre de page web) ; saisissez-les dans un navigateur pour lire la description de la "
    "technique.",
    "ph.phase": "Phase",
    "ph.techniques": "Techniques",
    "ph.first": "Début",
    "ph.last": "Fin",
    "ph.findings": "Constats",
    "ph.none": "Aucune technique n'est attribuée dans les constats.",
    "ph.others_one": "Un autre constat, non rattaché à l'attaque, n'est pas compté dans ces phases (fin de la "
    "section 5).",
    "ph.others": "{n} autres constats, non rattachés à l'attaque, ne sont pas comptés dans ces phases (fin de la "
    "section 5).",
    "ph.unknown_technique": "technique absente du catalogue de cet outil",
    "phase.credential_access": "Accès aux identifiants",
    "phase.initial_access": "Accès initial",
    "phase.discovery": "Découverte",
    "phase.collection": "Collecte",
    "phase.exfiltration": "Exfiltration",
    "phase.persistence": "Persistance",
    "phase.command_and_control": "Commande et contrôle",
    "phase.defense_evasion": "Contournement des défenses",
    "phase.other": "Autre",
    "fi.intro": "Chaque constat indique son fondement, sa période, le compte et les adresses qu'il concerne, ses "
    "techniques et le raisonnement qui le fonde ; les lignes de journal qu'il cite sont reproduites à "
    "l'annexe A. Les constats semblables (même type, même compte) forment une seule entrée.",
    "basis.observed": "observé",
    "basis.derived": "calculé",
    "basis.inferred": "déduit",
    "basis.unknown": "fondement non précisé",
    "basis.observed.help": "une ligne de journal l'énonce",
    "basis.derived.help": "calculé à partir de lignes de journal",
    "basis.inferred.help": "jugement tiré des lignes : à confirmer",
    "basis.unknown.help": "le constat ne précise pas son fondement",
    "fi.techniques": "Techniques",
    "fi.account": "Compte",
    "fi.ips": "Adresses",
    "fi.period": "Période",
    "fi.events": "Événements",
    "fi.reasoning": "Raisonnement",
    "fi.evidence": "Preuves",
    "fi.file": "Fichier",
    "fi.line": "Ligne",
    "fi.time": "Heure",
    "fi.raw": "Ligne brute",
    "fi.not_found": "introuvable dans events.parquet et rejects.parquet",
    "fi.from_rejects": "(issue de rejects.parquet : la ligne n'a pas pu être analysée)",
    "fi.more_evidence": "{n} autres lignes citées : {refs}",
    "fi.none": "La liste des constats est vide.",
    "fi.none_attack": "Aucun constat n'est rattaché à l'attaque.",
    "fi.other.title": "Autres signaux, non rattachés à l'attaque",
    "fi.other.intro": "La corrélation a aussi relevé des signaux qu'elle n'a pas rattachés à l'attaquant : ils "
    "concernent des comptes qu'elle a jugés normaux, ou aucun compte, et des adresses qu'elle "
    "n'a pas attribuées à l'attaquant (connexion depuis une nouvelle adresse, mot de passe "
    "changé après expiration, gros rapport). Ils ne font partie ni des phases de l'attaque, ni "
    "de sa chronologie, ni de la synthèse, ni des indicateurs. Une ligne par type, avec leur "
    "nombre et les comptes concernés ; chacun figure en entier à l'annexe A, pour que ce "
    "jugement puisse être vérifié.",
    "fi.untitled": "(sans titre)",
    "ac.intro": "Comptes évalués par la corrélation, du plus suspect au moins suspect, avec ses raisons.",
    "ac.account": "Compte",
    "ac.verdict": "Évaluation",
    "ac.score": "Score",
    "ac.first": "Première utilisation malveillante",
    "ac.last": "Dernière utilisation malveillante",
    "ac.ips": "Adresses sources",
    "ac.reasons": "Raisons",
    "ac.none": "Aucun compte n'est évalué comme compromis ou suspect.",
    "verdict.compromised": "compromis",
    "verdict.suspicious": "suspect",
    "verdict.normal": "normal",
    "se.title": "Sessions",
    "se.intro": "Sessions des comptes ci-dessus et des adresses de l'attaquant (web, application et base de données).",
    "se.na": "Non disponible : sessions.parquet n'est pas dans le dossier de sortie (lancez forensics correlate).",
    "se.empty": "Aucune session de ces comptes ou adresses.",
    "li.title": "Liens entre sources",
    "li.intro": "Comment les événements de sources différentes ont été reliés, avec la raison et le niveau de confiance "
    "de chaque lien.",
    "li.na": "Non disponible : links.parquet n'est pas dans le dossier de sortie (lancez forensics correlate).",
    "li.empty": "Aucun lien ne concerne ces comptes ou adresses.",
    "col.kind": "Type",
    "word.kind.app": "application",
    "word.kind.web": "web",
    "word.kind.db": "base de données",
    "word.kind.app_login_web": "connexion ou fin de session → requête web",
    "word.kind.app_event_web": "événement applicatif → requête web",
    "word.kind.app_session_web": "session applicative → session web",
    "word.kind.web_continuation": "session web prolongée par une autre",
    "word.kind.web_db": "requête web → requête en base",
    "word.flag.end_unknown": "fin inconnue",
    "word.flag.no_screen_size": "sans taille d'écran",
    "word.kind.system": "système d'exploitation",
    "word.flag.internal": "interne",
    "word.flag.hosting": "hébergement",
    "word.flag.isp": "fournisseur d'accès",
    "word.flag.tor": "Tor",
    "word.flag.vpn": "VPN",
    "word.flag.proxy": "proxy",
    "word.flag.large_read": "lecture massive",
    "word.flag.xff_spoof": "X-Forwarded-For falsifié",
    "word.row": "ligne {n}",
    "col.keys": "Clés",
    "col.key": "Clé",
    "col.account": "Compte",
    "col.ips": "Adresses",
    "col.ip": "Adresse",
    "col.user_agents": "Agents utilisateurs",
    "col.first_seen": "Début",
    "col.last_seen": "Fin",
    "col.event_count": "Événements",
    "col.bytes": "Octets",
    "col.reasons": "Raisons",
    "col.reason": "Raison",
    "col.confidence": "Confiance",
    "col.session": "Session",
    "col.left": "De",
    "col.right": "Vers",
    "col.host": "Hôte",
    "col.account_confidence": "Confiance (compte)",
    "col.forwarded_ips": "Adresses transmises (X-Forwarded-For)",
    "col.rows_returned": "Lignes renvoyées",
    "col.auth_method": "Authentification",
    "col.flags": "Marqueurs",
    "col.time": "Heure",
    "col.left_row": "Ligne de départ",
    "col.right_row": "Ligne d'arrivée",
    "ex.intro": "Ce qui est sorti du système, par compte et par adresse. Chaque chiffre est accompagné de sa méthode et "
    "de ses bornes ; la ligne sans adresse est le total du compte.",
    "ex.account": "Compte",
    "ex.ip": "Adresse",
    "ex.records": "Enregistrements distincts (estimation, bornes)",
    "ex.bounds": "Bornes",
    "ex.objects": "Désignés par leur numéro",
    "ex.bytes": "Octets envoyés",
    "ex.period": "Période",
    "ex.method": "Méthode",
    "ex.basis": "Constats",
    "ex.total": "total",
    "ex.categories": "Catégories de données",
    "ex.categories_none": "non précisées par les constats ; à établir par le responsable de traitement",
    "ex.none": "Aucune exfiltration n'est estimée dans les constats.",
    "cat.identity": "identité (noms, dates de naissance)",
    "cat.contact": "coordonnées",
    "cat.health": "données de santé",
    "cat.social_security": "numéros de sécurité sociale",
    "cat.financial": "données financières",
    "cat.credentials": "identifiants de connexion",
    "cat.administrative": "données administratives",
    "in.intro": "Les adresses sont écrites neutralisées (203.0.113[.]14) pour qu'on ne puisse pas les cliquer, les "
    "résoudre ou les coller dans un outil par erreur.",
    "in.ips": "Adresses réseau",
    "in.ip": "Adresse",
    "in.role": "Rôle",
    "in.role_attacker": "attaquant",
    "in.role_cited": "citée par un constat",
    "in.events": "Événements qui la citent",
    "in.ua_events": "Événements qui le citent",
    "in.first": "Première apparition",
    "in.last": "Dernière apparition",
    "in.findings": "Constats",
    "in.uas": "Agents utilisateurs envoyés depuis les adresses de l'attaquant",
    "in.ua": "Agent utilisateur",
    "in.ua_ips": "Depuis",
    "in.accounts": "Comptes",
    "in.compromised": "Comptes compromis",
    "in.created": "Comptes créés par l'attaquant",
    "in.plain": "Liste simple (neutralisée)",
    "in.none": "Aucun indicateur.",
    "ma.inputs": "Fichiers d'entrée de ce rapport",
    "ma.input": "Fichier",
    "ma.sha": "SHA-256",
    "ma.totals": "{files} fichiers lus ({unrecognised} non reconnus), {lines} lignes, {events} événements, "
    "{rejects} lignes rejetées, {skipped} chemins ignorés.",
    "ma.files": "Fichiers",
    "ma.file": "Fichier",
    "ma.size": "Taille",
    "ma.sha_before": "SHA-256 avant",
    "ma.sha_after": "SHA-256 après",
    "ma.unchanged": "Inchangé",
    "ma.parser": "Analyseur",
    "ma.lines": "Lignes",
    "ma.events": "Événements",
    "ma.rejects": "Rejets",
    "ma.zone": "Fuseau",
    "ma.skew": "Correction d'horloge",
    "ma.unrecognised": "non reconnu",
    "ma.changed": "MODIFIÉ",
    "ma.unrecognised_title": "Fichiers non reconnus",
    "ma.unrecognised_none": "Tous les fichiers ont été reconnus.",
    "ma.skipped_title": "Chemins non lus",
    "ma.skipped_none": "Aucun chemin n'a été ignoré.",
    "ma.reason": "Raison",
    "ma.rejects_title": "Lignes rejetées par raison",
    "ma.rejects_none": "Aucune ligne n'a été rejetée.",
    "ma.example": "Exemple",
    "ma.count": "Lignes",
    "ma.warnings_title": "Avertissements de l'acquisition",
    "ma.warnings_none": "L'acquisition n'a émis aucun avertissement.",
    "ma.accounting_title": "Chaque ligne comptée",
    "ma.accounting_intro": "Pour chaque fichier : lignes lues = lignes dans des événements + vides + méta "
    "(en-têtes, directives) + rejetées + non analysées (fichier non reconnu).",
    "ma.read": "Lues",
    "ma.in_events": "Dans des événements",
    "ma.blank": "Vides",
    "ma.meta": "Méta",
    "ma.not_parsed": "Non analysées",
    "ma.balanced": "Équilibré",
    "ma.secrets_title": "Secrets masqués dans ce rapport",
    "ma.secrets_intro": "Les secrets trouvés dans les journaux apparaissent comme [REDACTED] dans ce rapport et "
    "dans les exports ; les preuves et events.parquet les conservent tels qu'écrits. Événements contenant chaque "
    "type :",
    "ma.secrets_kept": "Les secrets n'ont PAS été masqués dans ce rapport (--keep-secrets) : mots de passe, clés "
    "et cookies de session trouvés dans les journaux apparaissent tels qu'écrits.",
    "ma.secrets_none": "Aucun mot de passe, clé, valeur Authorization ni cookie de session n'a été trouvé dans les "
    "journaux.",
    "ma.secret_kind": "Type",
    "ma.secret_events": "Événements",
    "ma.secret_why": "Raison du masquage",
    "se.url_password": "mot de passe dans une URL",
    "se.url_password.why": "un mot de passe écrit dans une URL permet de se connecter",
    "se.password": "paramètre de mot de passe",
    "se.password.why": "un mot de passe envoyé dans une URL ou un formulaire",
    "se.api_key": "clé d'API ou jeton",
    "se.api_key.why": "une clé d'API ou un jeton d'accès donne les droits de son titulaire",
    "se.authorization": "en-tête Authorization",
    "se.authorization.why": "les identifiants d'un en-tête Authorization (Basic est un mot de passe en base64)",
    "se.session_cookie": "cookie de session",
    "se.session_cookie.why": "un cookie de session permet d'agir comme l'utilisateur connecté",
    "ti.intro": "Toutes les heures de ce rapport sont données dans le fuseau de l'affaire ({zone}) avec leur décalage, "
    "et en UTC. Les événements sont ordonnés en UTC après la correction d'horloge de chaque source.",
    "ti.tolerance": "Les événements de sources différentes sont rapprochés avec une tolérance de {seconds} secondes.",
    "ti.source": "Source",
    "ti.host": "Hôte",
    "ti.zone": "Fuseau utilisé",
    "ti.zone_how": "Comment il a été déterminé",
    "ti.skew": "Correction d'horloge",
    "ti.flags": "Marqueurs de temps",
    "ti.naive": "Heures sans fuseau",
    "zs.record": "écrit dans chaque enregistrement",
    "zs.source": "fixé pour cette source dans la configuration de l'affaire",
    "zs.case": "fuseau de l'affaire (configuration)",
    "zs.cli": "donné en ligne de commande",
    "zs.assumed_utc": "NON DONNÉ : UTC supposé",
    "ti.skew_config": "{seconds} s (configuration de l'affaire)",
    "ti.skew_estimate": "{seconds} s (estimée sur {pairs} paires d'événements, dispersion {mad} s)",
    "ti.skew_not_applied": "{seconds} s suggérée par {pairs} paires d'événements, non appliquée : {reason}",
    "ti.skew_reference": "horloge de référence (0 s)",
    "ti.skew_none": "aucune",
    "ti.dst_title": "Changements d'heure pendant la période de l'affaire",
    "ti.dst_back": "Le {when}, les horloges de {zone} ont reculé de {before} à {after} : les heures locales entre "
    "{after} et {before} ont eu lieu deux fois cette nuit-là. Les sources qui écrivent un décalage ou l'UTC sont sans "
    "ambiguïté ; les autres ont été résolues par l'ordre des enregistrements et marquées.",
    "ti.dst_forward": "Le {when}, les horloges de {zone} ont avancé de {before} à {after} : les heures locales "
    "intermédiaires n'ont pas existé.",
    "ti.dst_none": "Aucun changement d'heure pendant la période de l'affaire.",
    "ti.flags_title": "Signification des marqueurs de temps",
    "flag.dst_ambiguous": "heure locale dans l'heure répétée, ordre non démontrable",
    "flag.dst_ambiguous_resolved": "heure locale dans l'heure répétée, résolue par l'ordre des enregistrements",
    "flag.dst_nonexistent": "heure locale inexistante (passage à l'heure d'été)",
    "flag.year_inferred": "le journal n'indique pas l'année ; elle a été déduite",
    "flag.skew_corrected": "la correction d'horloge de la source a été appliquée",
    "flag.rounded": "la source arrondit ses heures",
    "co.intro": "Événements par source et par heure sur la fenêtre des preuves, en teinte logarithmique. Une croix "
    "rouge marque une lacune : un silence que le rythme propre de la source n'explique pas (elle écrit "
    "d'habitude au moins dix événements sur ces heures de la journée). Un journal calme la nuit n'a "
    "pas de lacune ; une heure de silence dans un journal chargé en est une, même si un événement "
    "isolé s'y trouve.",
    "co.gaps": "Lacunes de couverture",
    "co.source": "Source",
    "co.from": "Début",
    "co.to": "Fin",
    "co.hours": "Silence",
    "co.expected": "Volume habituel à ces heures",
    "co.expected_value": "{n} événements par heure",
    "co.gaps_none": "Aucune lacune : aucune source ne se tait plus longtemps que son propre rythme ne l'explique.",
    "co.limits": "Limites",
    "co.binned": "Les cellules couvrent {hours} heures pour garder ce fichier léger.",
    "lim.logs_only": "Le rapport montre ce que disent les journaux. Une action qu'aucun journal n'enregistre (le corps "
    "d'une requête POST, une copie de fichier par un autre canal) n'est pas visible ici.",
    "lim.gaps": "Pendant les lacunes ci-dessus, l'activité est inconnue.",
    "lim.unrecognised": "{n} fichier(s) non reconnu(s) ne figurent pas dans la chronologie (annexe C).",
    "lim.rejects": "{n} ligne(s) n'ont pas pu être analysées ; elles sont conservées dans rejects.parquet (annexe C).",
    "lim.warning": "Acquisition : {text}",
    "lim.note": "Rapport : {text}",
    "lim.findings": "findings.json : {text}",
    "lim.more": "… et {n} de plus dans manifest.json.",
    "lim.no_correlation": "Les résultats de la corrélation ne sont pas disponibles : aucun compte, aucune session ni "
    "aucune exfiltration n'est évalué.",
    "no.intro": "Une aide à la notification de la violation à l'autorité de contrôle (la CNIL en France) par le "
    "responsable de traitement, au titre de l'article 33 du RGPD. Elle rassemble ce que les journaux établissent ; "
    "l'évaluation du risque pour les personnes et la notification elle-même restent du ressort du responsable de "
    "traitement. L'article 33, paragraphe 4, permet de fournir les informations de manière échelonnée.",
    "no.awareness": "Prise de connaissance de la violation",
    "no.awareness_none": "non renseignée : ajoutez [case] awareness à la configuration de l'affaire",
    "no.deadline": "Échéance de notification (72 heures)",
    "no.remaining": "Au moment de ce rapport",
    "no.remaining_value": "il reste {duration}",
    "no.passed": "l'échéance est dépassée depuis {duration} : la notification doit indiquer les motifs du retard",
    "no.nature": "Nature de la violation",
    "no.nature_confidentiality": "confidentialité : des données personnelles ont été lues et envoyées à l'extérieur "
    "par une personne non autorisée",
    "no.nature_access": "confidentialité : un compte a été utilisé par une personne non autorisée",
    "no.nature_integrity": "intégrité : l'attaquant a créé ou modifié des comptes ({accounts})",
    "no.nature_unknown": "à établir : les constats n'établissent pas de violation",
    "no.subjects": "Catégories de personnes concernées",
    "no.subjects_value": "à compléter par le responsable de traitement (par exemple : patients)",
    "no.subjects_n": "Nombre approximatif de personnes concernées",
    "no.subjects_n_value": "environ {n} patients (dossiers patients distincts exposés, entre {low} et {high} ; un "
    "dossier correspond à un patient)",
    "no.records": "Catégories d'enregistrements de données personnelles",
    "no.records_n": "Nombre approximatif d'enregistrements",
    "no.records_n_value": "environ {estimate} (entre {low} et {high})",
    "no.period": "Période de la violation",
    "no.consequences": "Conséquences probables",
    "no.measures": "Mesures prises ou envisagées",
    "no.to_complete": "à compléter par le responsable de traitement",
    "no.measures_hint": "à compléter par le responsable de traitement ; les indicateurs de la section 8 listent les "
    "adresses à bloquer et les comptes à désactiver",
    "no.rests_on": "Repose sur",
    "no.from_config": "configuration de l'affaire ([case] awareness)",
    "no.rule": "RGPD art. 33, par. 1 : dans les 72 heures après la prise de connaissance",
    "no.unknown": "non établi par les constats",
    "a1": "Constats en détail, avec leurs lignes de preuve",
    "a2": "Sessions et liens entre sources",
    "a3": "Inventaire des preuves",
    "annexes": "Annexes",
    "annexes.intro": "Les annexes contiennent le détail sur lequel repose le corps du rapport : chaque constat "
    "avec les lignes de journal qu'il cite, les sessions et les liens des comptes évalués et des "
    "adresses de l'attaquant, et les fichiers de preuve avec leurs empreintes. À l'écran elles "
    "sont repliées (ouvrez-en une par son titre) ; sur papier elles suivent le corps du rapport.",
    "print.hash": "SHA-256 du rapport",
    "print.page": "Page",
    "id.reference": "Référence de l'affaire",
    "id.no_reference": "non renseignée ([case] reference dans la configuration de l'affaire)",
    "fi.group_title": "{n} constats du même type, par exemple : {example}",
    "fi.id": "Constat",
    "fi.title": "Intitulé",
    "fi.other.kind": "Type (le premier d'entre eux)",
    "fi.other.n": "Constats",
    "fi.other.accounts": "Comptes",
    "fi.other.ids": "Numéros",
    "fi.more_accounts": "et {n} autres",
    "fi.evidence_link": "Lignes citées : annexe A",
    "fi.annex_intro": "Chaque constat, ceux de l'attaque d'abord, puis les autres signaux, avec les lignes qu'il "
    "cite telles que les journaux les contiennent (coupées si elles sont longues ; caractères de "
    "contrôle affichés en codes \\xNN). La colonne Heure est corrigée de l'horloge de la source "
    "(section 9) ; la ligne brute montre l'heure telle qu'elle a été écrite.",
    "fi.evidence_total": "{shown} des {n} lignes sur lesquelles il repose sont citées ici ; finding_events.parquet "
    "les liste toutes.",
    "ac.sessions_annex": "Les sessions de ces comptes et des adresses de l'attaquant, et la façon dont les "
    "événements de sources différentes ont été reliés, sont à l'annexe B.",
    "ex.rows": "Lignes envoyées",
    "ex.no_account": "aucun compte",
    "ex.columns": "Les enregistrements distincts comptent chaque enregistrement une fois : le total du compte est "
    "ce qui a été exposé. Les lignes envoyées comptent chaque ligne de chaque réponse, répétitions "
    "comprises (un export par période répète un patient dans chaque période) : les chiffres par "
    "adresse se recouvrent et ne s'additionnent pas pour donner le total. Désignés par leur numéro : "
    "enregistrements distincts dont le numéro figure dans les requêtes.",
    "ti.outside": "La fenêtre des preuves va du {first} au {last}. {n} événements portent des dates hors de cette "
    "fenêtre (du {earliest} au {latest}) : des faits datés d'extractions de tables, comme un mot de "
    "passe défini ou un compte créé longtemps avant. Ils restent dans les données mais n'étendent ni "
    "la fenêtre, ni la chronologie, ni la carte de couverture.",
    "fig.overview": "Toutes les preuves",
    "fig.axis_utc": "Heure (UTC)",
    "lim.warnings": "L'acquisition a émis {n} avertissement(s) sur les fichiers de preuve (fichiers tournés, "
    "corrections d'horloge, lignes singulières) : ils sont listés à l'annexe C.",
    "ex.capped": "ramené au total du compte",
}

#: ATT&CK technique names: the official English name; in French a translation followed by it.
TECHNIQUE_NAMES: dict[str, tuple[str, str]] = {
    "T1110": ("Brute Force", "Force brute"),
    "T1110.001": ("Brute Force: Password Guessing", "Devinette de mots de passe"),
    "T1110.002": ("Brute Force: Password Cracking", "Cassage de mots de passe"),
    "T1110.003": ("Brute Force: Password Spraying", "Pulvérisation de mots de passe"),
    "T1110.004": ("Brute Force: Credential Stuffing", "Réutilisation d'identifiants volés"),
    "T1078": ("Valid Accounts", "Utilisation de comptes valides"),
    "T1078.001": ("Valid Accounts: Default Accounts", "Comptes par défaut"),
    "T1078.003": ("Valid Accounts: Local Accounts", "Comptes locaux"),
    "T1078.004": ("Valid Accounts: Cloud Accounts", "Comptes cloud"),
    "T1133": ("External Remote Services", "Services distants exposés"),
    "T1190": ("Exploit Public-Facing Application", "Exploitation d'une application exposée"),
    "T1087": ("Account Discovery", "Découverte des comptes"),
    "T1087.001": ("Account Discovery: Local Account", "Découverte des comptes locaux"),
    "T1069": ("Permission Groups Discovery", "Découverte des groupes de droits"),
    "T1082": ("System Information Discovery", "Découverte d'informations système"),
    "T1083": ("File and Directory Discovery", "Découverte de fichiers et de répertoires"),
    "T1213": ("Data from Information Repositories", "Données issues de référentiels d'information"),
    "T1119": ("Automated Collection", "Collecte automatisée"),
    "T1005": ("Data from Local System", "Données du système local"),
    "T1074": ("Data Staged", "Données rassemblées avant leur sortie"),
    "T1530": ("Data from Cloud Storage", "Données du stockage cloud"),
    "T1030": ("Data Transfer Size Limits", "Transferts découpés en petites tailles"),
    "T1020": ("Automated Exfiltration", "Exfiltration automatisée"),
    "T1041": ("Exfiltration Over C2 Channel", "Exfiltration par le canal de commande"),
    "T1048": ("Exfiltration Over Alternative Protocol", "Exfiltration par un autre protocole"),
    "T1567": ("Exfiltration Over Web Service", "Exfiltration vers un service web"),
    "T1136": ("Create Account", "Création de compte"),
    "T1136.001": ("Create Account: Local Account", "Création d'un compte local"),
    "T1098": ("Account Manipulation", "Manipulation de compte"),
    "T1090": ("Proxy", "Proxy"),
    "T1550.001": (
        "Use Alternate Authentication Material: Application Access Token",
        "Utilisation d'un autre moyen d'authentification : jeton d'accès applicatif",
    ),
    "T1550.004": (
        "Use Alternate Authentication Material: Web Session Cookie",
        "Utilisation d'un autre moyen d'authentification : cookie de session web",
    ),
    "T1185": ("Browser Session Hijacking", "Détournement de session de navigateur"),
    "T1090.002": ("Proxy: External Proxy", "Proxy : proxy externe"),
    "T1090.003": ("Proxy: Multi-hop Proxy", "Proxy à rebonds multiples (Tor)"),
    "T1071.001": ("Application Layer Protocol: Web Protocols", "Protocoles web"),
    "T1036": ("Masquerading", "Usurpation d'apparence"),
    "T1070": ("Indicator Removal", "Effacement d'indicateurs"),
    "T1562": ("Impair Defenses", "Neutralisation des défenses"),
}

#: How a technique reads in a sentence for a non-specialist ("The attacker got in by ...").
TECHNIQUE_PLAIN: dict[str, tuple[str, str]] = {
    "T1110": ("guessing passwords", "en devinant des mots de passe"),
    "T1110.001": ("guessing the password of an account", "en devinant le mot de passe d'un compte"),
    "T1110.003": (
        "trying a few common passwords against many accounts (password spraying)",
        "en essayant quelques mots de passe courants sur de nombreux comptes (pulvérisation de mots de passe)",
    ),
    "T1110.004": (
        "reusing passwords stolen elsewhere (credential stuffing)",
        "en réutilisant des mots de passe volés ailleurs (bourrage d'identifiants)",
    ),
    "T1078": ("logging in with a real account's password", "en se connectant avec le mot de passe d'un vrai compte"),
    "T1133": ("through an exposed remote-access service", "par un service d'accès à distance exposé"),
    "T1190": ("exploiting a flaw of the application", "en exploitant une faille de l'application"),
}

CATALOGUES = {"en": EN, "fr": FR}


class Locale:
    """Messages and formats of one language, with times shown in one zone."""

    def __init__(self, lang: str, zone: str) -> None:
        if lang not in CATALOGUES:
            raise ValueError(f"unknown language {lang!r} (choose {', '.join(LANGUAGES)})")
        self.lang = lang
        self.messages = CATALOGUES[lang]
        self.zone_name = zone
        self.zone = ZoneInfo(zone)
        self._months = self.messages["months"].split()
        self._units = self.messages["unit.size"].split()

    def __call__(self, key: str, **values: object) -> Markup:
        """The message ``key`` with ``values`` escaped into it."""
        return Markup(self.messages[key]).format(**values)

    def text(self, key: str, **values: object) -> str:
        """The message as plain text (for plotly labels and JSON)."""
        return self.messages[key].format(**values)

    # numbers -------------------------------------------------------------------------
    def num(self, value: int | float | None) -> str:
        if value is None:
            return self.messages["dash"]
        text = f"{round(value):,}"
        return text.replace(",", "\u202f") if self.lang == "fr" else text

    def dec(self, value: float | None, digits: int = 1) -> str:
        if value is None:
            return self.messages["dash"]
        text = f"{value:,.{digits}f}"
        if self.lang == "fr":
            text = text.replace(",", "\u202f").replace(".", ",")
        return text

    def size(self, nbytes: int | None) -> str:
        """Decimal units, as operating systems and regulators count them: 254.4 MB."""
        if nbytes is None:
            return self.messages["dash"]
        value = float(nbytes)
        unit = 0
        while value >= 1000 and unit < len(self._units) - 1:
            value /= 1000
            unit += 1
        if unit == 0:
            return f"{self.num(nbytes)} {self._units[0]}"
        return f"{self.dec(value, 1)} {self._units[unit]}"

    def duration(self, seconds: float) -> str:
        seconds = round(abs(seconds))
        days, rest = divmod(seconds, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, secs = divmod(rest, 60)
        parts = []
        if days:
            parts.append(self.text("duration.d", n=days))
        if hours:
            parts.append(self.text("duration.h", n=hours))
        if minutes and not days:
            parts.append(self.text("duration.min", n=minutes))
        if not parts:
            parts.append(self.text("duration.s", n=secs))
        return " ".join(parts)

    # times ---------------------------------------------------------------------------
    def city(self) -> str:
        if self.zone_name in ("UTC", "Etc/UTC"):
            return "UTC"
        return self.text("time.zone_city", city=self.zone_name.rsplit("/", 1)[-1].replace("_", " "))

    @staticmethod
    def _offset(dt: datetime) -> str:
        off = dt.utcoffset()
        total = int(off.total_seconds()) if off is not None else 0
        sign = "+" if total >= 0 else "-"
        hours, minutes = divmod(abs(total) // 60, 60)
        return f"{sign}{hours:02d}:{minutes:02d}"

    def local(self, dt: datetime | None) -> str:
        """``2024-10-25 03:12:41 +02:00`` in the case's zone."""
        if dt is None:
            return self.messages["dash"]
        here = dt.astimezone(self.zone)
        return here.strftime("%Y-%m-%d %H:%M:%S ") + self._offset(here)

    def utc(self, dt: datetime | None) -> str:
        if dt is None:
            return self.messages["dash"]
        return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")

    def long(self, dt: datetime | None) -> str:
        """``25 October 2024 at 03:12:41 Paris time (UTC+02:00; 01:12:41 UTC)`` for prose."""
        if dt is None:
            return self.messages["dash"]
        here = dt.astimezone(self.zone)
        when = self.text(
            "time.long",
            day=here.day,
            month=self._months[here.month - 1],
            year=here.year,
            clock=here.strftime("%H:%M:%S"),
        )
        if self.zone_name in ("UTC", "Etc/UTC"):
            return self.text("time.long_utc", when=when)
        utc = dt.astimezone(UTC)
        utc_text = utc.strftime("%H:%M:%S") if utc.date() == here.date() else utc.strftime("%Y-%m-%d %H:%M:%S")
        return self.text("time.long_zone", when=when, city=self.city(), offset="UTC" + self._offset(here), utc=utc_text)

    def short(self, dt: datetime | None) -> str:
        """``25 October 2024, 03:12:41`` in the case's zone (prose and key figures): seconds matter."""
        if dt is None:
            return self.messages["dash"]
        here = dt.astimezone(self.zone)
        month = self._months[here.month - 1]
        return self.text("time.short", day=here.day, month=month, year=here.year, clock=here.strftime("%H:%M:%S"))

    def day_month(self, here: datetime) -> str:
        """``Sat 26 Oct`` / ``sam 26 oct.``: a short day for axis ticks (``here`` already in the zone)."""
        day = self.messages["days"].split()[(here.weekday() + 1) % 7][:3]
        month = self.messages["months_short"].split()[here.month - 1]
        return f"{day} {here.day} {month}"

    def date(self, dt: datetime) -> str:
        here = dt.astimezone(self.zone)
        return self.text(
            "time.long", day=here.day, month=self._months[here.month - 1], year=here.year, clock=""
        ).strip()

    def join(self, items: list[object]) -> Markup:
        """``a, b and c`` with each item escaped (Markup items kept)."""
        escaped = [Markup.escape(i) for i in items]
        if not escaped:
            return Markup("")
        if len(escaped) == 1:
            return escaped[0]
        return self("list.and", head=Markup(", ").join(escaped[:-1]), last=escaped[-1])

    def technique(self, technique: str) -> str:
        names = TECHNIQUE_NAMES.get(technique)
        if names is None:
            return ""
        return names[0] if self.lang == "en" else f"{names[1]} ({names[0]})"

    def plain_technique(self, technique: str) -> str:
        """Short name for prose: ``password spraying`` / ``pulvérisation de mots de passe``."""
        names = TECHNIQUE_NAMES.get(technique)
        if names is None:
            return technique
        if self.lang == "en":
            return names[0].split(": ", 1)[-1].lower()
        return names[1][0].lower() + names[1][1:]

    def phrase(self, technique: str) -> str:
        """A technique as a plain-words phrase for the summary, else its short name."""
        plain = TECHNIQUE_PLAIN.get(technique)
        if plain is None:
            name = self.plain_technique(technique)
            return name if self.lang == "en" else f"par {name}"
        return plain[0] if self.lang == "en" else plain[1]

    def then(self, items: list[str]) -> Markup:
        """``a, b, then c`` with each item escaped."""
        escaped = [Markup.escape(i) for i in items]
        if len(escaped) <= 1:
            return Markup("").join(escaped)
        return self("list.then", head=Markup(", ").join(escaped[:-1]), last=escaped[-1])

    def finding_text(self, message: object, fallback: str) -> str:
        """A finding message (code + parameters from findings.json) in this language.

        ``fallback`` (the English text stored beside it) is returned when there is no message
        or when it does not fit the catalogue (unknown code, missing or odd parameters): a
        damaged file costs a translation, never the report.
        """
        if not isinstance(message, dict):
            return fallback
        try:
            return render(message, self.lang, _FindingStyle(self))
        except (KeyError, IndexError, ValueError, TypeError, AttributeError, OverflowError, RecursionError):
            return fallback

    def plotly_locale(self) -> dict[str, object]:
        """A plotly.js locale (month names, separators, modebar tips) for the report's language."""
        days = self.messages["days"].split()
        return {
            "moduleType": "locale",
            "name": self.lang,
            "dictionary": PLOTLY_DICTIONARY.get(self.lang, {}),
            "format": {
                "days": days,
                "shortDays": [d[:3] for d in days],
                "months": self._months,
                "shortMonths": self.messages["months_short"].split(),
                "periods": ["AM", "PM"],
                "dateTime": "%a %e %b %Y %X",
                "date": "%d/%m/%Y" if self.lang == "fr" else "%Y-%m-%d",
                "time": "%H:%M:%S",
                "decimal": "," if self.lang == "fr" else ".",
                "thousands": "\u202f" if self.lang == "fr" else ",",
                "grouping": [3],
                "year": "%Y",
                "month": "%b %Y",
                "dayMonth": "%-d %b",
                "dayMonthYear": "%-d %b %Y",
                "currency": ["", " \u20ac"] if self.lang == "fr" else ["\u20ac", ""],
            },
        }


class _FindingStyle(Style):
    """Finding texts written the report's way: its number format, local times, defanged addresses."""

    def __init__(self, loc: Locale) -> None:
        super().__init__(loc.lang)
        self.loc = loc

    def num(self, value: object, arg: str) -> str:
        if isinstance(value, float) and not value.is_integer():
            return self.loc.dec(value, 1)
        return self.loc.num(int(value)) if isinstance(value, int | float) else self.loc.messages["dash"]

    def g(self, value: object, arg: str) -> str:
        text = f"{float(value):g}"  # type: ignore[arg-type]
        return text.replace(".", ",") if self.lang == "fr" else text

    def dec(self, value: object, arg: str) -> str:
        return self.loc.dec(float(value), int(arg or 1))  # type: ignore[arg-type]

    def time(self, value: object, arg: str) -> str:
        t = as_time(value)
        if t is None:
            return self.loc.messages["dash"]
        if arg == "clock":
            return t.astimezone(self.loc.zone).strftime("%H:%M:%S")
        return self.loc.local(t)

    def ip(self, value: object, arg: str) -> str:
        return defang(value) if is_ip(value) else show(value)

    def repr(self, value: object, arg: str) -> str:
        return f"« {value} »" if self.lang == "fr" else f"“{value}”"


#: plotly.js's own interface strings (modebar, hints) in French.
PLOTLY_DICTIONARY: dict[str, dict[str, str]] = {
    "fr": {
        "Zoom": "Zoom",
        "Pan": "Déplacer",
        "Zoom in": "Zoom avant",
        "Zoom out": "Zoom arrière",
        "Autoscale": "Échelle automatique",
        "Reset axes": "Réinitialiser les axes",
        "Double-click to zoom back out": "Double-cliquez pour revenir",
        "Toggle Spike Lines": "Afficher les repères",
        "Show closest data on hover": "Donnée la plus proche au survol",
        "Compare data on hover": "Comparer les données au survol",
        "Click to enter Colorscale title": "Cliquez pour saisir le titre de l'échelle",
    }
}
