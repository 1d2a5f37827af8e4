"""A loopback OAuth2 provider for the IMAP tests, speaking the real wire formats.

- `GET /authorize` (RFC 6749 §4.1.1, RFC 7636): checks the client and redirect URI,
  remembers the S256 code challenge and redirects to `redirect_uri?code=…&state=…` as
  if `consent_user` had signed in and allowed access.
- `POST /token` (§4.1.3, §6, §5.1/§5.2): authorization_code (PKCE verified) and
  refresh_token grants, client_secret_post; rotates refresh tokens when `rotate` is
  set (the old one then answers invalid_grant, as Microsoft's do once used).
- `POST /introspect` (RFC 7662): what Dovecot's oauth2 passdb asks: is this bearer
  token active, and whose is it.

Everything it was sent is kept in `requests` for assertions.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit


@dataclass
class Grant:
    user: str
    client_id: str
    revoked: bool = False


@dataclass
class OAuthProvider:
    clients: dict[str, str] = field(default_factory=dict)  # client_id -> secret
    redirect_uris: set[str] = field(default_factory=set)
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)
    access_tokens: dict[str, tuple[str, float]] = field(default_factory=dict)  # user, expiry
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    rotate: bool = False
    expires_in: int = 3600
    consent_user: str = ""
    # (status, JSON body) to answer the next token request with, once.
    fail_next: tuple[int, dict[str, Any]] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_client(self, client_id: str, secret: str, redirect_uri: str = "") -> None:
        self.clients[client_id] = secret
        if redirect_uri:
            self.redirect_uris.add(redirect_uri)

    def grant(self, user: str, client_id: str) -> str:
        """A refresh token for `user`, as if they had consented earlier."""
        token = "rt-" + secrets.token_urlsafe(16)
        self.refresh_tokens[token] = Grant(user, client_id)
        return token

    def revoke_all(self, user: str) -> None:
        for grant in self.refresh_tokens.values():
            if grant.user == user:
                grant.revoked = True
        for token, (owner, _expiry) in list(self.access_tokens.items()):
            if owner == user:
                del self.access_tokens[token]

    def token_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"] == "/token"]

    # --- endpoints ---------------------------------------------------------------------

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        client_id = query.get("client_id", "")
        redirect_uri = query.get("redirect_uri", "")
        if client_id not in self.clients or redirect_uri not in self.redirect_uris:
            return 400, {}, b"unknown client or redirect_uri"
        if query.get("response_type") != "code" or query.get("code_challenge_method") != "S256":
            return 400, {}, b"response_type=code with S256 PKCE required"
        code = "code-" + secrets.token_urlsafe(12)
        self.codes[code] = {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "challenge": query.get("code_challenge", ""),
            "user": self.consent_user,
        }
        location = redirect_uri + "?" + urlencode({"code": code, "state": query.get("state", "")})
        return 302, {"Location": location}, b""

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if self.fail_next is not None:
            answer, self.fail_next = self.fail_next, None
            return answer
        client_id = form.get("client_id", "")
        if client_id not in self.clients or self.clients[client_id] != form.get(
            "client_secret", ""
        ):
            return 401, {"error": "invalid_client", "error_description": "Client unknown."}
        grant_type = form.get("grant_type")
        if grant_type == "refresh_token":
            grant = self.refresh_tokens.get(form.get("refresh_token", ""))
            if grant is None or grant.revoked or grant.client_id != client_id:
                return 400, {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                }
            new_refresh = ""
            if self.rotate:
                grant.revoked = True
                new_refresh = self.grant(grant.user, client_id)
            return 200, self._issue(grant.user, new_refresh)
        if grant_type == "authorization_code":
            code = self.codes.pop(form.get("code", ""), None)
            if code is None or code["client_id"] != client_id:
                return 400, {"error": "invalid_grant", "error_description": "Bad code."}
            if code["redirect_uri"] != form.get("redirect_uri"):
                return 400, {"error": "invalid_grant", "error_description": "redirect_uri."}
            verifier = form.get("code_verifier", "").encode()
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
            if digest.decode() != code["challenge"]:
                return 400, {"error": "invalid_grant", "error_description": "PKCE failed."}
            return 200, self._issue(code["user"], self.grant(code["user"], client_id))
        return 400, {"error": "unsupported_grant_type"}

    def _issue(self, user: str, refresh_token: str) -> dict[str, Any]:
        access = "at-" + secrets.token_urlsafe(16)
        self.access_tokens[access] = (user, time.time() + self.expires_in)
        body: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": "https://mail.example/imap",
        }
        if refresh_token:
            body["refresh_token"] = refresh_token
        return body

    def introspect(self, form: dict[str, str]) -> dict[str, Any]:
        found = self.access_tokens.get(form.get("token", ""))
        if found is None or found[1] < time.time():
            return {"active": False}
        return {"active": True, "username": found[0]}


class _Handler(BaseHTTPRequestHandler):
    provider: OAuthProvider

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, body: dict[str, Any]) -> None:
        self._send(
            status,
            json.dumps(body).encode(),
            {"Content-Type": "application/json", "Cache-Control": "no-store"},
        )

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query))
        with self.provider.lock:
            self.provider.requests.append({"path": parts.path, "method": "GET", "form": query})
            if parts.path != "/authorize":
                self._send(404, b"", {})
                return
            status, headers, body = self.provider.authorize(query)
        self._send(status, body, headers)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        form = dict(parse_qsl(raw))
        path = urlsplit(self.path).path
        with self.provider.lock:
            self.provider.requests.append(
                {
                    "path": path,
                    "method": "POST",
                    "form": form,
                    "content_type": self.headers.get("Content-Type", ""),
                }
            )
            if path == "/token":
                status, body = self.provider.token(form)
            elif path == "/introspect":
                status, body = 200, self.provider.introspect(form)
            else:
                status, body = 404, {"error": "not_found"}
        self._json(status, body)


class OAuthServer:
    """Serve an `OAuthProvider` on a loopback port; `reset()` gives a fresh one."""

    def __init__(self) -> None:
        self.provider = OAuthProvider()
        handler = type("Handler", (_Handler,), {})
        self._handler = handler
        handler.provider = self.provider
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def reset(self) -> OAuthProvider:
        self.provider = OAuthProvider()
        self._handler.provider = self.provider
        return self.provider

    def __enter__(self) -> OAuthServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
