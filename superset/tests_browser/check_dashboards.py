"""Open Superset dashboards in headless Chromium and report, as JSON, what each chart drew.

Runs in the Superset environment, which contains Playwright for Python, and drives Debian's
Chromium (``/usr/bin/chromium``). It never downloads a browser. Every request to a host
other than the loopback address is aborted and listed in the output.

    SUPERSET_ADMIN_PASSWORD=... python check_dashboards.py --url http://127.0.0.1:8088 \\
        --out-dir screenshots customer-overview data-quality customer-authenticity

Prints one JSON object on stdout: per dashboard its charts (name, viz type, what they
drew, error or "No results" text, visible text) and the screenshot path, plus the list of
blocked requests. The exit code is 0 when the browser run finished, whatever the charts
show: the caller asserts on the JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from PIL import Image
from playwright.sync_api import BrowserContext, Page, Route, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT_WIDTH = 1600
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
CHART_HOLDER = "[data-test='dashboard-component-chart-holder']"
LOADING = ".loading, [data-test='loading-indicator'], [aria-label='Loading']"

# Reads each chart holder of the open dashboard: what it drew and any message it shows.
CHART_STATE_JS = """
(selector) => Array.from(document.querySelectorAll(selector)).map((holder) => {
  const slice = holder.querySelector("[data-test='chart-grid-component']") || holder;
  const body = holder.querySelector(".dashboard-chart") || slice;
  // A canvas counts when at least one sampled pixel is not transparent.
  const inked = (canvas) => {
    const context = canvas.getContext("2d");
    if (!context || canvas.width === 0 || canvas.height === 0) return false;
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < pixels.length; i += 4 * 7) { if (pixels[i] > 0) return true; }
    return false;
  };
  const canvases = Array.from(body.querySelectorAll("canvas")).filter(inked);
  const svgShapes = body.querySelectorAll("svg path, svg rect, svg circle, svg text").length;
  const tableCells = Array.from(body.querySelectorAll("td"))
    .filter((td) => td.innerText.trim() !== "").length;
  const bigNumber = body.querySelector(".header-line, [data-test='big-number-header']");
  const text = body.innerText || "";
  const errorNode = holder.querySelector(
    ".alert-danger, .ant-alert-error, [data-test='error-message'], .chart-error");
  const box = body.getBoundingClientRect();
  return {
    name: slice.getAttribute("data-test-chart-name"),
    box: [box.left + window.scrollX, box.top + window.scrollY, box.width, box.height],
    chart_id: slice.getAttribute("data-test-chart-id"),
    viz_type: slice.getAttribute("data-test-viz-type"),
    canvases: canvases.length,
    svg_shapes: svgShapes,
    table_cells: tableCells,
    big_number: bigNumber ? bigNumber.innerText.trim() : null,
    no_results: /No results/i.test(text),
    error: errorNode ? errorNode.innerText.trim().slice(0, 500) : null,
    loading: holder.querySelectorAll(".loading").length > 0,
    search_placeholder: (holder.querySelector("input[placeholder]") || {}).placeholder || null,
    text: text.trim().slice(0, 2000),
  };
})
"""


def _route_handler(blocked: list[str], allowed_hosts: set[str]):
    def handle(route: Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob") or parts.hostname in LOOPBACK_HOSTS:
            allowed_hosts.add(parts.hostname or parts.scheme)
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    return handle


def _login(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("[data-test='username-input']", username)
    page.fill("[data-test='password-input']", password)
    page.click("[data-test='login-button']")
    page.wait_for_url(lambda url: "/login" not in url, timeout=60_000)


def _wait_for_charts(page: Page, timeout_s: float) -> None:
    """Wait until every chart holder has left its loading state and stayed so for a moment."""
    page.wait_for_selector(CHART_HOLDER, timeout=timeout_s * 1000)
    deadline = time.monotonic() + timeout_s
    settled_since = None
    while time.monotonic() < deadline:
        states = page.evaluate(CHART_STATE_JS, CHART_HOLDER)
        busy = [s for s in states if s["loading"] or not (s["text"] or s["canvases"] or s["svg_shapes"])]
        if busy:
            settled_since = None
        elif settled_since is None:
            settled_since = time.monotonic()
        elif time.monotonic() - settled_since > 2.0:
            # ECharts animates its first draw; give it a moment before the screenshot.
            page.wait_for_timeout(1500)
            return
        page.wait_for_timeout(500)


def screenshot_ink(image: Image.Image, box: list[float]) -> float:
    """Return the share of pixels in ``box`` (left, top, width, height) that differ from its background.

    The background is the most common colour of the region. A chart that drew nothing
    visible scores close to 0.
    """
    left, top, width, height = (round(value) for value in box)
    if width <= 0 or height <= 0:
        return 0.0
    region = image.crop((left, top, left + width, top + height)).convert("RGB").reduce(2)
    colours = region.getcolors(maxcolors=region.width * region.height)
    background = max(colours)[1]
    differing = sum(
        count
        for count, colour in colours
        if max(abs(a - b) for a, b in zip(colour, background, strict=True)) > 40
    )
    return differing / (region.width * region.height)


def check_dashboard(page: Page, base_url: str, slug: str, out_dir: Path, timeout_s: float) -> dict:
    # A page that drew no chart holder at all is opened once more: right after Superset
    # starts, a first page load has been seen to stall for minutes.
    timeouts = 0
    while True:
        response = page.goto(f"{base_url}/superset/dashboard/{slug}/")
        status = response.status if response else None
        try:
            _wait_for_charts(page, timeout_s)
            break
        except PlaywrightTimeoutError as error:
            timeouts += 1
            failed = out_dir / f"{slug}-timed-out-{timeouts}.png"
            page.screenshot(path=str(failed), full_page=True)
            print(f"dashboard {slug}: no chart within {timeout_s:.0f} s, page in {failed}", file=sys.stderr)
            if timeouts == 2:
                raise RuntimeError(
                    f"dashboard {slug!r} (HTTP {status}, now at {page.url}) showed no chart within "
                    f"{timeout_s:.0f} s, twice; the page as it was is in {failed}"
                ) from error
    # Grow the viewport to the whole dashboard first: a full-page screenshot resizes it
    # while capturing, and the charts would redraw mid-capture.
    height = page.evaluate("() => document.documentElement.scrollHeight")
    page.set_viewport_size({"width": VIEWPORT_WIDTH, "height": max(height, 800)})
    _wait_for_charts(page, timeout_s)
    charts = page.evaluate(CHART_STATE_JS, CHART_HOLDER)
    screenshot = out_dir / f"{slug}.png"
    page.screenshot(path=str(screenshot), full_page=True)
    with Image.open(screenshot) as image:
        for chart in charts:
            chart["screenshot_ink"] = round(screenshot_ink(image, chart["box"]), 4)
    page.set_viewport_size({"width": VIEWPORT_WIDTH, "height": 1200})
    return {
        "slug": slug,
        "http_status": status,
        "title": page.title(),
        "charts": charts,
        "screenshot": str(screenshot),
        "page_timeouts": timeouts,
    }


def _open_context(playwright, user_data_dir: str) -> BrowserContext:
    return playwright.chromium.launch_persistent_context(
        user_data_dir,
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_FLAGS,
        viewport={"width": VIEWPORT_WIDTH, "height": 1200},
    )


def run(
    base_url: str, username: str, password: str, slugs: list[str], out_dir: Path, timeout_s: float
) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    blocked: list[str] = []
    allowed_hosts: set[str] = set()
    results = []
    with sync_playwright() as playwright, tempfile.TemporaryDirectory(prefix="cw_chromium_") as profile:
        context = _open_context(playwright, profile)
        try:
            context.route("**/*", _route_handler(blocked, allowed_hosts))
            page = context.new_page()
            console_errors: list[str] = []
            page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
            _login(page, base_url, username, password)
            for slug in slugs:
                results.append(check_dashboard(page, base_url, slug, out_dir, timeout_s))
        finally:
            context.close()
    return {
        "dashboards": results,
        "blocked_requests": blocked,
        "allowed_hosts": sorted(allowed_hosts),
        "console_errors": console_errors[:50],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("slugs", nargs="+", help="dashboard slugs to open")
    parser.add_argument("--url", required=True, help="Superset base URL on the loopback address")
    parser.add_argument("--user", default=os.environ.get("CW_SUPERSET_ADMIN", "admin"))
    parser.add_argument("--out-dir", required=True, type=Path, help="folder for one PNG per dashboard")
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="seconds to wait for a dashboard's charts"
    )
    args = parser.parse_args(argv)
    password = os.environ.get("SUPERSET_ADMIN_PASSWORD")
    if not password:
        print("SUPERSET_ADMIN_PASSWORD is not set: the browser needs it to log in", file=sys.stderr)
        return 2
    if urlsplit(args.url).hostname not in LOOPBACK_HOSTS:
        print(
            f"--url {args.url} is not a loopback address: this check only talks to 127.0.0.1", file=sys.stderr
        )
        return 2
    result = run(args.url.rstrip("/"), args.user, password, args.slugs, args.out_dir, args.timeout)
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
