"""Integration: `fenghuo export` in every format, each checked by the tool
that reads it where Debian has it (nft -c in a namespace, ipset restore in a
namespace, named-checkzone, fenghuo stix validate) and against the documented
grammar otherwise (Suricata rules, Zeek Intel files, Suricata datasets);
from files and from a real hub, with --since deltas."""

import base64
import csv
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from fhtest import FENGHUO, run
from hubtest import Hub, Setup, request


def ind(n, pattern, **kw):
    o = {"type": "indicator", "spec_version": "2.1",
         "id": "indicator--1a2b3c4d-0000-4000-8000-0000000000%02d" % n,
         "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z",
         "pattern": pattern, "pattern_type": "stix", "valid_from": "2026-11-01T00:00:00Z"}
    o.update(kw)
    return o


INDICATORS = [
    ind(1, "[ipv4-addr:value = '198.51.100.7'] OR [ipv4-addr:value = '198.51.100.0/24'] OR "
           "[ipv6-addr:value = '2001:db8:bad::/48'] OR [ipv6-addr:value = '2001:db8::1']",
        name="scanner, bad", confidence=80),
    ind(2, "[domain-name:value = 'evil.example'] OR [url:value = 'http://phish.example/login?a=1']"),
    ind(3, "[file:hashes.'SHA-256' = 'fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db']"),
    ind(4, "[ipv4-addr:value = '203.0.113.9']", valid_until="2026-11-02T00:00:00Z",
        valid_from="2026-11-01T00:00:00Z"),  # expired
    ind(5, "[ipv4-addr:value = '203.0.113.10']", revoked=True),
    ind(6, "[ipv4-addr:value = '203.0.113.11' AND ipv4-addr:value = '203.0.113.12']"),  # partial
]
ROOT = os.geteuid() == 0 and shutil.which("ip")


class Export(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="fh-export-")
        cls.src = os.path.join(cls.dir, "ind.json")
        with open(cls.src, "w") as f:
            json.dump({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
                       "objects": INDICATORS}, f)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def export(self, fmt, *extra):
        rc, out, err = run("export", "--format", fmt, "--indicators", self.src, *extra)
        self.assertEqual(rc, 0, err)
        return out

    def file(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def in_netns(self, *cmd):
        ns = "fh-exp-%d" % os.getpid()
        subprocess.run(["ip", "netns", "add", ns], check=True)
        try:
            return subprocess.run(["ip", "netns", "exec", ns, *cmd], capture_output=True,
                                  text=True, timeout=60)
        finally:
            subprocess.run(["ip", "netns", "del", ns])

    def test_plain_leaves_out_expired_revoked_and_partial(self):
        out = self.export("plain").split()
        self.assertEqual(out, ["198.51.100.7", "198.51.100.0/24", "2001:db8:bad::/48",
                               "2001:db8::1", "evil.example", "http://phish.example/login?a=1",
                               "fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db"])

    def test_csv_quotes_per_rfc4180(self):
        rows = list(csv.reader(io.StringIO(self.export("csv"))))
        self.assertEqual(rows[0], ["type", "value", "indicator", "valid_until", "confidence", "name"])
        self.assertEqual(rows[1][5], "scanner, bad")
        self.assertEqual(rows[1][4], "80")
        self.assertEqual(len(rows), 8)

    def test_stix_bundle_is_valid_stix(self):
        path = self.file("out.json", self.export("stix"))
        rc, out, err = run("stix", "validate", path)
        self.assertEqual(rc, 0, out + err)
        with open(path) as f:
            ids = [o["id"] for o in json.load(f)["objects"]]
        self.assertEqual(len(ids), 3)

    def test_kind_filter(self):
        self.assertEqual(self.export("plain", "--kind", "domain").split(), ["evil.example"])

    @unittest.skipUnless(ROOT and shutil.which("nft"), "needs root and nft")
    def test_nft_script_passes_nft_check(self):
        path = self.file("feed.nft", self.export("nft"))
        p = self.in_netns("nft", "-c", "-f", path)
        self.assertEqual(p.returncode, 0, p.stderr)

    @unittest.skipUnless(ROOT and shutil.which("ipset"), "needs root and ipset")
    def test_ipset_file_restores(self):
        path = self.file("feed.ipset", self.export("ipset"))
        p = self.in_netns("sh", "-c", "ipset restore < %s && ipset list fenghuo-feed6" % path)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("2001:db8:bad::/48", p.stdout)

    @unittest.skipUnless(shutil.which("named-checkzone"), "needs named-checkzone (bind9-utils)")
    def test_rpz_zone_passes_named_checkzone(self):
        text = self.export("rpz")
        self.assertIn("48.zz.bad.db8.2001.rpz-ip CNAME .", text)
        self.assertIn("32.7.100.51.198.rpz-ip CNAME .", text)
        path = self.file("rpz.zone", text)
        p = subprocess.run(["named-checkzone", "rpz.fenghuo.test", path], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_suricata_rules_follow_the_rule_grammar(self):
        # Suricata is not in Debian 12: check each rule against its documented
        # shape: action proto src sport dir dst dport (option; ...) with
        # unique sids and escaped content.
        opt = r'[a-z._]+(?::(?:"(?:[^"\\;]|\\["\\;])*"|[^;"]+))?;'
        rule = re.compile(r'^alert (ip|dns|tls|http) (\[[0-9a-f.:/]+\]|any) any (->|<>) any any '
                          r'\((?:%s )*%s\)$' % (opt, opt))
        sids = []
        lines = [l for l in self.export("suricata-rules").splitlines() if not l.startswith("#")]
        self.assertEqual(len(lines), 8)
        for l in lines:
            self.assertRegex(l, rule)
            sids.append(re.search(r"sid:(\d+);", l).group(1))
        self.assertEqual(len(sids), len(set(sids)))
        self.assertIn('dns.query; dotprefix; content:".evil.example"; nocase; endswith;',
                      "\n".join(lines))

    def test_suricata_dataset_and_zeek_intel(self):
        ds = self.export("suricata-dataset").split()
        self.assertEqual([base64.b64decode(x).decode() for x in ds], ["evil.example"])
        self.assertEqual(self.export("suricata-dataset", "--kind", "hash").split(),
                         ["fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db"])
        lines = self.export("zeek-intel").splitlines()
        self.assertEqual(lines[0], "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc")
        types = {l.split("\t")[0]: l.split("\t")[1] for l in lines[1:]}
        self.assertEqual(types["198.51.100.0/24"], "Intel::SUBNET")
        self.assertEqual(types["198.51.100.7"], "Intel::ADDR")
        self.assertEqual(types["phish.example/login?a=1"], "Intel::URL")
        self.assertTrue(all(len(l.split("\t")) == 4 for l in lines[1:]))

    def test_usage_errors(self):
        for args, text in ((["--format", "xml", "--indicators", self.src], "unknown format"),
                           (["--indicators", self.src], "give --format"),
                           (["--format", "plain"], "give --format"),
                           (["--format", "plain", "--indicators", "/nonexistent"], "cannot read"),
                           (["--format", "plain", "--indicators", self.src, "--since", "yesterday"],
                            "RFC 3339")):
            rc, _, err = run("export", *args)
            self.assertEqual(rc, 2, args)
            self.assertIn(text, err, args)

    def test_from_a_hub_with_since(self):
        setup = Setup()
        self.addCleanup(setup.cleanup)
        token = setup.org("cert")
        coll = setup.collection("feed", {"cert": "read,write"})
        hub = Hub(setup.data)
        self.addCleanup(lambda: hub.stop())
        r = request(hub.base, "/api/collections/%s/objects/" % coll, method="POST", token=token,
                    body={"objects": INDICATORS[:2]})
        self.assertEqual(r.status, 202, r.body)
        env = dict(os.environ, FENGHUO_TOKEN=token)
        p = subprocess.run([FENGHUO, "export", "--format", "plain", "--hub", hub.base,
                            "--collection", coll], capture_output=True, text=True, env=env,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("evil.example", p.stdout.split())
        # a delta: only what was added after the first batch
        m = request(hub.base, "/api/collections/%s/manifest/" % coll, token=token)
        last = m.headers["X-TAXII-Date-Added-Last"]
        r = request(hub.base, "/api/collections/%s/objects/" % coll, method="POST", token=token,
                    body={"objects": [INDICATORS[2]]})
        self.assertEqual(r.status, 202, r.body)
        p = subprocess.run([FENGHUO, "export", "--format", "plain", "--hub", hub.base,
                            "--collection", coll, "--since", last], capture_output=True,
                           text=True, env=env, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.split(),
                         ["fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db"])


class HubFeeds(unittest.TestCase):
    def setUp(self):
        self.setup = Setup()
        self.addCleanup(self.setup.cleanup)
        self.token = self.setup.org("cert")
        self.other = self.setup.org("isp")
        self.coll = self.setup.collection("feed", {"cert": "read,write", "isp": "read"})
        self.hub = Hub(self.setup.data)
        self.addCleanup(lambda: self.hub.stop())
        green = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
        red = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
        objs = [dict(INDICATORS[0], object_marking_refs=[green]),
                dict(INDICATORS[1], object_marking_refs=[red])]
        r = request(self.hub.base, "/api/collections/%s/objects/" % self.coll, method="POST",
                    token=self.token, body={"objects": objs})
        self.assertEqual(r.status, 202, r.body)

    def feed(self, fmt, token, **kw):
        return request(self.hub.base, "/feeds/%s/%s" % (self.coll, fmt), token=token, accept=None,
                       **kw)

    def test_feed_obeys_the_sharing_policy(self):
        mine = self.feed("plain", self.token)
        self.assertEqual(mine.status, 200, mine.body)
        self.assertIn("text/plain", mine.headers["Content-Type"])
        self.assertIn("evil.example", mine.body.decode().split())
        theirs = self.feed("plain", self.other)
        self.assertEqual(theirs.status, 200, theirs.body)
        # TLP:RED of another organization, with no sharing group: not theirs
        self.assertNotIn("evil.example", theirs.body.decode().split())
        self.assertIn("198.51.100.7", theirs.body.decode().split())

    def test_etag_and_if_none_match(self):
        r = self.feed("suricata-rules", self.token)
        self.assertEqual(r.status, 200)
        etag = r.headers["ETag"]
        self.assertRegex(etag, r'^"[0-9a-f]{32}"$')
        again = self.feed("suricata-rules", self.token)
        self.assertEqual(again.headers["ETag"], etag)
        r304 = self.feed("suricata-rules", self.token, headers={"If-None-Match": etag})
        self.assertEqual((r304.status, r304.body), (304, b""))
        other = self.feed("suricata-rules", self.token, headers={"If-None-Match": '"0000"'})
        self.assertEqual(other.status, 200)

    def test_since_unknown_format_and_no_credentials(self):
        later = "2999-01-01T00:00:00Z"
        r = self.feed("plain", self.token, params=[("since", later)])
        self.assertEqual((r.status, r.body), (200, b""))
        self.assertEqual(self.feed("xml", self.token).status, 404)
        self.assertEqual(self.feed("plain", None).status, 401)
        self.assertEqual(self.feed("plain", self.token, params=[("since", "soon")]).status, 400)


if __name__ == "__main__":
    unittest.main()
