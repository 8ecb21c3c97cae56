"""A Web Push service for the tests: it makes a browser's key pair and auth secret, prints them
(with its port) as one JSON line, then for each POST checks the VAPID token's ES256 signature
against the server's public key (argv[1]) and decrypts the body with the `http_ece` package
(RFC 8291/8188 aes128gcm), appending what it found as a JSON line to argv[2]. Paths starting
with /gone/ are answered 410, as a push service answers for a browser that unsubscribed; paths
starting with /down/ are answered 503 (and not recorded) while the file argv[2] + ".down"
exists, as a push service that is down."""

import base64
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

VAPID_KEY, OUT = sys.argv[1], sys.argv[2]
PRIVATE = ec.generate_private_key(ec.SECP256R1())
AUTH = os.urandom(16)


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check_vapid(header, origin):
    """The token's signature, audience and expiry, and that `k` is the server's key."""
    scheme, _, params = header.partition(" ")
    assert scheme == "vapid", header
    fields = dict(p.strip().split("=", 1) for p in params.split(","))
    assert fields["k"] == VAPID_KEY, (fields["k"], VAPID_KEY)
    head, claims, signature = fields["t"].split(".")
    assert json.loads(unb64(head)) == {"typ": "JWT", "alg": "ES256"}
    raw = unb64(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(VAPID_KEY))
    key.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    claims = json.loads(unb64(claims))
    assert claims["aud"] == origin, (claims, origin)
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600, claims
    assert claims["sub"].startswith(("mailto:", "https:")), claims
    return claims


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path.startswith("/down/") and os.path.exists(OUT + ".down"):
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        record = {"path": self.path}
        status = 201
        try:
            origin = f"http://{self.headers['Host']}"
            record["claims"] = check_vapid(self.headers["Authorization"], origin)
            assert self.headers["Content-Encoding"] == "aes128gcm", self.headers["Content-Encoding"]
            assert int(self.headers["TTL"]) > 0
            plain = http_ece.decrypt(body, private_key=PRIVATE, auth_secret=AUTH, version="aes128gcm")
            record["message"] = json.loads(plain)
        except Exception as e:  # noqa: BLE001 - reported to the test, which fails on it
            record["error"] = repr(e)
            status = 400
        if self.path.startswith("/gone/"):
            status = 410
        with open(OUT, "a") as f:
            f.write(json.dumps(record) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Handler)
public = PRIVATE.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
print(json.dumps({"port": server.server_port, "p256dh": b64(public), "auth": b64(AUTH)}), flush=True)
server.serve_forever()
