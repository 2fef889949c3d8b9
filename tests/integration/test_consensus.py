"""Integration tests of trust and consensus (docs/SHARING.md, "Trust and
consensus") on the real `fenghuo hub`: which reports make the hub publish a
value in its built-in `consensus` collection, which do not (one normal
organization, a flood from one organization, AMBER/RED reports), withdrawal
by decay, opinions that lower trust, the collection being read-only to
members, and `fenghuo enforce --collection consensus --dry-run` adding a
published address and removing it once revoked.

Every wait polls with a timeout; nothing asserts a duration.
"""
import json
import os
import subprocess
import sys
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hubtest import FENGHUO, Hub, Setup, admin, request, wait_until  # noqa: E402
from nstest import CAN_RUN_NFT, Namespaces, stop  # noqa: E402

API = "/api/"
TLP = {
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
ORGS = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r",
        "s", "t", "x", "y", "z", "wa", "wb"]


def now_ts():
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % int(t % 1 * 1000)


def new_indicator(pattern, marking=None, **extra):
    ts = now_ts()
    o = {"type": "indicator", "spec_version": "2.1", "id": "indicator--%s" % uuid.uuid4(),
         "created": ts, "modified": ts, "pattern": pattern, "pattern_type": "stix",
         "valid_from": ts}
    if marking:
        o["object_marking_refs"] = [TLP[marking]]
    o.update(extra)
    return o


def ipv4(addr):
    return "[ipv4-addr:value = '%s']" % addr


class ConsensusTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.setup = s = Setup()
        for name in ORGS:
            s.org(name)
        cls.coll = s.collection("feed", {name: "read,write" for name in ORGS})
        admin(s.data, "collection", "set", cls.coll, "--default-tlp", "green")
        # Addresses keep a long half-life (two fresh normal reports stay
        # published for 0.415 x 60 s = 25 s); domains decay in 2 s, so
        # withdrawal by decay is quick to observe.
        cls.hub = Hub(s.data, "--consensus-interval", "1", "--consensus-half-life",
                      "address=60s", "--consensus-half-life", "domain=2s")
        cols = request(cls.hub.base, API + "collections/", token=s.tokens["a"]).json()
        cls.cons = [c["id"] for c in cols["collections"] if c["title"] == "consensus"][0]
        sharing = request(cls.hub.base, API + "sharing/", token=s.tokens["a"]).json()
        cls.community = [o["id"] for o in sharing["objects"] if o["type"] == "identity"][0]

    @classmethod
    def tearDownClass(cls):
        status = cls.hub.stop()
        cls.setup.cleanup()
        assert status == 0, "hub exited with %s" % status

    # ---- helpers ------------------------------------------------------------

    def post(self, org, objects, coll=None):
        r = request(self.hub.base, API + "collections/%s/objects/" % (coll or self.coll),
                    method="POST", token=self.setup.tokens[org], body={"objects": objects})
        self.assertEqual(r.status, 202, r.body)
        self.assertEqual(r.json()["success_count"], len(objects), r.body)
        return r

    def versions(self, pattern, reader="t"):
        """Every version of the consensus indicator with this pattern, oldest
        first (all versions of one value share one id)."""
        out, nxt = [], None
        while True:
            params = [("match[version]", "all"), ("limit", "1000")]
            if nxt:
                params.append(("next", nxt))
            r = request(self.hub.base, API + "collections/%s/objects/" % self.cons,
                        token=self.setup.tokens[reader], params=params)
            self.assertEqual(r.status, 200, r.body)
            body = r.json() or {}
            out += [o for o in body.get("objects", []) if o["pattern"] == pattern]
            if not body.get("more"):
                break
            nxt = body["next"]
        self.assertLessEqual(len({o["id"] for o in out}), 1, out)
        return sorted(out, key=lambda o: o["modified"])

    def published(self, pattern):
        """True when the latest version of the value's indicator is not revoked."""
        v = self.versions(pattern)
        return bool(v) and not v[-1].get("revoked", False)

    def revoked_after_publication(self, pattern):
        v = self.versions(pattern)
        return len(v) >= 2 and not v[0].get("revoked") and v[-1].get("revoked") is True

    def trust(self, org):
        rows = json.loads(admin(self.setup.data, "org", "trust", "--json"))
        return [r for r in rows if r["name"] == org][0]

    # ---- publication ----------------------------------------------------------

    def test_two_normal_organizations_publish_and_one_does_not(self):
        p = ipv4("203.0.113.10")
        self.post("a", [new_indicator(p)])
        self.assertEqual(self.versions(p), [], "one organization of normal trust published")
        self.post("b", [new_indicator(p)])
        self.assertTrue(wait_until(lambda: self.published(p), 30))
        ind = self.versions(p)[-1]
        self.assertEqual(ind["created_by_ref"], self.community)
        self.assertEqual(ind["object_marking_refs"], [TLP["green"]])
        self.assertEqual(ind["pattern_type"], "stix")
        self.assertGreaterEqual(ind["confidence"], 50)
        self.assertLessEqual(ind["confidence"], 100)
        self.assertGreater(ind["valid_until"], ind["valid_from"])
        self.assertNotIn("revoked", ind)
        # The operator sees why: two organizations, a score above 1.5.
        rows = json.loads(admin(self.setup.data, "consensus", "list", "--json"))
        row = [r for r in rows if r["value"] == "203.0.113.10"][0]
        self.assertEqual((row["kind"], row["state"], row["organizations"], row["indicator"]),
                         ("ipv4", "published", 2, ind["id"]))
        self.assertGreaterEqual(row["score"], 1.5)
        self.assertLessEqual(row["score"], 2.0)

    def test_one_high_trust_organization_publishes_alone(self):
        p = ipv4("203.0.113.11")
        admin(self.setup.data, "org", "set", "c", "--trust", "high")
        self.assertEqual(self.trust("c")["trust"], "high")
        self.post("c", [new_indicator(p)])
        self.assertTrue(wait_until(lambda: self.published(p), 30))

    def test_a_flood_from_one_organization_counts_once(self):
        p = ipv4("203.0.113.12")
        for _ in range(5):
            self.post("d", [new_indicator(p) for _ in range(100)])
        # Sightings of its own indicators count as its reports too, once.
        ind = new_indicator(p)
        self.post("d", [ind] + [{
            "type": "sighting", "spec_version": "2.1", "id": "sighting--%s" % uuid.uuid4(),
            "created": now_ts(), "modified": now_ts(), "sighting_of_ref": ind["id"],
            "count": 1000} for _ in range(50)])
        self.assertEqual(self.versions(p), [])
        # The test can fail: a second organization does publish the value.
        self.post("e", [new_indicator(p)])
        self.assertTrue(wait_until(lambda: self.published(p), 30))

    def test_amber_and_red_reports_do_not_count(self):
        p = ipv4("203.0.113.13")
        self.post("f", [new_indicator(p, "green")])
        self.post("g", [new_indicator(p, "amber")])
        self.post("h", [new_indicator(p, "amber+strict")])
        self.post("i", [new_indicator(p, "red")])
        # A collection whose default is AMBER: unmarked reports there do not count.
        amber = admin(self.setup.data, "collection", "add", "amber-feed")
        admin(self.setup.data, "grant", amber, "j", "read,write")
        self.post("j", [new_indicator(p)], coll=amber)
        self.assertEqual(self.versions(p), [])
        self.post("k", [new_indicator(p, "green")])
        self.assertTrue(wait_until(lambda: self.published(p), 30))

    def test_sightings_of_another_organizations_indicator_count(self):
        p = ipv4("203.0.113.14")
        ind = new_indicator(p)
        self.post("l", [ind])
        self.post("m", [{"type": "sighting", "spec_version": "2.1",
                         "id": "sighting--%s" % uuid.uuid4(), "created": now_ts(),
                         "modified": now_ts(), "sighting_of_ref": ind["id"]}])
        self.assertTrue(wait_until(lambda: self.published(p), 30))

    def test_organizations_added_later_read_the_consensus_collection(self):
        admin(self.setup.data, "org", "add", "late")
        token = admin(self.setup.data, "token", "new", "late")

        def reads():
            r = request(self.hub.base, API + "collections/%s/" % self.cons, token=token)
            return r.status == 200 and r.json()["can_read"] and not r.json()["can_write"]
        self.assertTrue(wait_until(reads, 30))

    def test_trust_is_set_through_the_admin_api(self):
        token = admin(self.setup.data, "token", "new", "a", "--admin")

        def call(method, path, body=None):
            return request(self.hub.base, path, method=method, token=token,
                           accept="application/json", body=body,
                           content_type="application/json" if body is not None else None)
        self.assertEqual(call("PUT", "/admin/orgs/s/", {"trust": "low"}).status, 204)
        rows = {r["name"]: r for r in call("GET", "/admin/trust/").json()}
        self.assertEqual(rows["s"]["trust"], "low")
        self.assertEqual(rows["s"]["weight"], 0.25)
        self.assertEqual(call("PUT", "/admin/orgs/s/", {"trust": "medium"}).status, 400)
        self.assertEqual(call("PUT", "/admin/orgs/s/", {"trust": "normal"}).status, 204)
        self.assertEqual(self.trust("s")["trust"], "normal")
        # Members cannot.
        r = request(self.hub.base, "/admin/orgs/s/", method="PUT", token=self.setup.tokens["s"],
                    accept="application/json", body={"trust": "high"},
                    content_type="application/json")
        self.assertEqual(r.status, 403)

    # ---- withdrawal -------------------------------------------------------------

    def test_decay_withdraws_a_value_with_a_revoked_version(self):
        p = "[domain-name:value = 'decays.example.com']"
        self.post("n", [new_indicator(p)])
        self.post("o", [new_indicator(p)])
        self.assertTrue(wait_until(lambda: self.revoked_after_publication(p), 60))
        last = self.versions(p)[-1]
        self.assertTrue(last["revoked"])
        self.assertEqual(last["created_by_ref"], self.community)
        # It rises again: a new, not revoked version.
        self.post("n", [new_indicator(p)])
        self.post("o", [new_indicator(p)])
        self.assertTrue(wait_until(lambda: self.published(p) and len(self.versions(p)) >= 3, 30))

    def test_a_reporter_revoking_its_indicator_withdraws_its_report(self):
        p = ipv4("203.0.113.19")
        mine = new_indicator(p)
        self.post("wa", [mine])
        self.post("wb", [new_indicator(p)])
        self.assertTrue(wait_until(lambda: self.published(p), 30))
        time.sleep(0.01)
        revoked = dict(mine, modified=now_ts(), revoked=True)
        self.post("wa", [revoked])
        self.assertTrue(wait_until(lambda: self.revoked_after_publication(p), 30))

    def test_opinions_lower_trust_until_the_value_is_withdrawn(self):
        p = ipv4("203.0.113.15")
        i1, i2 = new_indicator(p), new_indicator(p)
        self.post("p", [i1])
        self.post("q", [i2])
        self.assertTrue(wait_until(lambda: self.published(p), 30))
        # An organization cannot raise its own trust, and one organization's
        # many opinions on a report count once.
        ts = now_ts()

        def opinion(refs, value):
            return {"type": "opinion", "spec_version": "2.1",
                    "id": "opinion--%s" % uuid.uuid4(), "created": ts, "modified": ts,
                    "opinion": value, "object_refs": refs}
        self.post("p", [opinion([i1["id"]], "strongly-agree")])
        self.assertEqual(self.trust("p")["agree"], 0)
        self.post("r", [opinion([i1["id"]], "disagree") for _ in range(10)])
        self.assertEqual(self.trust("p")["disagree"], 1)
        self.assertTrue(self.published(p))
        # strongly-disagree from r on both reports: p and q fall to 0.5 each.
        self.post("r", [opinion([i1["id"], i2["id"]], "strongly-disagree")])
        self.assertEqual(self.trust("p")["disagree"], 2)
        self.assertEqual(self.trust("q")["disagree"], 2)
        self.assertTrue(wait_until(lambda: self.revoked_after_publication(p), 30))

    def test_an_opinion_on_the_consensus_indicator_disputes_every_contributor(self):
        p = ipv4("203.0.113.18")
        self.post("x", [new_indicator(p)])
        self.post("y", [new_indicator(p)])
        self.assertTrue(wait_until(lambda: self.published(p), 30))
        cons_id = self.versions(p)[-1]["id"]
        ts = now_ts()
        self.post("z", [{"type": "opinion", "spec_version": "2.1",
                         "id": "opinion--%s" % uuid.uuid4(), "created": ts, "modified": ts,
                         "opinion": "strongly-disagree", "object_refs": [cons_id]}])
        self.assertEqual(self.trust("x")["disagree"], 2)
        self.assertEqual(self.trust("y")["disagree"], 2)
        self.assertEqual(self.trust("z")["disagree"], 0)
        self.assertTrue(wait_until(lambda: self.revoked_after_publication(p), 30))

    # ---- the collection -----------------------------------------------------------

    def test_the_consensus_collection_is_read_only_to_members(self):
        p = ipv4("203.0.113.16")
        self.post("s", [new_indicator(p)])
        self.post("t", [new_indicator(p)])
        self.assertTrue(wait_until(lambda: self.published(p), 30))
        for org in ["a", "t"]:
            col = request(self.hub.base, API + "collections/%s/" % self.cons,
                          token=self.setup.tokens[org]).json()
            self.assertEqual((col["title"], col["can_read"], col["can_write"]),
                             ("consensus", True, False))
        forged = new_indicator(ipv4("203.0.113.17"))
        r = request(self.hub.base, API + "collections/%s/objects/" % self.cons, method="POST",
                    token=self.setup.tokens["a"], body={"objects": [forged]})
        self.assertEqual(r.status, 403)
        # Not even a write grant by the operator opens it.
        admin(self.setup.data, "grant", self.cons, "a", "read,write")
        r = request(self.hub.base, API + "collections/%s/objects/" % self.cons, method="POST",
                    token=self.setup.tokens["a"], body={"objects": [forged]})
        self.assertEqual(r.status, 403)
        r = request(self.hub.base,
                    API + "collections/%s/objects/%s/" % (self.cons, self.versions(p)[-1]["id"]),
                    method="DELETE", token=self.setup.tokens["a"])
        self.assertEqual(r.status, 403)
        self.assertTrue(self.published(p))


class ConsensusEnforceTest(unittest.TestCase):
    """`fenghuo enforce --collection consensus --dry-run` against a hub."""

    def setUp(self):
        self.setup = s = Setup()
        self.addCleanup(s.cleanup)
        for name in ["u", "v", "w"]:
            s.org(name)
        coll = s.collection("feed", {name: "read,write" for name in ["u", "v", "w"]})
        admin(s.data, "collection", "set", coll, "--default-tlp", "green")
        self.coll = coll
        self.hub = Hub(s.data, "--consensus-interval", "1", "--consensus-half-life",
                       "address=120s")
        self.addCleanup(self.hub.stop)

    def post(self, org, objects):
        r = request(self.hub.base, API + "collections/%s/objects/" % self.coll, method="POST",
                    token=self.setup.tokens[org], body={"objects": objects})
        self.assertEqual(r.status, 202, r.body)

    def test_enforce_blocks_published_addresses_and_unblocks_revoked_ones(self):
        proc = subprocess.Popen(
            [FENGHUO, "enforce", "--hub", self.hub.base, "--token", self.setup.tokens["w"],
             "--collection", "consensus", "--dry-run", "--interval", "1",
             "--no-default-allow"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        lines = []

        def read():
            for line in proc.stdout:
                lines.append(line)
        reader = threading.Thread(target=read, daemon=True)
        reader.start()

        def stop():
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
            reader.join(timeout=10)
            proc.stdout.close()
        self.addCleanup(stop)

        def printed(text):
            return any(text in line for line in list(lines))
        i1, i2 = new_indicator(ipv4("203.0.113.77")), new_indicator(ipv4("203.0.113.77"))
        self.post("u", [i1])
        # One organization: nothing to block yet. (The enforcer has set up
        # its table once it prints the first transaction.)
        self.assertTrue(wait_until(lambda: printed("add table inet fenghuo"), 30))
        self.post("v", [i2])
        self.assertTrue(wait_until(
            lambda: printed("add element inet fenghuo addr4 { 203.0.113.77 timeout"), 30),
            "".join(lines))
        # The element's timeout comes from valid_until: at most 120 s x
        # log2(2 / 1.5) = 50 s (and a second of rounding).
        add = [line for line in lines if "203.0.113.77 timeout" in line][0]
        secs = int(add.split("timeout ")[1].split("s")[0])
        self.assertGreater(secs, 0)
        self.assertLessEqual(secs, 51)
        # w disputes both reports: the value is revoked, the address unblocked.
        ts = now_ts()
        self.post("w", [{"type": "opinion", "spec_version": "2.1",
                         "id": "opinion--%s" % uuid.uuid4(), "created": ts, "modified": ts,
                         "opinion": "strongly-disagree", "object_refs": [i1["id"], i2["id"]]}])
        self.assertTrue(wait_until(
            lambda: printed("delete element inet fenghuo addr4 { 203.0.113.77 }"), 30),
            "".join(lines))


@unittest.skipUnless(CAN_RUN_NFT, "needs root, iproute2 and nftables")
class ConsensusFirewallTest(unittest.TestCase):
    """The whole path with the real kernel, inside two network namespaces
    this test creates: the hub and `fenghuo enforce --collection consensus`
    run in the defender's namespace; an attacker address in the other one is
    dropped once two organizations report it and reaches the defender again
    once the value is revoked."""

    ATTACKER, BYSTANDER, DEFENDER = "198.18.4.1", "198.18.4.9", "198.18.4.2"

    def setUp(self):
        self.ns = Namespaces(self, "c", self.ATTACKER, self.BYSTANDER, self.DEFENDER)
        self.setup = s = Setup()
        self.addCleanup(s.cleanup)
        for name in ["u", "v", "w"]:
            s.org(name)
        self.coll = s.collection("feed", {name: "read,write" for name in ["u", "v", "w"]})
        admin(s.data, "collection", "set", self.coll, "--default-tlp", "green")
        self.ns.start_hub(s, "--consensus-interval", "1")

    def post(self, org, objects):
        self.ns.post(self.coll, self.setup.tokens[org], objects)

    def test_consensus_blocks_an_attacker_and_revocation_unblocks_it(self):
        reaches = self.ns.reaches
        self.assertTrue(wait_until(lambda: reaches(self.ATTACKER), 10))
        enforce = subprocess.Popen(
            self.ns.defender_cmd(FENGHUO, "enforce", "--hub", self.ns.hub_url, "--token",
                                 self.setup.tokens["w"], "--collection", "consensus",
                                 "--interval", "1"),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(stop, enforce)
        i1, i2 = new_indicator(ipv4(self.ATTACKER)), new_indicator(ipv4(self.ATTACKER))
        self.post("u", [i1])
        self.post("v", [i2])
        self.assertTrue(wait_until(lambda: not reaches(self.ATTACKER), 30),
                        "the published attacker still reaches the defender")
        self.assertTrue(reaches(self.BYSTANDER))
        ts = now_ts()
        self.post("w", [{"type": "opinion", "spec_version": "2.1",
                         "id": "opinion--%s" % uuid.uuid4(), "created": ts, "modified": ts,
                         "opinion": "strongly-disagree", "object_refs": [i1["id"], i2["id"]]}])
        self.assertTrue(wait_until(lambda: reaches(self.ATTACKER), 30),
                        "the revoked attacker is still blocked")


if __name__ == "__main__":
    unittest.main(verbosity=2)
