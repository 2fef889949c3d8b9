"""Integration: `fenghuo enforce` with the real kernel, inside network
namespaces this test creates: a listed source is dropped, an allowlisted one
is not, an entry expires at its indicator's valid_until, a removed entry is
unblocked, --dry-run touches nothing and --teardown removes the table.
Needs root, iproute2 and nftables (scripts/install-deps installs them)."""

import datetime
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from fhtest import FENGHUO

CAN_RUN = os.geteuid() == 0 and shutil.which("ip") and shutil.which("nft")


def sh(*args, check=True, timeout=60):
    return subprocess.run(args, check=check, capture_output=True, text=True, timeout=timeout)


@unittest.skipUnless(CAN_RUN, "needs root, iproute2 and nftables")
class Enforce(unittest.TestCase):
    def setUp(self):
        tag = str(os.getpid())
        self.a, self.b = "fh-ea-" + tag, "fh-eb-" + tag
        va, vb = "fea" + tag[-6:], "feb" + tag[-6:]
        for ns in (self.a, self.b):
            sh("ip", "netns", "add", ns)
            self.addCleanup(sh, "ip", "netns", "del", ns, check=False)
        sh("ip", "link", "add", va, "netns", self.a, "type", "veth", "peer", "name", vb, "netns",
           self.b)
        # The attacker side has two addresses: one to block, one allowlisted.
        sh("ip", "-n", self.a, "addr", "add", "198.18.3.1/24", "dev", va)
        sh("ip", "-n", self.a, "addr", "add", "198.18.3.9/24", "dev", va)
        sh("ip", "-n", self.b, "addr", "add", "198.18.3.2/24", "dev", vb)
        for ns, dev in ((self.a, va), (self.b, vb)):
            sh("ip", "-n", ns, "link", "set", dev, "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        self.dir = tempfile.mkdtemp(prefix="fh-enforce-")
        self.addCleanup(shutil.rmtree, self.dir)
        self.server = subprocess.Popen(
            ["ip", "netns", "exec", self.b, "python3", "-c",
             "import socket\n"
             "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
             "s.bind(('198.18.3.2', 8080)); s.listen(64)\n"
             "while True:\n"
             "    c, _ = s.accept(); c.close()\n"])
        self.addCleanup(self.server.wait)
        self.addCleanup(self.server.kill)
        time.sleep(0.5)

    def reaches(self, src):
        """Can src (in the attacker namespace) open a TCP connection?"""
        p = sh("ip", "netns", "exec", self.a, "python3", "-c",
               "import socket, sys\n"
               "s = socket.socket(); s.settimeout(1); s.bind((%r, 0))\n"
               "try:\n    s.connect(('198.18.3.2', 8080))\nexcept OSError:\n    sys.exit(1)\n" % src,
               check=False)
        return p.returncode == 0

    def enforce(self, *args, check=True):
        p = sh("ip", "netns", "exec", self.b, FENGHUO, "enforce", *args, check=False)
        if check:
            self.assertEqual(p.returncode, 0, p.stderr)
        return p

    def elements(self):
        """What the IPv4 sets hold (single addresses and prefixes), or None
        when the table is not there."""
        out = []
        for name in ("addr4", "net4"):
            p = sh("ip", "netns", "exec", self.b, "nft", "-j", "list", "set", "inet", "fenghuo",
                   name, check=False)
            if p.returncode:
                return None
            for item in json.loads(p.stdout)["nftables"]:
                for e in item.get("set", {}).get("elem", []):
                    v = e["elem"]["val"] if isinstance(e, dict) and "elem" in e else e
                    out.append(v if isinstance(v, str)
                               else "%s/%s" % (v["prefix"]["addr"], v["prefix"]["len"]))
        return out

    def test_listed_source_is_dropped_allowlisted_is_not_and_entries_expire(self):
        soon = (datetime.datetime.now(datetime.timezone.utc) +
                datetime.timedelta(seconds=3)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        lst = os.path.join(self.dir, "list.txt")
        with open(lst, "w") as f:
            f.write("198.18.3.1\n198.18.3.9\n")
        stix = os.path.join(self.dir, "ind.json")
        with open(stix, "w") as f:
            json.dump({"type": "indicator", "spec_version": "2.1",
                       "id": "indicator--1a2b3c4d-0000-4000-8000-0000000000e1",
                       "created": "2026-11-01T00:00:00.000Z",
                       "modified": "2026-11-01T00:00:00.000Z",
                       "pattern": "[ipv4-addr:value = '198.18.3.5']", "pattern_type": "stix",
                       "valid_from": "2026-11-01T00:00:00Z", "valid_until": soon}, f)
        self.assertTrue(self.reaches("198.18.3.1"))
        p = self.enforce("--indicators", lst, "--indicators", stix, "--allow", "198.18.3.9",
                         "--once")
        self.assertIn("not blocking 198.18.3.9", p.stderr)
        self.assertFalse(self.reaches("198.18.3.1"), "a listed source still gets through")
        self.assertTrue(self.reaches("198.18.3.9"), "an allowlisted source is blocked")
        self.assertEqual(sorted(self.elements()), ["198.18.3.1", "198.18.3.5"])
        time.sleep(4)
        self.assertEqual(self.elements(), ["198.18.3.1"], "the expired entry is still there")
        self.enforce("--teardown")
        self.assertIsNone(self.elements())
        self.assertTrue(self.reaches("198.18.3.1"))

    def test_removed_entries_are_unblocked_while_running(self):
        lst = os.path.join(self.dir, "list.txt")
        with open(lst, "w") as f:
            f.write("198.18.3.1\n")
        proc = subprocess.Popen(["ip", "netns", "exec", self.b, FENGHUO, "enforce",
                                 "--indicators", lst, "--interval", "1"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 10
            while self.reaches("198.18.3.1") and time.monotonic() < deadline:
                time.sleep(0.2)
            self.assertFalse(self.reaches("198.18.3.1"))
            with open(lst, "w") as f:
                f.write("# emptied\n")
            deadline = time.monotonic() + 10
            while not self.reaches("198.18.3.1") and time.monotonic() < deadline:
                time.sleep(0.2)
            self.assertTrue(self.reaches("198.18.3.1"), "a removed entry is still blocked")
        finally:
            proc.send_signal(signal.SIGTERM)
            err = proc.communicate(timeout=30)[1]
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn("1 removed", err)

    def test_dry_run_prints_and_changes_nothing(self):
        lst = os.path.join(self.dir, "list.txt")
        with open(lst, "w") as f:
            f.write("198.18.3.1\n2001:db8:bad::/48\n")
        p = self.enforce("--indicators", lst, "--once", "--dry-run")
        self.assertIn("add element inet fenghuo addr4 { 198.18.3.1 timeout 86400s }", p.stdout)
        self.assertIn("add element inet fenghuo net6 { 2001:db8:bad::/48 timeout 86400s }",
                      p.stdout)
        self.assertIsNone(self.elements())
        self.assertTrue(self.reaches("198.18.3.1"))
        # What it prints is a transaction nft itself accepts.
        path = os.path.join(self.dir, "t.nft")
        with open(path, "w") as f:
            f.write(p.stdout)
        c = sh("ip", "netns", "exec", self.b, "nft", "-c", "-f", path, check=False)
        self.assertEqual(c.returncode, 0, c.stderr)

    def test_usage_errors(self):
        for args, text in ((["--once"], "give --indicators"),
                           (["--allow", "nonsense", "--indicators", "x"], "not an address"),
                           (["--hub", "http://127.0.0.1:1", "--indicators", "x"], "go together"),
                           (["--table", "bad name!", "--teardown"], "table name")):
            p = self.enforce(*args, check=False)
            self.assertEqual(p.returncode, 2, args)
            self.assertIn(text, p.stderr, args)


class EnforceFollowsHub(unittest.TestCase):
    """The --hub --follow path, in a dry run (no kernel change, no root)."""

    def test_indicators_posted_to_the_hub_are_blocked_and_revoked_ones_are_not(self):
        from hubtest import Hub, Setup, request
        setup = Setup()
        self.addCleanup(setup.cleanup)
        token = setup.org("cert")
        coll = setup.collection("blocklist", {"cert": "read,write"})
        hub = Hub(setup.data)
        self.addCleanup(lambda: hub.stop())

        def ind(n, addr, **kw):
            o = {"type": "indicator", "spec_version": "2.1",
                 "id": "indicator--1a2b3c4d-0000-4000-8000-0000000002%02d" % n,
                 "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z",
                 "pattern": "[ipv4-addr:value = '%s']" % addr, "pattern_type": "stix",
                 "valid_from": "2026-11-01T00:00:00Z"}
            o.update(kw)
            return o
        objs = [ind(1, "198.51.100.21"), ind(2, "198.51.100.22"),
                ind(2, "198.51.100.22", modified="2026-11-02T00:00:00.000Z", revoked=True)]
        r = request(hub.base, "/api/collections/%s/objects/" % coll, method="POST", token=token,
                    body={"objects": objs})
        self.assertEqual(r.status, 202, r.body)
        p = subprocess.run([FENGHUO, "enforce", "--hub", hub.base, "--follow", coll, "--token",
                            token, "--once", "--dry-run"], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("add element inet fenghuo addr4 { 198.51.100.21 timeout 86400s }", p.stdout)
        self.assertNotIn("198.51.100.22", p.stdout)


if __name__ == "__main__":
    unittest.main()
