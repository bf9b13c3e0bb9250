"""Verifies an Open Badges 3.0 credential (a compact JWT-VC) with openbadgeslib, a verifier no
one here wrote, fetching the issuer's profile, keys and status list over HTTP from the URLs the
credential names. Reads {"token", "email"} on stdin; prints what held as JSON:
{"kid", "signature", "schema", "verified", "status", "profile", "identity"}, each "ok" or the
reason it failed."""

import base64
import json
import sys
import urllib.request

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from openbadgeslib.ob3 import OB3Verifier, OpenBadgeCredential, check_credential_status
from openbadgeslib.ob3.credential import IdentityObject


def fetch(url):
    # The test app listens on 127.0.0.1 over plain HTTP; the library's own fetcher wants HTTPS.
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError("refusing to fetch %s" % url)
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def unverified(token, part):
    segment = token.split(".")[part]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def pem_of(jwks, kid):
    for key in jwks["keys"]:
        if key.get("kid") == kid:
            if (key.get("kty"), key.get("crv"), key.get("alg"), key.get("use")) != ("OKP", "Ed25519", "EdDSA", "sig"):
                raise ValueError("key %s is not an Ed25519 signing key: %r" % (kid, key))
            raw = base64.urlsafe_b64decode(key["x"] + "=" * (-len(key["x"]) % 4))
            return Ed25519PublicKey.from_public_bytes(raw).public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    raise ValueError("no key %r in the JWKS" % kid)


def outcome(check):
    try:
        check()
        return "ok"
    except Exception as exc:  # the reason is the result
        return "%s: %s" % (type(exc).__name__, exc)


def main():
    request = json.load(sys.stdin)
    token = request["token"]
    result = {}
    header = unverified(token, 0)
    payload = unverified(token, 1)
    result["kid"] = header.get("kid")
    result["typ"] = header.get("typ")
    issuer_id = payload["issuer"]["id"] if isinstance(payload.get("issuer"), dict) else payload.get("issuer")
    profile = json.loads(fetch(issuer_id))
    jwks = json.loads(fetch(issuer_id + "/jwks.json"))
    result["kids"] = [k.get("kid") for k in jwks["keys"]]

    def profile_check():
        if profile.get("id") != issuer_id or "Profile" not in profile.get("type", []):
            raise ValueError("the issuer profile at %s is not its own Profile: %r" % (issuer_id, profile))
    result["profile"] = outcome(profile_check)

    pem = None
    def key():
        nonlocal pem
        pem = pem_of(jwks, header.get("kid"))
    result["key"] = outcome(key)
    if pem is None:
        print(json.dumps(result))
        return

    # The signature alone (PyJWT), the credential's structure alone (openbadgeslib's model),
    # then openbadgeslib's whole verification of the token.
    result["signature"] = outcome(lambda: jwt.decode(
        token, pem, algorithms=["EdDSA"], options={"verify_aud": False}))
    result["schema"] = outcome(lambda: OpenBadgeCredential.from_jwt_payload(payload))
    verifier = OB3Verifier(pubkey_pem=pem)
    credential = None
    def verify():
        nonlocal credential
        credential = verifier.verify(token)
    result["verified"] = outcome(verify)
    if credential is None:
        print(json.dumps(result))
        return

    # The status list, its own signature checked with the key its `kid` names (after a
    # rotation it is signed with a newer key than an older credential).
    def status():
        entries = credential.credential_status
        if not entries:
            raise ValueError("the credential has no credentialStatus")
        list_token = fetch(entries[0]["statusListCredential"]).decode()
        list_pem = pem_of(jwks, unverified(list_token, 0).get("kid"))
        check_credential_status(credential, download=fetch, verify_list=True,
                                list_pubkey_pem=list_pem)
    result["status"] = outcome(status)

    def identity():
        [identifier] = credential.identifiers
        expected = IdentityObject.create(request["email"], identifier.salt)
        if (identifier.identity_hash, identifier.identity_type, identifier.hashed) != \
                (expected.identity_hash, "emailAddress", True):
            raise ValueError("the identity hash is not the recipient's address")
    result["identity"] = outcome(identity)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
