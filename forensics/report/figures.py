"""Small frames -> plotly Figures: the attack timeline and the coverage map.

Rules that make the figures safe and stable in a legal file:
- every label, category and hover field that comes from data goes through ``plot_text``
  (plotly.js renders ``<a href>``, ``<br>`` and ``<span style>`` inside labels);
- hover templates are fixed strings from the catalogue; data only enters as ``customdata``;
- scatter traces only (SVG): no WebGL, which needs ``unsafe-eval``;
- heatmaps keep a 1-pixel gap between cells and no colour bar: plotly.js's fast heatmap
  path and its colour bar set ``style`` attributes, which the page's policy refuses;
- a fixed template, so a notebook's ``plotly.io.templates.default`` cannot change the bytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import plotly.graph_objects as go
import polars as pl

from forensics.findings.attack import PHASES
from forensics.report.attack import PHASE_STYLE
from forensics.report.frames import Gap, Marks
from forensics.report.i18n import Locale
from forensics.report.text import defang, plot_text

FONT = "Segoe UI, Helvetica Neue, Arial, Liberation Sans, sans-serif"
GAP_COLOUR = "#C62828"
SESSION_COLOUR = "#5B6B7F"

TEMPLATE = go.layout.Template(
    layout=go.Layout(
        font={"family": FONT, "size": 12, "color": "#1f2933"},
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        hoverlabel={"font": {"family": FONT, "size": 12}, "align": "left"},
        xaxis={"gridcolor": "#e4e7eb", "linecolor": "#9aa5b1", "zeroline": False, "ticks": "outside"},
        yaxis={"gridcolor": "#eef0f3", "linecolor": "#9aa5b1", "zeroline": False},
        colorway=[PHASE_STYLE[p][0] for p in PHASES],
    )
)

#: plotly.js options (the ``config`` argument of ``Plotly.newPlot``).
PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "scrollZoom": False,
    "showTips": False,
    "modeBarButtonsToRemove": ["toImage", "lasso2d", "select2d", "toggleSpikelines"],
}


def iso(dt: datetime) -> str:
    """A UTC instant as plotly reads dates (no zone suffix: plotly has no zones)."""
    return dt.strftime("%Y-%m-%d %H:%M:%S.%f").rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Bar:
    """A span drawn as a horizontal bar: a phase, or a session of a compromised account."""

    lane: str  # display label, already escaped
    start: datetime
    end: datetime
    colour: str
    label: str  # short text inside the bar (a finding id), already escaped
    hover: list[str]  # escaped fields for the hover template


def _bars(bars: list[Bar], min_width: timedelta, template: str) -> go.Bar:
    widths = [max(b.end - b.start, min_width).total_seconds() * 1000 for b in bars]
    return go.Bar(
        orientation="h",
        y=[b.lane for b in bars],
        base=[iso(b.start) for b in bars],
        x=widths,
        width=0.55,
        marker={"color": [b.colour for b in bars], "line": {"width": 0}},
        opacity=0.9,
        customdata=[b.hover for b in bars],
        hovertemplate=template,
        showlegend=False,
    )


def _dst_lines(fig: go.Figure, transitions: list[datetime], label: str, xref: str = "x") -> None:
    for when in transitions:
        fig.add_vline(x=iso(when), line={"color": "#7b8794", "width": 1, "dash": "dot"}, xref=xref)
        fig.add_annotation(
            x=iso(when),
            y=1,
            xref=xref,
            yref="paper",
            yanchor="bottom",
            xanchor="left",
            text=plot_text(label),
            showarrow=False,
            font={"size": 9, "color": "#52606d"},
        )


#: Tick steps tried for the time axis, in hours; the first giving at most MAX_TICKS ticks wins.
TICK_HOURS = (1, 2, 3, 6, 12, 24, 48, 168)
MAX_TICKS = 9


def local_ticks(loc: Locale, lo: datetime, hi: datetime, max_ticks: int = MAX_TICKS) -> tuple[list[str], list[str]]:
    """Tick positions (UTC, as plotly reads them) at round local hours, labelled in local time with UTC below.

    plotly has no time zones: the axis runs in UTC, and these labels say what the case's
    clock read (``Sat 26 Oct 23:00``) and what UTC was (``21:00 UTC``) at each tick.
    """
    span_h = max((hi - lo).total_seconds() / 3600, 1)
    step = next((h for h in TICK_HOURS if span_h / h <= max_ticks), TICK_HOURS[-1])
    here = lo.astimezone(loc.zone)
    vals: list[str] = []
    texts: list[str] = []
    if step >= 24:
        # whole local days: midnight to midnight, whatever a day's length (23 or 25 hours)
        day = here.date()
        while len(vals) <= max_ticks * 2:
            t = datetime.combine(day, datetime.min.time(), tzinfo=loc.zone).astimezone(UTC)
            if t > hi:
                break
            if t >= lo:
                local = t.astimezone(loc.zone)
                vals.append(iso(t))
                texts.append(f"{loc.day_month(local)} {local:%H:%M}<br>{t:%H:%M} UTC")
            day += timedelta(days=step // 24)
        return vals, texts
    t = here.replace(minute=0, second=0, microsecond=0, hour=(here.hour // step) * step).astimezone(UTC)
    while t <= hi and len(vals) <= max_ticks * 2:
        local = t.astimezone(loc.zone)
        if t >= lo and local.hour % step == 0:
            vals.append(iso(t))
            texts.append(f"{loc.day_month(local)} {local:%H:%M}<br>{t:%H:%M} UTC")
        t += timedelta(hours=1)
    return vals, texts


def timeline(
    *,
    loc: Locale,
    lanes: list[str],
    labels: dict[str, str],
    density: pl.DataFrame,
    step: int,
    first: datetime,
    last: datetime,
    marks: Marks,
    phase_bars: list[Bar],
    phase_moments: list[Bar],
    session_bars: list[Bar],
    focus: tuple[datetime, datetime] | None,
    transitions: list[datetime],
    overview: pl.DataFrame,
    overview_step: int,
) -> go.Figure:
    """The attack window: phase lanes (bars where activity is continuous, moments otherwise),
    the attacker's sessions, one lane per source (its volume shaded against its own busiest
    bin, the attacker's events marked); below, the whole evidence as an overview strip."""
    top = list(dict.fromkeys(b.lane for b in phase_bars + phase_moments))
    top = sorted(top, key=lambda lane: next(i for i, b in enumerate(phase_bars + phase_moments) if b.lane == lane))
    session_lanes = sorted({b.lane for b in session_bars})
    source_lanes = [labels[lane] for lane in lanes]
    categories = top + session_lanes + source_lanes
    fig = go.Figure()

    # background volume: every event, per lane and bin, shaded against the lane's own busiest
    # bin (square root), so a quiet log shows its rhythm as well as a busy one
    start = first.replace(second=0, microsecond=0)
    bins: list[datetime] = []
    t = datetime.fromtimestamp(int(start.timestamp()) // step * step, tz=first.tzinfo)
    while t <= last:
        bins.append(t)
        t += timedelta(seconds=step)
    index = {b: i for i, b in enumerate(bins)}
    counts = {lane: [0] * len(bins) for lane in lanes}
    for lane, b, n in density.iter_rows():
        if lane in counts and b in index:
            counts[lane][index[b]] = n
    z = [[None] * len(bins) for _ in top + session_lanes]
    for lane in lanes:
        peak = max(counts[lane]) or 1
        z.append([math.sqrt(n / peak) if n else None for n in counts[lane]])
    custom = [[None] * len(bins) for _ in top + session_lanes]
    custom += [counts[lane] for lane in lanes]
    half = timedelta(seconds=step / 2)
    fig.add_trace(
        go.Heatmap(
            x=[iso(b + half) for b in bins],
            y=categories,
            z=z,
            customdata=custom,
            zmin=0,
            zmax=1,
            colorscale=[[0, "#eef1f4"], [1, "#7b8794"]],
            showscale=False,
            xgap=0,
            ygap=5,
            hoverongaps=False,
            name=loc.text("fig.density"),
            hovertemplate="%{y}<br>%{x} UTC<br>%{customdata} " + loc.text("fig.h.events") + "<extra></extra>",
        )
    )

    shown = ((focus[1] - focus[0]) if focus is not None else (last - first)).total_seconds()
    if phase_bars:
        fig.add_trace(
            _bars(
                phase_bars,
                timedelta(seconds=max(shown / 400, 60)),
                "%{customdata[0]}<br>%{customdata[1]} → %{customdata[2]}<br>%{customdata[3]}<extra></extra>",
            )
        )
    if phase_moments:
        fig.add_trace(
            go.Scatter(
                x=[iso(b.start) for b in phase_moments],
                y=[b.lane for b in phase_moments],
                mode="markers",
                marker={
                    "color": [b.colour for b in phase_moments],
                    "symbol": "diamond",
                    "size": 11,
                    "line": {"width": 1, "color": "#ffffff"},
                },
                customdata=[b.hover for b in phase_moments],
                hovertemplate="%{customdata[0]}<br>%{customdata[1]}<br>%{customdata[3]}<extra></extra>",
                showlegend=False,
            )
        )
    if session_bars:
        fig.add_trace(
            _bars(
                session_bars,
                timedelta(seconds=max(shown / 800, 30)),
                loc.text("fig.h.session") + " %{customdata[0]}<br>%{customdata[1]} → %{customdata[2]}"
                "<br>%{customdata[3]}<extra></extra>",
            )
        )

    grouped = marks.grouped_step is not None
    frame = marks.frame
    for phase in PHASES:
        rows = frame.filter(pl.col("phase") == phase)
        if rows.height == 0:
            continue
        colour, symbol = PHASE_STYLE[phase]
        xs, ys, sizes, custom_rows = [], [], [], []
        for r in rows.iter_rows(named=True):
            xs.append(iso(r["ts"]))
            ys.append(labels.get(r["lane"], plot_text(r["lane"])))
            sizes.append(min(6 + 1.5 * math.log2(r["n"]), 12) if grouped else 7)
            custom_rows.append(
                [
                    plot_text(loc.local(r["ts"])),
                    plot_text(f"{r['file']}:{r['line']}", 120),
                    plot_text(r["message"], 120),
                    plot_text(defang(r["ip"]) if r["ip"] else "-"),
                    plot_text(r["finding"]),
                    loc.num(r["n"]),
                    plot_text(loc.local(r["last"])),
                ]
            )
        if grouped:
            hover = (
                "%{customdata[5]} "
                + loc.text("fig.h.events")
                + " · %{customdata[4]}<br>"
                + loc.text("fig.h.first")
                + ": %{customdata[0]}<br>"
                + loc.text("fig.h.last")
                + ": %{customdata[6]}<br>"
                + "%{customdata[1]}<br>%{customdata[2]}<extra>%{fullData.name}</extra>"
            )
        else:
            hover = (
                "%{customdata[0]} (%{x} UTC)<br>%{customdata[1]}<br>%{customdata[2]}<br>"
                + loc.text("fig.h.client")
                + " %{customdata[3]} · "
                + loc.text("fig.h.finding")
                + " %{customdata[4]}<extra>%{fullData.name}</extra>"
            )
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="markers",
                name=plot_text(loc.text(f"phase.{phase}")),
                marker={"color": colour, "symbol": symbol, "size": sizes, "opacity": 0.8, "line": {"width": 0}},
                customdata=custom_rows,
                hovertemplate=hover,
            )
        )

    # the whole evidence, as an overview strip under the attack window
    if overview.height:
        fig.add_trace(
            go.Bar(
                x=[iso(b + timedelta(seconds=overview_step / 2)) for b in overview.get_column("bin").to_list()],
                y=overview.get_column("n").to_list(),
                width=overview_step * 1000 * 0.9,
                marker={"color": "#9aa5b1", "line": {"width": 0}},
                xaxis="x2",
                yaxis="y2",
                name=loc.text("fig.overview"),
                showlegend=False,
                hovertemplate="%{x} UTC<br>%{y} " + loc.text("fig.h.events") + "<extra></extra>",
            )
        )
    lo, hi = focus if focus is not None else (first, last)
    pad = max((hi - lo) * 0.03, timedelta(minutes=30))
    lo, hi = max(lo - pad, first), min(hi + pad, last)
    vals, texts = local_ticks(loc, lo, hi)
    o_vals, o_texts = local_ticks(loc, first, last, max_ticks=8)
    o_texts = [x.split("<br>")[0].rsplit(" ", 1)[0] for x in o_texts]
    n_lanes = len(top + session_lanes) * 24 + len(source_lanes) * 20
    strip = 70 if overview.height else 0
    height = int(110 + n_lanes + strip + 40)
    main_bottom = (strip + 40) / height if strip else 0
    fig.update_layout(
        template=TEMPLATE,
        height=height,
        margin={"l": 10, "r": 20, "t": 50, "b": 30},
        hovermode="closest",
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom", "font": {"size": 11}},
        xaxis={
            "type": "date",
            "range": [iso(lo), iso(hi)],
            "tickmode": "array",
            "tickvals": vals,
            "ticktext": texts,
            "tickfont": {"size": 10},
            "title": {"text": loc.text("fig.axis_time", city=loc.city()), "standoff": 4, "font": {"size": 11}},
            "automargin": True,
            "anchor": "y",
        },
        yaxis={
            "type": "category",
            "categoryorder": "array",
            "categoryarray": categories,
            "autorange": "reversed",
            "automargin": True,
            "fixedrange": True,
            "domain": [main_bottom + 0.06 if strip else 0, 1],
            "tickfont": {"size": 10},
        },
        bargap=0.4,
    )
    if strip:
        fig.update_layout(
            xaxis2={
                "type": "date",
                "range": [iso(first), iso(last)],
                "tickmode": "array",
                "tickvals": o_vals,
                "ticktext": o_texts,
                "tickfont": {"size": 9},
                "anchor": "y2",
                "fixedrange": True,
                "showgrid": False,
            },
            yaxis2={
                "domain": [0, main_bottom - 0.02],
                "fixedrange": True,
                "showticklabels": False,
                "showgrid": False,
                "title": {"text": plot_text(loc.text("fig.overview")), "font": {"size": 9}},
            },
        )
        fig.add_shape(
            type="rect",
            xref="x2",
            yref="y2 domain",
            x0=iso(lo),
            x1=iso(hi),
            y0=0,
            y1=1,
            fillcolor="rgba(179,38,30,0.12)",
            line={"color": "#b3261e", "width": 1},
        )
    _dst_lines(fig, [w for w in transitions if lo <= w <= hi], loc.text("fig.dst"))
    return fig


def coverage(
    *,
    loc: Locale,
    sources: list[str],
    labels: dict[str, str],
    counts: pl.DataFrame,
    step: int,
    gaps: list[Gap],
    transitions: list[datetime],
) -> go.Figure:
    """Events per source and hour as a heatmap; empty hours inside a steady source crossed in red."""
    fig = go.Figure()
    if counts.height == 0:
        return fig
    first = counts.get_column("bin").min()
    last = counts.get_column("bin").max()
    bins: list[datetime] = []
    t = first
    while t <= last:
        bins.append(t)
        t += timedelta(seconds=step)
    index = {b: i for i, b in enumerate(bins)}
    spans = counts.group_by("source").agg(pl.col("bin").min().alias("a"), pl.col("bin").max().alias("b"))
    span = {s: (a, b) for s, a, b in spans.iter_rows()}
    z: list[list[float | None]] = []
    custom: list[list[int | None]] = []
    for source in sources:
        a, b = span.get(source, (None, None))
        row_n: list[int | None] = [0 if a is not None and a <= x <= b else None for x in bins]
        z.append([None] * len(bins))
        custom.append(row_n)
    pos = {s: i for i, s in enumerate(sources)}
    for source, b, n in counts.iter_rows():
        if source in pos and b in index:
            custom[pos[source]][index[b]] = n
    for i, row in enumerate(custom):
        z[i] = [None if n is None else math.log10(1 + n) for n in row]
    half = timedelta(seconds=step / 2)
    fig.add_trace(
        go.Heatmap(
            x=[iso(b + half) for b in bins],
            y=[labels[s] for s in sources],
            z=z,
            customdata=custom,
            zmin=0,
            colorscale=[[0, "#fbfcfd"], [0.02, "#dbe9f6"], [0.5, "#6aaed6"], [1, "#08306b"]],
            showscale=False,
            xgap=1,
            ygap=2,
            hoverongaps=False,
            name=loc.text("fig.coverage_title"),
            hovertemplate="%{y}<br>%{x} UTC<br>%{customdata} " + loc.text("fig.h.events") + "<extra></extra>",
        )
    )
    gx, gy, gc = [], [], []
    for g in gaps:
        if g.source not in pos:
            continue
        t = g.start
        while t < g.end:
            cell = datetime.fromtimestamp(int(t.timestamp()) // step * step, tz=t.tzinfo)
            gx.append(iso(cell + half))
            gy.append(labels[g.source])
            gc.append([plot_text(loc.local(t)), loc.dec(g.expected, 0)])
            t += timedelta(hours=1)
    if gx:
        fig.add_trace(
            go.Scatter(
                x=gx,
                y=gy,
                mode="markers",
                name=plot_text(loc.text("fig.gap")),
                marker={
                    "symbol": "x-thin",
                    "size": 12,
                    "line": {"width": 2.5, "color": GAP_COLOUR},
                    "color": GAP_COLOUR,
                },
                customdata=gc,
                hovertemplate=loc.text("fig.h.gap")
                + "<br>%{y}<br>%{customdata[0]}<br>"
                + loc.text("fig.h.expected")
                + ": %{customdata[1]}<extra></extra>",
            )
        )
    fig.update_layout(
        template=TEMPLATE,
        height=int(120 + 30 * max(len(sources), 2)),
        margin={"l": 10, "r": 20, "t": 50, "b": 50},
        hovermode="closest",
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
        showlegend=bool(gx),
        xaxis={"type": "date", "title": {"text": loc.text("fig.axis_utc"), "standoff": 8}, "automargin": True},
        yaxis={"type": "category", "autorange": "reversed", "automargin": True, "fixedrange": True},
    )
    _dst_lines(fig, transitions, loc.text("fig.dst"))
    return fig
