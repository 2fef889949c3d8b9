"""Integration: `fenghuo import` from plain lists, CSV, MISP feeds and STIX,
with the TLP given; MISP feeds round-trip through `fenghuo export`; a hub
submission stores what was imported, and importing again changes nothing."""

import json
import os
import shutil
import tempfile
import unittest

from fhtest import run
from hubtest import Hub, Setup, request

GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
AMBER = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"


class Import(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="fh-import-")
        self.addCleanup(shutil.rmtree, self.dir)

    def file(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def bundle(self, out):
        objs = json.loads(out).get("objects", [])
        return {o["pattern"]: o for o in objs}

    def test_plain_list_becomes_marked_indicators_and_bad_lines_are_named(self):
        path = self.file("l.txt", "# list\n198.51.100.7\nEvil.Example  # c2\n"
                                  "fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db\n"
                                  "http://phish.example/a'b\nnot a value\n2001:db8::/32\n")
        rc, out, err = run("import", "--format", "plain", "--tlp", "amber", path)
        self.assertEqual(rc, 1, err)
        self.assertIn("l.txt:6: 'not a value'", err)
        got = self.bundle(out)
        self.assertEqual(sorted(got), sorted([
            "[ipv4-addr:value = '198.51.100.7']", "[domain-name:value = 'evil.example']",
            "[file:hashes.'SHA-256' = 'fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db']",
            "[url:value = 'http://phish.example/a\\'b']", "[ipv6-addr:value = '2001:db8::/32']"]))
        for o in got.values():
            self.assertEqual(o["object_marking_refs"], [AMBER])
        bundle = self.file("b.json", out)
        rc, vout, verr = run("stix", "validate", "--no-warnings", bundle)
        self.assertEqual(rc, 0, vout + verr)

    def test_same_value_gets_the_same_id(self):
        a = self.file("a.txt", "198.51.100.7\n")
        _, out1, _ = run("import", "--format", "plain", "--tlp", "green", a)
        _, out2, _ = run("import", "--format", "plain", "--tlp", "green", a)
        self.assertEqual([o["id"] for o in self.bundle(out1).values()],
                         [o["id"] for o in self.bundle(out2).values()])

    def test_csv_uses_the_value_column(self):
        path = self.file("c.csv", 'type,value,name\r\nip,198.51.100.9,"a, b"\r\ndomain,x.example,\r\n')
        rc, out, err = run("import", "--format", "csv", "--tlp", "green", path)
        self.assertEqual(rc, 0, err)
        self.assertEqual(sorted(self.bundle(out)), ["[domain-name:value = 'x.example']",
                                                    "[ipv4-addr:value = '198.51.100.9']"])

    def test_misp_feed_round_trips_and_skips_non_ids_attributes(self):
        src = self.file("in.json", json.dumps({"type": "bundle",
            "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [
                {"type": "indicator", "spec_version": "2.1",
                 "id": "indicator--1a2b3c4d-0000-4000-8000-0000000000f1",
                 "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z",
                 "name": "c2", "pattern": "[domain-name:value = 'c2.example'] OR "
                 "[ipv4-addr:value = '198.51.100.66']", "pattern_type": "stix",
                 "valid_from": "2026-11-01T00:00:00Z", "object_marking_refs": [GREEN]}]}))
        feed = os.path.join(self.dir, "feed")
        rc, _, err = run("export", "--format", "misp-feed", "--indicators", src, "--output", feed)
        self.assertEqual(rc, 0, err)
        with open(os.path.join(feed, "manifest.json")) as f:
            manifest = json.load(f)
        self.assertEqual(list(manifest), ["1a2b3c4d-0000-4000-8000-0000000000f1"])
        self.assertEqual(manifest["1a2b3c4d-0000-4000-8000-0000000000f1"]["Tag"],
                         [{"name": "tlp:green"}])
        event_path = os.path.join(feed, "1a2b3c4d-0000-4000-8000-0000000000f1.json")
        with open(event_path) as f:
            event = json.load(f)
        self.assertEqual(sorted(a["type"] for a in event["Event"]["Attribute"]), ["domain", "ip-dst"])
        # an attribute not meant for detection is not imported
        event["Event"]["Attribute"].append({"type": "ip-dst", "value": "192.0.2.1", "to_ids": False,
                                            "category": "Network activity", "timestamp": "1"})
        with open(event_path, "w") as f:
            json.dump(event, f)
        with open(os.path.join(feed, "hashes.csv")) as f:
            self.assertEqual(len(f.read().splitlines()), 2)
        rc, out, err = run("import", "--format", "misp-feed", "--tlp", "green", feed)
        self.assertEqual(rc, 0, err)
        self.assertEqual(sorted(self.bundle(out)), ["[domain-name:value = 'c2.example']",
                                                    "[ipv4-addr:value = '198.51.100.66']"])
        self.assertIn("1 attributes not for IDS", err)

    def test_usage_errors(self):
        path = self.file("x.txt", "198.51.100.1\n")
        for args, text in ((["--format", "plain", path], "give --format"),
                           (["--format", "plain", "--tlp", "purple", path], "--tlp is"),
                           (["--format", "xml", "--tlp", "red", path], "give --format"),
                           (["--format", "misp-feed", "--tlp", "red", "/nonexistent"], "/nonexistent")):
            rc, _, err = run("import", *args)
            self.assertEqual(rc, 2, args)
            self.assertIn(text, err, args)

    def test_submits_to_a_hub_idempotently(self):
        setup = Setup()
        self.addCleanup(setup.cleanup)
        token = setup.org("cert")
        coll = setup.collection("imports", {"cert": "read,write"})
        hub = Hub(setup.data)
        self.addCleanup(lambda: hub.stop())
        path = self.file("l.txt", "198.51.100.7\nevil.example\n")
        rc, _, err = run("import", "--format", "plain", "--tlp", "green", "--hub", hub.base,
                         "--collection", coll, "--token", token, path)
        self.assertEqual(rc, 0, err)
        self.assertIn("2 stored", err)
        objs = request(hub.base, "/api/collections/%s/objects/" % coll, token=token).json()["objects"]
        self.assertEqual(len(objs), 2)
        self.assertTrue(all(o["object_marking_refs"] == [GREEN] for o in objs))


if __name__ == "__main__":
    unittest.main()
