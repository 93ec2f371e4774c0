"""The table: one per stub latency, rows scenario x system, plus the upstream alone."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Row:
    """One scenario on one system at one stub latency (the median run by req/s)."""

    latency_ms: int
    scenario: str
    system: str
    rps: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    upstream_per_request: float | None = None
    cpu_ms_per_request: float | None = None
    peak_rss_mib: float | None = None
    failed: int = 0
    rps_runs: tuple[float, ...] = ()
    busy_before: float | None = None
    requests: int | None = None
    note: str = ""


HEADER = (
    "| scenario | system | req/s | p50 ms | p99 ms | upstream calls / req "
    "| CPU ms / req | peak RSS MiB | failed | busy % before "
    "| gateway ÷ this (req/s) |"
)
ALIGN = "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"


def _num(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _rps(row: Row) -> str:
    if row.rps is None:
        return "-"
    if len(row.rps_runs) > 1:
        return f"{row.rps:.0f} ({min(row.rps_runs):.0f}..{max(row.rps_runs):.0f})"
    return f"{row.rps:.0f}"


def _ratio(row: Row, gateway: Row | None) -> str:
    if row.system in ("gateway", "upstream") or row.rps is None or gateway is None:
        return ""
    if not gateway.rps:
        return "-"
    return f"{gateway.rps / row.rps:.2f}"


def table(rows: list[Row], latency_ms: int) -> str:
    """Markdown table of one latency; the ratio is against the same scenario."""
    lines = [HEADER, ALIGN]
    mine = [r for r in rows if r.latency_ms == latency_ms]
    gateways = {r.scenario: r for r in mine if r.system == "gateway"}
    for row in mine:
        if row.note and row.rps is None:
            lines.append(f"| {row.scenario} | {row.system} | {row.note} |||||||||")
            continue
        cells = [
            row.scenario,
            row.system + (f" ({row.note})" if row.note else ""),
            _rps(row),
            _num(row.p50_ms, 2),
            _num(row.p99_ms, 2),
            _num(row.upstream_per_request, 2),
            _num(row.cpu_ms_per_request, 2),
            _num(row.peak_rss_mib, 0),
            str(row.failed),
            _num(row.busy_before, 0),
            _ratio(row, gateways.get(row.scenario)),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown(rows: list[Row], header: list[str], latencies: list[int]) -> str:
    """The report: settings and machine, then one table per latency."""
    parts = ["\n".join(header)]
    for latency in latencies:
        parts.append(f"### Upstream latency {latency} ms\n\n{table(rows, latency)}")
    return "\n\n".join(parts) + "\n"


def write(
    directory: Path, text: str, rows: list[Row], meta: dict[str, Any]
) -> list[Path]:
    """Write latest.md and latest.json under `directory`; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    md, js = directory / "latest.md", directory / "latest.json"
    md.write_text(text)
    js.write_text(json.dumps({**meta, "rows": [asdict(r) for r in rows]}, indent=1))
    return [md, js]
