"""Schemathesis hooks for scripts/schemathesis.sh (loaded through scripts/schemathesis.toml).

Three adjustments and one check, each for a rule of Coffer's contract that JSON Schema cannot
state; none turns a request the schema refuses into one it accepts, or the other way round.

1. `ignored_auth` repeats a successful request without credentials and with made-up ones, and
   counts only 401 and 403 as refusals. Coffer limits failed authentications per source address
   (docs/security.md, "Failed authentication": 20 at once, one more every 3 s), so after a few
   dozen probes from 127.0.0.1 it refuses them with `429 too_many_failed_authentications` and
   `Retry-After`, as docs/openapi.yaml declares for every authenticated operation (connectFi:
   `{"code": "tooManyRequests", "subCode": "too_many_failed_authentications"}`, as
   docs/openapi/connectfi.yaml declares). That 429 is a refusal too; a probe that succeeds is
   still a failure.
2. A card number the schema allows (12–19 digits; at the top of the body, or in its `card` as
   connectFi's `/ibis/card/link` takes it) gets its last digit set to the Luhn check digit:
   random digits pass Luhn one time in ten, so without this almost no card is ever stored and the
   answers about stored cards (metadata, reveal, delete, their links) go untested.
3. A valid `Idempotency-Key` gets a suffix naming the request (a digest of method, path and body).
   The tool draws keys from a small space ("0", "00", …) and reuses one across different bodies,
   which Coffer rightly answers 422 `idempotency_key_reused` before reading the body: most
   requests would test that and nothing else. The same key with the same request still replays.
4. connectFi answers "not found" with 400 (`customerNotFound`, `cardNotFound`, …), so
   scripts/schemathesis.toml lets `positive_data_acceptance` accept a 400 on those operations. The
   check `connectfi_schema_valid_request_not_refused_by_schema` takes back what that gives up: a
   schema-valid request answered `validationError` for the body's shape (`missingField`,
   `invalidField`, `unknownField`, `invalidJSON`) is a spec/server mismatch and fails. Card-data
   rules JSON Schema cannot state (Luhn, expiry) keep their native subCode and pass, and so does
   `/customer/update` naming a field of the other customer type (the schema cannot know the stored
   customer's type).

Written against the schemathesis version pinned in scripts/schemathesis-requirements.txt; if the
function (1) wraps is gone, loading stops the run rather than weakening the check silently.
"""
import hashlib
import json
import re

import schemathesis
from schemathesis.specs.openapi import checks

THROTTLED_CODE = "too_many_failed_authentications"
# connectFi's refusals of a body's shape, its own and the native readers' (card input).
CONNECTFI_SHAPE_REFUSALS = {"missingField", "invalidField", "unknownField", "invalidJSON",
                            "missing_field", "invalid_field", "unknown_field", "invalid_card_input", "invalid_json"}
# `/customer/update` takes an individual's or a business's fields; which ones depends on the
# stored customer, which no schema of the request can know: the other type's are `unknownField`.
CONNECTFI_UPDATE_FIELDS = {"customer." + name for name in
                           ("email", "phones", "addresses", "businessPhones", "businessAddresses", "businessRepresentative")}
CARD_NUMBER = re.compile(r"[0-9]{12,19}")
IDEMPOTENCY_KEY = re.compile(r"[!-~]{1,238}")  # room for the 17-character suffix within 255
_enforces_auth = checks._enforces_auth


def _is_throttled_refusal(response) -> bool:
    if response.status_code != 429:
        return False
    try:
        body = json.loads(response.content)
    except ValueError:
        return False
    if not isinstance(body, dict):
        return False
    native = body.get("error")
    if isinstance(native, dict):
        return native.get("code") == THROTTLED_CODE
    return body.get("code") == "tooManyRequests" and body.get("subCode") == THROTTLED_CODE


def _enforces_auth_or_throttles(response, authenticated) -> bool:
    return _enforces_auth(response, authenticated) or _is_throttled_refusal(response)


checks._enforces_auth = _enforces_auth_or_throttles


def luhn_completed(number: str) -> str:
    """`number` with its last digit replaced by the Luhn check digit of the others."""
    total = 0
    for position, digit in enumerate(reversed(number[:-1])):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return number[:-1] + str((10 - total % 10) % 10)


def _complete_card_number(card) -> None:
    if isinstance(card, dict) and isinstance(card.get("number"), str) and CARD_NUMBER.fullmatch(card["number"]):
        card["number"] = luhn_completed(card["number"])


@schemathesis.hook
def before_call(context, case, kwargs):
    if isinstance(case.body, dict):
        _complete_card_number(case.body)
        _complete_card_number(case.body.get("card"))
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and IDEMPOTENCY_KEY.fullmatch(key):
        request = json.dumps([case.method, case.formatted_path, case.body], sort_keys=True, default=repr)
        case.headers["Idempotency-Key"] = key + "." + hashlib.sha256(request.encode()).hexdigest()[:16]


@schemathesis.check
def connectfi_schema_valid_request_not_refused_by_schema(ctx, response, case):
    """A request the spec allows is never refused by connectFi's validation of its shape."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 400:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    if not isinstance(body, dict) or body.get("code") != "validationError" \
            or body.get("subCode") not in CONNECTFI_SHAPE_REFUSALS:
        return None
    field = (body.get("context") or {}).get("field", "the body")
    if case.operation.definition.raw.get("operationId") == "updateCustomer" and body["subCode"] == "unknownField" \
            and field in CONNECTFI_UPDATE_FIELDS:
        return None
    raise AssertionError(f"Schema-valid request refused: {body['subCode']} on {field}: {body.get('message')}")
