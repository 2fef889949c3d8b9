"""The sharing policy's property test (issue 4, section 8).

A random community (organizations with clients and grandchildren, sharing
groups, collections with random default TLP and grants) and about 2,000
object versions with random TLP 1.0/2.0 markings, sharing-group markings
and granular markings (on a required property: the object is withheld; on
an optional one: the property is cut from the copies of readers below its
level) are posted to the real hub; some versions are posted again byte for
byte by another writer (co-submitters), and a group's membership changes
afterwards. Then, for every organization and every read path (collections,
objects pages, manifest, first versions, versions, object by id), the hub's
answer, including the created_by_ref each reader is shown (submitter
anonymity), is compared with a model of docs/SHARING.md written here,
independently of the hub's code. Zero differences are allowed.

The seed is fixed for `make test`; FH_SHARING_SEED and FH_SHARING_SCALE
make longer random runs (bench/sharing-soak).
"""
import json
import os
import random
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hubtest import Hub, Setup, admin, request  # noqa: E402

API = "/api/"
SEED = int(os.environ.get("FH_SHARING_SEED", "20261128"))
SCALE = int(os.environ.get("FH_SHARING_SCALE", "1"))

# marking-definition id -> level: CLEAR 0 < GREEN 1 < AMBER 2 < AMBER+STRICT 3 < RED 4
LEVELS = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": 0,  # TLP 1.0 WHITE
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": 1,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": 2,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": 4,
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": 0,  # TLP 2.0 CLEAR
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": 1,
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": 2,
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": 3,
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": 4,
}
DEFAULTS = ["clear", "green", "amber", "amber+strict", "red"]
# A marking that is neither TLP nor a group of this hub: no effect.
FOREIGN = "marking-definition--0d1b5c3e-5a33-4f6e-9a9e-2d7c3c1b0f00"


class Model:
    """docs/SHARING.md, restated."""

    def __init__(self):
        self.parent = {}    # org -> parent org or None
        self.grants = {}    # (coll, org) -> set of "read"/"write"
        self.members = {}   # group id -> set of orgs
        self.default = {}   # coll -> level
        self.versions = {}  # coll -> list of dicts in date_added order

    def reads(self, org, coll):
        return "read" in self.grants.get((coll, org), ())

    def can_read(self, org, coll):
        p = self.parent[org]
        return self.reads(org, coll) or (p is not None and self.reads(p, coll))

    def status(self, org, coll):
        """HTTP status of a read in coll before any object is considered."""
        if self.can_read(org, coll):
            return 200
        return 403 if self.grants.get((coll, org)) else 404

    def level(self, obj, coll):
        """Object markings (else the default), raised by granular markings
        on a property the object cannot lose (here: pattern)."""
        found = [LEVELS[r] for r in obj.get("object_marking_refs", []) if r in LEVELS]
        level = max(found) if found else self.default[coll]
        for g in obj.get("granular_markings", []):
            if "pattern" in g["selectors"] and g["marking_ref"] in LEVELS:
                level = max(level, LEVELS[g["marking_ref"]])
        return level

    def description_level(self, obj):
        """The granular level on the optional description, or -1."""
        found = [LEVELS[g["marking_ref"]] for g in obj.get("granular_markings", [])
                 if "description" in g["selectors"] and g["marking_ref"] in LEVELS]
        return max(found) if found else -1

    def clearance(self, org, v):
        """The highest level org may see on v (-1: none)."""
        coll, groups = v["coll"], v["groups"]

        def in_audience(x):
            return self.reads(x, coll) and all(x in self.members[g] for g in groups)

        if org in v["subs"]:
            return 4
        if in_audience(org):
            return 4 if groups else 3
        p = self.parent[org]
        if p is not None and (p in v["subs"] or in_audience(p)):
            return 2
        return -1

    def groups(self, obj):
        refs = list(obj.get("object_marking_refs", []))
        refs += [g["marking_ref"] for g in obj.get("granular_markings", [])]
        return {r for r in refs if r in self.members}

    def visible(self, org, v):
        coll, subs, lvl, groups = v["coll"], v["subs"], v["level"], v["groups"]

        def in_audience(x):
            return self.reads(x, coll) and all(x in self.members[g] for g in groups)

        if org in subs:
            return True
        if in_audience(org) and (lvl < 4 or groups):
            return True
        p = self.parent[org]
        return lvl <= 2 and p is not None and (p in subs or in_audience(p))

    def seen(self, org, coll):
        return [v for v in self.versions[coll] if self.visible(org, v)]

    def latest(self, org, coll, first=False):
        """The first/last visible version of each object, in date_added order."""
        best = {}
        for v in self.seen(org, coll):
            b = best.get(v["id"])
            if b is None or (v["modified"] < b["modified"] if first
                             else v["modified"] > b["modified"]):
                best[v["id"]] = v
        return sorted(best.values(), key=lambda v: v["seq"])


class SharingPropertyTest(unittest.TestCase):
    def setUp(self):
        self.rng = random.Random(SEED)
        self.setup = Setup()
        self.addCleanup(self.setup.cleanup)
        self.model = Model()
        self.differences = []
        self.requests = 0
        self.cosubmitted = 0

    def build_community(self):
        rng, m, s = self.rng, self.model, self.setup
        top = ["org%d" % i for i in range(8)]
        for name in top:
            s.org(name)
            m.parent[name] = None
        clients = []
        for i in range(5):
            name, parent = "client%d" % i, rng.choice(top)
            clients.append(name)
            s.orgs[name] = admin(s.data, "org", "add", name, "--parent", parent)
            s.tokens[name] = admin(s.data, "token", "new", name)
            m.parent[name] = parent
        for i in range(2):
            name, parent = "grandchild%d" % i, rng.choice(clients)
            s.orgs[name] = admin(s.data, "org", "add", name, "--parent", parent)
            s.tokens[name] = admin(s.data, "token", "new", name)
            m.parent[name] = parent
        self.orgs = list(m.parent)
        orgs = json.loads(admin(s.data, "org", "list", "--json"))
        self.identity = {o["name"]: o["identity"] for o in orgs}
        self.named = set(rng.sample(self.orgs, 4))
        for name in self.named:
            admin(s.data, "org", "set", name, "--attribution", "named")
        self.groups = []
        for i in range(3):
            members = rng.sample(self.orgs, rng.randint(1, 5))
            gid = admin(s.data, "group", "add", "g%d" % i, *members)
            m.members[gid] = set(members)
            self.groups.append(gid)
        self.colls = []
        for i in range(3):
            default = rng.choice(DEFAULTS)
            cid = admin(s.data, "collection", "add", "c%d" % i, "--default-tlp", default)
            m.default[cid] = DEFAULTS.index(default)
            m.versions[cid] = []
            for org in self.orgs:
                perms = rng.choice(["read", "read", "read,write", "read,write", "write", None,
                                    None])
                if org.startswith("grandchild") and perms:
                    perms = "read"  # grandchildren may read on their own grant
                if perms:
                    admin(s.data, "grant", cid, org, perms)
                    m.grants[(cid, org)] = set(perms.split(","))
            self.colls.append(cid)

    def random_markings(self, obj):
        rng = self.rng
        refs = rng.sample(sorted(LEVELS), rng.choice([0, 0, 1, 1, 1, 2]))
        r = rng.random()
        if r < 0.25:
            refs.append(rng.choice(self.groups))
        elif r < 0.3:
            refs.append(FOREIGN)
        if refs:
            obj["object_marking_refs"] = refs
        r = rng.random()
        if r < 0.08:
            obj["granular_markings"] = [{"marking_ref": rng.choice(sorted(LEVELS)),
                                         "selectors": ["pattern"]}]
        elif r < 0.25:
            obj["granular_markings"] = [{"marking_ref": rng.choice(sorted(LEVELS)),
                                         "selectors": ["description"]}]

    def post_objects(self):
        rng, m = self.rng, self.model
        seq = 0
        n_objects = 400 * SCALE
        for coll in self.colls:
            writers = [o for o in self.orgs if "write" in m.grants.get((coll, o), ())]
            self.assertTrue(writers)
            batch_by_writer = {}
            for i in range(n_objects):
                uid = "%08x-0000-4000-8000-%012x" % (rng.getrandbits(32), i)
                for v in range(rng.choice([1, 1, 1, 2, 3])):
                    obj = {"type": "indicator", "spec_version": "2.1",
                           "id": "indicator--" + uid,
                           "created": "2026-01-01T00:00:00.000Z",
                           "modified": "2026-01-0%dT00:00:00.000Z" % (v + 1),
                           "pattern": "[ipv4-addr:value = '198.51.100.%d']" % (i % 256),
                           "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
                           "description": "seen at %d" % i}
                    self.random_markings(obj)
                    sub = rng.choice(writers)
                    obj["created_by_ref"] = self.identity[sub]
                    batch_by_writer.setdefault(sub, []).append(obj)
            # One POST per writer; versions keep their order inside it.
            for sub, objs in batch_by_writer.items():
                for start in range(0, len(objs), 100):
                    chunk = objs[start:start + 100]
                    r = request(self.hub.base, API + "collections/%s/objects/" % coll,
                                method="POST", token=self.setup.tokens[sub],
                                body={"objects": chunk})
                    self.assertEqual(r.status, 202, r.body)
                    self.assertEqual(r.json()["success_count"], len(chunk))
                    for obj in chunk:
                        seq += 1
                        m.versions[coll].append({
                            "seq": seq, "coll": coll, "id": obj["id"], "sub": sub,
                            "subs": {sub}, "body": obj,
                            "modified": obj["modified"], "level": m.level(obj, coll),
                            "creator": obj["created_by_ref"],
                            "description_level": m.description_level(obj),
                            "groups": m.groups(obj)})

    def post_again(self):
        """Some versions are posted again, byte for byte, by another writer:
        it becomes a co-submitter (docs/SHARING.md)."""
        m, rng = self.model, self.rng
        for coll in self.colls:
            writers = [o for o in self.orgs if "write" in m.grants.get((coll, o), ())]
            again = {}
            for v in rng.sample(m.versions[coll], len(m.versions[coll]) // 20):
                others = [w for w in writers if w not in v["subs"]]
                if others:
                    again.setdefault(rng.choice(others), []).append(v)
            for sub, vs in again.items():
                r = request(self.hub.base, API + "collections/%s/objects/" % coll,
                            method="POST", token=self.setup.tokens[sub],
                            body={"objects": [v["body"] for v in vs]})
                self.assertEqual(r.status, 202, r.body)
                self.assertEqual(r.json()["success_count"], len(vs))
                for v in vs:
                    v["subs"].add(sub)
                    self.cosubmitted += 1

    def change_membership(self):
        """Membership is read at query time: change it after posting."""
        g = self.groups[0]
        add = self.rng.choice(sorted(set(self.orgs) - self.model.members[g]))
        remove = self.rng.choice(sorted(self.model.members[g]))
        admin(self.setup.data, "group", "members", "g0", "--add", add, "--remove", remove)
        self.model.members[g] = (self.model.members[g] | {add}) - {remove}

    def differ(self, what, got, want):
        """Records a difference, with the first item that differs."""
        if got != want:
            if isinstance(got, list) and isinstance(want, list):
                i = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b),
                         min(len(got), len(want)))
                got = (len(got), got[i:i + 1])
                want = (len(want), want[i:i + 1])
            self.differences.append((what, got, want))

    def paged(self, org, coll, endpoint, params, key):
        items, nxt = [], None
        while True:
            p = list(params) + [("limit", "40")] + ([("next", nxt)] if nxt else [])
            r = request(self.hub.base, API + "collections/%s/%s/" % (coll, endpoint),
                        token=self.setup.tokens[org], params=p)
            self.requests += 1
            if r.status != 200:
                return r.status
            body = r.json() or {}
            page = [key(o) for o in body.get(
                "versions" if endpoint.endswith("versions") else "objects", [])]
            if body.get("more") and len(page) != 40:
                self.differences.append(("short page with more", org, coll, endpoint))
            items += page
            if not body.get("more"):
                return items
            nxt = body["next"]

    def consensus_id(self):
        """The hub's built-in consensus collection, as the operator lists it."""
        if not getattr(self, "_consensus", None):
            listed = json.loads(admin(self.setup.data, "collection", "list", "--json"))
            self._consensus = [c["id"] for c in listed if c["title"] == "consensus"][0]
        return self._consensus

    def check_collections(self):
        """The collection list: what each organization may read or write."""
        m = self.model
        for org in self.orgs:
            r = request(self.hub.base, API + "collections/", token=self.setup.tokens[org])
            self.requests += 1
            got = {(c["id"], c["can_read"], c["can_write"])
                   for c in (r.json() or {}).get("collections", [])}
            want = {(c, m.can_read(org, c), "write" in m.grants.get((c, org), ()))
                    for c in self.colls
                    if m.can_read(org, c) or "write" in m.grants.get((c, org), ())}
            # docs/SHARING.md: every organization reads the hub's consensus
            # collection and none writes it.
            want.add((self.consensus_id(), True, False))
            self.differ(("collections", org), got, want)

    def check_reads(self):
        m = self.model
        for org in self.orgs:
            for coll in self.colls:
                status = m.status(org, coll)
                obj_key = lambda o: (o["id"], o["modified"], o["created_by_ref"],  # noqa: E731
                                     "description" in o)

                def shown(v):
                    """The created_by_ref org sees: its own, named, or the community."""
                    named = org in v["subs"] or v["sub"] in self.named
                    return (v["id"], v["modified"], v["creator"] if named else self.community,
                            m.clearance(org, v) >= v["description_level"])

                man_key = lambda o: (o["id"], o["version"])  # noqa: E731
                want = status if status != 200 else [shown(v) for v in m.latest(org, coll)]
                self.differ(("objects", org, coll),
                            self.paged(org, coll, "objects", [], obj_key), want)
                want = status if status != 200 else [
                    shown(v) for v in m.latest(org, coll, first=True)]
                self.differ(("objects first", org, coll),
                            self.paged(org, coll, "objects", [("match[version]", "first")],
                                       obj_key), want)
                want = status if status != 200 else [
                    (v["id"], v["modified"]) for v in m.seen(org, coll)]
                self.differ(("manifest all", org, coll),
                            self.paged(org, coll, "manifest", [("match[version]", "all")],
                                       man_key), want)
                ids = sorted({v["id"] for v in m.versions[coll]})
                for oid in self.rng.sample(ids, 8):
                    mine = [v for v in m.seen(org, coll) if v["id"] == oid]
                    want = status if status != 200 else (
                        [v["modified"] for v in mine] if mine else 404)  # date_added order
                    self.differ(("versions", org, coll, oid),
                                self.paged(org, coll, "objects/%s/versions" % oid, [],
                                           lambda x: x), want)
                    want = status if status != 200 else (
                        [shown(max(mine, key=lambda v: v["modified"]))] if mine else 404)
                    self.differ(("object", org, coll, oid),
                                self.paged(org, coll, "objects/%s" % oid, [], obj_key), want)

    def test_hub_agrees_with_the_model_for_every_org_and_read_path(self):
        self.build_community()
        self.hub = Hub(self.setup.data)
        self.addCleanup(self.hub.stop)
        r = request(self.hub.base, API + "sharing/", token=self.setup.tokens["org0"])
        self.community = r.json()["objects"][0]["id"]
        self.post_objects()
        self.post_again()
        self.change_membership()
        self.check_collections()
        self.check_reads()
        total = sum(len(v) for v in self.model.versions.values())
        self.assertGreater(total, 1600 * SCALE)
        self.assertGreater(self.requests, 1000)
        self.assertGreater(self.cosubmitted, 50 * SCALE)
        # Every rule was exercised: versions hidden from readers of their
        # collection, seen through a parent only, RED seen through a group.
        m = self.model
        vs = [v for c in self.colls for v in m.versions[c]]
        hidden = [(o, v) for o in self.orgs for v in vs
                  if m.reads(o, v["coll"]) and not m.visible(o, v)]
        via_parent = [(o, v) for o in self.orgs for v in vs
                      if not m.reads(o, v["coll"]) and o not in v["subs"] and m.visible(o, v)]
        red_group = [(o, v) for o in self.orgs for v in vs
                     if v["level"] == 4 and v["groups"] and o not in v["subs"] and m.visible(o, v)]
        cut = [(o, v) for o in self.orgs for v in vs
               if m.visible(o, v) and m.clearance(o, v) < v["description_level"]]
        for what, pairs in [("hidden", hidden), ("via parent", via_parent),
                            ("red via group", red_group), ("description cut", cut)]:
            self.assertGreater(len(pairs), 10, what)
        self.assertEqual(self.differences[:5], [],
                         "%d differences (seed %d)" % (len(self.differences), SEED))


if __name__ == "__main__":
    unittest.main()
