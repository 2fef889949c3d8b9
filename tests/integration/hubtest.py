"""Helpers for the hub's integration tests: a temporary data folder set up
with `fenghuo admin`, the real `fenghuo hub` on a free loopback port, and a
small TAXII client on urllib. Python standard library only.

Every hub started here is stopped (SIGTERM, then SIGKILL after a bound) by
Hub.stop(), which the tests call from tearDown/addCleanup.
"""
import base64
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

FENGHUO = os.environ.get("FENGHUO_BIN", "fenghuo")
TAXII = "application/taxii+json;version=2.1"


def admin(data, *args, check=True):
    """Runs `fenghuo admin --data DATA ARGS...`; returns stdout stripped."""
    p = subprocess.run([FENGHUO, "admin", "--data", data, *args], capture_output=True,
                       text=True, timeout=60)
    if check and p.returncode != 0:
        raise AssertionError("admin %s failed (%d): %s" % (args, p.returncode, p.stderr))
    return p.stdout.strip()


class Setup:
    """A data folder with organizations, tokens and one collection."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="fh-hubtest-")
        self.data = os.path.join(self.tmp, "data")
        self.orgs = {}
        self.tokens = {}

    def org(self, name):
        self.orgs[name] = admin(self.data, "org", "add", name)
        self.tokens[name] = admin(self.data, "token", "new", name, "--label", "test")
        return self.tokens[name]

    def collection(self, title, grants):
        """grants: {org name: "read" | "write" | "read,write"}"""
        cid = admin(self.data, "collection", "add", title)
        for org, perms in grants.items():
            admin(self.data, "grant", cid, org, perms)
        return cid

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


class Hub:
    """The real hub on 127.0.0.1 with a port picked by the kernel."""

    def __init__(self, data, *extra):
        self.data = data
        self.log = open(os.path.join(os.path.dirname(data), "hub.log"), "ab")
        self.proc = subprocess.Popen(
            [FENGHUO, "hub", "--data", data, "--listen", "127.0.0.1:0", *extra],
            stdout=subprocess.PIPE, stderr=self.log)
        line = self.proc.stdout.readline().decode()
        m = re.search(r"127\.0\.0\.1:(\d+)/", line)
        if not m:
            self.stop()
            raise AssertionError("hub did not start: %r" % line)
        self.port = int(m.group(1))
        scheme = "https" if "--tls-cert" in extra else "http"
        self.base = "%s://127.0.0.1:%d" % (scheme, self.port)

    def stop(self, timeout=30):
        """Stops the hub with SIGTERM; returns its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc.stdout.close()
        self.log.close()
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc.stdout.close()
        self.log.close()


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body) if self.body else None


def request(base, path, method="GET", token=None, basic=None, accept=TAXII,
            content_type=None, body=None, params=None, timeout=60, cafile=None, headers=None):
    """One HTTP request; never raises on HTTP errors. params is a list of
    (key, value) pairs, encoded as a query string."""
    url = base + path
    if params:
        url += "?" + urllib.parse.urlencode(params, safe="[],:")
    headers = dict(headers or {})
    if accept is not None:
        headers["Accept"] = accept
    if token is not None:
        headers["Authorization"] = "Bearer " + token
    if basic is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(
            ("%s:%s" % basic).encode()).decode()
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers["Content-Type"] = content_type or TAXII
    elif content_type is not None:
        headers["Content-Type"] = content_type
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    ctx = None
    if url.startswith("https:"):
        ctx = ssl.create_default_context(cafile=cafile)
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=ctx) as r:
            return Response(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        return Response(e.code, e.headers, e.read())


def indicator(n, modified="2026-01-01T00:00:00.000Z", uuid=None):
    """A valid STIX 2.1 indicator; n picks a distinct id."""
    uid = uuid or "8e2e2d2b-17d4-4cbf-938f-%012x" % n
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--" + uid,
        "created": "2026-01-01T00:00:00.000Z",
        "modified": modified,
        "pattern": "[ipv4-addr:value = '203.0.113.%d']" % (n % 256),
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
    }


def wait_until(pred, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False

