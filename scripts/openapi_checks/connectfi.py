"""The connectFi dialect's calls for scripts/check_openapi.py: every operation of
docs/openapi/connectfi.yaml, and the native login routes it adds to docs/openapi.yaml, with their
error answers."""

LOGIN = {"login": "CONNECTFI_CLIENTID", "password": "CONNECTFI_PASSWORD"}
PHONES = [{"type": "MOBILE", "countryDialingCode": "1", "phoneNumber": "2012001234"}]
ADDRESSES = [{"type": "PRIMARY", "addressLine1": "123 Main Str.", "city": "Harrisburg", "stateCode": "PA",
              "postalCode": "17101", "countryCodeA3": "USA"}]
INDIVIDUAL = {"customerReference": "ExtRefICust101", "customerType": "individual",
              "customer": {"firstName": "Janice", "lastName": "Sample", "dateOfBirth": "1969-08-04",
                           "email": "abc123def4@test.test", "phones": PHONES, "addresses": ADDRESSES}}
BUSINESS = {"customerReference": "ExtRefBCust7", "customerType": "business",
            "customer": {"businessName": "Sample Widgets LLC", "businessPhones": PHONES, "businessAddresses": ADDRESSES,
                         "businessRepresentative": {"firstName": "Rene", "lastName": "Sample", "email": "rep@test.test",
                                                    "phones": PHONES, "addresses": ADDRESSES}}}
UNKNOWN_CUSTOMER = "cstap_1pYermTdbHiQz8JKjF5mjo"
UNKNOWN_CARD = "icrd_5faW7EovZjx7aC6dP6LFM6"


def run(base, admin_key, client_for):
    native, cfi = client_for("docs/openapi.yaml"), client_for("docs/openapi/connectfi.yaml")
    logins, one_login = "/vault/v1/connectfi/logins", "/vault/v1/connectfi/logins/{id}"
    native.call(admin_key, "POST", logins, logins, LOGIN)
    native.call(admin_key, "POST", logins, logins, LOGIN)
    native.call(admin_key, "POST", logins, logins, {"login": "short", "password": "x"})
    _, spare = native.call(admin_key, "POST", logins, logins, {"login": "SPARE", "password": "spare-password"})
    native.call(admin_key, "GET", logins, logins)
    native.call(None, "GET", logins, logins)
    native.call(admin_key, "DELETE", f"{logins}/{spare['id']}", one_login)
    native.call(admin_key, "DELETE", f"{logins}/{spare['id']}", one_login)

    get_token = "/auth/get-token"
    _, session = cfi.call(None, "POST", get_token, get_token, {"user": LOGIN})
    cfi.call(None, "POST", get_token, get_token, {"user": {"login": "CONNECTFI_CLIENTID", "password": "wrong"}})
    cfi.call(None, "POST", get_token, get_token, {"user": {}})
    token = {"x-connectfi-token": session["data"]["token"]}

    def call(method, path, template, body=None, headers=token):
        return cfi.call(None, method, path, template, body, headers)

    init, update = "/customer/init", "/customer/update"
    _, individual = call("POST", init, init, INDIVIDUAL)
    call("POST", init, init, INDIVIDUAL)
    call("POST", init, init, {"customerType": "individual"})
    call("POST", init, init, INDIVIDUAL, {"x-connectfi-token": "A" * 43})
    _, business = call("POST", init, init, BUSINESS)
    customer = individual["data"]["customerId"]
    call("POST", update, update, {"customerId": customer, "customer": {"addresses": [dict(ADDRESSES[0], addressLine1="500 New Rd.")]}})
    call("POST", update, update, {"customerId": UNKNOWN_CUSTOMER, "customer": {"email": "a@b.c"}})
    call("POST", update, update, {"customerId": customer}, {})
    status = "/customer/status/{customerId}"
    call("GET", f"/customer/status/{customer}", status)
    call("GET", f"/customer/status/{UNKNOWN_CUSTOMER}", status)
    call("GET", f"/customer/status/{customer}", status, headers={})

    link = "/ibis/card/link"
    _, card = call("POST", link, link, {"customerId": customer, "reference": "extTCrd374",
                                       "card": {"number": "4111111111111111", "expirationDate": "203012"}})
    call("POST", link, link, {"customerId": customer, "card": {"token": card["data"]["vaultToken"]}})
    call("POST", link, link, {"customerId": UNKNOWN_CUSTOMER, "card": {"number": "4111111111111111"}})
    call("POST", link, link, {"customerId": customer, "card": {}}, {})
    card_id = card["data"]["cFiCardId"]
    card_status = "/ibis/card/status/{cFiCardId}"
    call("GET", f"/ibis/card/status/{card_id}", card_status)

    sync = "/ibis/card/sync-profile"
    seed = {"customerId": customer, "cFiCardId": card_id, "profile": {"cardHolderId": customer, "cardHolderType": "individual"}}
    call("POST", sync, sync, seed)
    call("POST", sync, sync, dict(seed, customerId=UNKNOWN_CUSTOMER, cFiCardId=UNKNOWN_CARD))
    call("POST", sync, sync, {"customerId": business["data"]["customerId"], "cFiCardId": card_id})
    call("POST", sync, sync, seed, {})
    call("GET", f"/ibis/card/status/{card_id}", card_status)
    call("GET", f"/ibis/card/status/{UNKNOWN_CARD}", card_status)
    call("GET", f"/ibis/card/status/{card_id}", card_status, headers={})
