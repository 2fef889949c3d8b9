"""Integration: the sensor reports to a real hub: sightings of matched STIX
indicators, indicators and sightings for scanners and brute-forcers, and
nothing lost or doubled across a hub outage (the spool) or a replay."""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

import pcapgen as g
from hubtest import Hub, Setup, request
from fhtest import FENGHUO

MATCHED = "indicator--1a2b3c4d-0000-4000-8000-0000000000aa"


class SensorToHub(unittest.TestCase):
    def setUp(self):
        self.setup = Setup()
        self.addCleanup(self.setup.cleanup)
        self.token = self.setup.org("sensor-org")
        self.coll = self.setup.collection("sightings", {"sensor-org": "read,write"})
        self.hub = Hub(self.setup.data)
        self.addCleanup(lambda: self.hub.stop())
        self.dir = tempfile.mkdtemp(prefix="fh-sensorhub-")
        os.chmod(self.dir, 0o755)
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.spool = os.path.join(self.dir, "spool")
        self.indicators = os.path.join(self.dir, "ind.json")
        with open(self.indicators, "w") as f:
            json.dump({"type": "indicator", "spec_version": "2.1", "id": MATCHED,
                       "created": "2026-11-01T00:00:00.000Z",
                       "modified": "2026-11-01T00:00:00.000Z",
                       "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix",
                       "valid_from": "2026-11-01T00:00:00Z"}, f)

    def pcap(self, name, *scenarios):
        p = g.Pcap()
        for s in scenarios:
            s(p)
        path = os.path.join(self.dir, name)
        p.write(path)
        return path

    def sensor(self, pcap, base, wait="20"):
        env = dict(os.environ, FENGHUO_TOKEN=self.token)
        p = subprocess.run([FENGHUO, "sensor", "--networks", "198.18.0.0/15", "--pcap", pcap,
                            "--indicators", self.indicators, "--hub", base, "--collection",
                            self.coll, "--spool", self.spool, "--report-wait", wait],
                           capture_output=True, text=True, timeout=120, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout.strip().splitlines()[-1]), p.stderr

    def objects(self, params=()):
        r = request(self.hub.base, "/api/collections/%s/objects/" % self.coll, token=self.token,
                    params=[("limit", "1000")] + list(params))
        self.assertEqual(r.status, 200, r.body)
        return (r.json() or {}).get("objects", [])

    def test_sightings_and_source_indicators_reach_the_hub(self):
        stats, err = self.sensor(self.pcap("a.pcap", g.indicator_traffic, g.port_scan,
                                           g.ssh_bruteforce), self.hub.base)
        self.assertEqual(stats["hub"]["batches_in_spool"], 0, err)
        self.assertEqual(stats["hub"]["objects_refused"], 0, err)
        objs = self.objects()
        sightings = [o for o in objs if o["type"] == "sighting"]
        self.assertIn(MATCHED, [s["sighting_of_ref"] for s in sightings])
        patterns = {o["pattern"]: o for o in objs if o["type"] == "indicator"}
        for addr in ("203.0.113.66", "203.0.113.99"):
            ind = patterns["[ipv4-addr:value = '%s']" % addr]
            self.assertIn(ind["id"], [s["sighting_of_ref"] for s in sightings])
        self.assertEqual(stats["hub"]["objects_stored"], len(objs))
        # The sighting of a match carries what was seen: the observed-data
        # of the source and destination addresses and their traffic.
        by_id = {o["id"]: o for o in objs}
        seen = [s for s in sightings if s["sighting_of_ref"] == MATCHED]
        for s in seen:
            self.assertEqual(len(s["observed_data_refs"]), 1, s)
            od = by_id[s["observed_data_refs"][0]]
            self.assertEqual(od["type"], "observed-data")
            refs = [by_id[r] for r in od["object_refs"]]
            self.assertEqual([r["type"] for r in refs],
                             ["ipv4-addr", "ipv4-addr", "network-traffic"])
            self.assertEqual([refs[0]["value"], refs[1]["value"]],
                             ["198.18.0.30", "198.51.100.7"])
            flow = refs[2]
            self.assertEqual((flow["src_ref"], flow["dst_ref"]), (refs[0]["id"], refs[1]["id"]))
            self.assertEqual((flow["src_port"], flow["dst_port"]), (44444, 443))
            self.assertEqual(flow["protocols"], ["ipv4", "tcp"])

    def test_an_outage_loses_nothing_and_a_replay_doubles_nothing(self):
        pcap = self.pcap("b.pcap", g.indicator_traffic, g.port_scan)
        # The hub is down while the sensor runs: it watches anyway, and what
        # it found waits in the spool.
        dead = self.hub.base
        self.hub.stop()
        stats, err = self.sensor(pcap, dead, wait="1")
        self.assertIn("not reachable yet", err)
        self.assertGreaterEqual(stats["hub"]["batches_in_spool"], 1)
        self.assertEqual(stats["hub"]["objects_dropped"], 0)
        self.assertTrue(any(n.endswith(".json") for n in os.listdir(self.spool)))
        # Up again (on another port): the next run posts the spool first.
        self.hub = Hub(self.setup.data)
        stats, err = self.sensor(self.pcap("c.pcap", g.benign), self.hub.base)
        self.assertEqual(stats["hub"]["batches_in_spool"], 0, err)
        self.assertEqual(os.listdir(self.spool), [])
        objs = self.objects()
        self.assertIn("[ipv4-addr:value = '203.0.113.66']", [o.get("pattern") for o in objs])
        self.assertIn(MATCHED, [o.get("sighting_of_ref") for o in objs])
        # A replay of the same capture stores nothing new: ids are
        # deterministic and the hub keeps one copy of each (id, modified).
        every = [("match[version]", "all")]
        before = sorted(o["id"] + o.get("modified", "") for o in self.objects(every))
        self.assertIn("observed-data", [o["type"] for o in objs])
        self.sensor(pcap, self.hub.base)
        after = sorted(o["id"] + o.get("modified", "") for o in self.objects(every))
        self.assertEqual(before, after)


class SensorFollowsHub(unittest.TestCase):
    def test_indicators_posted_to_the_hub_are_matched(self):
        setup = Setup()
        self.addCleanup(setup.cleanup)
        token = setup.org("cert")
        coll = setup.collection("blocklist", {"cert": "read,write"})
        hub = Hub(setup.data)
        self.addCleanup(lambda: hub.stop())
        ids = []
        objs = []
        for n, pattern in enumerate(("[ipv4-addr:value = '198.51.100.7']",
                                     "[domain-name:value = 'evil.example']",
                                     "[ipv4-addr:value = '192.0.2.80']")):
            ids.append("indicator--1a2b3c4d-0000-4000-8000-0000000001%02d" % n)
            objs.append({"type": "indicator", "spec_version": "2.1", "id": ids[-1],
                         "created": "2026-11-01T00:00:00.000Z",
                         "modified": "2026-11-01T00:00:00.000Z", "pattern": pattern,
                         "pattern_type": "stix", "valid_from": "2026-11-01T00:00:00Z"})
        # the third is revoked in a later version: it must not match
        objs.append(dict(objs[2], modified="2026-11-02T00:00:00.000Z", revoked=True))
        r = request(hub.base, "/api/collections/%s/objects/" % coll, method="POST", token=token,
                    body={"objects": objs})
        self.assertEqual(r.status, 202, r.body)
        tmp = tempfile.mkdtemp(prefix="fh-follow-")
        self.addCleanup(shutil.rmtree, tmp, True)
        os.chmod(tmp, 0o755)
        p = g.Pcap()
        g.indicator_traffic(p)
        pcap = os.path.join(tmp, "f.pcap")
        p.write(pcap)
        env = dict(os.environ, FENGHUO_TOKEN=token)
        out = subprocess.run([FENGHUO, "sensor", "--networks", "198.18.0.0/15", "--pcap", pcap,
                              "--hub", hub.base, "--follow", coll], capture_output=True,
                             text=True, timeout=120, env=env)
        self.assertEqual(out.returncode, 0, out.stderr)
        evs = [json.loads(line) for line in out.stdout.splitlines()]
        got = {(e["where"], e["indicator"]) for e in evs if e["event_type"] == "indicator_match"}
        self.assertEqual(got, {("ip_dst", ids[0]), ("dns_query", ids[1])})
        self.assertEqual(evs[-1]["following"]["indicators_held"], 2)


if __name__ == "__main__":
    unittest.main()
