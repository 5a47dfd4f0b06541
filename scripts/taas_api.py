"""The REST API calls the benchmark scripts make: call(base, method, path, body) → parsed JSON."""
import json, urllib.request


def call(base, method, path, body=None, timeout=600):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read() or b"{}")
