"""A classroom load test: N sessions against a running server. Each visits every page, moves the World Map's
θ3 slider, steps the Diffusion player and (optionally) starts a short training; the report gives per-page time to
render and control-to-update time (median, p95, max), errors, and the server's peak memory.

    python -m gdl loadtest --sessions 30 --url http://127.0.0.1:8501                  # websocket clients
    python -m gdl loadtest --sessions 5 --url http://127.0.0.1:8501 --client browser  # real Chromium tabs

Two kinds of session. `ws` (the default) speaks Streamlit's own websocket protocol (gdl.wsclient): the server
does exactly the work a browser tab asks of it, and the clients cost next to nothing, which is what a classroom
is (thirty laptops, one server). `browser` opens real Chromium tabs through Playwright and also records every
request they make (none may leave the app's origin); thirty of them on the server's own two cores measure
mostly the browsers.

Traffic goes only to the given URL, which must be on this machine (loopback); the run is bounded in time.
"""
from __future__ import annotations

import asyncio
import shutil
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PAGES = ["/", "/world_map", "/compare", "/latent", "/diffusion"]
WAIT_JS = ("() => document.querySelector('h1') && !document.querySelector('[data-testid=\"stStatusWidget\"]')"
           " && document.querySelectorAll('[data-testid=\"stSkeleton\"]').length === 0")


@dataclass
class Report:
    render: dict[str, list[float]] = field(default_factory=dict)  # page -> seconds until fully rendered
    first: dict[str, list[float]] = field(default_factory=dict)  # page -> seconds to its first element (ws)
    filled: dict[str, float] = field(default_factory=dict)  # page -> seconds until no panel was pending (ws)
    update: list[float] = field(default_factory=list)  # control-to-update seconds: the θ3 slider
    step: list[float] = field(default_factory=list)  # the Diffusion player's "step forward" (ws)
    player: list[float] = field(default_factory=list)  # seconds from opening /diffusion to its player on screen (ws)
    client: str = "browser"
    errors: list[str] = field(default_factory=list)
    outside: set[str] = field(default_factory=set)  # hosts other than the app's own
    requests: int = 0  # every request the pages made (so that "no outside request" is not vacuous)
    peak_rss_mb: float = 0.0
    baseline_rss_mb: float = 0.0


def _listening_inodes(port: int) -> set[str]:
    """Socket inodes listening on `port` (any address), from /proc/net/tcp and tcp6."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":  # 0A: LISTEN
                inodes.add(fields[9])
    return inodes


def _server_pids(port: int | None = None) -> list[int]:
    """The server's process: the one listening on `port` (Linux /proc); without a port or where that finds
    nothing, every `streamlit run` process on this machine (then other servers' memory counts too)."""
    sockets = {f"socket:[{i}]" for i in _listening_inodes(port)} if port else set()
    listening, streamlit = [], []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="ignore")
            if "streamlit" in cmd and " run " in cmd and "loadtest" not in cmd:
                streamlit.append(int(proc.name))
            if sockets and any(str(fd.readlink()) in sockets for fd in (proc / "fd").iterdir()):
                listening.append(int(proc.name))
        except OSError:
            continue
    return listening or streamlit


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def median_p95_max(values: list[float]) -> tuple[float, float, float]:
    """The median, the 95th percentile (nearest rank) and the maximum of some timings."""
    values = sorted(values)
    return statistics.median(values), values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))], values[-1]


def _stats(values: list[float]) -> str:
    if not values:
        return "-"
    median, p95, top = median_p95_max(values)
    return f"median {median:6.2f}  p95 {p95:6.2f}  max {top:6.2f}  (n={len(values)})"


async def _session(browser, url: str, index: int, report: Report, pages: list[str], train: bool) -> None:
    origin = urlparse(url).netloc
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(120_000)

    def on_request(request):
        report.requests += 1
        host = urlparse(request.url).netloc
        if host and host != origin and not request.url.startswith("data:"):
            report.outside.add(host)

    page.on("request", on_request)
    try:
        for path in pages:
            start = time.perf_counter()
            await page.goto(url + path)
            await page.wait_for_function(WAIT_JS, timeout=120_000)
            report.render.setdefault(path, []).append(time.perf_counter() - start)
            errors = await page.query_selector_all("[data-testid='stException']")
            report.errors += [f"session {index} {path}: {await e.inner_text()}"[:300] for e in errors]
            if path == "/world_map":
                # The likelihood explorer's θ3 slider: move it one notch and time until the metric changes.
                slider = (page.locator("[data-testid='stSlider']").filter(has_text="θ3: east edge")
                          .locator("input[type=range]"))
                metric = page.locator("[data-testid='stMetricValue']").nth(6)  # the box area: changes on every move
                before = await metric.inner_text()
                await slider.focus()
                start = time.perf_counter()
                await page.keyboard.press("ArrowLeft")
                await page.wait_for_function(
                    "(b) => document.querySelectorAll('[data-testid=\"stMetricValue\"]')[6]?.innerText !== b",
                    arg=before, timeout=60_000)
                report.update.append(time.perf_counter() - start)
            if path == "/compare" and train:
                await page.get_by_role("button", name="Retrain").click()
                await page.wait_for_timeout(3000)
    except Exception as err:  # noqa: BLE001  (a failed session is a result, not a crash)
        report.errors.append(f"session {index}: {type(err).__name__}: {str(err).splitlines()[0][:200]}")
    finally:
        await context.close()


async def _ws_session(url: str, index: int, report: Report, pages: list[str], train: bool) -> None:
    """The same visit as `_session`, made over Streamlit's websocket by gdl.wsclient (no browser)."""
    from gdl.wsclient import Session

    try:
        async with Session(url) as session:
            for path in pages:
                name = path.strip("/")
                run = await session.open(name)
                report.render.setdefault(path, []).append(run.finished_s)
                report.first.setdefault(path, []).append(run.first_element_s)
                report.errors += [f"session {index} {path}: {e}" for e in run.errors]
                if name == "world_map":
                    slider = session.widget("slider", "θ3")
                    moved = await session.set_value(slider, 150.0 - index % 7)  # a value of its own
                    report.update.append(moved.finished_s)
                    report.errors += [f"session {index} θ3 slider: {e}" for e in moved.errors]
                if name == "diffusion":
                    waited = time.perf_counter()  # on a cold server the player fills in once its path is computed
                    await session.rerun_until(run, lambda _: any(w.label == "▶|" for w in session.widgets))
                    report.player.append(time.perf_counter() - waited + run.finished_s)
                    stepped = await session.click(session.widget("button", "▶|"))
                    report.step.append(stepped.finished_s)
                    report.errors += [f"session {index} diffusion step: {e}" for e in stepped.errors]
                if name == "compare" and train:
                    pressed = await session.click(session.widget("button", "🔁 Retrain"))
                    report.errors += [f"session {index} retrain: {e}" for e in pressed.errors]
    except Exception as err:  # noqa: BLE001  (a failed session is a result, not a crash)
        report.errors.append(f"session {index}: {type(err).__name__}: {str(err).splitlines()[0][:200] if str(err) else ''}")


async def _observe(url: str, path: str, report: Report) -> None:
    """One more client per page, from the start: it opens the page and follows it, as its polling fragment does,
    until no panel is still being computed in the background (gdl.ui.background) for anyone on the server."""
    from gdl.wsclient import Session

    try:
        async with Session(url) as session:
            start = time.perf_counter()
            run = await session.fill_in(await session.open(path.strip("/")), timeout=900)
            report.filled[path] = time.perf_counter() - start
            report.errors += [f"observer {path}: {e}" for e in run.errors]
    except Exception as err:  # noqa: BLE001  (a failed observer is a result, not a crash)
        report.errors.append(f"observer {path}: {type(err).__name__}: {str(err)[:200]}")


async def run(url: str, sessions: int, pages: list[str], train: bool, stagger: float,
              client: str = "browser") -> Report:
    if client != "ws":
        from playwright.async_api import async_playwright

    report = Report(client=client)
    pids = _server_pids(urlparse(url).port)
    report.baseline_rss_mb = _rss_mb(pids)
    stop = threading.Event()

    def watch_memory():
        while not stop.is_set():
            report.peak_rss_mb = max(report.peak_rss_mb, _rss_mb(pids))
            time.sleep(0.5)

    watcher = threading.Thread(target=watch_memory, daemon=True)
    watcher.start()
    if client == "ws":
        async def staggered_ws(i):
            await asyncio.sleep(i * stagger)
            await _ws_session(url, i, report, pages, train and i % 5 == 0)

        await asyncio.wait_for(asyncio.gather(*(staggered_ws(i) for i in range(sessions)),
                                              *(_observe(url, path, report) for path in pages)), timeout=1800)
    else:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)

            async def staggered(i):
                await asyncio.sleep(i * stagger)
                await _session(browser, url, i, report, pages, train and i % 5 == 0)

            await asyncio.wait_for(asyncio.gather(*(staggered(i) for i in range(sessions))), timeout=1800)
            await browser.close()
    stop.set()
    watcher.join()
    return report


def format_report(report: Report, sessions: int) -> str:
    how = ("real browser tabs (Chromium, on this machine)" if report.client == "browser" else
           "Streamlit websocket clients (gdl.wsclient: the server's full work, no browser on the machine)")
    lines = [f"{sessions} sessions, {how}", "page fully rendered, from the request (s):"]
    for path, values in report.render.items():
        lines.append(f"  {path:<12} {_stats(values)}")
    if report.first:
        lines.append("first element on the page (s):")
        lines += [f"  {path:<12} {_stats(values)}" for path, values in report.first.items()]
    if report.filled:
        lines.append("every first-time panel filled in, seen by one more client per page from the start (s):")
        lines += [f"  {path:<12} {seconds:6.2f}" for path, seconds in report.filled.items()]
    lines.append(f"control-to-update (s), θ slider on /world_map: {_stats(report.update)}")
    if report.player:
        lines.append(f"/diffusion's player on screen, from the request (s): {_stats(report.player)}")
    if report.step:
        lines.append(f"control-to-update (s), step forward on /diffusion: {_stats(report.step)}")
    lines.append(f"errors: {len(report.errors)}")
    lines += [f"  {e}" for e in report.errors[:10]]
    if report.client == "browser":
        lines.append(f"requests to other hosts: {sorted(report.outside) or 'none'} (of {report.requests} requests)")
    per_session = (report.peak_rss_mb - report.baseline_rss_mb) / max(sessions, 1)
    lines.append(f"server memory: {report.baseline_rss_mb:.0f} MB before, peak {report.peak_rss_mb:.0f} MB "
                 f"(about {per_session:.0f} MB per session)")
    return "\n".join(lines)


def main(args) -> int:
    host = urlparse(args.url).hostname
    if host not in ("127.0.0.1", "localhost", "::1") and not (host or "").startswith("127."):
        print("the load test only targets a server on this machine (loopback)")
        return 2
    if args.client == "browser" and shutil.which("chromium") is None:
        print("no chromium on the PATH: apt-get install chromium (or use --client ws)")
        return 2
    pages = args.pages.split(",") if args.pages else PAGES
    report = asyncio.run(run(args.url.rstrip("/"), args.sessions, pages, args.train, args.stagger, args.client))
    print(format_report(report, args.sessions))
    return 1 if report.errors or report.outside else 0
