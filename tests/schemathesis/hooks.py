"""Schemathesis hooks: lets it send the content import's application/gzip and the invitation upload's text/csv bodies."""

import schemathesis


def _bytes(value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, list):
        return bytes(int(v) % 256 for v in value if isinstance(v, (int, float)))
    return str(value).encode()


@schemathesis.serializer("application/gzip")
class GzipSerializer:
    def as_requests(self, context, value):
        return {"data": _bytes(value)}

    def as_werkzeug(self, context, value):
        return {"data": _bytes(value)}


@schemathesis.serializer("text/csv")
class CsvSerializer:
    """The invitation upload: whatever was generated, sent as the file's bytes."""

    def as_requests(self, context, value):
        return {"data": _bytes(value)}

    def as_werkzeug(self, context, value):
        return {"data": _bytes(value)}
