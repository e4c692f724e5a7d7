"""Live calls for docs/openapi/ticketevolution.yaml (and the native credential routes in
docs/openapi.yaml): every request signed as Ticket Evolution documents it, with Python's hmac."""
import base64, hashlib, hmac, json


class Signed:
    """Signs each request with a credential: X-Signature = Base64(HMAC-SHA256(secret,
    "<METHOD> <host><path>?<query or body>"))."""

    def __init__(self, client, base, token, secret):
        self.client, self.host, self.token, self.secret = client, base.split("://", 1)[1], token, secret

    def call(self, method, path, template, body=None, signature=None):
        target, _, query = path.partition("?")
        data = json.dumps(body, separators=(",", ":")).encode() if body is not None else None
        rest = query.encode() if method == "GET" else (data or b"")
        message = f"{method} {self.host}{target}?".encode() + rest
        computed = base64.b64encode(hmac.new(self.secret.encode(), message, hashlib.sha256).digest()).decode()
        headers = {"X-Token": self.token, "X-Signature": signature or computed}
        return self.client.call(None, method, path, template, data, headers)


def run(base, admin_key, client_for):
    native = client_for("docs/openapi.yaml")
    creds = "/vault/v1/tevo/credentials"
    one_cred = creds + "/{id}"
    _, issued = native.call(admin_key, "POST", creds, creds, {"label": "openapi"})
    native.call(admin_key, "POST", creds, creds, {"token": "mine"})
    native.call(None, "POST", creds, creds, {})
    native.call(admin_key, "GET", creds, creds)
    native.call(None, "GET", creds, creds)
    _, reader = native.call(admin_key, "POST", "/vault/v1/apikeys", "/vault/v1/apikeys", {"roles": ["reveal"]})
    native.call(reader["apiKey"], "GET", creds, creds)
    native.call(reader["apiKey"], "POST", creds, creds, {})
    native.call(reader["apiKey"], "DELETE", f"{creds}/{issued['id']}", one_cred)
    native.call(None, "DELETE", f"{creds}/{issued['id']}", one_cred)
    # Idempotent creation: another body is 422; once revoked, a retry is 410 and shows no secret.
    _, once = native.call(admin_key, "POST", creds, creds, {"label": "once"}, {"Idempotency-Key": "tevo-1"})
    native.call(admin_key, "POST", creds, creds, {"label": "twice"}, {"Idempotency-Key": "tevo-1"})
    native.call(admin_key, "DELETE", f"{creds}/{once['id']}", one_cred)
    native.call(admin_key, "DELETE", f"{creds}/{once['id']}", one_cred)
    native.call(admin_key, "POST", creds, creds, {"label": "once"}, {"Idempotency-Key": "tevo-1"})

    tevo = Signed(client_for("docs/openapi/ticketevolution.yaml"), base, issued["token"], issued["secret"])
    clients, client_t = "/v9/clients", "/v9/clients/{client_id}"
    _, created = tevo.call("POST", clients, clients, {"clients": [{"name": "Ned Flanders"}]})
    tevo.call("POST", clients, clients, {"clients": [{"name": "Prince"}]})
    tevo.call("POST", clients, clients, {"clients": [{"name": "Ned Flanders"}]}, signature="A" * 43 + "=")
    tevo.call("GET", clients + "?page=1&per_page=1", clients)
    tevo.call("GET", clients + "?page=0", clients)
    tevo.call("GET", clients + "?per_page=1&page=1", clients)
    client = created["clients"][0]["id"]
    tevo.call("GET", f"{clients}/{client}", client_t)
    tevo.call("GET", f"{clients}/168019", client_t)
    tevo.call("GET", f"{clients}/{client}", client_t, signature="A" * 43 + "=")

    ids = {}
    for plural, item in [("addresses", {"label": "home", "street_address": "742 Evergreen Terrace", "locality": "Springfield",
                                        "region": "OR", "postal_code": "97475", "country_code": "US"}),
                         ("phone_numbers", {"label": "home", "country_code": "1", "number": "5550123"})]:
        many, single = client_t + "/" + plural, client_t + "/" + plural + "/{id}"
        _, made = tevo.call("POST", f"{clients}/{client}/{plural}", many, {plural: [item]})
        ids[plural] = made[plural][0]["id"]
        tevo.call("POST", f"{clients}/{client}/{plural}", many, {plural: [dict(item, country_code="United States")]})
        tevo.call("POST", f"{clients}/168019/{plural}", many, {plural: [item]})
        tevo.call("POST", f"{clients}/{client}/{plural}", many, {plural: [item]}, signature="A" * 43 + "=")
        tevo.call("GET", f"{clients}/{client}/{plural}", many)
        tevo.call("GET", f"{clients}/{client}/{plural}?per_page=101", many)
        tevo.call("GET", f"{clients}/168019/{plural}", many)
        tevo.call("GET", f"{clients}/{client}/{plural}", many, signature="A" * 43 + "=")
        tevo.call("GET", f"{clients}/{client}/{plural}/{ids[plural]}", single)
        tevo.call("GET", f"{clients}/{client}/{plural}/645263", single)
        tevo.call("GET", f"{clients}/{client}/{plural}/{ids[plural]}", single, signature="A" * 43 + "=")

    def card(number):
        return {"label": "Chase Sapphire Reserve", "name": "Ned Flanders", "number": number, "expiration_month": "12",
                "expiration_year": "2030", "verification_code": "789", "address_id": ids["addresses"],
                "phone_number_id": ids["phone_numbers"], "ip_address": "37.235.140.72"}
    many, single = client_t + "/credit_cards", client_t + "/credit_cards/{id}"
    _, stored = tevo.call("POST", f"{clients}/{client}/credit_cards", many,
                          {"credit_cards": [card("4111111111111111"), card("5555555555554444")]})
    tevo.call("POST", f"{clients}/{client}/credit_cards", many,
              {"credit_cards": [card("4111111111111111"), card("4000111111111115")]})
    tevo.call("POST", f"{clients}/168019/credit_cards", many, {"credit_cards": [card("4111111111111111")]})
    tevo.call("POST", f"{clients}/{client}/credit_cards", many, {"credit_cards": [card("4111111111111111")]},
              signature="A" * 43 + "=")
    tevo.call("GET", f"{clients}/{client}/credit_cards", many)
    tevo.call("GET", f"{clients}/{client}/credit_cards?page=x", many)
    tevo.call("GET", f"{clients}/168019/credit_cards", many)
    tevo.call("GET", f"{clients}/{client}/credit_cards", many, signature="A" * 43 + "=")
    tevo.call("GET", f"{clients}/{client}/credit_cards/{stored['credit_cards'][0]['id']}", single)
    tevo.call("GET", f"{clients}/{client}/credit_cards/22528", single)
    tevo.call("GET", f"{clients}/{client}/credit_cards/22528", single, signature="A" * 43 + "=")
