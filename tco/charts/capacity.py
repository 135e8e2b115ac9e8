"""Figures and tables of the Capacity page (pure: data in, plotly Figure / DataFrame out)."""
from __future__ import annotations

from typing import Optional

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from tco.charts import add_axis_line, axis, make_figure
from tco.model.capacity import profile_sweep
from tco.model.perf import MemoryFit, config_arrays, estimate_arrays, request_rate_grid

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
    # the layout make_subplots(rows=1, cols=2, subplot_titles=("TTFT", "TPOT"), horizontal_spacing=0.1) builds
    layout = {"title": {"text": title}, "height": 420, "legend": {"orientation": "h", "y": -0.25},
              "annotations": [{"text": text, "x": x, "y": 1.0, "xref": "paper", "yref": "paper", "xanchor": "center",
                               "yanchor": "bottom", "showarrow": False, "font": {"size": 16}}
                              for text, x in (("TTFT", 0.225), ("TPOT", 0.775))]}
    data = []
    for n, key, slo, domain in (("", "ttft_ms", ttft_slo_ms, [0.0, 0.45]), ("2", "tpot_ms", tpot_slo_ms, [0.55, 1.0])):
        xa, ya = "x" + n, "y" + n
        if measured is not None and len(measured):
            stat = measured[key.replace("_ms", "_stat")].iloc[0] if key.replace("_ms", "_stat") in measured else ""
            data.append({"type": "scatter", "x": measured["rps"].to_numpy(), "y": measured[key].to_numpy(),
                         "mode": "lines+markers", "name": f"measured ({stat})" if stat else "measured",
                         "legendgroup": "m", "showlegend": not n, "line": {"color": MEASURED}, "xaxis": xa, "yaxis": ya})
        if estimated is not None and len(estimated):
            data.append({"type": "scatter", "x": estimated["rps"].to_numpy(), "y": estimated[key].to_numpy(),
                         "mode": "lines", "name": "estimated (mean)", "legendgroup": "e", "showlegend": not n,
                         "line": {"color": ESTIMATED, "dash": "dash"}, "xaxis": xa, "yaxis": ya})
        if slo is not None:
            add_axis_line(layout, {"color": SLO, "dash": "dot"}, y=slo, text=f"SLO p95 {slo:g} ms", xaxis=xa, yaxis=ya)
        if operating_rps is not None:
            add_axis_line(layout, {"color": OP}, x=operating_rps, text=f"{operating_rps:.2f} req/s", xaxis=xa, yaxis=ya)
        layout["xaxis" + n] = axis("request throughput [req/s]", anchor=ya, domain=domain)
        y_range = _log_range(measured, estimated, key, slo)
        layout["yaxis" + n] = axis("[ms]", anchor=xa, domain=[0.0, 1.0], type="log",
                                   **({"range": y_range} if y_range is not None else {}))
    return make_figure(data, layout)


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
    data = [{"type": "bar", "y": ["per GPU"], "x": [gb], "name": f"{name} {gb:.1f} GB", "orientation": "h",
             "marker": {"color": color}} for name, gb, color in parts]
    layout = {"barmode": "stack", "title": {"text": title}, "height": 260, "xaxis": axis("[GB]"),
              "legend": {"orientation": "h", "y": -0.4}}
    add_axis_line(layout, {"color": SLO, "dash": "dash"}, x=fit.usable_gb, text=f"usable {fit.usable_gb:.1f} GB")
    add_axis_line(layout, {"color": "#444"}, x=fit.memory_gb, text=f"device {fit.memory_gb:.1f} GB",
                  position="bottom right")
    return make_figure(data, layout)


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
