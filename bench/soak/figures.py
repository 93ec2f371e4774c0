"""What the soak records, and how its verdict is reached from it.

Every GraphQL request is one `Outcome`: which replica, when it was sent and
answered (monotonic clock), and whether it was ok (a JSON answer with data and no
error; a stale list served without error counts as ok). Every fault is one
`Window`, from the moment it is in force to the moment it is over (the process
restarted and serving, the injected faults cleared).

- ok share during a fault: of the requests sent within its window, and the
  slowest answer to one of them (during an upstream hang every caller must be
  answered, with data, stale data or an error, within `MAX_HANG_ANSWER`);
- time to first ok after a fault, per replica: from the window's end to the
  sending of the first request to that replica, sent after it, that was answered
  ok. Counting to its sending rather than to its answer measures when the
  replica serves again, not how long one answer takes on a loaded machine (the
  latency of answers between faults is reported beside it);
- ok share between faults: of the requests sent at least `RECOVERY` after a
  window ended (or since the start) and answered before the next one began;
- stale after write, leaks, lost writes: counted by `users.py` as they are seen.
"""

import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

RECOVERY = 1.0  # seconds a replica may take to answer ok again after a fault
MIN_OK_BETWEEN = 0.99
MAX_HANG_ANSWER = 2.5  # seconds
MAX_EXAMPLES = 10


@dataclass(frozen=True, slots=True)
class Outcome:
    replica: int
    sent: float
    done: float
    ok: bool


@dataclass(frozen=True, slots=True)
class Window:
    kind: str
    start: float
    end: float


@dataclass
class Figures:
    """Everything one run counts; `verdict` says which pass criteria failed."""

    replicas: int
    started: float
    requests: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    outcomes: list[Outcome] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)
    breaker_opens: Counter[int] = field(default_factory=Counter)
    stale_serves: int = 0
    indeterminate: int = 0
    settled_mid_run: int = 0
    stale_after_write: int = 0
    leaks: int = 0
    lost: int = 0
    examples: list[str] = field(default_factory=list)
    seen_at: list[tuple[str, float]] = field(default_factory=list)  # (kind, when)

    def fail(self, kind: str, detail: str) -> None:
        """Count one violation of `kind` (stale_after_write, leaks, lost)."""
        setattr(self, kind, getattr(self, kind) + 1)
        now = time.monotonic()
        self.seen_at.append((kind, now))
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(f"{kind} at {now - self.started:.1f} s: {detail}")


def after_fault(figures: Figures) -> dict[str, Counter[str]]:
    """Each kind of violation by the fault that began last before it was seen
    ("none" before the first): where to look first."""
    found: dict[str, Counter[str]] = {}
    for kind, when in figures.seen_at:
        began = [w.kind for w in figures.windows if w.start <= when]
        found.setdefault(kind, Counter())[began[-1] if began else "none"] += 1
    return found


def ok_share(outcomes: list[Outcome]) -> float | None:
    return sum(o.ok for o in outcomes) / len(outcomes) if outcomes else None


def during(figures: Figures, window: Window, replica: int) -> list[Outcome]:
    return [
        o
        for o in figures.outcomes
        if o.replica == replica and window.start <= o.sent < window.end
    ]


def first_ok_after(figures: Figures, window: Window, replica: int) -> float | None:
    """Seconds from the end of `window` to the sending of the first request to
    `replica` that was answered ok; None if none was before the next fault."""
    until = _next_start(figures, window)
    sent = [
        o.sent
        for o in figures.outcomes
        if o.replica == replica and o.ok and window.end <= o.sent < until
    ]
    return min(sent) - window.end if sent else None


def slowest(outcomes: list[Outcome]) -> float | None:
    """Seconds from sending to answer of the slowest of `outcomes`."""
    return max((o.done - o.sent for o in outcomes), default=None)


def between_faults(figures: Figures) -> list[Outcome]:
    """Requests that met no fault and no recovery from one."""
    quiet = [figures.started, *(w.end + RECOVERY for w in figures.windows)]
    loud = [w.start for w in figures.windows] + [float("inf")]
    return [
        o
        for o in figures.outcomes
        if any(a <= o.sent and o.done < b for a, b in zip(quiet, loud, strict=True))
    ]


def _next_start(figures: Figures, window: Window) -> float:
    later = [w.start for w in figures.windows if w.start > window.start]
    return min(later, default=float("inf"))


def fault_rows(figures: Figures) -> list[dict[str, Any]]:
    """Per fault: its kind, times, and per replica the ok share during it and the
    time to the first ok after it."""
    rows = []
    for window in figures.windows:
        replicas = range(figures.replicas)
        rows.append(
            {
                "kind": window.kind,
                "at_s": round(window.start - figures.started, 2),
                "length_s": round(window.end - window.start, 2),
                "requests_during": [len(during(figures, window, r)) for r in replicas],
                "ok_during": [
                    _round(ok_share(during(figures, window, r))) for r in replicas
                ],
                "first_ok_after_s": [
                    _round(first_ok_after(figures, window, r)) for r in replicas
                ],
                "slowest_during_s": [
                    _round(slowest(during(figures, window, r))) for r in replicas
                ],
            }
        )
    return rows


def kind_rows(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per kind of fault, over its occurrences and per replica: the lowest ok share
    during it (of those that saw requests) and the longest time to the first ok
    after it (None: one had no ok before the next fault)."""
    kinds: dict[str, dict[str, Any]] = {}
    for kind in sorted({row["kind"] for row in rows}):
        mine = [row for row in rows if row["kind"] == kind]
        kinds[kind] = {
            "occurrences": len(mine),
            "ok_during_min": _worst(mine, "ok_during", min, unseen_ok=True),
            "first_ok_after_s_max": _worst(mine, "first_ok_after_s", max),
            "slowest_during_s": _worst(mine, "slowest_during_s", max, unseen_ok=True),
        }
    return kinds


def _worst(
    rows: list[dict[str, Any]],
    name: str,
    pick: Callable[[list[float]], float],
    *,
    unseen_ok: bool = False,
) -> list[float | None]:
    """`pick` of column `name` per replica; None if a row has None, unless
    `unseen_ok` (then rows with None are left out)."""
    worst: list[float | None] = []
    for column in zip(*(row[name] for row in rows), strict=True):
        known = [value for value in column if value is not None]
        complete = unseen_ok or len(known) == len(column)
        worst.append(pick(known) if known and complete else None)
    return worst


def verdict(figures: Figures, rows: list[dict[str, Any]]) -> list[str]:
    """The pass criteria that failed (empty: the run passed)."""
    failed = [
        f"{name} {count}"
        for name in ("stale_after_write", "leaks", "lost")
        if (count := getattr(figures, name))
    ]
    share = ok_share(between_faults(figures))
    if share is None or share < MIN_OK_BETWEEN:
        failed.append(f"ok between faults {share}")
    for row in rows:
        late = [t for t in row["first_ok_after_s"] if t is None or t > RECOVERY]
        if late:
            failed.append(f"{row['kind']} at {row['at_s']} s: first ok {late}")
        slow = [t for t in row["slowest_during_s"] if t and t > MAX_HANG_ANSWER]
        if row["kind"] == "upstream-hang" and slow:
            failed.append(f"upstream-hang at {row['at_s']} s: answered in {slow} s")
    return failed


def summary(figures: Figures, config: dict[str, Any]) -> dict[str, Any]:
    """Everything the run measured, as JSON-ready data."""
    rows = fault_rows(figures)
    between = between_faults(figures)
    failed = verdict(figures, rows)
    return {
        "config": config,
        "duration_s": round(
            max((o.done for o in figures.outcomes), default=0.0) - figures.started, 1
        ),
        "requests": dict(sorted(figures.requests.items())),
        "errors": dict(sorted(figures.errors.items())),
        "faults": rows,
        "by_kind": kind_rows(rows),
        "between_faults": {
            "requests": len(between),
            "ok": _round(ok_share(between)),
            "latency_ms": _latency(between),
        },
        "stale_serves": figures.stale_serves,
        "settled_from_rest": {
            "during_run": figures.settled_mid_run,
            "at_end": figures.indeterminate,
        },
        "stale_after_write": figures.stale_after_write,
        "leaks": figures.leaks,
        "lost": figures.lost,
        "violations_after": after_fault(figures),
        "breaker_opens": [figures.breaker_opens[r] for r in range(figures.replicas)],
        "examples": figures.examples,
        "failed": failed,
        "passed": not failed,
    }


def _latency(outcomes: list[Outcome]) -> dict[str, float]:
    """Median and 99th percentile of the answers' latency, in milliseconds."""
    if len(outcomes) < 2:
        return {}
    cuts = statistics.quantiles([o.done - o.sent for o in outcomes], n=100)
    return {"p50": round(cuts[49] * 1000, 1), "p99": round(cuts[98] * 1000, 1)}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
