"""A small HTTP browser for tests and benchmarks over real sockets (http.client): cookies
kept per browser (and copied at will), the login form with its CSRF token, multipart uploads."""

from __future__ import annotations

import http.client
import re
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

AGENT = "lockgate-test-browser"  # Flask-Login's strong session protection binds a session to it
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@dataclass
class Page:
    """One response: status, headers (lower-case names) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    def csrf(self) -> str:
        """The CSRF token of the first form on the page."""
        match = CSRF.search(self.text)
        assert match, f"no CSRF token on the page (HTTP {self.status})"
        return match.group(1)


@dataclass
class Browser:
    """Cookies and one kept-alive connection per host; `forwarded` is sent as X-Forwarded-For."""

    cookies: dict[str, str] = field(default_factory=dict)
    forwarded: str | None = None
    timeout: float = 60
    _connections: dict[str, http.client.HTTPConnection] = field(default_factory=dict)

    def copy(self) -> Browser:
        """Another browser holding the same cookies (a copied session cookie)."""
        return Browser(dict(self.cookies), self.forwarded, self.timeout)

    def request(
        self, method: str, url: str, body: bytes | None = None, content_type: str = ""
    ) -> Page:
        """Send one request (no redirect followed) and keep the cookies it sets."""
        parts = urlsplit(url)
        headers = {"User-Agent": AGENT}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.forwarded:
            headers["X-Forwarded-For"] = self.forwarded
        if content_type:
            headers["Content-Type"] = content_type
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        for attempt in (1, 2):  # a kept-alive connection the server closed is opened again
            connection = self._connection(parts.netloc)
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                page = Page(response.status, {}, response.read())
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self._connections.pop(parts.netloc).close()
                if attempt == 2:
                    raise
        for name, value in response.getheaders():
            page.headers[name.lower()] = value
        for value in response.headers.get_all("Set-Cookie") or []:
            self._keep(value)
        return page

    def _connection(self, netloc: str) -> http.client.HTTPConnection:
        if netloc not in self._connections:
            self._connections[netloc] = http.client.HTTPConnection(netloc, timeout=self.timeout)
        return self._connections[netloc]

    def _keep(self, header: str) -> None:
        for name, morsel in SimpleCookie(header).items():
            if morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def get(self, url: str) -> Page:
        return self.request("GET", url)

    def post(self, url: str, fields: dict[str, str], page: str | None = None) -> Page:
        """POST a form with the CSRF token of the page it lives on (`page`, default `url`)."""
        token = self.get(page or url).csrf()
        body = urlencode({**fields, "csrf_token": token}).encode()
        return self.request("POST", url, body, "application/x-www-form-urlencoded")

    def upload(self, url: str, fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> Page:
        """POST a multipart form with files, and the CSRF token of the page at `url`."""
        token = self.get(url).csrf()
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in {**fields, "csrf_token": token}.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        for name, (filename, content) in files.items():
            head = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            )
            parts.append(head.encode() + content + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request("POST", url, body, f"multipart/form-data; boundary={boundary}")

    def log_in(self, base: str, username: str, password: str) -> Page:
        """Post the login form of the host at `base`: 302 when it let the user in."""
        return self.post(f"{base}/login", {"username": username, "password": password})

    def close(self) -> None:
        for connection in self._connections.values():
            connection.close()
        self._connections.clear()
