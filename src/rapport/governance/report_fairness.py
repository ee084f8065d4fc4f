"""The fairness report: one self-contained HTML page (inline CSS and SVG, no network needed).

For each monitored decision kind: the alerts, favorable rates by group with their confidence
intervals (each attribute and the intersection), the adverse impact ratio, equal-opportunity and
calibration figures, and the same rates and ratios over time — each plot followed by the
numbers behind it.
"""

from __future__ import annotations

import datetime as dt
import html
import io
from collections.abc import Sequence

import pandas as pd

# Figures are made without pyplot (no global state, no display backend) and saved as SVG text.
from matplotlib.figure import Figure

from rapport.governance.fairness import (
    Estimate,
    FairnessReport,
    GroupingFigures,
    KindFigures,
)
from rapport.governance.fairness_policy import FairnessPolicy
from rapport.governance.fairness_trend import rates_over_time

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:1100px;color:#1d2433;line-height:1.45}
h1{font-size:1.6rem}h2{margin-top:2.2rem;border-bottom:2px solid #dde3ee;padding-bottom:.3rem}
h3{margin-top:1.6rem}table{border-collapse:collapse;margin:.6rem 0 1.2rem;font-size:.88rem}
th,td{border:1px solid #d5dbe6;padding:.25rem .5rem;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f1f4f9}
.alert{background:#fdecea;border-left:4px solid #c0392b;padding:.5rem .8rem;margin:.4rem 0}
.ok{background:#eaf7ee;border-left:4px solid #27ae60;padding:.5rem .8rem;margin:.4rem 0}
.muted{color:#69748a;font-size:.88rem}svg{max-width:100%;height:auto}
"""


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog and DOCTYPE: inline SVG


def _interval(estimate: Estimate | None, percent: bool = True) -> str:
    if estimate is None:
        return "n/a"
    fmt = "{:.1%}" if percent else "{:.3f}"
    text = fmt.format(estimate.value)
    if estimate.low is not None and estimate.high is not None:
        text += f" [{fmt.format(estimate.low)}, {fmt.format(estimate.high)}]"
    return text


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _rates_plot(grouping: GroupingFigures, settings: FairnessPolicy) -> str:
    groups = grouping.groups
    figure = Figure(figsize=(max(4.5, 0.55 * len(groups) + 2), 2.8))
    axes = figure.subplots()
    values = [g.favorable_rate.value for g in groups]
    lows = [
        v - (g.favorable_rate.low if g.favorable_rate.low is not None else v)
        for v, g in zip(values, groups, strict=True)
    ]
    highs = [
        (g.favorable_rate.high if g.favorable_rate.high is not None else v) - v
        for v, g in zip(values, groups, strict=True)
    ]
    colours = ["#4a78c2" if g.judged else "#b8c2d6" for g in groups]
    axes.bar(range(len(groups)), values, yerr=[lows, highs], color=colours, capsize=3)
    best = max((g.favorable_rate.value for g in groups if g.judged), default=None)
    if best is not None:
        axes.axhline(
            best * settings.min_adverse_impact_ratio,
            color="#c0392b",
            ls="--",
            lw=1,
            label=f"{settings.min_adverse_impact_ratio:.0%} of the highest rate",
        )
        axes.legend(fontsize=7, loc="lower right")
    axes.set_xticks(
        range(len(groups)),
        [g.label.replace(" & ", "\n") for g in groups],
        fontsize=7,
        rotation=0 if len(groups) <= 6 else 45,
    )
    axes.set_ylabel("favorable rate", fontsize=8)
    axes.set_title(f"by {grouping.name}", fontsize=9)
    return _svg(figure)


def _trend_plot(trend: pd.DataFrame, attribute: str, settings: FairnessPolicy) -> str:
    figure = Figure(figsize=(9, 2.8))
    rates, ratio = figure.subplots(1, 2)
    for group, part in trend.groupby("group"):
        rates.plot(part["period"], part["favorable_rate"], marker="o", ms=3, label=str(group))
    rates.set_title(f"favorable rate by {attribute}", fontsize=9)
    rates.legend(fontsize=7)
    per_period = trend.drop_duplicates("period")
    ratio.plot(per_period["period"], per_period["adverse_impact_ratio"], marker="o", ms=3)
    ratio.axhline(settings.min_adverse_impact_ratio, color="#c0392b", ls="--", lw=1)
    ratio.set_ylim(0, 1.05)
    ratio.set_title(f"adverse impact ratio by {attribute}", fontsize=9)
    for axes in (rates, ratio):
        axes.tick_params(axis="x", labelsize=6, rotation=45)
        axes.tick_params(axis="y", labelsize=7)
    return _svg(figure)


def _grouping_section(grouping: GroupingFigures, settings: FairnessPolicy) -> str:
    rows = [
        [
            g.label + ("" if g.judged else " (too small to judge)"),
            str(g.decisions),
            _interval(g.favorable_rate),
            str(g.qualified),
            _interval(g.true_positive_rate),
            str(g.labelled),
            _interval(g.mean_score),
            _interval(g.observed_bad_rate),
        ]
        for g in grouping.groups
    ]
    header = [
        "group",
        "decisions",
        "favorable rate [95% CI]",
        "good outcomes",
        "favorable | good (TPR)",
        "known outcomes",
        "mean score",
        "observed bad rate",
    ]
    summary = _table(
        ["figure", "value [CI]", "threshold"],
        [
            [
                "adverse impact ratio",
                _interval(grouping.adverse_impact_ratio, False),
                f"≥ {settings.min_adverse_impact_ratio}",
            ],
            [
                "equal-opportunity gap",
                _interval(grouping.equal_opportunity_gap),
                f"≤ {settings.max_equal_opportunity_gap:.0%}",
            ],
            [
                "calibration gap",
                _interval(grouping.calibration_gap),
                "reported"
                if settings.max_calibration_gap is None
                else f"≤ {settings.max_calibration_gap:.0%}",
            ],
        ],
    )
    plot = _rates_plot(grouping, settings) if grouping.groups else ""
    return f"<h3>By {html.escape(grouping.name)}</h3>{plot}{_table(header, rows)}{summary}"


def _kind_section(kind: KindFigures, table: pd.DataFrame, settings: FairnessPolicy) -> str:
    favorable = ", ".join(settings.favorable_actions.get(kind.kind, []))
    parts = [
        f"<h2>{html.escape(kind.kind)}</h2>",
        f"<p>{kind.decisions:,} decisions; favorable ({html.escape(favorable)}) "
        f"{kind.favorable_rate:.1%} overall.</p>",
    ]
    if kind.alerts:
        parts += [f'<div class="alert">{html.escape(a.message)}</div>' for a in kind.alerts]
    else:
        parts.append('<div class="ok">No fairness threshold is broken.</div>')
    parts += [_grouping_section(grouping, settings) for grouping in kind.groupings]
    for attribute in settings.attributes:
        trend = rates_over_time(table, kind.kind, attribute, settings)
        if trend.empty:
            continue
        parts.append(f"<h3>Over time, by {html.escape(attribute)}</h3>")
        parts.append(_trend_plot(trend, attribute, settings))
        parts.append(
            _table(
                ["period", "group", "decisions", "favorable rate", "adverse impact ratio"],
                [
                    [
                        str(r.period),
                        str(r.group),
                        str(r.decisions),
                        f"{r.favorable_rate:.1%}",
                        "n/a"
                        if pd.isna(r.adverse_impact_ratio)
                        else f"{r.adverse_impact_ratio:.3f}",
                    ]
                    for r in trend.itertuples(index=False)
                ],
            )
        )
    return "".join(parts)


def render_html(
    report: FairnessReport, table: pd.DataFrame, settings: FairnessPolicy, source: str
) -> str:
    """The whole report as one HTML document."""
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    sections = [_kind_section(kind, table, settings) for kind in report.kinds]
    if not sections:
        sections = ["<p>No monitored decision has a customer with protected attributes.</p>"]
    intro = (
        f"<p class='muted'>Source: {html.escape(source)} · generated {generated} · "
        f"{report.unattributed:,} decisions without protected attributes left out · "
        f"intervals: {settings.bootstrap_samples} seeded bootstrap resamples, "
        f"{settings.confidence:.0%} · groups under {settings.min_group_size} decisions are shown "
        "but not judged.</p>"
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Rapport fairness report</title>"
        f"<style>{STYLE}</style></head><body><h1>Fairness report</h1>{intro}"
        + "".join(sections)
        + "</body></html>"
    )
