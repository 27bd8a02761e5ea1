#!/usr/bin/env python3
# Drives the fleet dashboard in headless Chromium through the DevTools protocol (websocket-client
# from PyPI; no JavaScript runs in the pages themselves: the CSP forbids it, and the protocol's
# evaluate is the browser's own). Signs in with a token through the real form, visits each page,
# reads its DOM, acknowledges an alert through the real form, and saves screenshots at 1280x800
# and at a phone's 390x844. Prints one JSON object with what it saw.
#   dashboard.py BASE_URL TOKEN HOST SCREENSHOT_DIR
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

base, token, host, shots = sys.argv[1:5]
os.makedirs(shots, exist_ok=True)
profile = tempfile.mkdtemp(prefix="hw-chromium-")
browser = shutil.which("chromium") or shutil.which("chromium-browser")
proc = subprocess.Popen(
    [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
     "--ignore-certificate-errors", "--remote-debugging-port=0", "--user-data-dir=" + profile, "about:blank"],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
result = {"pages": {}, "errors": []}
try:
    port_file = os.path.join(profile, "DevToolsActivePort")
    for _ in range(300):
        if os.path.exists(port_file) and open(port_file).read().strip():
            break
        time.sleep(0.1)
    port = open(port_file).read().split()[0]
    targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
    page = next(t for t in targets if t["type"] == "page")
    ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
    counter = [0]

    def call(method, **params):
        counter[0] += 1
        ident = counter[0]
        ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(ws.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def wait_load(timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            state = call("Runtime.evaluate", expression="document.readyState", returnByValue=True)["result"].get("value")
            if state == "complete":
                return
            time.sleep(0.05)
        raise RuntimeError("the page did not load")

    def evaluate(expression):
        return call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)["result"].get("value")

    def navigate(url):
        call("Page.navigate", url=url)
        time.sleep(0.1)
        wait_load()

    def screenshot(name):
        for label, (w, h, mobile) in {"desktop": (1280, 800, False), "phone": (390, 844, True)}.items():
            call("Emulation.setDeviceMetricsOverride", width=w, height=h, deviceScaleFactor=1, mobile=mobile)
            time.sleep(0.1)
            data = call("Page.captureScreenshot", format="png")["data"]
            with open(os.path.join(shots, f"{name}-{label}.png"), "wb") as f:
                f.write(base64.b64decode(data))
            # Nothing wider than the viewport but the tables' own scrolling boxes.
            overflow = evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
            result["pages"].setdefault(name, {})[f"overflows_{label}"] = overflow
        call("Emulation.clearDeviceMetricsOverride")

    call("Page.enable")
    call("Runtime.enable")

    # Not signed in: every page sends you to sign in.
    navigate(base + "/ui/hosts")
    result["unauthenticated_url"] = evaluate("location.pathname")
    screenshot("login")
    # The real form, as a person fills it.
    evaluate(f"document.querySelector('#token').value = {json.dumps(token)}; document.querySelector('form[action=\"/ui/login\"]').submit()")
    time.sleep(0.3)
    wait_load()
    result["after_login_url"] = evaluate("location.pathname")
    result["pages"]["hosts"] = {
        "rows": evaluate("[...document.querySelectorAll('#hosts tbody tr[data-host]')].map(r => r.dataset.host)"),
        "charts": evaluate("document.querySelectorAll('figure.chart svg').length"),
        "title": evaluate("document.title"),
        "scripts": evaluate("document.scripts.length"),
    }
    screenshot("hosts")
    navigate(base + "/ui/hosts?sort=alerts&q=" + host)
    result["pages"]["hosts_filtered"] = {"rows": evaluate("[...document.querySelectorAll('#hosts tbody tr[data-host]')].map(r => r.dataset.host)")}

    navigate(base + "/ui/hosts/" + host)
    result["pages"]["host"] = {
        "heading": evaluate("document.querySelector('h1').textContent"),
        "threats": evaluate("[...document.querySelectorAll('h3[id^=threat-]')].map(h => h.id)"),
        "findings": evaluate("document.querySelectorAll('table.findings tbody tr').length"),
        "events": evaluate("document.querySelectorAll('table.events tbody tr[data-event]').length"),
    }
    screenshot("host")
    # An operator asks the host for an audit through the host page's real form.
    if evaluate("!!document.querySelector('form.action')"):
        evaluate("(() => { const f = document.querySelector('form.action'); f.querySelector('select[name=kind]').value = 'audit';"
                 " f.querySelector('input[name=reason]').value = 'audit from the dashboard'; f.submit(); })()")
        time.sleep(0.3)
        wait_load()
        result["action_requested"] = {
            "url": evaluate("location.pathname"),
            "rows": evaluate("[...document.querySelectorAll('table.actions tbody tr[data-action]')].map(r => [r.dataset.state, r.textContent])"),
        }
        screenshot("host-action")

    navigate(base + "/ui/alerts?host=" + host)
    alerts = evaluate("[...document.querySelectorAll('table.events tbody tr[data-event]')].map(r => r.dataset.event)")
    result["pages"]["alerts"] = {"rows": alerts, "forms": evaluate("document.querySelectorAll('form.ack').length")}
    screenshot("alerts")
    if alerts:
        first = alerts[0]
        evaluate(
            "(() => { const f = document.querySelector('tr[data-event=\"%s\"] form.ack');"
            " f.querySelector('input[name=reason]').value = 'scan from our own scanner';"
            " f.querySelector('input[name=false_positive]').checked = true; f.submit(); })()" % first)
        time.sleep(0.3)
        wait_load()
        result["acknowledged"] = {
            "event": first,
            "url": evaluate("location.pathname"),
            "text": evaluate("(document.querySelector('tr[data-event=\"%s\"] .ackd') || {}).textContent || ''" % first),
        }
        screenshot("alerts-acknowledged")

    # A form post with a wrong CSRF token, from inside the page (same origin, the session cookie sent).
    target = alerts[1] if len(alerts) > 1 else "x"
    result["wrong_csrf_status"] = evaluate(
        "fetch('/ui/events/%s/ack', {method: 'POST', headers: {'Content-Type': 'application/x-www-form-urlencoded'},"
        " body: 'csrf=wrong&reason=x'}).then(r => r.status)" % target)
    navigate(base + "/ui/events?host=" + host)
    result["pages"]["events"] = {"rows": evaluate("document.querySelectorAll('table.events tbody tr[data-event]').length")}
    screenshot("events")
    ws.close()
except Exception as error:  # reported, so the Swift test shows it
    result["errors"].append(repr(error))
finally:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    shutil.rmtree(profile, ignore_errors=True)
print(json.dumps(result))
