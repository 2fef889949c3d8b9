"""Integration: victim privacy on the real hub (docs/SHARING.md). Organization
A declares its networks and submits a sighting, observed-data, network-traffic
and address SCOs about an attack on one of its hosts. Every other reader (an
organization, an admin, a client) sees, on every read path, the victim's
addresses as Crypto-PAn pseudonyms with SCO ids recomputed and every
reference following, the attacker in the clear, and valid STIX; A sees its
originals; `admin pseudonyms rotate` changes the pseudonyms of a running hub.
"""
import ipaddress
import json
import os
import subprocess
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hubtest import FENGHUO, Hub, Setup, admin, request  # noqa: E402

API = "/api/"
STIX_NS = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")
TLP_GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
NET4, NET6 = "198.51.100.0/24", "2001:db8:a::/48"
VICTIM4, VICTIM4B, VICTIM_PREFIX = "198.51.100.7", "198.51.100.200", "198.51.100.0/25"
VICTIM6 = "2001:db8:a::7"
ATTACKER = "203.0.113.9"
INDICATOR = "indicator--0b9b3f43-0c8f-4f1d-9a51-1d2c3e4f5a6b"
OBSERVED = "observed-data--6f0a8a64-5d0e-4c55-8a1b-2b9c4f0e1d2a"
OBSERVED_DICT = "observed-data--7a1b9c75-6e1f-4d66-9b2c-3cad5f1f2e3b"
SIGHTING = "sighting--8b2cad86-7f20-4e77-8c3d-4dbe6a2a3f4c"


def canon(v):
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sco_id(obj):
    """STIX 2.1 section 2.9: UUIDv5 over the ID contributing properties."""
    props = {"ipv4-addr": ["value"], "ipv6-addr": ["value"],
             "network-traffic": ["start", "end", "src_ref", "dst_ref", "src_port", "dst_port",
                                 "protocols", "extensions"]}[obj["type"]]
    contrib = {k: obj[k] for k in props if k in obj}
    return "%s--%s" % (obj["type"], uuid.uuid5(STIX_NS, canon(contrib)))


def addr(value):
    kind = "ipv6-addr" if ":" in value else "ipv4-addr"
    o = {"type": kind, "spec_version": "2.1", "value": value}
    o["id"] = sco_id(o)
    return o


def traffic(src, dst):
    o = {"type": "network-traffic", "spec_version": "2.1", "src_ref": src["id"],
         "dst_ref": dst["id"], "src_port": 40000, "dst_port": 22, "protocols": ["ipv4", "tcp"]}
    o["id"] = sco_id(o)
    return o


def network(text):
    return ipaddress.ip_network(text, strict=False)


def same_prefix_bits(a, b):
    """The number of leading bits two addresses (or prefixes) share."""
    x, y = network(a).network_address, network(b).network_address
    bits = x.max_prefixlen
    d = int(x) ^ int(y)
    return bits - d.bit_length()


class PseudonymTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.setup = s = Setup()
        for name in ("A", "B", "ops"):
            s.org(name)
        s.orgs["B-client"] = admin(s.data, "org", "add", "B-client", "--parent", "B")
        s.tokens["B-client"] = admin(s.data, "token", "new", "B-client")
        s.orgs["A-client"] = admin(s.data, "org", "add", "A-client", "--parent", "A")
        s.tokens["A-client"] = admin(s.data, "token", "new", "A-client")
        s.tokens["admin"] = admin(s.data, "token", "new", "ops", "--admin")
        cls.coll = s.collection("attacks", {"A": "read,write", "B": "read", "ops": "read"})
        out = admin(s.data, "org", "networks", "A", NET4, NET6)
        assert out.split() == [NET4, NET6], out
        cls.hub = Hub(s.data)
        cls.victim4, cls.victim4b = addr(VICTIM4), addr(VICTIM4B)
        cls.victim6, cls.prefix = addr(VICTIM6), addr(VICTIM_PREFIX)
        cls.attacker = addr(ATTACKER)
        cls.flow = traffic(cls.attacker, cls.victim4)
        t = "2026-11-28T10:00:00.000Z"
        cls.observed = {
            "type": "observed-data", "spec_version": "2.1", "id": OBSERVED, "created": t,
            "modified": t, "first_observed": t, "last_observed": t, "number_observed": 3,
            "object_refs": [cls.attacker["id"], cls.victim4["id"], cls.flow["id"],
                            cls.victim6["id"], cls.prefix["id"], cls.victim4b["id"]],
            "object_marking_refs": [TLP_GREEN]}
        cls.observed_dict = {
            "type": "observed-data", "spec_version": "2.1", "id": OBSERVED_DICT, "created": t,
            "modified": t, "first_observed": t, "last_observed": t, "number_observed": 1,
            "objects": {"0": {"type": "ipv4-addr", "value": ATTACKER},
                        "1": {"type": "ipv4-addr", "value": VICTIM4},
                        "2": {"type": "network-traffic", "src_ref": "0", "dst_ref": "1",
                              "protocols": ["tcp"]}},
            "object_marking_refs": [TLP_GREEN]}
        cls.indicator = {
            "type": "indicator", "spec_version": "2.1", "id": INDICATOR, "created": t,
            "modified": t, "pattern": "[ipv4-addr:value = '%s']" % ATTACKER,
            "pattern_type": "stix", "valid_from": "2026-11-28T00:00:00Z",
            "object_marking_refs": [TLP_GREEN]}
        cls.sighting = {
            "type": "sighting", "spec_version": "2.1", "id": SIGHTING, "created": t,
            "modified": t, "sighting_of_ref": INDICATOR, "observed_data_refs": [OBSERVED],
            "count": 3, "object_marking_refs": [TLP_GREEN]}
        scos = [cls.attacker, cls.victim4, cls.victim4b, cls.victim6, cls.prefix, cls.flow]
        for o in scos:
            o["object_marking_refs"] = [TLP_GREEN]
        cls.originals = scos + [cls.observed, cls.observed_dict, cls.indicator, cls.sighting]
        r = request(cls.hub.base, API + "collections/%s/objects/" % cls.coll, method="POST",
                    token=s.tokens["A"], body={"objects": cls.originals})
        assert r.status == 202 and r.json()["success_count"] == len(cls.originals), r.body

    @classmethod
    def tearDownClass(cls):
        status = cls.hub.stop()
        cls.setup.cleanup()
        assert status == 0, "hub exited with %s" % status

    # ---- helpers ----

    def get(self, who, path, params=None):
        return request(self.hub.base, API + "collections/%s/%s" % (self.coll, path),
                       token=self.setup.tokens[who], params=params)

    def objects(self, who, params=None):
        r = self.get(who, "objects/", [("limit", "1000")] + (params or []))
        self.assertEqual(r.status, 200, r.body)
        return {o["id"]: o for o in (r.json() or {}).get("objects", [])}

    def assert_valid(self, objs):
        p = subprocess.run([FENGHUO, "stix", "validate", "-"], capture_output=True, text=True,
                           input=json.dumps({"type": "bundle", "id": "bundle--" + str(
                               uuid.uuid4()), "objects": list(objs)}), timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def pseudonyms(self, who):
        """Checks who's copy and returns {original value: pseudonym}."""
        got = self.objects(who)
        self.assert_valid(got.values())
        by_type = {}
        for o in got.values():
            by_type.setdefault(o["type"], []).append(o)
        # The attacker and every object without addresses are as posted.
        self.assertEqual(got[self.attacker["id"]]["value"], ATTACKER)
        self.assertEqual(got[INDICATOR]["pattern"], self.indicator["pattern"])
        self.assertEqual(got[SIGHTING]["observed_data_refs"], [OBSERVED])
        # No original victim id or value anywhere in the answer.
        text = json.dumps(list(got.values()))
        for o in (self.victim4, self.victim4b, self.victim6, self.prefix, self.flow):
            self.assertNotIn(o["id"], text)
        for v in (VICTIM4, VICTIM4B, VICTIM6, VICTIM_PREFIX):
            self.assertNotIn('"%s"' % v, text)
        # Every address SCO's id is the deterministic id of its (new) value.
        values = {}
        for o in by_type["ipv4-addr"] + by_type["ipv6-addr"]:
            self.assertEqual(o["id"], sco_id(o), o)
            values[o["value"]] = o["id"]
        self.assertEqual(len(values), 5)
        pseudo = {}
        refs = got[OBSERVED]["object_refs"]
        self.assertEqual(len(refs), 6)
        self.assertEqual(refs[0], self.attacker["id"])
        id_to_value = {i: v for v, i in values.items()}
        for orig, ref in ((VICTIM4, refs[1]), (VICTIM6, refs[3]), (VICTIM_PREFIX, refs[4]),
                          (VICTIM4B, refs[5])):
            self.assertIn(ref, id_to_value, "observed-data refers to an object not served")
            pseudo[orig] = id_to_value[ref]
            self.assertNotEqual(pseudo[orig], orig)
        # A prefix keeps its length; prefix preservation among the pseudonyms.
        self.assertTrue(pseudo[VICTIM_PREFIX].endswith("/25"), pseudo[VICTIM_PREFIX])
        self.assertEqual(network(pseudo[VICTIM_PREFIX]).prefixlen, 25)
        self.assertGreaterEqual(same_prefix_bits(pseudo[VICTIM4], pseudo[VICTIM_PREFIX]), 25)
        self.assertEqual(same_prefix_bits(pseudo[VICTIM4], pseudo[VICTIM4B]),
                         same_prefix_bits(VICTIM4, VICTIM4B))
        # The network-traffic: dst_ref follows, src_ref (attacker) stays, id recomputed.
        flows = by_type["network-traffic"]
        self.assertEqual(len(flows), 1)
        flow = flows[0]
        self.assertEqual(flow["src_ref"], self.attacker["id"])
        self.assertEqual(flow["dst_ref"], values[pseudo[VICTIM4]])
        self.assertEqual(flow["id"], sco_id(flow))
        self.assertEqual(refs[2], flow["id"])
        # The deprecated embedded dictionary: values only.
        emb = got[OBSERVED_DICT]["objects"]
        self.assertEqual(emb["0"]["value"], ATTACKER)
        self.assertEqual(emb["1"]["value"], pseudo[VICTIM4])
        self.assertEqual(emb["2"]["dst_ref"], "1")
        # Manifest ids are the ids of the copies.
        r = self.get(who, "manifest/", [("limit", "1000")])
        self.assertEqual(r.status, 200)
        self.assertEqual({m["id"] for m in r.json()["objects"]}, set(got))
        # Same copy on object by id (where the id is the one this reader can know).
        for oid in (OBSERVED, OBSERVED_DICT, self.attacker["id"]):
            r = self.get(who, "objects/%s/" % oid)
            self.assertEqual(r.status, 200, (who, oid))
            self.assertEqual(r.json()["objects"], [got[oid]])
        # Pseudonymized SCOs cannot be looked up by id: neither the original
        # (an oracle for guessed victim addresses) nor the pseudonymous one.
        for oid in (self.victim4["id"], self.flow["id"], values[pseudo[VICTIM4]], flow["id"]):
            for path in ("objects/%s/" % oid, "objects/%s/versions/" % oid):
                self.assertEqual(self.get(who, path).status, 404, (who, path))
            r = self.get(who, "objects/", [("match[id]", oid)])
            self.assertEqual(r.status, 200)
            self.assertEqual(r.json() or {}, {}, (who, oid))
        # Filtering by type is how they are found.
        r = self.get(who, "objects/", [("match[type]", "ipv4-addr")])
        self.assertEqual(len(r.json()["objects"]), 4)
        return pseudo

    # ---- tests ----

    def test_key_file_is_private(self):
        path = os.path.join(self.setup.data, "pseudonym.key")
        st = os.stat(path)
        self.assertEqual(st.st_size, 32)
        self.assertEqual(st.st_mode & 0o777, 0o600)

    def test_a_key_others_may_read_is_refused(self):
        setup = Setup()
        self.addCleanup(setup.cleanup)
        admin(setup.data, "org", "list")
        key = os.path.join(setup.data, "pseudonym.key")
        os.chmod(key, 0o644)
        p = subprocess.run([FENGHUO, "admin", "--data", setup.data, "org", "list"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 2)
        self.assertIn("only its owner may read it", p.stderr)
        os.chmod(key, 0o600)
        with open(key, "ab") as f:
            f.write(b"x")
        p = subprocess.run([FENGHUO, "admin", "--data", setup.data, "org", "list"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 2)
        self.assertIn("must hold exactly 32 bytes", p.stderr)

    def test_submitter_sees_its_originals(self):
        got = self.objects("A")
        for o in self.originals:
            self.assertEqual(got[o["id"]], o)
        r = self.get("A", "objects/%s/" % self.victim4["id"])
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["objects"][0]["value"], VICTIM4)
        r = self.get("A", "manifest/", [("limit", "1000")])
        self.assertEqual({m["id"] for m in r.json()["objects"]},
                         {o["id"] for o in self.originals})

    def test_other_readers_see_consistent_pseudonyms(self):
        seen = {}
        for who in ("B", "admin", "B-client", "A-client"):
            with self.subTest(reader=who):
                seen[who] = self.pseudonyms(who)
                # The same reader gets the same copy again.
                self.assertEqual(self.pseudonyms(who), seen[who])
        # One hub key: every reader sees the same pseudonyms.
        for who in seen:
            self.assertEqual(seen[who], seen["B"])

    def test_org_list_shows_networks(self):
        out = json.loads(admin(self.setup.data, "org", "list", "--json"))
        nets = {o["name"]: o["networks"] for o in out}
        self.assertEqual(nets["A"], [NET4, NET6])
        self.assertEqual(nets["B"], [])
        self.assertIn("networks %s, %s" % (NET4, NET6), admin(self.setup.data, "org", "list"))
        r = request(self.hub.base, "/admin/orgs/A/networks/", token=self.setup.tokens["admin"],
                    accept="application/json")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json(), [NET4, NET6])

    def test_bad_networks_are_refused_with_a_message(self):
        for bad in ("198.51.100.7/24", "198.51.100.0/33", "banana", "2001:db8::/129", "1.2.3"):
            p = subprocess.run([FENGHUO, "admin", "--data", self.setup.data, "org", "networks",
                                "B", bad], capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 1, bad)
            self.assertIn("'%s' is not an IPv4 or IPv6 network" % bad, p.stderr)
        p = subprocess.run([FENGHUO, "admin", "--data", self.setup.data, "org", "networks",
                            "nobody", NET4], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        r = request(self.hub.base, "/admin/orgs/B/networks/", method="PUT",
                    token=self.setup.tokens["admin"], accept="application/json",
                    content_type="application/json", body={"networks": ["10.0.0.1/8"]})
        self.assertEqual(r.status, 400, r.body)
        self.assertIn("10.0.0.1/8", r.json()["description"])

    def test_networks_add_remove_clear(self):
        d = self.setup.data
        self.assertEqual(admin(d, "org", "networks", "ops", "192.0.2.0/24").split(),
                         ["192.0.2.0/24"])
        self.assertEqual(admin(d, "org", "networks", "ops", "--add", "2001:db8:ff::1").split(),
                         ["192.0.2.0/24", "2001:db8:ff::1/128"])
        self.assertEqual(admin(d, "org", "networks", "ops", "--remove", "192.0.2.0/24").split(),
                         ["2001:db8:ff::1/128"])
        self.assertEqual(admin(d, "org", "networks", "ops", "--clear"), "")
        r = request(self.hub.base, "/admin/orgs/ops/networks/", method="PUT",
                    token=self.setup.tokens["admin"], accept="application/json",
                    content_type="application/json", body={"add": ["192.0.2.128/25"]})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json(), ["192.0.2.128/25"])
        r = request(self.hub.base, "/admin/orgs/ops/networks/", method="PUT",
                    token=self.setup.tokens["admin"], accept="application/json",
                    content_type="application/json", body={"clear": True})
        self.assertEqual(r.json(), [])

    def test_rotation_changes_pseudonyms_of_a_running_hub(self):
        before = self.pseudonyms("B")
        admin(self.setup.data, "pseudonyms", "rotate")
        after = self.pseudonyms("B")
        for orig in before:
            self.assertNotEqual(before[orig], after[orig], orig)
        self.assertEqual(self.pseudonyms("admin"), after)
        # Through the admin API as well.
        r = request(self.hub.base, "/admin/pseudonyms/rotate/", method="POST",
                    token=self.setup.tokens["admin"], accept="application/json")
        self.assertEqual(r.status, 204, r.body)
        again = self.pseudonyms("B")
        self.assertNotEqual(again[VICTIM4], after[VICTIM4])
        # Only admins rotate.
        r = request(self.hub.base, "/admin/pseudonyms/rotate/", method="POST",
                    token=self.setup.tokens["B"], accept="application/json")
        self.assertEqual(r.status, 403)
        # A still sees its originals; both rotations are audited.
        self.assertEqual(self.objects("A")[self.victim4["id"]]["value"], VICTIM4)
        audit = admin(self.setup.data, "audit")
        self.assertIn("pseudonyms rotate", audit)
        self.assertIn("POST /admin/pseudonyms/rotate/", audit)


class MigrationTest(unittest.TestCase):
    """Objects stored before schema version 3 are indexed by the migration:
    their references resolve and their address ranges are filled in."""

    def test_objects_stored_before_schema_3_are_pseudonymized(self):
        import sqlite3
        setup = Setup()
        self.addCleanup(setup.cleanup)
        setup.org("A")
        setup.org("B")
        coll = setup.collection("old", {"A": "read,write", "B": "read"})
        victim, attacker = addr(VICTIM4), addr(ATTACKER)
        t = "2026-11-28T10:00:00.000Z"
        od = {"type": "observed-data", "spec_version": "2.1", "id": OBSERVED, "created": t,
              "modified": t, "first_observed": t, "last_observed": t, "number_observed": 1,
              "object_refs": [attacker["id"], victim["id"]]}
        hub = Hub(setup.data)
        r = request(hub.base, API + "collections/%s/objects/" % coll, method="POST",
                    token=setup.tokens["A"], body={"objects": [victim, attacker, od]})
        self.assertEqual(r.status, 202, r.body)
        self.assertEqual(hub.stop(), 0)
        # Back to schema version 2, as a hub of that version left it: undo
        # migration 4 (trust and consensus), then migration 3.
        db = sqlite3.connect(os.path.join(setup.data, "fenghuo.db"))
        db.executescript("DROP TABLE cons_obs; DROP TABLE cons_reports; DROP TABLE cons_sources;"
                         "DROP TABLE cons_opinions; DROP TABLE cons_dirty_orgs;"
                         "ALTER TABLE orgs DROP COLUMN trust;"
                         "DROP TABLE org_networks; DROP TABLE sco_index;"
                         "DELETE FROM meta WHERE key = 'sco_index_ranges';"
                         "PRAGMA user_version = 2;")
        db.close()
        admin(setup.data, "org", "networks", "A", NET4)
        hub = Hub(setup.data)
        self.addCleanup(hub.stop)

        def get(path, params=None):
            return request(hub.base, API + "collections/%s/%s" % (coll, path),
                           token=setup.tokens["B"], params=params)

        objs = {o["id"]: o for o in get("objects/").json()["objects"]}
        values = {o["value"]: o["id"] for o in objs.values() if o["type"] == "ipv4-addr"}
        self.assertNotIn(VICTIM4, values)
        self.assertIn(ATTACKER, values)
        pseudo = [v for v in values if v != ATTACKER][0]
        self.assertEqual(objs[OBSERVED]["object_refs"], [attacker["id"], values[pseudo]])
        self.assertEqual(get("objects/%s/" % victim["id"]).status, 404)
        self.assertEqual(get("objects/%s/" % attacker["id"]).status, 200)


class SensorVictimTest(unittest.TestCase):
    """End to end: a sensor reports a match of traffic from one of its hosts
    (inside its organization's networks) to a listed address; another
    member sees the host only as a pseudonym."""

    def test_sensor_reports_reach_others_pseudonymized(self):
        import pcapgen as g
        import shutil
        import tempfile
        setup = Setup()
        self.addCleanup(setup.cleanup)
        token = setup.org("sensor-org")
        setup.org("peer")
        coll = setup.collection("sightings", {"sensor-org": "read,write", "peer": "read"})
        admin(setup.data, "org", "networks", "sensor-org", "198.18.0.0/15")
        hub = Hub(setup.data)
        self.addCleanup(hub.stop)
        tmp = tempfile.mkdtemp(prefix="fh-pseudo-sensor-")
        self.addCleanup(shutil.rmtree, tmp, True)
        os.chmod(tmp, 0o755)
        listed = "indicator--1a2b3c4d-0000-4000-8000-0000000000bb"
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
        run = subprocess.run([FENGHUO, "sensor", "--networks", "198.18.0.0/15", "--pcap", pcap,
                              "--indicators", ind_path, "--hub", hub.base, "--collection", coll,
                              "--spool", os.path.join(tmp, "spool"), "--report-wait", "20"],
                             capture_output=True, text=True, timeout=120,
                             env=dict(os.environ, FENGHUO_TOKEN=token))
        self.assertEqual(run.returncode, 0, run.stderr)

        def read(tok):
            r = request(hub.base, API + "collections/%s/objects/" % coll, token=tok,
                        params=[("limit", "1000")])
            self.assertEqual(r.status, 200, r.body)
            return {o["id"]: o for o in r.json()["objects"]}

        mine, theirs = read(token), read(setup.tokens["peer"])
        self.assertEqual(len(mine), len(theirs))
        def values(objs):
            return {o["value"] for o in objs.values() if o["type"] == "ipv4-addr"}

        self.assertEqual(values(mine), {"198.18.0.30", "198.51.100.7"})
        seen = values(theirs)
        self.assertIn("198.51.100.7", seen)
        self.assertNotIn("198.18.0.30", seen)
        self.assertEqual(len(seen), 2)
        self.assertNotIn("198.18.0.30", json.dumps(list(theirs.values())))
        sighting = [o for o in theirs.values() if o["type"] == "sighting"][0]
        od = theirs[sighting["observed_data_refs"][0]]
        for ref in od["object_refs"]:
            self.assertIn(ref, theirs, "a reference the reader cannot follow")
        flow = theirs[od["object_refs"][2]]
        self.assertEqual(flow["id"], sco_id(flow))
        self.assertEqual(theirs[flow["src_ref"]]["value"], [v for v in seen
                                                            if v != "198.51.100.7"][0])


class CrossSubmitterTest(unittest.TestCase):
    """The two leaks the property test found (docs/SHARING.md, "How
    references are followed" and "IPv4 in IPv6 form"): an organization
    without networks (R) references the victim's (V's) address SCO, in the
    collection that holds it and in another one; V posts its IPv4 victims in
    IPv6 forms that embed them."""

    NET = "198.18.0.0/15"
    EMBEDDED = {  # value -> the plain IPv4 value it embeds
        "::ffff:198.18.1.2": "198.18.1.2", "::ffff:c612:102": "198.18.1.2",
        "::198.18.1.4": "198.18.1.4", "64:ff9b::198.18.1.5": "198.18.1.5",
        "2002:c612:106:1::c612:106": "198.18.1.6", "::ffff:198.18.2.0/120": "198.18.2.0/24"}
    OUTSIDE = ["::ffff:203.0.113.9", "64:ff9b::203.0.113.10"]

    @classmethod
    def setUpClass(cls):
        cls.setup = s = Setup()
        for name in ("V", "R", "X"):
            s.org(name)
        cls.c1 = s.collection("shared", {"V": "read,write", "R": "read,write", "X": "read"})
        cls.c2 = s.collection("elsewhere", {"R": "read,write", "X": "read"})
        admin(s.data, "org", "networks", "V", cls.NET)
        cls.hub = Hub(s.data)
        cls.victim, cls.attacker = addr("198.18.1.2"), addr(ATTACKER)
        plains = sorted(set(cls.EMBEDDED.values()))
        cls.addrs = [addr(v) for v in plains + sorted(cls.EMBEDDED) + cls.OUTSIDE]
        cls.post(cls.c1, "V", [cls.victim] + [a for a in cls.addrs if a != cls.victim])
        # R, whose networks are none, reports a flow to V's host.
        cls.flow = traffic(cls.attacker, cls.victim)
        t = "2026-11-28T10:00:00.000Z"
        cls.od = {"type": "observed-data", "spec_version": "2.1", "created": t, "modified": t,
                  "first_observed": t, "last_observed": t, "number_observed": 1,
                  "id": "observed-data--11111111-2222-4333-8444-555555555555",
                  "object_refs": [cls.attacker["id"], cls.victim["id"], cls.flow["id"]]}
        cls.post(cls.c1, "R", [cls.attacker, cls.flow, cls.od])
        cls.od2 = dict(cls.od, id="observed-data--11111111-2222-4333-8444-666666666666",
                       object_refs=[cls.victim["id"]])
        cls.post(cls.c2, "R", [cls.od2])

    @classmethod
    def post(cls, coll, who, objs):
        r = request(cls.hub.base, API + "collections/%s/objects/" % coll, method="POST",
                    token=cls.setup.tokens[who], body={"objects": objs})
        assert r.status == 202 and r.json()["success_count"] == len(objs), r.body

    @classmethod
    def tearDownClass(cls):
        status = cls.hub.stop()
        cls.setup.cleanup()
        assert status == 0, "hub exited with %s" % status

    def read(self, who, coll, path="objects/", params=None):
        r = request(self.hub.base, API + "collections/%s/%s" % (coll, path),
                    token=self.setup.tokens[who], params=[("limit", "1000")] + (params or []))
        return r.status, r.body.decode(), (r.json() or {}).get("objects", [])

    def test_references_name_the_id_the_reader_gets(self):
        status, text, objs = self.read("X", self.c1)
        self.assertEqual(status, 200)
        got = {o["id"]: o for o in objs}
        ref = got[self.od["id"]]["object_refs"][1]
        self.assertIn(ref, got, "the reference names an object the reader does not get")
        pv = got[ref]
        self.assertEqual(pv["id"], sco_id(pv))
        self.assertNotEqual(pv["value"], "198.18.1.2")
        # R's objects name V's address SCO by the id X gets, never the original.
        self.assertNotIn(self.victim["id"], text)
        self.assertNotIn(self.flow["id"], text)
        flows = [o for o in objs if o["type"] == "network-traffic"]
        self.assertEqual(len(flows), 1)
        self.assertEqual(flows[0]["dst_ref"], pv["id"])
        self.assertEqual(flows[0]["src_ref"], self.attacker["id"])
        self.assertEqual(flows[0]["id"], sco_id(flows[0]))
        self.assertEqual(got[self.od["id"]]["object_refs"],
                         [self.attacker["id"], pv["id"], flows[0]["id"]])
        # The flow is not selectable by its original id either.
        for path in ("objects/%s/" % self.flow["id"], "objects/%s/versions/" % self.flow["id"]):
            self.assertEqual(self.read("X", self.c1, path)[0], 404, path)
        # In a collection that does not hold the SCO, the reference follows
        # it too: the reader gets it pseudonymized elsewhere.
        status, text, objs = self.read("X", self.c2)
        self.assertEqual(status, 200)
        self.assertEqual(objs[0]["object_refs"], [pv["id"]])
        self.assertNotIn(self.victim["id"], text)
        # The submitters see what they posted: R its references, V its SCO.
        _, _, objs = self.read("R", self.c1)
        mine = {o["id"]: o for o in objs}
        self.assertEqual(mine[self.od["id"]]["object_refs"], self.od["object_refs"])
        self.assertEqual(mine[self.flow["id"]]["dst_ref"], self.victim["id"])
        _, _, objs = self.read("V", self.c1)
        theirs = {o["id"]: o for o in objs}
        self.assertEqual(theirs[self.victim["id"]]["value"], "198.18.1.2")
        self.assertEqual(theirs[self.od["id"]]["object_refs"], self.od["object_refs"])

    def test_ipv4_in_ipv6_form_is_pseudonymized_as_its_ipv4(self):
        status, text, objs = self.read("X", self.c1, params=[("match[type]",
                                                              "ipv4-addr,ipv6-addr")])
        self.assertEqual(status, 200)
        # Objects come back in the order posted (date_added): V's post.
        values = [o["value"] for o in objs if o["id"] != self.attacker["id"]]
        posted = [a["value"] for a in [self.victim] + [a for a in self.addrs
                                                        if a != self.victim]]
        self.assertEqual(len(values), len(posted))
        p = dict(zip(posted, values))
        for v in self.OUTSIDE:
            self.assertEqual(p[v], v)
        for v, four in self.EMBEDDED.items():
            self.assertNotIn('"%s"' % v, text)
            self.assertNotEqual(p[v], v)
            a, b = network(v), network(p[v])
            self.assertEqual(a.prefixlen, b.prefixlen, (v, p[v]))
            keep = 16 if v.startswith("2002:") else 96
            self.assertEqual(int(a.network_address) >> (128 - keep),
                             int(b.network_address) >> (128 - keep), (v, p[v]))
            # The embedded part is the IPv4 pseudonym of the same victim.
            four_p = network(p[four])
            if keep == 96:
                got4 = int(b.network_address) & 0xffffffff
            else:
                got4 = (int(b.network_address) >> 80) & 0xffffffff
            self.assertEqual(got4, int(four_p.network_address), (v, p[v], four, p[four]))
        # 6to4: the interface id repeated the IPv4 address; it does not now.
        six = p["2002:c612:106:1::c612:106"]
        self.assertNotEqual(int(network(six).network_address) & 0xffffffff, 0xc6120106)
        # Not selectable by the original id (a guessed address's UUIDv5).
        for v in self.EMBEDDED:
            oid = addr(v)["id"]
            self.assertEqual(self.read("X", self.c1, "objects/%s/" % oid)[0], 404, v)
        for v in self.OUTSIDE:
            oid = addr(v)["id"]
            self.assertEqual(self.read("X", self.c1, "objects/%s/" % oid)[0], 200, v)
        # V sees what it posted.
        _, text, _ = self.read("V", self.c1)
        for v in self.EMBEDDED:
            self.assertIn('"%s"' % v, text)


if __name__ == "__main__":
    unittest.main()
