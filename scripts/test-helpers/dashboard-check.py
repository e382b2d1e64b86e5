#!/usr/bin/env python3
"""Use Reel's web dashboard in headless Chromium as an operator would.

    python3 scripts/test-helpers/dashboard-check.py http://127.0.0.1:PORT --token TOKEN \
        [--retry-job ID] [--video ID] [--edge NAME] [--out DIR] [--timeout 90] [--no-install]

Signs in on /admin/login with the token (typed into the form, as a person
would), then opens each page: queues with their charts, jobs filtered to the
discarded ones, a job, videos, a video, edges, webhooks. On each it checks what an
operator looks for (the table, the row of the job or video named, no error
box, the charts drawn) and writes a screenshot DIR/NN-page.png.  With
--retry-job it clicks that job's Retry button on the discarded-jobs page and
checks the page it lands on says the job was retried.  The caller then
checks in the database that the job ran.

Chromium is driven over the DevTools protocol on a pipe (--remote-debugging-
pipe: JSON messages ending in a NUL byte, on file descriptors 3 and 4), so
nothing beyond Python's standard library is needed, and no port is opened.
It runs in its own process group and is killed by it, as in play-check.py.

Output: one line per page, `ok PAGE ...` or `FAIL PAGE ...`, then `PASS
dashboard` or `FAIL dashboard`; exit status 0 passed, 1 failed, 2 setup
problem (no browser).
"""

import argparse
import base64
import fcntl
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("play_check", HERE / "play-check.py")
play_check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(play_check)


class Browser:
    """A headless Chromium with one page, driven over the DevTools pipe."""

    def __init__(self, chromium, profile, log):
        # Pipe ends numbered 10 and up, so putting them at 3 and 4 in the child clobbers none.
        to_chrome_r, self._to_chrome = (self._high(fd) for fd in os.pipe())
        self._from_chrome, from_chrome_w = (self._high(fd) for fd in os.pipe())

        def wire_pipes():
            # Chromium reads commands on fd 3 and writes replies on fd 4.
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        args = [chromium, "--headless=new", "--disable-gpu", "--remote-debugging-pipe", f"--user-data-dir={profile}",
                "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1280,900",
                "about:blank"]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                                     preexec_fn=wire_pipes, pass_fds=(3, 4))
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next = 0
        self.session = None
        target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)["sessionId"]
        self.call("Page.enable")
        self.call("Runtime.enable")

    @staticmethod
    def _high(fd):
        moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(fd)
        return moved

    def _read_message(self, deadline):
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._from_chrome, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, params=None, session=True, timeout=30):
        self._next += 1
        message = {"id": self._next, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails'].get('text')}")
        return result.get("result", {}).get("value")

    def wait_loaded(self, previous_url=None, timeout=20):
        """Waits until the page has loaded (and, after a click, left previous_url)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.evaluate("[document.readyState, location.href]")
            if state and state[0] == "complete" and (previous_url is None or state[1] != previous_url):
                return state[1]
            time.sleep(0.1)
        raise TimeoutError(f"the page did not finish loading (at {self.evaluate('location.href')})")

    def open(self, url):
        self.call("Page.navigate", {"url": url})
        time.sleep(0.1)
        return self.wait_loaded()

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})["data"]
        Path(path).write_bytes(base64.b64decode(data))

    def close(self):
        try:
            os.close(self._to_chrome)
            os.close(self._from_chrome)
        except OSError:
            pass
        play_check.stop_chromium(self.proc)


# What every dashboard page must show: the page's own table, and no error box.
PAGE_CHECK = """(() => {
  const problem = document.getElementById('problem');
  return {path: location.pathname + location.search, title: document.title,
          problem: problem ? problem.textContent : null,
          flash: (document.getElementById('flash') || {}).textContent || null,
          tables: [...document.querySelectorAll('table[id]')].map(t => t.id),
          svgs: document.querySelectorAll('.chart svg polyline').length,
          rows: n => 0};
})()"""


def main():
    parser = argparse.ArgumentParser(description="Check Reel's dashboard in headless Chromium.")
    parser.add_argument("base", help="the API's base URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("--token", required=True, help="an API token with the admin scope")
    parser.add_argument("--retry-job", type=int, help="a discarded job to retry from the jobs page")
    parser.add_argument("--video", help="a video whose page to check")
    parser.add_argument("--edge", help="an edge the edges page must list")
    parser.add_argument("--webhook", help="a webhook endpoint URL the webhooks page must list, with an attempt")
    parser.add_argument("--out", default="dashboard-screenshots", help="folder for the screenshots")
    parser.add_argument("--timeout", type=float, default=90, help="seconds for the whole check")
    parser.add_argument("--no-install", action="store_true", help="do not run install-player.sh when Chromium is missing")
    args = parser.parse_args()

    chromium = play_check.find_chromium()
    if not chromium and not args.no_install:
        subprocess.run(["bash", str(HERE.parent / "services" / "install-player.sh")], check=False)
        chromium = play_check.find_chromium()
    if not chromium:
        print("FAIL dashboard: no Chromium (install Debian's chromium or set REEL_CHROMIUM)")
        return 2

    base = args.base.rstrip("/")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="reel-dashboard-")
    log = open(os.path.join(profile, "chromium.log"), "w+b")
    failures = []
    shots = 0
    started = time.monotonic()
    browser = None

    def page(name, expect_tables=(), expect_text=(), expect_path=None):
        nonlocal shots
        state = browser.evaluate(PAGE_CHECK)
        text = browser.evaluate("document.body ? document.body.innerText : ''") or ""
        problems = []
        if state["problem"]:
            problems.append(f"error box: {state['problem']!r}")
        for table in expect_tables:
            if table not in state["tables"]:
                problems.append(f"no table #{table} (tables: {state['tables']})")
        for wanted in expect_text:
            if wanted not in text:
                problems.append(f"page does not say {wanted!r}")
        if expect_path and not state["path"].startswith(expect_path):
            problems.append(f"at {state['path']}, expected {expect_path}")
        shots += 1
        shot = out / f"{shots:02d}-{name}.png"
        browser.screenshot(shot)
        if time.monotonic() - started > args.timeout:
            problems.append(f"the check passed its {args.timeout:.0f} s limit")
        verdict = "FAIL" if problems else "ok"
        print(f"{verdict} {name} {state['path']} -> {shot}" + ("" if not problems else ": " + "; ".join(problems)), flush=True)
        failures.extend(f"{name}: {p}" for p in problems)
        return state

    try:
        browser = Browser(chromium, os.path.join(profile, "profile"), log)

        # Not signed in: the dashboard sends you to sign in.
        browser.open(base + "/admin")
        page("sign-in", expect_text=["Sign in"], expect_path="/admin/login")

        # Sign in by typing the token and pressing the button.
        before = browser.evaluate("location.href")
        browser.evaluate(f"document.getElementById('token').value = {json.dumps(args.token)};"
                         "document.getElementById('signin').click(); true")
        browser.wait_loaded(previous_url=before)
        state = page("queues", expect_tables=["queues"], expect_text=["Queues", "signed in as"], expect_path="/admin")
        if state["svgs"] < 3:
            failures.append(f"queues: {state['svgs']} charts drawn, expected depth, throughput and latency per queue")
            print(f"FAIL queues charts: {state['svgs']} drawn", flush=True)

        browser.open(base + "/admin/jobs?state=discarded")
        page("jobs-discarded", expect_tables=["jobs"], expect_text=["Jobs"] + ([str(args.retry_job)] if args.retry_job else []))

        if args.retry_job:
            before = browser.evaluate("location.href")
            clicked = browser.evaluate(
                f"(() => {{ const b = document.querySelector('tr[data-job=\"{args.retry_job}\"] button.retry');"
                " if (!b) return false; b.click(); return true; })()")
            if not clicked:
                failures.append(f"jobs: no Retry button for job {args.retry_job}")
                print(f"FAIL retry: no Retry button for job {args.retry_job}", flush=True)
            else:
                browser.wait_loaded(previous_url=before)
                state = page("job-retried", expect_tables=["job", "errors"], expect_path=f"/admin/jobs/{args.retry_job}",
                             expect_text=["Retried"])

        browser.open(base + "/admin/videos")
        page("videos", expect_tables=["videos"], expect_text=["Videos"] + ([args.video] if args.video else []))
        if args.video:
            browser.open(base + f"/admin/videos/{args.video}")
            page("video", expect_tables=["renditions", "replicas", "warmings", "video-jobs"], expect_text=[args.video, "Renditions"])

        browser.open(base + "/admin/edges")
        page("edges", expect_tables=["edges"], expect_text=["Edges"] + ([args.edge] if args.edge else []))

        browser.open(base + "/admin/webhooks")
        page("webhooks", expect_tables=["webhooks", "attempts"], expect_text=["Webhooks"] + ([args.webhook, "refused"] if args.webhook else []))
    except Exception as error:  # a broken page or browser is a failed check, said plainly
        failures.append(f"{type(error).__name__}: {error}")
        print(f"FAIL dashboard: {type(error).__name__}: {error}", flush=True)
    finally:
        if browser:
            browser.close()
        log.seek(0)
        tail = [l for l in log.read().decode(errors="replace").splitlines() if "dbus" not in l.lower()][-10:]
        log.close()
        shutil.rmtree(profile, ignore_errors=True)

    if failures:
        print("FAIL dashboard: " + "; ".join(failures))
        if tail:
            print("chromium said:\n  " + "\n  ".join(tail))
        return 1
    print(f"PASS dashboard ({shots} pages, screenshots in {out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
