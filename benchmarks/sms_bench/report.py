"""The printed table (one per engine) and the verdict against the targets."""

from __future__ import annotations

RATIO_TARGET = 0.5
P99_TARGET_MS = 100.0


def _n(value: float) -> str:
    return f"{value:,.0f}"


def _ms(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def table(result: dict) -> str:
    lines = [
        f"## {result['engine_version']}: {result['serving']}",
        f"wrk {result['connections']} connections, {result['seconds']} s after "
        f"{result['warmup_seconds']} s warm-up; intake: {result.get('intake', 'push')}; "
        f"task worker: {result['worker_mode_text']}; "
        f"load average before/after {result['load_average']['before'][0]} / "
        f"{result['load_average']['after'][0]}",
        "",
        "| target | served by | req/s | p50 ms | p99 ms | non-2xx | socket errors | vs floor |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for run in result["runs"]:
        s = run["summary"]
        rps = s.get("ok_per_s", s["requests_per_s"])
        errors = sum(s["socket_errors"].values())
        ratio = f"{run['vs_floor']:.0%}" if run.get("vs_floor") else "-"
        label = run["label"] + (f" (round {run['round']})" if result["rounds"] > 1 else "")
        lines.append(
            f"| {label} | {run['served_by']} | {_n(rps)} | {_ms(s['p50_ms'])} | "
            f"{_ms(s['p99_ms'])} | {s['non_2xx']} | {errors} | {ratio} |"
        )
    lines.append("")
    for run in result["runs"]:
        app = run.get("app_ms")
        if app:
            lines.append(
                f"{run['label']}: Frontdesk's own time per request (request log, warm-up "
                f"included, no queueing): mean {_ms(app['mean_ms'])} ms, p50 "
                f"{_ms(app['p50_ms'])} ms, p99 {_ms(app['p99_ms'])} ms"
            )
    for run in result["runs"]:
        check = run.get("stored")
        if not check:
            continue
        line = (
            f"{run['label']}: {check['answered_2xx']:,} answered 2xx (warm-up included), "
            f"{check['distinct_sids']:,} stored with distinct MessageSids, "
            f"lost {check['lost']}, duplicated {check['duplicated']}, "
            f"never sent {check['never_sent']}, unanswered {check['unanswered']} "
            f"(of them stored {check['unanswered_stored']})"
        )
        if "queued_after_run" in run:
            line += f"; tasks queued after the run {run['queued_after_run']:,}"
        lines.append(line)
        drained = run.get("drained")
        if drained and "events_per_s" in drained:
            workers = drained.get("workers", 1)
            lines.append(
                f"intake drain: {drained['events_per_s']:,.0f} events/s "
                f"({workers} worker{'s' * (workers > 1)}), beside the webhook's "
                f"{run['summary'].get('ok_per_s', 0):,.0f} req/s accepted"
            )
        latency = run.get("stored_to_message")
        if latency:
            lines.append(
                f"webhook to message row (worker during the run): p50 {latency['p50_ms']:,} ms, "
                f"p95 {latency['p95_ms']:,} ms, max {latency['max_ms']:,} ms"
            )
        if drained:
            lines.append(
                f"  after the worker drained the queue ({drained['seconds']} s): "
                f"events {drained['events']:,} {drained['statuses']}, messages "
                f"{drained['messages']:,} (from {drained['messages_distinct_events']:,} "
                f"distinct events), tasks queued {drained['queued_tasks']}"
            )
    verdict = result.get("verdict")
    if verdict:
        lines += ["", "Targets: " + "; ".join(verdict)]
    return "\n".join(lines)


def verdict(result: dict) -> list[str]:
    """The issue's targets, stated for each webhook round."""
    out = []
    for run in result["runs"]:
        if run["target"] != "webhook":
            continue
        s = run["summary"]
        parts = []
        ratio = run.get("vs_floor")
        if ratio:
            ok = "PASS" if ratio >= RATIO_TARGET else "FAIL"
            parts.append(f"{ratio:.0%} of the floor's req/s {ok}")
        p99_ok = "PASS" if s["p99_ms"] < P99_TARGET_MS else "FAIL"
        parts.append(f"p99 {_ms(s['p99_ms'])} ms {p99_ok}")
        check = run.get("stored") or {}
        drained = run.get("drained") or {}
        intact = (
            check.get("lost") == 0
            and check.get("duplicated") == 0
            and check.get("never_sent") == 0
            and s["non_2xx"] == 0
            and (
                not drained
                or (
                    drained["queued_tasks"] == 0
                    and drained["messages"] == drained["events"]
                    and drained["messages_distinct_events"] == drained["events"]
                )
            )
        )
        parts.append(f"zero lost/duplicated {'PASS' if intact else 'FAIL'}")
        prefix = f"round {run['round']}: " if result["rounds"] > 1 else ""
        out.append(prefix + ", ".join(parts))
    return out
