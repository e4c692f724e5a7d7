"""Schemathesis hooks for scripts/schemathesis.sh (loaded through scripts/schemathesis.toml).

Three adjustments, each for a rule of Coffer's contract that JSON Schema cannot state; none turns
a request the schema refuses into one it accepts, or the other way round.

1. `ignored_auth` repeats a successful request without credentials and with made-up ones, and
   counts only 401 and 403 as refusals. Coffer limits failed authentications per source address
   (docs/security.md, "Failed authentication": 20 at once, one more every 3 s), so after a few
   dozen probes from 127.0.0.1 it refuses them with `429 too_many_failed_authentications` and
   `Retry-After`, as docs/openapi.yaml declares for every authenticated operation. That 429 is a
   refusal too; a probe that succeeds is still a failure.
2. A card number the schema allows (12–19 digits) gets its last digit set to the Luhn check digit:
   random digits pass Luhn one time in ten, so without this almost no card is ever stored and the
   answers about stored cards (metadata, reveal, delete, their links) go untested.
3. A valid `Idempotency-Key` gets a suffix naming the request (a digest of method, path and body).
   The tool draws keys from a small space ("0", "00", …) and reuses one across different bodies,
   which Coffer rightly answers 422 `idempotency_key_reused` before reading the body: most
   requests would test that and nothing else. The same key with the same request still replays.

Written against the schemathesis version pinned in scripts/schemathesis-requirements.txt; if the
function (1) wraps is gone, loading stops the run rather than weakening the check silently.
"""
import hashlib
import json
import re

import schemathesis
from schemathesis.specs.openapi import checks

THROTTLED_CODE = "too_many_failed_authentications"
CARD_NUMBER = re.compile(r"[0-9]{12,19}")
IDEMPOTENCY_KEY = re.compile(r"[!-~]{1,238}")  # room for the 17-character suffix within 255
_enforces_auth = checks._enforces_auth


def _is_throttled_refusal(response) -> bool:
    if response.status_code != 429:
        return False
    try:
        return json.loads(response.content)["error"]["code"] == THROTTLED_CODE
    except (ValueError, KeyError, TypeError):
        return False


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


@schemathesis.hook
def before_call(context, case, kwargs):
    if isinstance(case.body, dict) and isinstance(case.body.get("number"), str) \
            and CARD_NUMBER.fullmatch(case.body["number"]):
        case.body["number"] = luhn_completed(case.body["number"])
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and IDEMPOTENCY_KEY.fullmatch(key):
        request = json.dumps([case.method, case.formatted_path, case.body], sort_keys=True, default=repr)
        case.headers["Idempotency-Key"] = key + "." + hashlib.sha256(request.encode()).hexdigest()[:16]
