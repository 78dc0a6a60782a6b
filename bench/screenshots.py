"""`make screenshots`: a PNG of every portal screen, in Indonesian and English, on a desktop and
on a 375-px phone, under var/screenshots/ (ignored by git), for review. Run by hand.

Starts Saldo on a scratch embedded store with the development defaults and SALDO_DEMO=1 (so
service/portal/demo.py seeds "Toko Demo" and prints its portal link), opens the link in Debian's
Chromium with Playwright (/usr/bin/chromium or SALDO_CHROMIUM; no browser download) and visits
SCREENS. Before that it adds, through the admin API, two add-ons (one recurring, one one-time:
tests/addon_helpers.py's) and a reseller, so the add-on screens have rows and forms. A new screen
is one line in SCREENS; `{invoice}` is the first invoice's code, `{addon}` the recurring add-on,
`{topup}` the latest top-up, `{ws}` the demo workspace, `{reseller}` the reseller. A screen that
is not served (404) is reported and skipped. Every phone screen is checked: the elements wider
than the screen (sideways scrolling), those drawn past their card's edge and the selects whose
chosen option is cut are printed."""
from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))       # `python bench/screenshots.py` from the repository root

from bench.scratch import with_service  # noqa: E402
from bench.webhooks import stop_service  # noqa: E402
from tests.addon_helpers import EXTRA_USER, WA_CONV  # noqa: E402
from tests.browser import ARGS, CHROMIUM  # noqa: E402

OUT = ROOT / "var" / "screenshots"
SCREENS = (                      # (file name, path): every portal screen, one line each
    ("overview", "/portal"),
    ("plans", "/portal/plans"),
    ("addons", "/portal/addons"),
    ("addons-buy", "/portal/addons/buy"),
    ("addon-order", "/portal/addons/buy/{addon}?quantity=2"),
    ("plans-order", "/portal/plans?plan=pro&period=monthly"),
    ("renew", "/portal/renew"),
    ("unsubscribe", "/portal/unsubscribe"),
    ("balance", "/portal/balance"),
    ("balance-topup", "/portal/balance/topup"),
    ("balance-topups", "/portal/balance/topups"),
    ("topup", "/portal/balance/topups/{topup}"),
    ("balance-usage", "/portal/balance/usage"),
    ("invoices", "/portal/invoices"),
    ("invoice", "/portal/invoices/{invoice}"),
    ("billing-info", "/portal/billing-info"),
    ("credit", "/portal/credit"),
)
PANEL_SCREENS = (                # the agency panel's, signed in with the development admin token
    ("panel-home", "/panel"),
    ("panel-addons", "/panel/addons"),
    ("panel-addon-new", "/panel/addons/new"),
    ("panel-addon-edit", "/panel/addons/{addon}/edit"),
    ("panel-resellers", "/panel/resellers"),
    ("panel-reseller", "/panel/resellers/{reseller}"),
    ("panel-workspaces", "/panel/workspaces"),
    ("panel-workspace", "/panel/workspaces/{ws}"),
    ("panel-operations", "/panel/operations"),
)
ADMIN_TOKEN = "dev-admin"        # the Makefile's development default, as the demo needs it
VIEWPORTS = (("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 375, "height": 740}))
LINK = re.compile(r"(http://\S+/portal/open/\S+)")


def start(workdir: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PORT": str(port), "SALDO_DATA_DIR": str(workdir / "data"),
           "SALDO_ADMIN_TOKEN": "dev-admin", "WHATSAPP_APP_SECRETS": "dev-secret",
           "WHATSAPP_VERIFY_TOKEN": "dev-verify", "PAYMENT_WEBHOOK_SECRET": "dev-payments",
           "SALDO_PAYMENT_PROVIDER": "sandbox", "SALDO_DEMO": "1", "SALDO_WEB_PROCESSES": "1",
           "SALDO_PUBLIC_URL": f"http://127.0.0.1:{port}", "LOG_LEVEL": "WARNING"}
    with open(workdir / "service.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "service"], cwd=ROOT, env=env,
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}"


def demo_link(base: str, proc: subprocess.Popen, log: Path) -> str:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"service exited with code {proc.returncode}; see {log}")
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as resp:
                if resp.status == 200:
                    found = LINK.search(log.read_text(errors="replace"))
                    if found:
                        return found.group(1)
        except OSError:
            pass
        time.sleep(0.3)        # polling a starting process, not synchronising a test
    raise SystemExit(f"no demo link within 90 s; see {log}")


def seed(base: str) -> dict:
    """The add-ons and the reseller the screens show → their ids."""
    def post(path: str, body: dict) -> dict:
        req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {ADMIN_TOKEN}",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())
    addon = post("/v1/admin/addons", EXTRA_USER)["id"]
    post("/v1/admin/addons", WA_CONV)
    reseller = post("/v1/admin/resellers", {"name": "Mitra Jaya"})["reseller"]["id"]
    return {"addon": addon, "reseller": reseller}


async def _first_link(page, url: str, selector: str, prefix: str) -> str:
    await page.goto(url)
    href = await page.locator(selector).first.get_attribute("href") or ""
    return href.removeprefix(prefix)


async def shoot(base: str, link: str, ids: dict) -> int:
    from playwright.async_api import async_playwright
    OUT.mkdir(parents=True, exist_ok=True)
    saved = 0
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = await (await browser.new_context()).new_page()
        await page.goto(link)
        ids["invoice"] = await _first_link(page, base + "/portal/invoices",
                                           "table.inv-table tbody tr a", "/portal/invoices/")
        ids["topup"] = await _first_link(page, base + "/portal/balance/topups",
                                         "a[href^='/portal/balance/topups/']",
                                         "/portal/balance/topups/")
        saved += await _screens(page, base, SCREENS, ids)
        await page.goto(base + "/panel/signin")
        await page.get_by_label("API key").or_(page.get_by_label("Kunci API")).fill(ADMIN_TOKEN)
        await page.locator("form[action='/panel/signin'] button[type=submit]").click()
        await page.wait_for_load_state()
        ids["ws"] = await _first_link(page, base + "/panel/workspaces",
                                      "a[href^='/panel/workspaces/ws_']", "/panel/workspaces/")
        saved += await _screens(page, base, PANEL_SCREENS, ids)
        await browser.close()
    return saved


# The elements wider than the screen, deepest first (what makes a phone scroll sideways), the
# elements drawn past the inside of their card's padding, and the selects too narrow for their
# chosen option.
WIDE = """() => { const w = document.documentElement.clientWidth, out = [];
  const name = e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') + ' '
                    + JSON.stringify(e.textContent.trim().slice(0, 24));
  if (document.documentElement.scrollWidth > w)
    out.push(...[...document.querySelectorAll('body *')].filter(e =>
      e.getBoundingClientRect().right > w
      && ![...e.children].some(c => c.getBoundingClientRect().right > w))
      .map(e => 'wider than the screen: ' + name(e)));
  document.querySelectorAll('.card').forEach(card => {
    const edge = card.getBoundingClientRect().right - parseFloat(getComputedStyle(card).paddingRight);
    out.push(...[...card.querySelectorAll('*')].filter(e => e.checkVisibility()
      && e.getBoundingClientRect().right > edge + 1).map(e => 'past its card: ' + name(e))); });
  [...document.querySelectorAll('select')].filter(select => select.checkVisibility())
    .forEach(select => {     // its choice cut (the arrow: about 20 px)
    const style = getComputedStyle(select), ctx = document.createElement('canvas').getContext('2d');
    ctx.font = style.font;
    const text = (select.options[select.selectedIndex] || {}).text || '';
    if (ctx.measureText(text).width + parseFloat(style.paddingLeft)
        + parseFloat(style.paddingRight) + 20 > select.clientWidth)
      out.push('choice cut: select ' + JSON.stringify(text)); });
  return out.slice(0, 5); }"""


async def _screens(page, base: str, screens, ids: dict) -> int:
    saved = 0
    for lang in ("id", "en"):
        await page.get_by_role("button", name=lang.upper()).click()
        await page.wait_for_load_state()
        for name, path in screens:
            resp = await page.goto(base + path.format(**ids))
            if resp is None or resp.status == 404:
                print(f"  {path}: not served (404), skipped")
                continue
            for label, size in VIEWPORTS:
                await page.set_viewport_size(size)
                target = OUT / f"{name}-{lang}-{label}.png"
                await page.screenshot(path=str(target), full_page=True)
                saved += 1
                if label == "phone" and (wide := await page.evaluate(WIDE)):
                    print(f"  {target.name}: {'; '.join(wide)}")
            await page.set_viewport_size(VIEWPORTS[0][1])
    return saved


def main() -> int:
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")

    holder: dict = {}

    def started(workdir: Path):
        holder["log"] = workdir / "service.log"
        return start(workdir)

    def run_all(base: str, proc: subprocess.Popen) -> bool:
        link = demo_link(base, proc, holder["log"])
        saved = asyncio.run(shoot(base, link, seed(base)))
        print(f"{saved} screenshots in {OUT}")
        return saved > 0
    return with_service("saldo-screenshots-", started, stop_service, run_all)


if __name__ == "__main__":
    sys.exit(main())
