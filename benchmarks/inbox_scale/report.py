"""The printed tables and the machine description saved with every result."""

from __future__ import annotations

import os
import platform
from pathlib import Path

from benchmarks.inbox_scale.measure import TARGET_MS


def machine() -> dict:
    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_gb = None
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    return {
        "cpu": cpu or platform.processor(),
        "cores": os.cpu_count(),
        "memory_gb": memory_gb,
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def _ms(value: dict | None, key: str) -> str:
    if not value:
        return "-"
    number = value[key]
    return f"{number:.2f}" if number < 10 else f"{number:.1f}"


def table(result: dict) -> str:
    meta = result["dataset"]
    head = (
        f"{result['engine_version']}: {meta['messages']:,} messages in "
        f"{meta['conversations']:,} conversations, {meta['workspaces']} workspaces "
        f"({meta['main_conversations']:,} conversations in the measured one); "
        f"{result['repeat']} sequential requests per page, ms"
    )
    load = result.get("load_average")
    if load:
        head += f"\nload average (1 min) before/after: {load['before'][0]} / {load['after'][0]}"
    columns = (
        ("page", 44),
        ("HTTP p50", 9),
        ("HTTP p95", 9),
        ("app p50", 8),
        ("SQL p50", 8),
        ("SQL p95", 8),
        ("queries", 7),
        ("ratio", 6),
        ("target", 7),
        ("result", 6),
    )
    lines = [head, ""]
    lines.append("  ".join(name.ljust(width) for name, width in columns).rstrip())
    lines.append("  ".join("-" * width for _, width in columns))
    for page in result["pages"]:
        http, sql = page["http_ms"], page["sql_ms"]
        ratio = "-"
        if http and sql and sql["p50"] > 0:
            ratio = f"{http['p50'] / sql['p50']:.1f}x"
        cells = (
            page["label"],
            _ms(http, "p50"),
            _ms(http, "p95"),
            _ms(page["app_ms"], "p50"),
            _ms(sql, "p50"),
            _ms(sql, "p95"),
            str(page["queries"]) if page["queries"] else "-",
            ratio,
            f"<{TARGET_MS:.0f}" if page["target_ms"] else "-",
            page["result"],
        )
        lines.append(
            "  ".join(
                str(cell).ljust(width) for cell, (_, width) in zip(cells, columns, strict=True)
            )
        )
    lines += [f"note ({page['key']}): {note}" for page in result["pages"] for note in page["notes"]]
    concurrency = result.get("concurrency")
    if concurrency and concurrency.get("n"):
        lines.append(
            f"concurrency: {concurrency['clients']} clients over every page for "
            f"{concurrency['seconds']:.0f} s: {concurrency['requests_per_s']} req/s, "
            f"p50 {concurrency['p50']:.1f} ms, p95 {concurrency['p95']:.1f} ms"
        )
    return "\n".join(lines)


def slowest_statements(result: dict, *, per_page: int = 2) -> str:
    """The statements behind each page's SQL time, slowest first (for finding causes)."""
    lines = []
    for page in result["pages"]:
        ranked = sorted(page["statements"], key=lambda s: s["p95"], reverse=True)[:per_page]
        for statement in ranked:
            sql = " ".join(statement["sql"].split())
            lines.append(f"{page['key']:<14} p95 {statement['p95']:7.2f} ms  {sql[:150]}")
    return "\n".join(lines)
