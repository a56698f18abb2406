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
from datetime import datetime, timedelta

import plotly.graph_objects as go
import polars as pl

from forensics.report.attack import PHASE_STYLE, PHASES
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
        width=0.6,
        marker={"color": [b.colour for b in bars], "line": {"width": 1, "color": "#ffffff"}},
        opacity=0.9,
        text=[b.label for b in bars],
        textposition="inside",
        insidetextanchor="start",
        textfont={"size": 10, "color": "#ffffff"},
        customdata=[b.hover for b in bars],
        hovertemplate=template,
        showlegend=False,
    )


def _dst_lines(fig: go.Figure, transitions: list[datetime], label: str) -> None:
    for when in transitions:
        fig.add_vline(x=iso(when), line={"color": "#7b8794", "width": 1, "dash": "dot"})
        fig.add_annotation(
            x=iso(when),
            y=0,
            yref="paper",
            yanchor="bottom",
            xanchor="right",
            text=plot_text(label),
            showarrow=False,
            bgcolor="rgba(255,255,255,0.8)",
            font={"size": 10, "color": "#52606d"},
        )


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
    session_bars: list[Bar],
    focus: tuple[datetime, datetime] | None,
    transitions: list[datetime],
) -> go.Figure:
    """One lane per source, grey density behind, attack marks by phase, phase and session bars."""
    top = list(dict.fromkeys(b.lane for b in phase_bars))
    session_lanes = sorted({b.lane for b in session_bars})
    source_lanes = [labels[lane] for lane in lanes]
    categories = top + session_lanes + source_lanes
    fig = go.Figure()

    # background density: every event, per lane and bin (log shade, white = none)
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
    z += [[math.log10(1 + n) for n in counts[lane]] for lane in lanes]
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
            colorscale=[[0, "#ffffff"], [0.05, "#f0f2f5"], [1, "#8d99a6"]],
            showscale=False,
            xgap=0.5,
            ygap=6,
            hoverongaps=False,
            name=loc.text("fig.density"),
            hovertemplate="%{y}<br>%{x} UTC<br>%{customdata} " + loc.text("fig.h.events") + "<extra></extra>",
        )
    )

    # a bar too short to see gets a minimum width, a share of what the axis shows first (the
    # attack window), not of the whole evidence (a table dump going back years)
    shown = ((focus[1] - focus[0]) if focus is not None else (last - first)).total_seconds()
    if phase_bars:
        fig.add_trace(
            _bars(
                phase_bars,
                timedelta(seconds=max(shown / 400, 60)),
                "%{customdata[0]}<br>%{customdata[1]} → %{customdata[2]}<br>%{customdata[3]}<extra></extra>",
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
            sizes.append(min(7 + 3 * math.log2(r["n"]), 26) if grouped else 8)
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
                marker={
                    "color": colour,
                    "symbol": symbol,
                    "size": sizes,
                    "opacity": 0.85,
                    "line": {"width": 0},
                },
                customdata=custom_rows,
                hovertemplate=hover,
            )
        )

    x_range = None
    if focus is not None:
        lo, hi = focus
        pad = max((hi - lo) * 0.04, timedelta(minutes=30))
        x_range = [iso(lo - pad), iso(hi + pad)]
    fig.update_layout(
        template=TEMPLATE,
        height=int(120 + 38 * len(top + session_lanes) + 52 * len(source_lanes)),
        margin={"l": 10, "r": 20, "t": 60, "b": 40},
        hovermode="closest",
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "font": {"size": 12}},
        uniformtext={"minsize": 8, "mode": "hide"},
        xaxis={
            "type": "date",
            "title": {"text": loc.text("fig.axis_time"), "standoff": 8},
            "range": x_range,
            "automargin": True,
        },
        yaxis={
            "type": "category",
            "categoryorder": "array",
            "categoryarray": categories,
            "autorange": "reversed",
            "automargin": True,
            "fixedrange": True,
        },
        bargap=0.4,
    )
    _dst_lines(fig, transitions, loc.text("fig.dst"))
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
        xaxis={"type": "date", "title": {"text": loc.text("fig.axis_time"), "standoff": 8}, "automargin": True},
        yaxis={"type": "category", "autorange": "reversed", "automargin": True, "fixedrange": True},
    )
    _dst_lines(fig, transitions, loc.text("fig.dst"))
    return fig
