"""wrk on loopback: one connection per thread, the Lua script's accounting read back.

`run_wrk` returns wrk's own figures (requests, latency percentiles, errors) and,
for signed POSTs, which MessageSids got a 2xx, which got another status, and which
got no answer (in flight when the run stopped, or on a connection that broke).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.sms_bench.signed import Batch

LUA = Path(__file__).with_name("wrk.lua")


def wrk_path() -> str:
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    return found


def wrk_version() -> str:
    completed = subprocess.run(
        [wrk_path(), "--version"], capture_output=True, text=True, check=False
    )
    return (completed.stdout or completed.stderr).splitlines()[0].strip()


@dataclass
class Accounting:
    """Which of a batch's requests went out and what came back, by MessageSid."""

    ok: set[str] = field(default_factory=set)  # answered 2xx
    bad: dict[str, int] = field(default_factory=dict)  # sid -> a non-2xx status
    unanswered: set[str] = field(default_factory=set)  # sent, no response read
    issued: int = 0
    exhausted: int = 0  # requests wrk wanted after a thread's file ran out
    mismatches: list[str] = field(default_factory=list)

    def merge(self, other: Accounting) -> None:
        self.ok |= other.ok
        self.bad |= other.bad
        self.unanswered |= other.unanswered
        self.issued += other.issued
        self.exhausted += other.exhausted
        self.mismatches += other.mismatches


def run_wrk(
    url: str,
    *,
    connections: int,
    seconds: int,
    out: Path,
    batch: Batch | None = None,
    timeout_s: int = 5,
    log: Path | None = None,
) -> dict:
    """Run wrk against `url` (GET), or send `batch`'s signed POSTs; wrk's JSON summary."""
    out.unlink(missing_ok=True)
    env = dict(os.environ)
    env["SMS_BENCH_OUT"] = str(out)
    env["SMS_BENCH_REQUESTS"] = str(batch.folder) if batch else ""
    if batch is not None and batch.threads != connections:
        raise ValueError("a batch needs one file per connection")
    argv = [
        wrk_path(),
        "-t",
        str(connections),
        "-c",
        str(connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        f"{timeout_s}s",
        "-s",
        str(LUA),
        url,
    ]
    completed = subprocess.run(
        argv, env=env, capture_output=True, text=True, timeout=seconds + 120, check=False
    )
    if log is not None:
        with log.open("a") as handle:
            handle.write(f"$ {' '.join(argv)}\n{completed.stdout}{completed.stderr}\n")
    if completed.returncode != 0 or not out.exists():
        raise RuntimeError(
            f"wrk failed (exit {completed.returncode}): {completed.stderr.strip()[:500]}"
        )
    return json.loads(out.read_text())


def summarise(raw: dict, *, accounting: Accounting | None = None) -> dict:
    """req/s, latency in ms, errors: the figures the table shows."""
    seconds = raw["duration_us"] / 1e6
    latency = raw["latency_us"]
    errors = raw["errors"]
    summary = {
        "seconds": round(seconds, 2),
        "requests": raw["requests"],
        "requests_per_s": round(raw["requests"] / seconds, 1),
        "p50_ms": latency["p50"] / 1000,
        "p90_ms": latency["p90"] / 1000,
        "p99_ms": latency["p99"] / 1000,
        "p999_ms": latency["p999"] / 1000,
        "max_ms": latency["max"] / 1000,
        "mean_ms": round(latency["mean"] / 1000, 3),
        # wrk's "status" error counts answers of 400 and above.
        "non_2xx": errors["status"],
        "socket_errors": {k: errors[k] for k in ("connect", "read", "write", "timeout")},
    }
    if accounting is not None:
        summary |= {
            "ok_2xx": len(accounting.ok),
            "ok_per_s": round(len(accounting.ok) / seconds, 1),
            "non_2xx": len(accounting.bad),
            "non_2xx_statuses": sorted(set(accounting.bad.values())),
            "unanswered": len(accounting.unanswered),
            "issued": accounting.issued,
            "exhausted": accounting.exhausted,
            "accounting_mismatches": accounting.mismatches,
        }
    return summary


def account(raw: dict, batch: Batch) -> Accounting:
    """Turn the Lua script's per-thread counts into sets of MessageSids."""
    result = Accounting()
    for thread in raw["threads"]:
        tid = thread["id"]
        issued = thread["issued"]
        bad = {}
        for entry in thread["bad"]:
            index, status = entry.split(":")
            bad[int(index)] = int(status)
        unanswered = {int(i) for i in thread["noresp"]}
        if thread["pending"]:
            unanswered.add(int(thread["pending"]))
        ok_indexes = set(range(1, issued + 1)) - set(bad) - unanswered
        if len(ok_indexes) != thread["ok"]:
            result.mismatches.append(
                f"thread {tid}: {thread['ok']} 2xx counted, {len(ok_indexes)} by elimination"
            )
        result.ok |= {batch.sid(tid, i) for i in ok_indexes}
        result.bad |= {batch.sid(tid, i): status for i, status in bad.items()}
        result.unanswered |= {batch.sid(tid, i) for i in unanswered}
        result.issued += issued
        result.exhausted += thread["exhausted"]
    return result
