"""Schemathesis hooks: lets it send the content import's application/gzip and the invitation
upload's text/csv bodies, and makes each generated Idempotency-Key unique to its request."""

import re
import uuid

import schemathesis

VALID_KEY = re.compile(r"^[!-~]+( +[!-~]+)*$")


def _bytes(value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, list):
        return bytes(int(v) % 256 for v in value if isinstance(v, (int, float)))
    return str(value).encode()


@schemathesis.serializer("application/gzip")
def gzip_body(ctx, value):
    """The content import: whatever was generated, sent as the archive's bytes."""
    return _bytes(value)


@schemathesis.serializer("text/csv")
def csv_body(ctx, value):
    """The invitation upload: whatever was generated, sent as the file's bytes."""
    return _bytes(value)


@schemathesis.hook
def before_call(ctx, case, kwargs):
    """A client sends a new Idempotency-Key with each new request; a key reused with another body
    is refused by design (422, tested in tests/api/retries.rs), which no schema can express. So a
    generated key that is valid is made unique; a malformed one is sent as it is."""
    headers = case.headers or {}
    for name in list(headers):
        value = headers[name]
        if name.lower() == "idempotency-key" and isinstance(value, str) and VALID_KEY.match(value):
            headers[name] = f"{value[:160]}-{uuid.uuid4()}"
