"""Figures and tables of the Capacity page (pure: data in, plotly Figure / DataFrame out)."""
from __future__ import annotations

from typing import Optional

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

from .capacity import profile_sweep
from .perf import MemoryFit, config_arrays, estimate_arrays, request_rate_grid

pio.templates.default = "plotly_white"  # once: a per-figure template= costs ~25 ms to validate (tco/charts.py)

MEASURED, ESTIMATED, SLO, OP = "#1f77b4", "#ff7f0e", "#d62728", "#2ca02c"


def estimated_curve(model, gpu_entry, gpus: int, precision: str, isl: float, osl: float, points: int = 40) -> pd.DataFrame:
    """Estimated mean TTFT/TPOT [ms] along request rates up to 99.9 % of the estimated maximum [req/s]."""
    c1 = config_arrays([model], [gpu_entry], [gpus], [precision], [isl], [osl])
    top = estimate_arrays(c1)
    if not bool(top["fits"][0]):
        return pd.DataFrame(columns=["rps", "ttft_ms", "tpot_ms", "output_tokens_per_s"])
    grid = request_rate_grid(float(top["request_throughput_rps"][0]), points)
    c = config_arrays([model], [gpu_entry], [gpus], [precision], [isl] * points, [osl] * points)
    out = estimate_arrays(c, None, grid)
    return pd.DataFrame({"rps": out["request_throughput_rps"], "ttft_ms": out["ttft_ms"], "tpot_ms": out["tpot_ms"],
                         "output_tokens_per_s": out["output_tokens_per_s"]})


def measured_curve(profile) -> pd.DataFrame:
    """A profile's sweep in load order: rps [req/s], TTFT and TPOT [ms] with the statistic used."""
    s = profile_sweep(profile)
    return pd.DataFrame({"rps": s.rps, "ttft_ms": s.ttft_ms, "tpot_ms": s.tpot_ms,
                         "ttft_stat": s.ttft_stat or "", "tpot_stat": s.tpot_stat or ""})


def latency_curve_figure(measured: Optional[pd.DataFrame], estimated: Optional[pd.DataFrame],
                         ttft_slo_ms: Optional[float], tpot_slo_ms: Optional[float],
                         operating_rps: Optional[float], title: str = "Throughput vs latency") -> go.Figure:
    """Two panels (TTFT, TPOT vs request throughput) with SLO lines and the operating point."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("TTFT", "TPOT"), horizontal_spacing=0.1)
    for col, key, slo in ((1, "ttft_ms", ttft_slo_ms), (2, "tpot_ms", tpot_slo_ms)):
        if measured is not None and len(measured):
            stat = measured[key.replace("_ms", "_stat")].iloc[0] if key.replace("_ms", "_stat") in measured else ""
            fig.add_trace(go.Scatter(x=measured["rps"], y=measured[key], mode="lines+markers",
                                     name=f"measured ({stat})" if stat else "measured", legendgroup="m",
                                     showlegend=col == 1, line=dict(color=MEASURED)), row=1, col=col)
        if estimated is not None and len(estimated):
            fig.add_trace(go.Scatter(x=estimated["rps"], y=estimated[key], mode="lines", name="estimated (mean)",
                                     legendgroup="e", showlegend=col == 1, line=dict(color=ESTIMATED, dash="dash")),
                          row=1, col=col)
        if slo is not None:
            fig.add_hline(y=slo, line=dict(color=SLO, dash="dot"), annotation_text=f"SLO p95 {slo:g} ms",
                          row=1, col=col)
        if operating_rps is not None:
            fig.add_vline(x=operating_rps, line=dict(color=OP), annotation_text=f"{operating_rps:.2f} req/s",
                          row=1, col=col)
        fig.update_xaxes(title_text="request throughput [req/s]", row=1, col=col)
        fig.update_yaxes(title_text="[ms]", type="log", row=1, col=col, range=_log_range(measured, estimated, key, slo))
    fig.update_layout(title=title, height=420, legend=dict(orientation="h", y=-0.25))
    return fig


def _log_range(measured, estimated, key: str, slo: Optional[float]) -> Optional[list[float]]:
    """y range [log10 ms] that keeps the interesting part in view: queueing near saturation sends the
    estimated latency towards infinity, so cap the axis at 5x the larger of the SLO, the measured maximum
    and the estimate at 80 % of its rate grid."""
    vals, refs = [], []
    for df in (measured, estimated):
        if df is not None and len(df):
            v = np.asarray(df[key], dtype=float)
            vals += [x for x in v if np.isfinite(x) and x > 0]
    if measured is not None and len(measured):
        refs += [float(np.nanmax(np.asarray(measured[key], dtype=float)))]
    if estimated is not None and len(estimated):
        v = np.asarray(estimated[key], dtype=float)
        refs.append(float(v[int(0.8 * (len(v) - 1))]))
    if slo:
        refs.append(float(slo))
    refs = [r for r in refs if np.isfinite(r) and r > 0]
    if not vals or not refs:
        return None
    lo, hi = min(vals + refs), 5 * max(refs)
    return [float(np.log10(lo * 0.8)), float(np.log10(max(hi, lo * 2)))]


def memory_figure(fit: MemoryFit, title: str = "Memory per GPU") -> go.Figure:
    """Stacked bar of weights, KV cache (at the chosen concurrency) and overhead vs usable memory [GB]."""
    parts = [("weights", fit.weights_gb, "#636efa"), ("KV cache", fit.kv_gb, "#00cc96"),
             ("runtime overhead", fit.overhead_gb, "#ab63fa")]
    fig = go.Figure()
    for name, gb, color in parts:
        fig.add_trace(go.Bar(y=["per GPU"], x=[gb], name=f"{name} {gb:.1f} GB", orientation="h",
                             marker_color=color))
    fig.add_vline(x=fit.usable_gb, line=dict(color=SLO, dash="dash"), annotation_text=f"usable {fit.usable_gb:.1f} GB")
    fig.add_vline(x=fit.memory_gb, line=dict(color="#444"), annotation_text=f"device {fit.memory_gb:.1f} GB",
                  annotation_position="bottom right")
    fig.update_layout(barmode="stack", title=title, height=260,
                      xaxis_title="[GB]", legend=dict(orientation="h", y=-0.4))
    return fig


def comparison_table(profile, model, gpu_entry) -> pd.DataFrame:
    """Measured points next to the estimator at the same request rate (means; APE in %)."""
    rows = []
    pts = [p for p in profile.points if p.request_throughput_rps]
    if not pts or model is None or gpu_entry is None or not profile.isl or not profile.osl:
        return pd.DataFrame(rows)
    n = len(pts)
    c = config_arrays([model], [gpu_entry], [profile.gpus], [profile.precision], [profile.isl] * n, [profile.osl] * n)
    est = estimate_arrays(c, None, np.array([p.request_throughput_rps for p in pts]))
    for i, p in enumerate(pts):
        mt = p.ttft_ms.mean if p.ttft_ms.mean is not None else p.ttft_ms.median
        mp = p.tpot_ms.mean if p.tpot_ms.mean is not None else (p.itl_ms.mean if p.itl_ms.mean is not None else p.tpot_ms.median)
        et, ep = float(est["ttft_ms"][i]), float(est["tpot_ms"][i])
        rows.append({"request throughput [req/s]": p.request_throughput_rps,
                     "measured TTFT mean [ms]": mt, "estimated TTFT [ms]": et,
                     "measured TPOT mean [ms]": mp, "estimated TPOT [ms]": ep,
                     "TPOT error [%]": None if mp in (None, 0) or not np.isfinite(ep) else 100 * (ep / mp - 1)})
    return pd.DataFrame(rows)


__all__ = ["estimated_curve", "measured_curve", "latency_curve_figure", "memory_figure", "comparison_table"]
