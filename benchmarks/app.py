"""The real app at national scale: `geomon serve` on the national store, in headless Chromium.

What a user waits for, measured in the browser from the click to the pixels: the first map with
outlets drawn, a sidebar filter change until the new map is drawn, a pan/zoom to a new area, the
dashboard's first view and a siting verdict; the bytes the browser received for each (HTTP bodies
and WebSocket frames, from Chromium's own network log), and the server's peak RSS (VmHWM of the
Streamlit process) with one user and with `--sessions` concurrent browser sessions each changing
filters. The load average is recorded at every figure (the machine is shared).

    python benchmarks/app.py [--sessions 10] [--store benchmarks/out/national-v1.gpkg]

Writes its rows into `benchmarks/results.json` (rows whose figure starts with "app:" are
replaced; the others are kept) and prints them. Refuses to start without the vendored assets.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).with_name("out")
RESULTS = Path(__file__).with_name("results.json")
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
FRAME = 'iframe[title="geomon.app.components.tilemap.geomon_tilemap"]'
READY = ("() => window.geomonMap && window.geomonMap.pending() === 0 && "
         "(window.geomonMap.drawn().outlets || 0) > 0")  # fmt: skip
GIB = 1024**3


def load() -> float:
    return round(os.getloadavg()[0], 2)


def row(figure: str, value: float | None, unit: str, target: float | None, **extra: Any) -> dict:
    """One results row (the same keys as benchmarks/run.py), with the load average."""
    meets = None if target is None or value is None else value <= target
    out = {
        "figure": f"app: {figure}", "value": None if value is None else round(value, 3),
        "unit": unit, "target": f"<= {target} {unit}" if target is not None else "(reported)",
        "meets_target": meets, "peer": None, "peer_value": None, "load_avg_1m": load(),
    }  # fmt: skip
    if meets is False:
        out["shortfall"] = round(value / target, 2)
    out.update(extra)
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        out += [int(c) for c in text]
    return out


def peak_rss(pid: int) -> tuple[float, float]:
    """Peak RSS (VmHWM) of the Streamlit server (the largest process of the tree `geomon serve`
    starts) and of the whole tree (each process's own peak, summed), GiB."""
    peaks = []
    for p in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) * 1024 / GIB)
        except OSError:
            pass
    return max(peaks, default=0.0), sum(peaks)


def start(store: Path | str, port: int, log: Path) -> tuple[subprocess.Popen, float, float]:
    """Start `geomon serve`; return it, seconds until it answers and until its warm-up is done."""
    env = {**os.environ, "GEOMON_BASEMAP": "none"}
    cmd = [sys.executable, "-m", "geomon.cli", "serve", "--store", str(store), "--port", str(port)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip
    answered = None
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                answered = answered or time.perf_counter() - t0
                if json.loads(r.read())["warm"]:
                    return proc, answered, time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGTERM)
    raise SystemExit(f"the app did not answer and warm up on port {port}; see {log}")


class Bytes:
    """Bytes the browser received (HTTP bodies as sent, WebSocket frames), from CDP events."""

    def __init__(self) -> None:
        self.total = 0

    async def attach(self, page: Any) -> None:
        cdp = await page.context.new_cdp_session(page)
        await cdp.send("Network.enable")
        cdp.on("Network.loadingFinished", self._http)
        cdp.on("Network.webSocketFrameReceived", self._ws)

    def _http(self, event: dict) -> None:
        self.total += int(event.get("encodedDataLength", 0))

    def _ws(self, event: dict) -> None:
        r = event["response"]
        data = r.get("payloadData", "")
        self.total += len(base64.b64decode(data)) if r.get("opcode") == 2 else len(data.encode())


async def map_frame(page: Any, timeout_s: float = 120) -> Any:
    handle = await page.wait_for_selector(FRAME, timeout=timeout_s * 1000)
    frame = None
    while frame is None:
        frame = await handle.content_frame()
        await asyncio.sleep(0.05)
    await frame.wait_for_function(READY, timeout=timeout_s * 1000, polling=50)
    return frame


async def choose_stage(page: Any, stage: str) -> float:
    """Pick `stage` in the sidebar's 整治进度 filter, as a user does (a second try if the
    dropdown did not open: a rerun under load can swallow the first click). Returns the
    `time.perf_counter()` of the click on the option: the user's filter click. Opening the
    dropdown before it is the browser's alone (no request) and is not counted."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    box = sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text="整治进度")
    option = page.get_by_role("option", name=stage)
    for attempt in range(2):
        await box.get_by_role("button", name="Open").click()  # the text field only takes focus
        try:
            await option.wait_for(state="visible", timeout=15_000)
            clicked = time.perf_counter()
            await option.click(timeout=15_000)
            break
        except Exception:
            if attempt:
                raise
            await page.keyboard.press("Escape")
    await page.keyboard.press("Escape")
    return clicked


async def filter_change(page: Any, frame: Any, stage: str, timeout_s: float = 120) -> float:
    """Seconds from the click on `stage` in the filter until the outlets layer has its new key
    and is drawn."""
    key = await frame.evaluate("() => window.geomonMap.keys().outlets")
    t0 = await choose_stage(page, stage)
    await frame.wait_for_function(
        f"() => window.geomonMap.keys().outlets !== {json.dumps(key)} && "
        "window.geomonMap.pending() === 0 && window.geomonMap.drawn().outlets > 0",
        timeout=timeout_s * 1000, polling=50,
    )  # fmt: skip
    return time.perf_counter() - t0


def cpu_seconds() -> dict[int, tuple[str, float]]:
    """CPU seconds (user + system) used so far by each process on the machine, with its kind:
    ``server`` (Python running Streamlit), ``chromium`` or ``other``, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            cmd = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        kind = ("chromium" if b"chrom" in cmd.split(b"\0")[0]
                else "server" if b"streamlit" in cmd else "other")  # fmt: skip
        out[int(proc.name)] = (kind, (int(fields[11]) + int(fields[12])) / tick)
    return out


def cpu_used(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> dict:
    """CPU seconds used between two `cpu_seconds` readings, per kind (a process that ended in
    between is not counted: a lower bound)."""
    used = {"server": 0.0, "chromium": 0.0, "other": 0.0}
    for pid, (kind, seconds) in after.items():
        was = before.get(pid)
        used[kind] += seconds - (was[1] if was and was[0] == kind else 0.0)
    return used


async def single_user(browser: Any, base: str, server: int, project: str | None) -> list[dict]:
    rows = []
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    received = Bytes()
    await received.attach(page)
    t0 = time.perf_counter()
    await page.goto(base + "/", wait_until="commit")
    frame = await map_frame(page)
    first = time.perf_counter() - t0
    drawn = await frame.evaluate("() => window.geomonMap.drawn()")
    rows.append(row("first map with outlets drawn (navigation → points on the map)", first, "s",
                    3, bytes_mib=round(received.total / 2**20, 2),
                    note=f"features drawn in view: {drawn}"))  # fmt: skip
    await asyncio.sleep(1)

    before = received.total
    took = await filter_change(page, frame, "整治中")
    rows.append(row("filter change → updated map (整治进度 = 整治中)", took, "s", 1))
    rows.append(row("bytes sent to the browser for that filter change",
                    (received.total - before) / 1e6, "MB", 2))  # fmt: skip

    await asyncio.sleep(1)
    before = received.total
    t0 = time.perf_counter()
    await frame.evaluate("() => window.geomonMap.map().setView([30.6, 114.3], 9, {animate: false})")
    await frame.wait_for_function("() => window.geomonMap.pending() === 0", polling=50)
    rows.append(row("pan/zoom to a new area (Wuhan, z9) → drawn", time.perf_counter() - t0, "s",
                    0.5, bytes_mib=round((received.total - before) / 2**20, 3)))  # fmt: skip

    t0 = time.perf_counter()
    await page.goto(base + "/dashboard", wait_until="commit")
    await page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=120_000)
    rows.append(row("dashboard first view (navigation → first chart)", time.perf_counter() - t0,
                    "s", 2))  # fmt: skip

    if project:
        t0 = time.perf_counter()
        await page.goto(f"{base}/siting?project={project}", wait_until="commit")
        await page.get_by_text(project).last.wait_for(timeout=120_000)
        await page.locator('[data-testid="stAlert"]').first.wait_for(timeout=120_000)
        rows.append(row(f"siting page verdict (stored project {project})",
                        time.perf_counter() - t0, "s", 2))  # fmt: skip
    peak, tree = peak_rss(server)
    rows.append(row("Streamlit server peak RSS, one user", peak, "GiB", 1,
                    note=f"with the `geomon serve` launcher: {tree:.2f} GiB"))  # fmt: skip
    await context.close()
    return rows


async def one_session(browser: Any, base: str, stages: list[str]) -> tuple[list[float], Any]:
    """One browser session's filter-change times, and its context (still open: closing it
    ends its renderer process, whose CPU time `concurrent` still has to read)."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    await page.goto(base + "/", wait_until="commit")
    frame = await map_frame(page, timeout_s=300)
    times = []
    for stage in stages:
        try:
            times.append(await filter_change(page, frame, stage, timeout_s=300))
        except Exception:  # counted as a failure: the figure says how many
            times.append(float("inf"))
    return times, context


async def concurrent(browser: Any, base: str, server: int, sessions: int) -> list[dict]:
    stages = ["整治中", "整治完成", "已排查"]
    t0, cpu0 = time.perf_counter(), cpu_seconds()
    ran = await asyncio.gather(*(one_session(browser, base, stages) for _ in range(sessions)))
    wall, cpu = time.perf_counter() - t0, cpu_seconds()
    runs = [times for times, _ in ran]
    for _, context in ran:
        await context.close()
    used = cpu_used(cpu0, cpu)
    times = sorted(t for run in runs for t in run)
    failed = sum(t == float("inf") for t in times)
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    p95 = None if p95 == float("inf") else p95
    done = [t for t in times if t != float("inf")] or [float("nan")]
    share = {k: round(v / (wall * (os.cpu_count() or 1)), 2) for k, v in used.items()}
    return [
        row(f"filter change → map, p95 over {sessions} concurrent sessions", p95, "s", 2,
            note=f"{len(times)} changes, {failed} failed; median {statistics.median(done):.2f} s; "
                 f"whole run {wall:.0f} s; CPU seconds used meanwhile: Streamlit server "
                 f"{used['server']:.0f}, the {sessions} Chromium sessions {used['chromium']:.0f}, "
                 f"other processes {used['other']:.0f} (of {wall * (os.cpu_count() or 1):.0f} "
                 f"on {os.cpu_count()} cores)", cpu_share=share),
        row(f"Streamlit server peak RSS, {sessions} concurrent sessions", peak_rss(server)[0],
            "GiB", 1.5),
    ]  # fmt: skip


def first_project(store: Path | str) -> str | None:
    if "://" in str(store):  # a PostGIS store (benchmarks/postgis.py)
        from geomon.store import open_store  # noqa: PLC0415

        frame = open_store(str(store)).read("projects")
    else:
        import pyogrio  # noqa: PLC0415

        frame = pyogrio.read_dataframe(store, layer="projects", columns=["id"], max_features=1,
                                       read_geometry=False)  # fmt: skip
    return str(frame["id"].iloc[0]) if len(frame) else None


async def run(store: Path | str, sessions: int) -> list[dict]:
    from playwright.async_api import async_playwright  # noqa: PLC0415

    log = OUT / "app-server.log"
    port = _free_port()
    proc, answered, warm = start(store, port, log)
    base = f"http://127.0.0.1:{port}"
    try:
        server = proc.pid
        rows = [
            row("server start → answering (geomon serve)", answered, "s", None),
            row("server start → warm-up done (layers, choices, statistics, indexes cached)",
                warm, "s", None, note="the warm-up runs beside the server at start; the "
                "figures below are a visitor's after it, as on a server that has been up"),
        ]  # fmt: skip
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            rows += await single_user(browser, base, server, first_project(store))
            for r in rows:
                print(json.dumps(r, ensure_ascii=False), flush=True)
            if sessions:
                rows += await concurrent(browser, base, server, sessions)
            await browser.close()
        return rows
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # geomon serve and its Streamlit child
        proc.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=OUT / "national-v1.gpkg")
    parser.add_argument("--sessions", type=int, default=10)
    args = parser.parse_args()
    leaflet = ROOT / "static" / "vendor" / "leaflet" / "leaflet.js"
    if not leaflet.is_file():
        raise SystemExit(f"{leaflet} is missing: run `npm ci` first (the map would be blank)")
    if not Path(CHROMIUM).exists():
        raise SystemExit("Debian chromium is missing: apt-get install -y chromium fonts-noto-cjk")
    if not args.store.is_file():
        subprocess.run([sys.executable, str(Path(__file__).with_name("national.py"))], check=True)
    rows = asyncio.run(run(args.store, args.sessions))
    for r in rows[-2:] if args.sessions else []:
        print(json.dumps(r, ensure_ascii=False))
    kept = [r for r in json.loads(RESULTS.read_text()) if not r["figure"].startswith("app: ")]
    RESULTS.write_text(json.dumps(rows + kept, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
