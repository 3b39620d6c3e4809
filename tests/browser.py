"""A small headless-Chromium harness for tests of HTML pages, over the Chrome DevTools Protocol.

It opens a page, records every console error, uncaught exception and browser log error (e.g. a
script that failed to load), waits until a JavaScript condition holds, evaluates expressions
and takes a full-page screenshot. Chromium is Debian's ``chromium`` (``.ci/run`` installs it).
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from websockets.sync.client import connect

FLAGS = (  # headless as root, and no background traffic: this machine has no network beyond registries
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--hide-scrollbars",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--mute-audio",
    "--remote-debugging-port=0", "--remote-allow-origins=*",
)


def chromium_path() -> str | None:
    """The Chromium executable, or None when it is not installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class PageRun:
    """What happened while a page was open."""

    errors: list[str] = field(default_factory=list)  # console.error, uncaught exceptions, log errors
    values: dict[str, object] = field(default_factory=dict)  # results of the evaluated expressions
    ready: bool = False  # the ready condition held before the timeout


class Browser:
    """One headless Chromium process (a context manager); ``open`` drives one tab at a time."""

    def __init__(self, executable: str | None = None, width: int = 1400, height: int = 1000):
        self.executable = executable or chromium_path()
        if not self.executable:
            raise FileNotFoundError("chromium is not installed")
        self.width, self.height = width, height
        self._profile = tempfile.mkdtemp(prefix="chromium-profile-")
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> Browser:
        self._process = subprocess.Popen(
            [self.executable, *FLAGS, f"--user-data-dir={self._profile}",
             f"--window-size={self.width},{self.height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self._port = self._devtools_port(timeout=30)
        return self

    def __exit__(self, *exc) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self._profile, ignore_errors=True)

    def _devtools_port(self, timeout: float) -> int:
        """Chromium writes the port it chose to ``<profile>/DevToolsActivePort``."""
        marker = Path(self._profile) / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"chromium exited with {self._process.returncode} before DevTools started")
            if marker.exists() and marker.read_text().strip():
                return int(marker.read_text().splitlines()[0])
            time.sleep(0.1)
        raise TimeoutError("chromium did not start DevTools in time")

    def _page_socket(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self._port}/json/list", timeout=10) as answer:
            targets = json.load(answer)
        return next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")

    def open(self, url: str, *, ready: str = "true", evaluate: dict[str, str] | None = None,
             screenshot: Path | None = None, timeout: float = 30) -> PageRun:
        """Loads ``url`` in the tab and records what happens.

        Args:
            ready: a JavaScript expression that is truthy once the page is done (polled after load).
            evaluate: name -> JavaScript expression, evaluated once ready (JSON-able results).
            screenshot: where to save a full-page PNG.
        """
        run = PageRun()
        with connect(self._page_socket(), max_size=None, open_timeout=10) as socket:
            cdp = _Session(socket, run)
            for domain in ("Runtime", "Log", "Page"):
                cdp.call(f"{domain}.enable")
            cdp.call("Page.navigate", url=url)
            deadline = time.monotonic() + timeout
            cdp.wait_for("Page.loadEventFired", deadline)
            while time.monotonic() < deadline and not run.ready:
                run.ready = bool(cdp.evaluate(ready))
                if not run.ready:
                    time.sleep(0.1)
            for name, expression in (evaluate or {}).items():
                run.values[name] = cdp.evaluate(expression)
            if screenshot is not None:
                self._screenshot(cdp, screenshot)
            cdp.drain(0.3)  # late errors, e.g. from a chart that throws after drawing
        return run

    def _screenshot(self, cdp: _Session, path: Path) -> None:
        height = int(cdp.evaluate("document.documentElement.scrollHeight") or self.height)
        cdp.call("Emulation.setDeviceMetricsOverride", width=self.width, height=height, deviceScaleFactor=1,
                 mobile=False)
        time.sleep(0.5)  # let responsive charts settle at the new size
        shot = cdp.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))


class _Session:
    """Request/response over one DevTools socket; every event passes through ``_record``."""

    def __init__(self, socket, run: PageRun):
        self.socket, self.run, self.next_id, self.events = socket, run, 0, []

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=30))
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._record(message)

    def evaluate(self, expression: str) -> object:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluating {expression!r}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def wait_for(self, method: str, deadline: float) -> None:
        while not any(e.get("method") == method for e in self.events):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {method} before the timeout")
            self._record(json.loads(self.socket.recv(timeout=remaining)))

    def drain(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (remaining := end - time.monotonic()) > 0:
            try:
                self._record(json.loads(self.socket.recv(timeout=remaining)))
            except TimeoutError:
                return

    def _record(self, message: dict) -> None:
        self.events.append(message)
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            self.run.errors.append(f"console.{params['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            description = details.get("exception", {}).get("description") or details.get("text")
            self.run.errors.append(f"uncaught exception: {description}")
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            self.run.errors.append(f"log error: {entry.get('text')} {entry.get('url', '')}".rstrip())
