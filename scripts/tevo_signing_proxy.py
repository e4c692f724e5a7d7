#!/usr/bin/env python3
"""A loopback proxy that signs Ticket Evolution requests for scripts/schemathesis.sh.

Usage: scripts/tevo_signing_proxy.py UPSTREAM_BASE SECRET_FILE   (prints `listening on http://…`)

TEvo signs each request over its exact bytes: X-Signature = Base64(HMAC-SHA256(secret,
"<METHOD> <host><path>?<rest>")), `<rest>` the query sorted by key for GET and the raw body
otherwise (docs/api/ticketevolution.md). A schemathesis hook runs before the body is serialized,
so the signature is added here, on the bytes as they leave. The tool sends the spec's
`X-Signature` security header empty (it cannot compute it): a request with an X-Token and an empty
X-Signature is signed, with the host it is forwarded to and its GET query sorted first. One without
X-Token, without X-Signature, or with a signature of its own (the tool's "ignored auth" and
"missing required header" probes) goes through untouched, and must be refused. Independent
of the server's code: it signs with Python's hmac, as a TEvo client would.
"""
import base64, hashlib, hmac, http.client, sys, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UPSTREAM = urllib.parse.urlsplit(sys.argv[1])
SECRET = open(sys.argv[2], "rb").read().strip()
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


def sorted_target(target):
    """The request target with its query sorted by key, as TEvo clients send it (Coffer refuses an
    unsorted one rather than re-sorting it)."""
    path, _, query = target.partition("?")
    pairs = sorted((item for item in query.split("&") if item), key=lambda item: item.split("=", 1)[0])
    return path + ("?" + "&".join(pairs) if pairs else "")


def signature(method, host, target, body):
    path, _, query = target.partition("?")
    rest = query if method == "GET" else body.decode("latin-1")
    message = f"{method} {host}{path}?{rest}".encode("latin-1")
    return base64.b64encode(hmac.new(SECRET, message, hashlib.sha256).digest()).decode()


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name: value for name, value in self.headers.items() if name.lower() not in HOP_BY_HOP}
        host, target = UPSTREAM.netloc, sorted_target(self.path)
        if self.headers.get("X-Token") and self.headers.get("X-Signature") == "":
            headers["X-Signature"] = signature(self.command, host, target, body)
        connection = http.client.HTTPConnection(host, timeout=15)
        try:
            connection.request(self.command, target, body=body if body or self.command != "GET" else None,
                               headers=headers)
            answer = connection.getresponse()
            content = b"" if self.command == "HEAD" else answer.read()
            self.send_response(answer.status, answer.reason)
            for name, value in answer.getheaders():
                if name.lower() not in HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)
        finally:
            connection.close()

    def __getattr__(self, name):
        # Every method, known or not (the tool tries TRACE and QUERY): the server must answer it.
        if name.startswith("do_"):
            return self.forward
        raise AttributeError(name)

    def log_message(self, *_):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
