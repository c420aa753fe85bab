"""Headless Chromium driven over the DevTools protocol, standard library
only (a minimal RFC 6455 client: masked text frames out, frames in).

    with Browser(tmpdir) as b:
        b.navigate("http://127.0.0.1:7402/")
        b.login(token)                  # a supervisor's
        b.wait_js("document.body.dataset.loaded === '1'")
        b.screenshot(path)

Chromium is Debian's (`chromium` package); CHROMIUM overrides the path.
Runs with --no-sandbox (tests may run as root) and a private profile in
tmpdir; stopped (process group) on close, also when a test fails.
"""
import base64
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import urllib.request

from harness import started, wait_until


def chromium_path():
    for p in (os.environ.get("CHROMIUM"), shutil.which("chromium"),
              shutil.which("chromium-browser")):
        if p and os.path.exists(p):
            return p
    return None


class WebSocket:
    def __init__(self, url, timeout=10):
        m = re.match(r"ws://([^/:]+):(\d+)(/.*)", url)
        host, port, path = m.group(1), int(m.group(2)), m.group(3)
        self.sock = socket.create_connection((host, port), timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("websocket handshake: closed")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise ConnectionError(f"websocket handshake: {head[:200]!r}")

    def send(self, text):
        data = text.encode()
        n = len(data)
        if n < 126:
            hdr = struct.pack("!BB", 0x81, 0x80 | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", 0x81, 0x80 | 126, n)
        else:
            hdr = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
        mask = os.urandom(4)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.sock.sendall(hdr + mask + body)

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("websocket closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        """One whole message (text), fragments joined."""
        parts = []
        while True:
            b0, b1 = self._need(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._need(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._need(8))[0]
            mask = self._need(4) if b1 & 0x80 else None
            data = self._need(n)
            if mask:
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
            op = b0 & 0x0F
            if op == 8:
                raise ConnectionError("websocket closed by peer")
            if op in (0, 1, 2):
                parts.append(data)
                if b0 & 0x80:
                    return b"".join(parts).decode()

    def close(self):
        self.sock.close()


class Browser:
    def __init__(self, tmpdir, width=1280, height=800):
        exe = chromium_path()
        if exe is None:
            raise FileNotFoundError("chromium not installed")
        self.profile = os.path.join(tmpdir, "chromium-profile")
        self.log_path = os.path.join(tmpdir, "chromium.log")
        self.log = open(self.log_path, "wb")
        self.proc = started(subprocess.Popen(
            [exe, "--headless=new", "--no-sandbox", "--disable-gpu",
             "--disable-dev-shm-usage", "--no-first-run",
             "--disable-extensions", "--disable-background-networking",
             "--remote-debugging-address=127.0.0.1",
             "--remote-debugging-port=0", f"--user-data-dir={self.profile}",
             f"--window-size={width},{height}", "about:blank"],
            stdout=self.log, stderr=self.log, start_new_session=True))
        self.ws = None
        self.next_id = 0
        try:
            port = wait_until(self._port, timeout=60,
                              what="chromium DevTools port")
            page = wait_until(lambda: self._page(port), timeout=30,
                              what="chromium page target")
            self.ws = WebSocket(page)
            self.call("Page.enable")
            self.call("Runtime.enable")
        except BaseException:
            self.close()
            raise

    def _port(self):
        path = os.path.join(self.profile, "DevToolsActivePort")
        if self.proc.poll() is not None:
            raise AssertionError("chromium exited: " + self.log_text())
        if os.path.exists(path):
            with open(path) as f:
                first = f.readline().strip()
            return int(first) if first.isdigit() else None
        return None

    def _page(self, port):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list",
                                    timeout=5) as r:
            for t in json.load(r):
                if t.get("type") == "page":
                    return t["webSocketDebuggerUrl"]
        return None

    def call(self, method, **params):
        self.next_id += 1
        mid = self.next_id
        self.ws.send(json.dumps({"id": mid, "method": method,
                                 "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == mid:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def js(self, expr):
        r = self.call("Runtime.evaluate", expression=expr,
                      returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expr}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def navigate(self, url):
        self.call("Page.navigate", url=url)

    def wait_js(self, expr, timeout=30, what=None):
        """Poll expr until true; while the page is still loading it may
        throw (no document.body yet): that counts as not yet."""
        def holds():
            try:
                return self.js(expr)
            except RuntimeError:
                return False
        return wait_until(holds, timeout=timeout, what=what or expr,
                          interval=0.1)

    def login(self, token):
        """The dashboard's login form: wait for it, type token, submit."""
        self.wait_js("document.body.dataset.login === '1'",
                     what="the login form")
        self.js(f"document.getElementById('token').value = "
                f"{json.dumps(token)}; "
                "document.getElementById('loginform').requestSubmit(); true")

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def close(self):
        if self.ws is not None:
            self.ws.close()
            self.ws = None
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
