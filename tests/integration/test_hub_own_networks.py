"""Integration: privacy by default (docs/SHARING.md, "Victim privacy"). A
member declares its own networks through /api/sharing/networks/ (no admin
right), after which another member sees its victims pseudonymized; it
cannot change another organization's; bad input and the limit get clear
errors; changes are audited. The hub warns (without addresses) when an
organization without networks posts sightings or addresses, and `admin org
list` shows it. A sensor reporting to the hub declares its --networks
itself, so nobody has to run `admin org networks` for its victims to be
pseudonymized; --no-declare-networks turns that off.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hubtest import FENGHUO, Hub, Setup, admin, request  # noqa: E402
from test_hub_pseudonyms import addr, traffic  # noqa: E402

API = "/api/"
NETS = API + "sharing/networks/"
TLP_GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
NET4, NET6 = "198.51.100.0/24", "2001:db8:a::/48"
VICTIM, ATTACKER = "198.51.100.7", "203.0.113.9"


def observation(victim, attacker, od_id):
    """Address SCOs, their network-traffic and an observed-data of them."""
    v, a = addr(victim), addr(attacker)
    f = traffic(a, v)
    t = "2026-11-28T10:00:00.000Z"
    od = {"type": "observed-data", "spec_version": "2.1", "id": od_id, "created": t,
          "modified": t, "first_observed": t, "last_observed": t, "number_observed": 1,
          "object_refs": [a["id"], v["id"], f["id"]]}
    objs = [a, v, f, od]
    for o in objs:
        o["object_marking_refs"] = [TLP_GREEN]
    return objs


class OwnNetworksTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.setup = s = Setup()
        for name in ("A", "B", "C", "D", "ops"):
            s.org(name)
        s.tokens["admin"] = admin(s.data, "token", "new", "ops", "--admin")
        cls.coll = s.collection("attacks", {"A": "read,write", "B": "read", "C": "read,write",
                                            "D": "read,write"})
        cls.hub = Hub(s.data)
        cls.log = os.path.join(s.tmp, "hub.log")

    @classmethod
    def tearDownClass(cls):
        status = cls.hub.stop()
        cls.setup.cleanup()
        assert status == 0, "hub exited with %s" % status

    def nets(self, who, method="GET", body=None, path=NETS):
        return request(self.hub.base, path, method=method, token=self.setup.tokens[who],
                       accept="application/json", content_type="application/json", body=body)

    def post_objects(self, who, objs):
        r = request(self.hub.base, API + "collections/%s/objects/" % self.coll, method="POST",
                    token=self.setup.tokens[who], body={"objects": objs})
        self.assertEqual(r.status, 202, r.body)
        self.assertEqual(r.json()["success_count"], len(objs), r.body)

    def values(self, who, od_id):
        """The addresses the observed-data od_id refers to, as who reads them."""
        r = request(self.hub.base, API + "collections/%s/objects/" % self.coll,
                    token=self.setup.tokens[who], params=[("limit", "1000")])
        self.assertEqual(r.status, 200, r.body)
        objs = {o["id"]: o for o in r.json()["objects"]}
        return {objs[ref]["value"] for ref in objs[od_id]["object_refs"]
                if objs[ref]["type"] == "ipv4-addr"}

    def test_member_declares_its_networks_and_others_see_pseudonyms(self):
        r = self.nets("A")
        self.assertEqual((r.status, r.json()), (200, []))
        r = self.nets("A", "POST", {"networks": [NET4]})
        self.assertEqual((r.status, r.json()), (200, [NET4]), r.body)
        self.assertEqual(r.headers["Content-Type"], "application/json")
        # POST adds, never replaces (several sensors of one organization).
        r = self.nets("A", "POST", {"networks": [NET6, NET4]})
        self.assertEqual((r.status, r.json()), (200, [NET4, NET6]), r.body)
        # The admin command works on the same list.
        self.assertEqual(admin(self.setup.data, "org", "networks", "A").split(), [NET4, NET6])
        od = "observed-data--11111111-2222-4333-8444-555555555555"
        self.post_objects("A", observation(VICTIM, ATTACKER, od))
        self.assertEqual(self.values("A", od), {VICTIM, ATTACKER})
        theirs = self.values("B", od)
        self.assertIn(ATTACKER, theirs)
        self.assertNotIn(VICTIM, theirs)
        self.assertEqual(len(theirs), 2, theirs)

    def test_a_member_cannot_change_another_organizations_networks(self):
        before = admin(self.setup.data, "org", "networks", "C")
        r = self.nets("B", "POST", {"networks": ["192.0.2.0/24"], "org": "C"})
        self.assertEqual(r.status, 400, r.body)
        self.assertIn("your own organization", r.json()["description"])
        r = self.nets("B", "POST", {"networks": ["192.0.2.0/24"]},
                      path=NETS + self.setup.orgs["C"] + "/")
        self.assertEqual(r.status, 404, r.body)
        r = self.nets("B", "PUT", {"networks": ["192.0.2.0/24"]},
                      path="/admin/orgs/%s/networks/" % self.setup.orgs["C"])
        self.assertEqual(r.status, 403, r.body)
        self.assertEqual(admin(self.setup.data, "org", "networks", "C"), before)
        self.assertEqual(self.nets("B").json(), [])

    def test_bad_input_and_the_limit_get_clear_errors(self):
        cases = [({"networks": ["198.51.100.1/24"]}, "not a network: 198.51.100.1/24"),
                 ({"networks": ["example.com"]}, "not a network: example.com"),
                 ({"networks": "198.51.100.0/24"}, "IPv4/IPv6"),
                 ({"networks": [17]}, "IPv4/IPv6"),
                 ({"networks": []}, "at least one"),
                 ({}, "at least one"),
                 ({"networks": ["192.0.2.0/24"], "clear": True}, "DELETE")]
        for body, message in cases:
            r = self.nets("C", "POST", body)
            self.assertEqual(r.status, 400, (body, r.body))
            self.assertIn(message, r.json()["description"], body)
        r = request(self.hub.base, NETS, method="POST", token=self.setup.tokens["C"],
                    accept="application/json", content_type="application/json", body=b"[1")
        self.assertEqual(r.status, 400, r.body)
        r = request(self.hub.base, NETS, accept="application/json")
        self.assertEqual(r.status, 401, r.body)
        r = self.nets("C", "PUT", {"networks": ["192.0.2.0/24"]})
        self.assertEqual(r.status, 405, r.body)
        self.assertIn("POST", r.headers["Allow"])
        many = ["10.%d.%d.0/24" % (i // 256, i % 256) for i in range(1001)]
        r = self.nets("C", "POST", {"networks": many})
        self.assertEqual(r.status, 413, r.body)
        self.assertIn("at most 1000 networks", r.json()["description"])
        self.assertEqual(self.nets("C", "POST", {"networks": many[:999]}).status, 200)
        r = self.nets("C", "POST", {"networks": many[999:]})
        self.assertEqual(r.status, 413, r.body)
        self.assertEqual(len(self.nets("C").json()), 999, "a refused POST changed nothing")
        # DELETE removes the ones named, or all of them.
        r = self.nets("C", "DELETE", {"networks": [many[0]]})
        self.assertEqual((r.status, len(r.json())), (200, 998), r.body)
        r = self.nets("C", "DELETE", {"clear": True})
        self.assertEqual((r.status, r.json()), (200, []), r.body)

    def test_changes_are_audited(self):
        self.nets("D", "POST", {"networks": ["192.0.2.0/28"]})
        self.nets("D", "POST", {"networks": ["192.0.2.1/28"]})
        self.nets("D", "DELETE", {"networks": ["192.0.2.0/28"]})
        r = request(self.hub.base, "/admin/audit/", token=self.setup.tokens["admin"],
                    accept="application/json", params=[("org", self.setup.orgs["D"])])
        self.assertEqual(r.status, 200, r.body)
        rows = [a for a in r.json() if a["action"] == "networks"]
        self.assertEqual([(a["endpoint"], a["detail"].split()[1]) for a in rows],
                         [("POST " + NETS, "200"), ("POST " + NETS, "400"),
                          ("DELETE " + NETS, "200")], rows)

    def test_hub_warns_about_members_without_networks(self):
        self.setup.org("E")
        admin(self.setup.data, "grant", self.coll, "E", "read,write")
        for i in range(3):
            self.post_objects("E", observation(
                "192.0.2.%d" % (i + 50), ATTACKER,
                "observed-data--22222222-3333-4444-8555-66666666666%d" % i))
        with open(self.log, encoding="utf-8", errors="replace") as f:
            lines = [ln for ln in f if "declared no networks" in ln and "organization E " in ln]
        self.assertEqual(len(lines), 1, "one warning per organization and interval: %s" % lines)
        self.assertIn(self.setup.orgs["E"], lines[0])
        self.assertNotIn("192.0.2.", lines[0])
        self.assertNotIn(ATTACKER, lines[0])
        listing = admin(self.setup.data, "org", "list").splitlines()
        e = [ln for ln in listing if " E " in ln + " " and self.setup.orgs["E"] in ln]
        self.assertEqual(len(e), 1, listing)
        self.assertIn("NO NETWORKS", e[0])
        self.nets("E", "POST", {"networks": ["192.0.2.0/24"]})
        listing = admin(self.setup.data, "org", "list").splitlines()
        e = [ln for ln in listing if self.setup.orgs["E"] in ln][0]
        self.assertNotIn("NO NETWORKS", e)
        self.assertIn("networks 192.0.2.0/24", e)


class SensorDeclaresNetworksTest(unittest.TestCase):
    """End to end, without any `admin org networks`: a sensor reporting to
    the hub declares its --networks before its first report, so another
    member sees the sensor's host only as a pseudonym; with
    --no-declare-networks nothing is declared and the hub warns."""

    def run_sensor(self, hub, setup, tmp, org, coll, *extra):
        import pcapgen as g
        listed = "indicator--1a2b3c4d-0000-4000-8000-0000000000cc"
        ind_path = os.path.join(tmp, "ind.json")
        with open(ind_path, "w") as f:
            json.dump({"type": "indicator", "spec_version": "2.1", "id": listed,
                       "created": "2026-11-01T00:00:00.000Z",
                       "modified": "2026-11-01T00:00:00.000Z",
                       "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix",
                       "valid_from": "2026-11-01T00:00:00Z"}, f)
        p = g.Pcap()
        g.indicator_traffic(p)  # 198.18.0.30 -> 198.51.100.7
        pcap = os.path.join(tmp, "m.pcap")
        p.write(pcap)
        # A host address with bits past the length: declared as its prefix.
        run = subprocess.run([FENGHUO, "sensor", "--networks", "198.18.0.1/15,2001:db8:5::/48",
                              "--pcap", pcap, "--indicators", ind_path, "--hub", hub.base,
                              "--collection", coll, "--spool", os.path.join(tmp, "spool-" + org),
                              "--report-wait", "20", *extra],
                             capture_output=True, text=True, timeout=120,
                             env=dict(os.environ, FENGHUO_TOKEN=setup.tokens[org]))
        self.assertEqual(run.returncode, 0, run.stderr)
        return run

    def read(self, hub, coll, tok):
        r = request(hub.base, API + "collections/%s/objects/" % coll, token=tok,
                    params=[("limit", "1000")])
        self.assertEqual(r.status, 200, r.body)
        return (r.json() or {}).get("objects", [])

    def test_sensor_declares_its_networks_and_victims_are_pseudonymized(self):
        setup = Setup()
        self.addCleanup(setup.cleanup)
        setup.org("sensor-org")
        setup.org("plain-org")
        setup.org("peer")
        coll = setup.collection("sightings", {"sensor-org": "read,write",
                                              "plain-org": "read,write", "peer": "read"})
        hub = Hub(setup.data)
        self.addCleanup(hub.stop)
        tmp = tempfile.mkdtemp(prefix="fh-own-nets-")
        self.addCleanup(shutil.rmtree, tmp, True)
        os.chmod(tmp, 0o755)
        run = self.run_sensor(hub, setup, tmp, "sensor-org", coll)
        self.assertIn("declared the protected networks", run.stderr)
        r = request(hub.base, NETS, token=setup.tokens["sensor-org"], accept="application/json")
        self.assertEqual(r.json(), ["198.18.0.0/15", "2001:db8:5::/48"])
        mine = self.read(hub, coll, setup.tokens["sensor-org"])
        theirs = self.read(hub, coll, setup.tokens["peer"])
        self.assertTrue(any(o["type"] == "sighting" for o in theirs), theirs)
        self.assertIn("198.18.0.30", json.dumps(mine))
        self.assertNotIn("198.18.0.30", json.dumps(theirs))
        seen = {o["value"] for o in theirs if o["type"] == "ipv4-addr"}
        self.assertIn("198.51.100.7", seen)
        self.assertEqual(len(seen), 2, seen)

        # Operators who manage networks centrally turn it off: nothing is
        # declared, the victim goes out in clear, and the hub says so.
        run = self.run_sensor(hub, setup, tmp, "plain-org", coll, "--no-declare-networks")
        self.assertNotIn("declared the protected networks", run.stderr)
        r = request(hub.base, NETS, token=setup.tokens["plain-org"], accept="application/json")
        self.assertEqual(r.json(), [])
        with open(os.path.join(setup.tmp, "hub.log"), encoding="utf-8", errors="replace") as f:
            log = f.read()
        self.assertIn("organization plain-org (%s)" % setup.orgs["plain-org"], log)
        self.assertNotIn("organization sensor-org (", log)
        self.assertNotIn("198.18.0.30", log)

    def test_reports_wait_until_the_hub_takes_the_networks(self):
        # The organization is at its limit of networks: the hub refuses the
        # sensor's, so the sensor posts nothing and keeps its reports.
        setup = Setup()
        self.addCleanup(setup.cleanup)
        setup.org("full-org")
        setup.org("peer")
        coll = setup.collection("sightings", {"full-org": "read,write", "peer": "read"})
        admin(setup.data, "org", "networks", "full-org",
              *["10.%d.%d.0/24" % (i // 256, i % 256) for i in range(1000)])
        hub = Hub(setup.data)
        self.addCleanup(hub.stop)
        tmp = tempfile.mkdtemp(prefix="fh-own-nets-")
        self.addCleanup(shutil.rmtree, tmp, True)
        os.chmod(tmp, 0o755)
        run = self.run_sensor(hub, setup, tmp, "full-org", coll, "--report-wait", "2")
        self.assertIn("hub did not take the protected networks", run.stderr)
        self.assertIn("at most 1000 networks", run.stderr)
        self.assertEqual(self.read(hub, coll, setup.tokens["full-org"]), [])
        self.assertTrue(os.listdir(os.path.join(tmp, "spool-full-org")), "reports were kept")
        # Room made: the next start declares, then posts what was kept.
        admin(setup.data, "org", "networks", "full-org", "--remove", "10.0.0.0/24",
              "--remove", "10.0.1.0/24")
        run = self.run_sensor(hub, setup, tmp, "full-org", coll)
        self.assertIn("declared the protected networks", run.stderr)
        theirs = self.read(hub, coll, setup.tokens["peer"])
        self.assertTrue(any(o["type"] == "sighting" for o in theirs), theirs)
        self.assertNotIn("198.18.0.30", json.dumps(theirs))

    def test_no_declare_networks_needs_reporting(self):
        run = subprocess.run([FENGHUO, "sensor", "--networks", "198.18.0.0/15", "--pcap",
                              "/nonexistent.pcap", "--no-declare-networks"],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 2, run.stderr)
        self.assertIn("--no-declare-networks goes with --hub", run.stderr)


if __name__ == "__main__":
    unittest.main()
