#!/usr/bin/env python3
"""Checks docs/openapi.yaml, each dialect's docs/openapi/<dialect>.yaml, and the running server against each other.

Usage: scripts/check_openapi.py PATH/TO/coffer
1. Validates the document as OpenAPI 3.1 (openapi-spec-validator).
2. Starts `coffer serve --dev` on an ephemeral loopback port in a temporary directory.
3. Calls every operation (and its error cases), and checks that each answer's status is declared
   for that operation, that its JSON body validates against the declared schema, and that it
   carries every declared required header with a value its schema allows.
4. Stops the server with SIGTERM (it must exit 0). Prints `N passed, N failed`; exits 1 on failure.
"""
import importlib, json, os, signal, subprocess, sys, tempfile, urllib.request, urllib.error

import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec
from referencing import Registry, Resource

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
passed, failed = 0, []
SPECS = []


class Spec:
    """One OpenAPI document: the native API's, or a dialect's (`docs/openapi/<dialect>.yaml`)."""

    def __init__(self, path):
        self.name = os.path.relpath(path, ROOT)
        self.document = yaml.safe_load(open(path))
        validate_spec(self.document)
        self.registry = Registry().with_resource("spec", Resource.opaque(self.document))
        self.called = set()
        SPECS.append(self)

    def uncalled(self):
        """The operations no call exercised: every one the spec declares must be checked."""
        return [f"{self.name}: {method.upper()} {template} never called"
                for template, item in self.document["paths"].items() for method in item
                if method in ("get", "put", "post", "delete", "patch") and (method, template) not in self.called]

    def resolve(self, node):
        while isinstance(node, dict) and "$ref" in node:
            node = self.registry.resolver(base_uri="spec").lookup(node["$ref"].replace("#", "spec#", 1)).contents
        return node

    def check(self, method, template, status, body, headers):
        global passed
        operation = self.document["paths"][template][method.lower()]
        self.called.add((method.lower(), template))
        response = operation["responses"].get(str(status))
        where = f"{self.name}: {method} {template} -> {status}"
        if response is None:
            failed.append(f"{where}: status not declared")
            return
        response = self.resolve(response)
        for name, header in response.get("headers", {}).items():
            header = self.resolve(header)
            value = headers.get(name)
            if value is None:
                if header.get("required"):
                    failed.append(f"{where}: no {name} header")
                    return
                continue
            schema = header.get("schema", {})
            if schema.get("type") == "integer":
                value = int(value) if value.isdigit() else value
            errors = list(Draft202012Validator(schema).iter_errors(value))
            if errors:
                failed.append(f"{where}: header {name} {value!r}: {errors[0].message}")
                return
        content = response.get("content")
        if not content:
            if body:
                failed.append(f"{where}: body where none is declared")
            else:
                passed += 1
            return
        if "application/json" in content:
            schema = {"$ref": "spec#" + "/paths/" + template.replace("~", "~0").replace("/", "~1")
                      + f"/{method.lower()}/responses/{status}/content/application~1json/schema"}
            if "$ref" in operation["responses"][str(status)]:
                ref = operation["responses"][str(status)]["$ref"].lstrip("#")
                schema = {"$ref": "spec#" + ref + "/content/application~1json/schema"}
            try:
                document = json.loads(body)
            except ValueError:
                failed.append(f"{where}: body is not JSON")
                return
            errors = list(Draft202012Validator(schema, registry=self.registry).iter_errors(document))
            if errors:
                failed.append(f"{where}: {errors[0].message}")
                return
        passed += 1


class Client:
    """Calls one server and checks every answer against one spec."""

    def __init__(self, base, spec):
        self.base, self.spec = base, spec

    def call(self, key, method, path, template, body=None, headers=None):
        """`body`: a JSON value, or bytes sent as they are (a signed request). `key`: a bearer
        credential, or None (a dialect's own credential headers go in `headers`)."""
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, method=method, data=data)
        request.add_header("Content-Type", "application/json")
        if key:
            request.add_header("Authorization", "Bearer " + key)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, text, received = response.status, response.read().decode(), response.headers
        except urllib.error.HTTPError as error:
            status, text, received = error.code, error.read().decode(), error.headers
        ctype = received.get("Content-Type", "")
        self.spec.check(method, template, status, text, received)
        return status, (json.loads(text) if text and ctype.startswith("application/json") else None)


NATIVE = Spec(os.path.join(ROOT, "docs", "openapi.yaml"))


def call(base, key, method, path, template, body=None, headers=None):
    return Client(base, NATIVE).call(key, method, path, template, body, headers)


def dialect_checks(base, key):
    """Each `scripts/openapi_checks/<dialect>.py` defines `run(base, admin_key, client_for)`, where
    `client_for("docs/openapi/<dialect>.yaml")` is a `Client` checking answers against that spec."""
    folder = os.path.join(ROOT, "scripts", "openapi_checks")
    if not os.path.isdir(folder):
        return
    sys.path.insert(0, folder)
    for name in sorted(f[:-3] for f in os.listdir(folder) if f.endswith(".py")):
        module = importlib.import_module(name)
        # The native spec is the one main() checks: a dialect's native calls count towards it.
        specs = {"docs/openapi.yaml": NATIVE}

        def client_for(path):
            if path not in specs:
                specs[path] = Spec(os.path.join(ROOT, path))
            return Client(base, specs[path])
        module.run(base, key, client_for)


def main():
    binary = sys.argv[1]
    data = tempfile.mkdtemp(prefix="coffer-openapi-")
    server = subprocess.Popen([binary, "serve", "--dev", "--data-dir", os.path.join(data, "d"), "--listen", "127.0.0.1:0"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        credentials = json.loads(server.stdout.readline())
        base = server.stdout.readline().split()[-1]
        key = credentials["apiKey"]
        cards = "/vault/v1/cards"
        _, card = call(base, key, "POST", cards, cards, {"number": "4111111111111111", "expirationDate": "203012"})
        call(base, key, "POST", cards, cards, {"number": "4111111111111111"}, {"Idempotency-Key": "k1"})
        call(base, key, "POST", cards, cards, {"number": "4111111111111111"}, {"Idempotency-Key": "k1"})
        call(base, key, "POST", cards, cards, {"number": "5555555555554444"}, {"Idempotency-Key": "k1"})
        call(base, key, "POST", cards, cards, {"number": "4111111111111112"})
        call(base, None, "POST", cards, cards, {"number": "4111111111111111"})
        token = card["token"]
        one = "/vault/v1/cards/{token}"
        call(base, key, "GET", f"{cards}/{token}", one)
        call(base, key, "GET", f"{cards}/{token}", one, headers={"X-Request-Id": "4111-1111-1111-1111"})
        call(base, key, "GET", f"{cards}/{token}", one, headers={"X-Request-Id": "f47ac10b-58cc-4372-a567-0e02b2c3d479"})
        call(base, key, "GET", f"{cards}/AAAAAAAAAAAAAAAAAAAAAA", one)
        call(base, key, "POST", f"{cards}/{token}/reveal", one + "/reveal")
        call(base, key, "POST", f"{cards}/{token}/reveal", one + "/reveal", {"reason": "audit"})
        call(base, key, "POST", cards, cards, {"number": "4111111111111111", "expirationDate": None})
        _, issued = call(base, key, "POST", "/vault/v1/card-tokens", "/vault/v1/card-tokens",
                         {"number": "378282246310005", "securityCode": "1234", "ttlSeconds": 120})
        call(base, key, "POST", cards, cards, {"cardToken": issued["cardToken"]})
        call(base, key, "POST", cards, cards, {"cardToken": issued["cardToken"]})
        tokens = "/vault/v1/card-tokens"
        call(base, key, "POST", tokens, tokens, {"number": "378282246310005"}, {"Idempotency-Key": "t1"})
        call(base, key, "POST", tokens, tokens, {"number": "5555555555554444"}, {"Idempotency-Key": "t1"})
        call(base, key, "POST", tokens, tokens, {"keyID": "AAAAAAAAAAAAAAAAAAAAAA", "data": "AAAA"})
        _, asn1 = call(base, key, "POST", "/vault/v1/keys", "/vault/v1/keys", {"format": "ASN.1"})
        call(base, key, "POST", "/vault/v1/keys", "/vault/v1/keys", {"format": "Raw"})
        call(base, key, "POST", "/vault/v1/keys", "/vault/v1/keys", {})
        keypath = "/vault/v1/keys/{keyID}"
        call(base, key, "GET", f"/vault/v1/keys/{asn1['keyID']}?format=Raw", keypath)
        call(base, key, "GET", f"/vault/v1/keys/{asn1['keyID']}?format=PEM", keypath)
        call(base, key, "POST", cards, cards, {"keyID": asn1["keyID"], "data": "AAAA"})
        call(base, key, "DELETE", f"/vault/v1/keys/{asn1['keyID']}", keypath)
        call(base, key, "GET", f"/vault/v1/keys/{asn1['keyID']}", keypath)
        call(base, key, "POST", tokens, tokens, {"keyID": asn1["keyID"], "data": "AAAA"})
        # Idempotent key creation: another body is 422; after the key is deleted a retry is 410.
        _, again = call(base, key, "POST", "/vault/v1/keys", "/vault/v1/keys", {"format": "Raw"}, {"Idempotency-Key": "k2"})
        call(base, key, "POST", "/vault/v1/keys", "/vault/v1/keys", {"format": "ASN.1"}, {"Idempotency-Key": "k2"})
        call(base, key, "DELETE", f"/vault/v1/keys/{again['keyID']}", keypath)
        call(base, key, "POST", "/vault/v1/keys", "/vault/v1/keys", {"format": "Raw"}, {"Idempotency-Key": "k2"})
        _, apikey = call(base, key, "POST", "/vault/v1/apikeys", "/vault/v1/apikeys", {"roles": ["reveal"], "label": "x"})
        call(base, apikey["apiKey"], "POST", "/vault/v1/apikeys", "/vault/v1/apikeys", {"roles": ["reveal"]})
        call(base, key, "POST", "/vault/v1/apikeys", "/vault/v1/apikeys", {"roles": []})
        call(base, key, "POST", "/vault/v1/apikeys", "/vault/v1/apikeys", {"roles": ["reveal"], "label": None})
        _, once = call(base, key, "POST", "/vault/v1/apikeys", "/vault/v1/apikeys", {"roles": ["keys"]}, {"Idempotency-Key": "a1"})
        call(base, key, "POST", "/vault/v1/apikeys", "/vault/v1/apikeys", {"roles": ["sync"]}, {"Idempotency-Key": "a1"})
        call(base, key, "DELETE", f"/vault/v1/apikeys/{once['id']}", "/vault/v1/apikeys/{id}")
        call(base, key, "POST", "/vault/v1/apikeys", "/vault/v1/apikeys", {"roles": ["keys"]}, {"Idempotency-Key": "a1"})
        call(base, key, "GET", "/vault/v1/apikeys", "/vault/v1/apikeys")
        call(base, apikey["apiKey"], "GET", "/vault/v1/apikeys", "/vault/v1/apikeys")
        # A key without the route's role: 403 on every operation that needs one.
        reveal_only = apikey["apiKey"]
        call(base, reveal_only, "DELETE", f"{cards}/{token}", one)
        call(base, reveal_only, "POST", tokens, tokens, {"number": "378282246310005"})
        call(base, reveal_only, "POST", "/vault/v1/keys", "/vault/v1/keys", {})
        call(base, reveal_only, "GET", f"/vault/v1/keys/{asn1['keyID']}", keypath)
        call(base, reveal_only, "DELETE", f"/vault/v1/keys/{asn1['keyID']}", keypath)
        call(base, reveal_only, "DELETE", f"/vault/v1/apikeys/{apikey['id']}", "/vault/v1/apikeys/{id}")
        _, keys_only = call(base, key, "POST", "/vault/v1/apikeys", "/vault/v1/apikeys", {"roles": ["keys"]})
        call(base, keys_only["apiKey"], "GET", f"{cards}/{token}", one)
        call(base, key, "DELETE", f"/vault/v1/apikeys/{apikey['id']}", "/vault/v1/apikeys/{id}")
        call(base, key, "DELETE", f"/vault/v1/apikeys/{apikey['id']}", "/vault/v1/apikeys/{id}")
        # Without the fingerprint role: no fingerprint, no duplicates. Limits set on a key: 429 past them.
        _, tokenizer = call(base, key, "POST", "/vault/v1/apikeys", "/vault/v1/apikeys", {"roles": ["tokenize"]})
        _, blind = call(base, tokenizer["apiKey"], "POST", cards, cards, {"number": "4111111111111111"})
        call(base, tokenizer["apiKey"], "GET", f"{cards}/{blind['token']}", one)
        slow = {"perSecond": 0.01, "burst": 1}
        _, limited = call(base, key, "POST", "/vault/v1/apikeys", "/vault/v1/apikeys",
                          {"roles": ["tokenize", "reveal", "fingerprint"], "label": "limited",
                           "limits": {"tokenize": slow, "reveal": slow, "duplicates": slow}})
        call(base, key, "POST", "/vault/v1/apikeys", "/vault/v1/apikeys", {"roles": ["tokenize"], "limits": None})
        call(base, key, "POST", "/vault/v1/apikeys", "/vault/v1/apikeys",
             {"roles": ["tokenize"], "limits": {"tokenize": {"perSecond": 0, "burst": 1}}})
        for _ in range(2):
            call(base, limited["apiKey"], "POST", cards, cards, {"number": "5555555555554444"})
            call(base, limited["apiKey"], "GET", f"{cards}/{blind['token']}", one)
            call(base, limited["apiKey"], "POST", f"{cards}/{blind['token']}/reveal", one + "/reveal")
        call(base, limited["apiKey"], "POST", "/vault/v1/card-tokens", "/vault/v1/card-tokens", {"number": "378282246310005"})
        # One request per 10^300 seconds: the second is a 429 whose Retry-After stays within its schema.
        _, glacial = call(base, key, "POST", "/vault/v1/apikeys", "/vault/v1/apikeys",
                          {"roles": ["tokenize"], "limits": {"tokenize": {"perSecond": 1e-300, "burst": 1}}})
        for _ in range(2):
            call(base, glacial["apiKey"], "POST", cards, cards, {"number": "5555555555554444"})
        _, sub = call(base, key, "POST", "/vault/v1/tenants", "/vault/v1/tenants", {"name": "iso", "subTenant": True})
        _, acme = call(base, key, "POST", "/vault/v1/tenants", "/vault/v1/tenants", {"name": "acme"})
        call(base, key, "POST", "/vault/v1/tenants", "/vault/v1/tenants", {"name": "x", "subClientID": "1234", "subTenant": False})
        call(base, key, "POST", "/vault/v1/tenants", "/vault/v1/tenants", {"name": "x", "subTenant": None})
        call(base, key, "POST", "/vault/v1/tenants", "/vault/v1/tenants", {"name": "y", "subTenant": True}, {"Idempotency-Key": "n1"})
        call(base, key, "POST", "/vault/v1/tenants", "/vault/v1/tenants", {"name": "z", "subTenant": True}, {"Idempotency-Key": "n1"})
        disable, enable = "/vault/v1/tenants/{id}/disable", "/vault/v1/tenants/{id}/enable"
        call(base, key, "POST", f"/vault/v1/tenants/{acme['tenantId']}/disable", disable)
        call(base, acme["apiKey"], "GET", f"{cards}/{token}", one)
        call(base, key, "POST", f"/vault/v1/tenants/{acme['tenantId']}/enable", enable)
        call(base, key, "POST", f"/vault/v1/tenants/{sub['tenantId']}/disable", disable)
        call(base, key, "POST", f"/vault/v1/tenants/{sub['tenantId']}/enable", enable)
        call(base, key, "POST", "/vault/v1/tenants/AAAAAAAAAAAAAAAAAAAAAA/disable", disable)
        _, reader = call(base, key, "POST", "/vault/v1/apikeys", "/vault/v1/apikeys", {"roles": ["reveal"]})
        call(base, reader["apiKey"], "POST", f"/vault/v1/tenants/{sub['tenantId']}/disable", disable)
        call(base, None, "POST", f"/vault/v1/tenants/{sub['tenantId']}/enable", enable)
        call(base, key, "DELETE", f"{cards}/{token}", one)
        call(base, key, "DELETE", f"{cards}/{token}", one)
        # Failing until the address is limited (429 with Retry-After); a valid key is still served.
        for _ in range(100):
            status, _ = call(base, "ck_" + "A" * 43, "GET", f"{cards}/{token}", one)
            if status == 429:
                break
        else:
            failed.append("no 429 after 100 failed authentications")
        call(base, key, "GET", f"{cards}/{token}", one)
        call(base, None, "GET", "/healthz", "/healthz")
        call(base, None, "GET", "/readyz", "/readyz")
        call(base, None, "GET", "/metrics", "/metrics")
        call(base, apikey["apiKey"], "GET", "/metrics", "/metrics")
        call(base, key, "GET", "/metrics", "/metrics")
        dialect_checks(base, key)
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=20)
        if code != 0:
            failed.append(f"server exited {code} after SIGTERM")
    for spec in SPECS:
        failed.extend(spec.uncalled())
    for failure in failed:
        print("FAIL", failure)
    print(f"{passed} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
