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

Victim privacy (docs/SHARING.md, "Victim privacy") is part of the same run:
organizations declare random IPv4 and IPv6 networks (nested, some shared or
overlapping between organizations, some changed after posting), and the
stream holds incidents: ipv4-addr/ipv6-addr SCOs (addresses and CIDR values)
and network-traffic with deterministic ids computed here (UUIDv5 over the
RFC 8785 form of the id contributing properties, STIX 2.1 section 2.9),
observed-data (object_refs, or the deprecated embedded objects), and
sightings. Victims lie inside the submitter's networks, attackers outside
every network, and some addresses inside another organization's networks
only. The test does not recompute Crypto-PAn (no AES in Python's standard
library): it learns the hub's pseudonym of every address from an oracle
(an organization whose networks cover everything posts them all in the
embedded objects of observed-data another reads), checks the promised
properties of that map (a permutation that keeps prefix lengths and common
prefixes), and then expects, for every reader and every path, each object
exactly as the model rewrites it with that map: submitters see what they
posted; other readers see pseudonyms for addresses inside a network of one
of the version's submitters, ids recomputed, references followed; no
victim address or original id of a rewritten SCO anywhere in an answer's
text; no original id of an SCO the reader is shown pseudonymized in any
collection in any of its answers (references across submitters and
collections name the id the reader gets); IPv4 victims also posted in IPv6
forms that embed them (mapped, compatible, NAT64, 6to4), whose pseudonyms
must embed the IPv4 pseudonym; SCOs shown pseudonymized cannot be selected
by id. The key is rotated
in the middle of the reads (`admin pseudonyms rotate`): every pseudonym
changes and the rest of the reads hold with the new map.

The seed is fixed for `make test`; FH_SHARING_SEED and FH_SHARING_SCALE
make longer random runs (bench/sharing-soak).
"""
import copy
import ipaddress
import json
import os
import random
import re
import sys
import unittest
import uuid

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

# Per type: a property the object cannot lose (a granular marking on it
# raises the object's level) and an optional one (cut from the copies of
# readers below its level), or None.
REQUIRED = {"indicator": "pattern", "ipv4-addr": "value", "ipv6-addr": "value",
            "network-traffic": "protocols", "observed-data": "number_observed",
            "sighting": "sighting_of_ref"}
OPTIONAL = {"indicator": "description", "sighting": "description"}
ADDR_TYPES = ("ipv4-addr", "ipv6-addr")

# STIX 2.1 section 2.9: the namespace of deterministic SCO ids and the id
# contributing properties of the types the test posts.
STIX_NS = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")
ID_PROPS = {"ipv4-addr": ["value"], "ipv6-addr": ["value"],
            "network-traffic": ["start", "end", "src_ref", "dst_ref", "src_port", "dst_port",
                                "protocols", "extensions"]}
# Networks are drawn inside these; attackers from outside them.
V4_SPACE, V6_SPACE = ipaddress.ip_network("198.18.0.0/15"), ipaddress.ip_network("2001:db8::/32")
ATTACKER_SPACES = [ipaddress.ip_network(n) for n in
                   ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "3fff::/20")]


def jcs(v):
    """RFC 8785 (JSON Canonicalization Scheme) for the values the test uses:
    objects, arrays, strings, integers, booleans, null."""
    if isinstance(v, dict):
        keys = sorted(v, key=lambda k: k.encode("utf-16-be"))
        return "{" + ",".join(jcs(k) + ":" + jcs(v[k]) for k in keys) + "}"
    if isinstance(v, list):
        return "[" + ",".join(jcs(x) for x in v) + "]"
    if isinstance(v, str):
        out = []
        for ch in v:
            c = ord(ch)
            if ch in '"\\':
                out.append("\\" + ch)
            elif c < 0x20:
                out.append({8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r"}.get(
                    c, "\\u%04x" % c))
            else:
                out.append(ch)
        return '"' + "".join(out) + '"'
    if v is True or v is False or v is None:
        return json.dumps(v)
    if isinstance(v, int):
        return str(v)
    raise ValueError("no canonical form here for %r" % (v,))


def sco_id(obj):
    """The deterministic id of an SCO: UUIDv5 in the STIX namespace over the
    canonical JSON of its id contributing properties."""
    contrib = {k: obj[k] for k in ID_PROPS[obj["type"]] if k in obj}
    return "%s--%s" % (obj["type"], uuid.uuid5(STIX_NS, jcs(contrib)))


def net(value):
    return ipaddress.ip_network(value, strict=False)


# IPv6 prefixes whose addresses embed an IPv4 address in their last 32 bits
# (docs/SHARING.md): IPv4-mapped, IPv4-compatible, NAT64 well-known prefix.
EMBED96 = [ipaddress.ip_network(n) for n in ("::ffff:0:0/96", "::/96", "64:ff9b::/96")]
SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
SCO_ID = re.compile(r"(?:ipv4-addr|ipv6-addr|network-traffic)--[0-9a-f-]{36}")


def embedded_v4(n):
    """The IPv4 network an IPv6 network embeds (docs/SHARING.md), or None:
    the last 32 bits in the three /96 prefixes above (not :: and ::1) when
    at least 96 bits long; bits 16-47 of a 6to4 value at least 16 bits
    long."""
    if n.version != 6:
        return None
    a = int(n.network_address)
    for p in EMBED96:
        if n.prefixlen >= 96 and n.subnet_of(p):
            if p == EMBED96[1] and n.prefixlen == 128 and a in (0, 1):
                return None
            return ipaddress.ip_network((a & 0xffffffff, n.prefixlen - 96))
    if n.prefixlen >= 16 and n.subnet_of(SIX_TO_FOUR):
        length = min(n.prefixlen - 16, 32)
        v4 = (a >> 80) & 0xffffffff
        return ipaddress.ip_network((v4 >> (32 - length) << (32 - length), length))
    return None


def common_bits(a, b):
    """Leading bits two networks share, at most the shorter prefix length."""
    x, y = net(a), net(b)
    d = int(x.network_address) ^ int(y.network_address)
    return min(x.max_prefixlen - d.bit_length(), x.prefixlen, y.prefixlen)


def canon(o):
    return json.dumps(o, sort_keys=True)


class Model:
    """docs/SHARING.md, restated."""

    def __init__(self):
        self.parent = {}    # org -> parent org or None
        self.grants = {}    # (coll, org) -> set of "read"/"write"
        self.members = {}   # group id -> set of orgs
        self.default = {}   # coll -> level
        self.versions = {}  # coll -> list of dicts in date_added order
        self.networks = {}  # org -> list of ip_network
        self.index = {}     # SCO id -> first body stored (any collection)
        self.stored = {}    # SCO id -> its versions (every collection)
        self.pseudonym = {}  # address or CIDR -> the hub's pseudonym (current key)
        self.inside_cache = {}

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
        on a property the object cannot lose (REQUIRED)."""
        found = [LEVELS[r] for r in obj.get("object_marking_refs", []) if r in LEVELS]
        level = max(found) if found else self.default[coll]
        for g in obj.get("granular_markings", []):
            if REQUIRED[obj["type"]] in g["selectors"] and g["marking_ref"] in LEVELS:
                level = max(level, LEVELS[g["marking_ref"]])
        return level

    def description_level(self, obj):
        """The granular level on the optional description, or -1."""
        found = [LEVELS[g["marking_ref"]] for g in obj.get("granular_markings", [])
                 if "description" in g["selectors"] and g["marking_ref"] in LEVELS]
        return max(found) if found else -1

    # ---- victim privacy ----

    def inside(self, value, subs):
        """Whether an address or CIDR value lies wholly inside a network of
        one of the version's submitters (networks read at query time); an
        IPv6 value that embeds an IPv4 address is also judged by that IPv4
        part."""
        key = (value, frozenset(subs))
        hit = self.inside_cache.get(key)
        if hit is None:
            n = net(value)
            e = embedded_v4(n)
            hit = any((n.version == x.version and n.subnet_of(x))
                      or (e is not None and x.version == 4 and e.subnet_of(x))
                      for s in subs for x in self.networks.get(s, ()))
            self.inside_cache[key] = hit
        return hit

    def owners(self, org, coll, sid):
        """The submitters, other than org's own versions, of the SCO's
        versions that judge it: those in coll when coll holds it, else those
        in every collection (docs/SHARING.md, "How references are
        followed"); visible to org or not."""
        vs = self.stored.get(sid, [])
        here = [v for v in vs if v["coll"] == coll]
        out = set()
        for v in here or vs:
            if org not in v["subs"]:
                out |= v["subs"]
        return frozenset(out)

    def shown_id(self, org, coll, sid):
        """The id under which org gets the SCO sid, judged in coll by its
        own versions (the id itself when they do not rewrite it)."""
        c = self.index.get(sid)
        if c is None or c["type"] not in ID_PROPS:
            return sid
        return self.ref_after(sid, frozenset(), org, coll)

    def ref_after(self, ref, subs, org, coll):
        """A reference as a non-submitter reader org sees it in coll: an
        address SCO or network-traffic the hub holds (in any collection)
        follows its rewriting under the referencing version's submitters
        and the referenced SCO's own (owners); anything else (other types,
        SCOs never posted) stays."""
        c = self.index.get(ref)
        if c is None:
            return ref
        subs = frozenset(subs) | self.owners(org, coll, ref)
        if c["type"] in ADDR_TYPES:
            if not self.inside(c["value"], subs) or ref != sco_id(c):
                return ref  # outside, or a random id that reveals nothing
            return sco_id({"type": c["type"], "value": self.pseudonym[c["value"]]})
        if c["type"] == "network-traffic":
            return self.rewrite_traffic(dict(c), subs, org, coll)["id"]
        return ref

    def rewrite_traffic(self, o, subs, org, coll):
        changed = False
        before = {k: o[k] for k in ("src_ref", "dst_ref") if k in o}
        for k in ("src_ref", "dst_ref"):
            if k in o:
                r = self.ref_after(o[k], subs, org, coll)
                changed |= r != o[k]
                o[k] = r
        if changed and o["id"] == sco_id(dict(o, **before)):
            o["id"] = sco_id(o)
        return o

    def expect(self, org, v, community, identity, named):
        """The copy of version v that org reads (docs/SHARING.md)."""
        o = copy.deepcopy(v["body"])
        subs = v["subs"]
        if org in subs:
            return o
        if v["sub"] not in named:
            mine = identity[v["sub"]]
            if "created_by_ref" in o:
                o["created_by_ref"] = community
            if "where_sighted_refs" in o:
                o["where_sighted_refs"] = [community if r == mine else r
                                           for r in o["where_sighted_refs"]]
        if self.clearance(org, v) < v["description_level"]:
            o.pop("description", None)
            gm = [g for g in o.get("granular_markings", []) if "description" not in g["selectors"]]
            if gm:
                o["granular_markings"] = gm
            else:
                o.pop("granular_markings", None)
        t = o["type"]
        if t in ADDR_TYPES:
            if self.inside(o["value"], subs):
                deterministic = o["id"] == sco_id(o)
                o["value"] = self.pseudonym[o["value"]]
                if deterministic:
                    o["id"] = sco_id(o)
        elif t == "network-traffic":
            self.rewrite_traffic(o, subs, org, v["coll"])
        elif t == "observed-data":
            if "object_refs" in o:
                o["object_refs"] = [self.ref_after(r, subs, org, v["coll"])
                                    for r in o["object_refs"]]
            for e in o.get("objects", {}).values():
                if e["type"] in ADDR_TYPES and self.inside(e["value"], subs):
                    e["value"] = self.pseudonym[e["value"]]
        return o

    def hidden_strings(self, org, v):
        """What must not appear in org's answer because of v: the quoted
        values that are rewritten and the original ids that are replaced."""
        subs, b, out = v["subs"], v["body"], set()
        if org in subs:
            return out
        t = b["type"]
        if t in ADDR_TYPES and self.inside(b["value"], subs):
            out.add('"%s"' % b["value"])
            if b["id"] == sco_id(b):
                out.add(b["id"])
        refs = [b[k] for k in ("src_ref", "dst_ref") if k in b] + b.get("object_refs", [])
        for r in refs:
            if self.ref_after(r, subs, org, v["coll"]) != r:
                out.add(r)
                c = self.index[r]
                if c["type"] in ADDR_TYPES:
                    out.add('"%s"' % c["value"])
        if t == "network-traffic" and self.rewrite_traffic(
                dict(b), subs, org, v["coll"])["id"] != b["id"]:
            out.add(b["id"])
        for e in b.get("objects", {}).values():
            if e["type"] in ADDR_TYPES and self.inside(e["value"], subs):
                out.add('"%s"' % e["value"])
        return out

    def by_id(self, org, v):
        """Whether org may select v by its id: not an SCO it sees
        pseudonymized, that is an address SCO inside or a network-traffic
        whose source or destination is inside, or is itself shown
        pseudonymized by its own submitters' networks (owners), whatever
        their ids (a network-traffic that names an address SCO with a random
        id keeps its id, and still is not selectable)."""
        b = v["body"]
        if org in v["subs"] or b["type"] not in ID_PROPS:
            return True
        if b["type"] in ADDR_TYPES:
            return not self.inside(b["value"], v["subs"])
        ends = [(b[k], self.index.get(b[k])) for k in ("src_ref", "dst_ref") if k in b]
        return not any(c and c["type"] in ADDR_TYPES and self.inside(
            c["value"], v["subs"] | self.owners(org, v["coll"], r)) for r, c in ends)

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
        self.seq = 0
        self.values = set()         # every address and CIDR value posted
        self.scos_posted = set()    # (coll, SCO id)
        self.victims = {}           # org -> [(value, "own")] it reported
        self.foreign_reports = set()  # (org, value inside another's network only)
        self.kinds = {}             # victim kind -> incidents
        self.indicators = {}        # coll -> indicator ids
        self.incident_count = 0
        self.changed_networks = []
        self.oracle_posted = False
        self.rotated = False
        self.stats = {}             # what the victim-privacy checks met

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
        optional = OPTIONAL.get(obj["type"])
        if r < 0.08:
            obj["granular_markings"] = [{"marking_ref": rng.choice(sorted(LEVELS)),
                                         "selectors": [REQUIRED[obj["type"]]]}]
        elif r < 0.25 and optional in obj:
            obj["granular_markings"] = [{"marking_ref": rng.choice(sorted(LEVELS)),
                                         "selectors": [optional]}]

    def post_objects(self):
        rng, m = self.rng, self.model
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
                self.post(coll, sub, objs)

    # ---- victim privacy: networks, incidents, the pseudonym oracle ----

    def subnet(self, base, extra):
        """A random network inside base, extra bits longer (at most a host)."""
        length = min(base.prefixlen + extra, base.max_prefixlen)
        bits = base.max_prefixlen - length
        host = int(base.network_address) + self.rng.getrandbits(
            base.max_prefixlen - base.prefixlen)
        return type(base)((type(base.network_address)(host >> bits << bits), length))

    def declare_networks(self):
        """Random networks per organization: IPv4 and IPv6, some nested in
        or wider than another's (the same organization's or another's),
        some the same as another organization's."""
        rng, m = self.rng, self.model
        pool = []
        for org in self.orgs:
            nets = []
            for _ in range(rng.choice([0, 1, 2, 2, 3])):
                r = rng.random()
                if pool and r < 0.3:
                    n = self.subnet(rng.choice(pool), rng.randint(0, 6))
                elif pool and r < 0.4:
                    base = rng.choice(pool)
                    space = V4_SPACE if base.version == 4 else V6_SPACE
                    n = base.supernet(min(rng.randint(1, 3), base.prefixlen - space.prefixlen - 1))
                elif rng.random() < 0.35:
                    n = self.subnet(V6_SPACE, rng.choice([8, 16, 24, 32]))
                else:
                    n = self.subnet(V4_SPACE, rng.choice([5, 7, 9, 11]))
                if n not in nets:
                    nets.append(n)
                    pool.append(n)
            m.networks[org] = nets
            if nets:
                out = admin(self.setup.data, "org", "networks", org, *map(str, nets))
                self.assertEqual(set(out.split()), set(map(str, nets)))

    def change_networks(self):
        """Networks are read at query time: after posting, one organization
        declares a network around an address it reported that lay in
        another's network only, another one loses a network."""
        m, rng = self.model, self.rng
        foreign = sorted(self.foreign_reports)
        if foreign:
            org, value = rng.choice(foreign)
            n = net(value).supernet(rng.randint(0, 4))
            admin(self.setup.data, "org", "networks", org, "--add", str(n))
            m.networks[org].append(n)
            self.changed_networks.append((org, "+", n))
        owners = sorted(o for o in self.orgs if m.networks[o])
        org = rng.choice(owners)
        n = rng.choice(m.networks[org])
        admin(self.setup.data, "org", "networks", org, "--remove", str(n))
        m.networks[org].remove(n)
        self.changed_networks.append((org, "-", n))
        m.inside_cache.clear()

    def value_in(self, n):
        """An address inside n, or (sometimes) a CIDR value inside it."""
        if self.rng.random() < 0.15:
            return str(self.subnet(n, self.rng.randint(0, 10)))
        return str(self.subnet(n, n.max_prefixlen).network_address)

    def victim_value(self, sub):
        """victim_value_v4v6, and some IPv4 values in an IPv6 form that
        embeds them (docs/SHARING.md)."""
        value, kind = self.victim_value_v4v6(sub)
        if kind != "outside" and ":" not in value and self.rng.random() < 0.15:
            plain, value = value, self.embed(value)
            if self.victims.get(sub) and self.victims[sub][-1] == (plain, kind):
                self.victims[sub][-1] = (value, kind)
        return value, kind

    def embed(self, value):
        """An IPv4 address or CIDR value written as IPv6: IPv4-mapped (dotted
        or hex), IPv4-compatible, NAT64 (64:ff9b::/96) or 6to4 (whose
        interface id sometimes repeats the IPv4 address)."""
        rng = self.rng
        n = net(value)
        a, cidr = int(n.network_address), "/" in value
        kind = rng.choice(["mapped", "mapped-hex", "compat", "nat64", "6to4"])
        self.values.add(value)  # its pseudonym is compared with the embedded one
        self.kinds["embedded " + kind] = self.kinds.get("embedded " + kind, 0) + 1
        if kind == "6to4":
            if cidr:
                return "%s/%d" % (ipaddress.IPv6Address((0x2002 << 112) | (a << 80)),
                                  16 + n.prefixlen)
            iid = rng.choice([rng.getrandbits(64), a])
            return str(ipaddress.IPv6Address((0x2002 << 112) | (a << 80)
                                             | (rng.getrandbits(16) << 64) | iid))
        tail = "/%d" % (96 + n.prefixlen) if cidr else ""
        if kind == "mapped-hex":
            return "::ffff:%x:%x%s" % (a >> 16, a & 0xffff, tail)
        prefix = {"mapped": "::ffff:", "compat": "::", "nat64": "64:ff9b::"}[kind]
        return prefix + str(n.network_address) + tail

    def victim_value_v4v6(self, sub):
        """(value, kind): inside sub's networks ("own"), inside another
        organization's networks but none of sub's ("foreign"), or a prefix
        wider than one of sub's networks ("wider")."""
        rng, m = self.rng, self.model
        own = m.networks[sub]
        r = rng.random()
        if own and r < 0.3 and self.victims.get(sub):
            return rng.choice(self.victims[sub])
        if own and r < 0.7:
            value = (self.value_in(rng.choice(own)), "own")
            self.victims.setdefault(sub, []).append(value)
            return value
        others = [n for o in self.orgs if o != sub for n in m.networks[o]]
        if others and r < 0.9:
            for _ in range(10):
                value = self.value_in(rng.choice(others))
                if not m.inside(value, {sub}):
                    return value, "foreign"
        if own:
            n = rng.choice(own)
            space = V4_SPACE if n.version == 4 else V6_SPACE
            if n.prefixlen > space.prefixlen + 1:
                return str(n.supernet(rng.randint(1, n.prefixlen - space.prefixlen - 1))), "wider"
        return self.attacker_value(rng.random() < 0.3), "outside"

    def attacker_value(self, v6):
        if v6 and self.rng.random() < 0.1:  # IPv4 in IPv6 form, outside: stays
            return "::ffff:" + self.attacker_value(False)
        spaces = [s for s in ATTACKER_SPACES if (s.version == 6) == v6]
        return str(self.subnet(self.rng.choice(spaces), 128).network_address)

    def make_sco(self, coll, body, objs, random_id=False):
        """Posts an SCO in coll once (the first content wins); returns its
        id: the deterministic one, or a random UUIDv4."""
        body["id"] = sco_id(body)
        if random_id:
            body["id"] = "%s--%s" % (body["type"], uuid.UUID(int=self.rng.getrandbits(128),
                                                             version=4))
        if (coll, body["id"]) not in self.scos_posted:
            self.scos_posted.add((coll, body["id"]))
            self.random_markings(body)
            objs.append(body)
        return body["id"]

    def addr(self, coll, value, objs):
        t = "ipv6-addr" if ":" in value else "ipv4-addr"
        self.values.add(value)
        return self.make_sco(coll, {"type": t, "spec_version": "2.1", "value": value}, objs,
                             self.rng.random() < 0.1)

    def incident(self, coll, sub, objs):
        """One report: the SCOs of a flow between an attacker and a victim,
        observed-data (references or embedded objects) and a sighting, some
        in two versions."""
        rng = self.rng
        victim, kind = self.victim_value(sub)
        if kind == "foreign":
            self.foreign_reports.add((sub, victim))
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        attacker = self.attacker_value(":" in victim)
        ends = [attacker, victim]
        rng.shuffle(ends)
        src, dst = (self.addr(coll, x, objs) for x in ends)
        proto = "ipv6" if ":" in victim else "ipv4"
        flow = self.make_sco(coll, {"type": "network-traffic", "spec_version": "2.1",
                                    "src_ref": src, "dst_ref": dst,
                                    "src_port": rng.randint(1024, 65535),
                                    "dst_port": rng.choice([22, 53, 80, 443, 3389]),
                                    "protocols": [proto, "tcp"]}, objs)
        self.incident_count += 1
        n = self.incident_count
        t = "2026-11-%02dT10:00:00.000Z" % (1 + n % 28)
        od = {"type": "observed-data", "spec_version": "2.1",
              "id": "observed-data--%08x-0000-4000-8000-%012x" % (rng.getrandbits(32), n),
              "created_by_ref": self.identity[sub], "created": t, "modified": t,
              "first_observed": t, "last_observed": t, "number_observed": 1}
        if rng.random() < 0.25:
            keys = rng.sample(["0", "1", "2"], 3)
            od["objects"] = {
                keys[0]: {"type": "ipv6-addr" if ":" in ends[0] else "ipv4-addr",
                          "value": ends[0]},
                keys[1]: {"type": "ipv6-addr" if ":" in ends[1] else "ipv4-addr",
                          "value": ends[1]},
                keys[2]: {"type": "network-traffic", "src_ref": keys[0], "dst_ref": keys[1],
                          "protocols": ["tcp"]}}
        else:
            refs = [src, dst, flow]
            if rng.random() < 0.2:  # an address the hub never receives as an object
                never = self.victim_value(sub)[0]
                refs.append(sco_id({"type": "ipv6-addr" if ":" in never else "ipv4-addr",
                                    "value": never}))
            if rng.random() < 0.3 and self.scos_posted:  # another report's SCO
                refs.append(rng.choice(sorted(i for c, i in self.scos_posted if c == coll)))
            elsewhere = sorted(i for c, i in self.scos_posted if c != coll)
            if rng.random() < 0.2 and elsewhere:  # an SCO posted in another collection
                refs.append(rng.choice(elsewhere))
            rng.shuffle(refs)
            od["object_refs"] = refs
        sighting = {"type": "sighting", "spec_version": "2.1",
                    "id": "sighting--%08x-0000-4000-8000-%012x" % (rng.getrandbits(32), n),
                    "created_by_ref": self.identity[sub], "created": t, "modified": t,
                    "sighting_of_ref": rng.choice(self.indicators[coll]),
                    "observed_data_refs": [od["id"]], "count": 1,
                    "where_sighted_refs": [self.identity[sub]]}
        if rng.random() < 0.5:
            sighting["description"] = "seen by %s" % sub
        for base in (od, sighting):
            for v in range(rng.choice([1, 1, 2])):
                obj = copy.deepcopy(base)
                obj["modified"] = t.replace("10:00", "1%d:00" % v)
                if v:
                    key = "count" if obj["type"] == "sighting" else "number_observed"
                    obj[key] += v
                self.random_markings(obj)
                objs.append(obj)

    def post_incidents(self):
        rng, m = self.rng, self.model
        for coll in self.colls:
            writers = [o for o in self.orgs if "write" in m.grants.get((coll, o), ())]
            self.indicators[coll] = sorted({v["id"] for v in m.versions[coll]})
            by_writer = {}
            for _ in range(60 * SCALE):
                sub = rng.choice(writers)
                self.incident(coll, sub, by_writer.setdefault(sub, []))
            for sub, objs in by_writer.items():
                rng.shuffle(objs)  # order does not matter (docs/SHARING.md)
                self.post(coll, sub, objs)

    def post(self, coll, sub, objs):
        """Posts objs as sub, 100 to an envelope, and records the versions
        (an SCO's version is its date_added: it has no modified)."""
        m = self.model
        for start in range(0, len(objs), 100):
            chunk = objs[start:start + 100]
            r = request(self.hub.base, API + "collections/%s/objects/" % coll,
                        method="POST", token=self.setup.tokens[sub],
                        body={"objects": chunk})
            self.assertEqual(r.status, 202, r.body)
            status = r.json()
            self.assertEqual(status["success_count"], len(chunk), status)
            added = {s["id"]: s["version"] for s in status["successes"]}
            for obj in chunk:
                self.seq += 1
                m.versions[coll].append({
                    "seq": self.seq, "coll": coll, "id": obj["id"], "sub": sub,
                    "subs": {sub}, "body": obj,
                    "modified": obj.get("modified", added[obj["id"]]),
                    "level": m.level(obj, coll), "creator": obj.get("created_by_ref"),
                    "description_level": m.description_level(obj),
                    "groups": m.groups(obj)})
                if obj["type"] in ID_PROPS and obj["id"] not in m.index:
                    m.index[obj["id"]] = obj
                if obj["type"] in ID_PROPS:
                    m.stored.setdefault(obj["id"], []).append(m.versions[coll][-1])

    def oracle_setup(self):
        """An organization whose networks cover every address, and a reader
        of its collection: the pseudonyms it is shown are the hub's map."""
        s = self.setup
        s.org("oracle")
        s.org("oracle-reader")
        admin(s.data, "org", "networks", "oracle", "0.0.0.0/0", "::/0")
        self.oracle_coll = s.collection("oracle", {"oracle": "read,write",
                                                   "oracle-reader": "read"})

    def learn_pseudonyms(self):
        """Posts (once) every address and CIDR value of the run in the
        embedded objects of observed-data and reads the map back."""
        values = sorted(self.values)
        chunks = [values[i:i + 50] for i in range(0, len(values), 50)]
        if not self.oracle_posted:
            t = "2026-11-28T10:00:00.000Z"
            objs = [{"type": "observed-data", "spec_version": "2.1",
                     "id": "observed-data--00000000-0000-4000-8000-%012x" % i,
                     "created": t, "modified": t, "first_observed": t, "last_observed": t,
                     "number_observed": 1,
                     "objects": {str(k): {"type": "ipv6-addr" if ":" in x else "ipv4-addr",
                                          "value": x} for k, x in enumerate(chunk)}}
                    for i, chunk in enumerate(chunks)]
            r = request(self.hub.base, API + "collections/%s/objects/" % self.oracle_coll,
                        method="POST", token=self.setup.tokens["oracle"],
                        body={"objects": objs})
            self.assertEqual(r.status, 202, r.body)
            self.oracle_posted = True
        got = self.paged("oracle-reader", self.oracle_coll, "objects", [], lambda o: o)
        self.assertIsInstance(got, list, got)
        self.assertEqual(len(got), len(chunks))
        pseudonym = {}
        for od in got:
            chunk = chunks[int(od["id"][-12:], 16)]
            for k, e in od["objects"].items():
                pseudonym[chunk[int(k)]] = e["value"]
        self.assertEqual(len(pseudonym), len(values))
        self.check_pseudonym_map(pseudonym)
        return pseudonym

    def check_pseudonym_map(self, p):
        """What Crypto-PAn promises: a permutation of each family that keeps
        a CIDR's length, and common prefixes (docs/SHARING.md)."""
        # A permutation: one pseudonym per address or prefix (two spellings
        # of one, such as ::ffff:198.18.1.2 and ::ffff:c612:102, share it).
        self.assertEqual(len({net(y) for y in p.values()}), len({net(x) for x in p}),
                         "two values, one pseudonym")
        same = {}
        for x, y in p.items():
            if same.setdefault(net(x), net(y)) != net(y):
                self.differences.append(("one value, two pseudonyms", x, y))
        by_family = {4: [], 6: []}
        for x, y in p.items():
            self.assertNotEqual(x, y)
            a, b = net(x), net(y)
            self.assertEqual((a.version, a.prefixlen), (b.version, b.prefixlen), (x, y))
            e = embedded_v4(a)
            if e is not None:
                # IPv4 in IPv6 form: the IPv6 prefix stays, the IPv4 part is
                # the pseudonym of the same IPv4 value (docs/SHARING.md).
                keep = 16 if a.subnet_of(SIX_TO_FOUR) else 96
                lo_a, lo_b = int(a.network_address), int(b.network_address)
                if lo_a >> (128 - keep) != lo_b >> (128 - keep):
                    self.differences.append(("embedded: IPv6 prefix changed", x, y))
                plain = str(e) if e.prefixlen < 32 else str(e.network_address)
                if plain in p:
                    self.stats["embedded IPv4 checked"] = (
                        self.stats.get("embedded IPv4 checked", 0) + 1)
                    if embedded_v4(b) != net(p[plain]):
                        self.differences.append(("embedded: not the IPv4 pseudonym", x, y,
                                                 plain, p[plain]))
                if keep == 16 and a.prefixlen == 128 and lo_a & 0xffffffff == int(
                        e.network_address) and lo_b & 0xffffffff == lo_a & 0xffffffff:
                    self.differences.append(("6to4: interface id kept the IPv4", x, y))
                continue
            want = str(b) if "/" in x else str(b.network_address)
            self.assertEqual(y, want, "not in canonical form")
            by_family[a.version].append((x, y))
        pairs = 0
        for items in by_family.values():
            if len(items) > 700:
                items = self.rng.sample(items, 700)
            for i, (x1, y1) in enumerate(items):
                for x2, y2 in items[i + 1:]:
                    pairs += 1
                    if common_bits(x1, x2) != common_bits(y1, y2):
                        self.differences.append(("prefix not preserved", x1, x2, y1, y2))
        self.assertGreater(pairs, 1000)

    def rotate(self):
        """`admin pseudonyms rotate` on the running hub: every pseudonym
        changes; the reads that follow expect the new map."""
        before = self.model.pseudonym
        admin(self.setup.data, "pseudonyms", "rotate")
        after = self.learn_pseudonyms()
        same = [x for x in before if before[x] == after[x]]
        self.assertEqual(same, [], "pseudonyms unchanged by the rotation")
        self.model.pseudonym = after
        self.rotated = True

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
            # The victim's own organization posts the same address SCO: its
            # networks now count for that version too.
            for v in m.versions[coll]:
                if v["body"]["type"] not in ADDR_TYPES or rng.random() < 0.5:
                    continue
                owners = [w for w in writers if w not in v["subs"]
                          and m.inside(v["body"]["value"], {w})
                          and not m.inside(v["body"]["value"], v["subs"])]
                if owners:
                    w = rng.choice(owners)
                    if v not in again.get(w, []):
                        again.setdefault(w, []).append(v)
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

    def paged(self, org, coll, endpoint, params, key, raw=None):
        """Reads every page; returns the items (through key) or the HTTP
        status; raw, when given, collects each answer's text."""
        items, nxt = [], None
        while True:
            p = list(params) + [("limit", "40")] + ([("next", nxt)] if nxt else [])
            r = request(self.hub.base, API + "collections/%s/%s/" % (coll, endpoint),
                        token=self.setup.tokens[org], params=p)
            self.requests += 1
            if raw is not None:
                raw.append(r.body.decode())
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

    def check_leaks(self, what, raw, visible, org, expected_text):
        """Nothing of a victim in the answer's text: no rewritten value, no
        original id of a rewritten SCO (unless the model shows that string in
        clear elsewhere in the same answer: an address inside another
        organization's networks only, a reference that is not followed)."""
        m = self.model
        hidden = set()
        for v in visible:
            hidden |= m.hidden_strings(org, v)
        text = "".join(raw)
        for h in sorted(hidden):
            if h not in expected_text:
                self.stats["hidden strings"] = self.stats.get("hidden strings", 0) + 1
                if h in text:
                    self.differences.append(("leak", what, h))

    def pseudonymized_ids(self, org):
        """The deterministic ids of the SCOs org is shown pseudonymized in
        some collection (may read it there or not): the originals that must
        never reach org (docs/SHARING.md)."""
        m, out = self.model, set()
        for sid, vs in m.stored.items():
            if sid != sco_id(m.index[sid]):
                continue
            for coll in sorted({v["coll"] for v in vs}):
                mine = all(org in v["subs"] for v in vs if v["coll"] == coll)
                if not mine and m.shown_id(org, coll, sid) != sid:
                    out.add(sid)
                    break
        return out

    def check_original_ids(self, what, raw, org, coll, answered, forbidden):
        """No original id of an SCO org is shown pseudonymized anywhere, in
        any of org's answers; except an id org itself posted (its own
        versions are shown as posted) and an SCO this collection holds
        that org gets in clear here (its submitters here have no network
        around it: it is shown, so its references name it)."""
        m = self.model
        found = set(SCO_ID.findall("".join(raw))) & forbidden
        if not found:
            return
        own = set(SCO_ID.findall(json.dumps([v["body"] for v in answered
                                             if org in v["subs"]])))
        for sid in sorted(found - own):
            here = [v for v in m.stored[sid] if v["coll"] == coll]
            if here and (all(org in v["subs"] for v in here)
                         or m.shown_id(org, coll, sid) == sid):
                continue
            self.differences.append(("original id of an SCO shown pseudonymized", what, sid))

    def check_reads(self):
        m = self.model
        self.unfollowable = []
        half = len(self.orgs) // 2
        for n, org in enumerate(self.orgs):
            if n == half:
                self.rotate()
            forbidden = self.pseudonymized_ids(org)
            self.stats["originals forbidden"] = (
                self.stats.get("originals forbidden", 0) + len(forbidden))
            for coll in self.colls:
                status = m.status(org, coll)

                def expect(v):
                    return m.expect(org, v, self.community, self.identity, self.named)

                def obj_key(o):
                    if o["type"] != "indicator":
                        return canon(o)
                    return (o["id"], o["modified"], o["created_by_ref"], "description" in o)

                def shown(v):
                    """The created_by_ref org sees: its own, named, or the
                    community; the other types: the whole copy."""
                    if v["body"]["type"] != "indicator":
                        return canon(expect(v))
                    named = org in v["subs"] or v["sub"] in self.named
                    return (v["id"], v["modified"], v["creator"] if named else self.community,
                            m.clearance(org, v) >= v["description_level"])

                man_key = lambda o: (o["id"], o["version"])  # noqa: E731
                for what, first in (("objects", False), ("objects first", True)):
                    raw = []
                    params = [("match[version]", "first")] if first else []
                    got = self.paged(org, coll, "objects", params, obj_key, raw)
                    if status != 200:
                        self.differ((what, org, coll), got, status)
                        continue
                    latest = m.latest(org, coll, first=first)
                    want = [shown(v) for v in latest]
                    self.differ((what, org, coll), got, want)
                    copies = [expect(v) for v in latest if v["body"]["type"] != "indicator"]
                    self.check_leaks((what, org, coll), raw, latest, org,
                                     json.dumps(copies))
                    self.check_original_ids((what, org, coll), raw, org, coll, latest,
                                            forbidden)
                    if not first:
                        self.check_refs_of(org, coll, latest, got)
                raw = []
                got = self.paged(org, coll, "manifest", [("match[version]", "all")], man_key, raw)
                if status != 200:
                    self.differ(("manifest all", org, coll), got, status)
                else:
                    seen = m.seen(org, coll)
                    want = [(expect(v)["id"], v["modified"]) for v in seen]
                    self.differ(("manifest all", org, coll), got, want)
                    self.check_leaks(("manifest", org, coll), raw, seen, org,
                                     json.dumps(want))
                    self.check_original_ids(("manifest", org, coll), raw, org, coll, seen,
                                            forbidden)
                if status == 200:
                    # Listing by type is how pseudonymized SCOs are found.
                    want = [shown(v) for v in m.latest(org, coll)
                            if v["body"]["type"] in ADDR_TYPES]
                    self.differ(("match[type] addresses", org, coll),
                                self.paged(org, coll, "objects",
                                           [("match[type]", ",".join(ADDR_TYPES))], obj_key),
                                want)
                ids = sorted({v["id"] for v in m.versions[coll]})
                scos = sorted({v["id"] for v in m.versions[coll] if v["body"]["type"] in ID_PROPS})
                pseudonymized = sorted({v["id"] for v in m.seen(org, coll)
                                        if not m.by_id(org, v)})
                sample = self.rng.sample(ids, 8) + self.rng.sample(scos, 2)
                sample += self.rng.sample(pseudonymized, min(2, len(pseudonymized)))
                for oid in sample:
                    mine = [v for v in m.seen(org, coll) if v["id"] == oid and m.by_id(org, v)]
                    want = status if status != 200 else (
                        [v["modified"] for v in mine] if mine else 404)  # date_added order
                    self.differ(("versions", org, coll, oid),
                                self.paged(org, coll, "objects/%s/versions" % oid, [],
                                           lambda x: x), want)
                    want = status if status != 200 else (
                        [shown(max(mine, key=lambda v: v["modified"]))] if mine else 404)
                    self.differ(("object", org, coll, oid),
                                self.paged(org, coll, "objects/%s" % oid, [], obj_key), want)
                    if status == 200 and not mine and any(
                            v["id"] == oid for v in m.seen(org, coll)):
                        # Seen pseudonymized: neither id selects it.
                        self.stats["not selectable"] = self.stats.get("not selectable", 0) + 1
                        v = [v for v in m.seen(org, coll) if v["id"] == oid][0]
                        self.differ(("match[id] original", org, coll, oid),
                                    self.paged(org, coll, "objects", [("match[id]", oid)],
                                               lambda o: o["id"]), [])
                        pid = expect(v)["id"]
                        self.differ(("object by pseudonymous id", org, coll, pid),
                                    self.paged(org, coll, "objects/%s" % pid, [], obj_key), 404)
                        self.differ(("match[id] pseudonymous", org, coll, pid),
                                    self.paged(org, coll, "objects", [("match[id]", pid)],
                                               lambda o: o["id"]), [])

    def check_refs_of(self, org, coll, latest, got):
        """The references of the copies org reads name the ids under which
        org reads the referenced SCOs of this collection (docs/SHARING.md:
        a reference names the id the reader gets for the object it names),
        checked on the hub's answer itself. A reference that still names
        the original id of an SCO org gets pseudonymized is a failure (a
        UUIDv5 anyone computes from a guessed address). A reference may
        name a pseudonymous id org does not get: the referencing version's
        submitters' networks rewrote it while the SCO's own did not; those
        are counted."""
        m = self.model
        others = [v for v in latest if v["body"]["type"] != "indicator"]
        copies = [json.loads(k) for k in got if isinstance(k, str)]
        if len(others) != len(copies):
            return  # a difference already recorded
        listed = {v["id"]: v for v in latest}
        ids = {o["id"] for o in copies} | {v["id"] for v in latest
                                            if v["body"]["type"] == "indicator"}
        for v, o in zip(others, copies):
            b = v["body"]
            if b["type"] in ID_PROPS and b["id"] == sco_id(b) and o["id"] != sco_id(o):
                self.differences.append(("not the id of its content", org, coll, o))
            for k in ("src_ref", "dst_ref", "object_refs"):
                if k not in b:
                    continue
                before = b[k] if isinstance(b[k], list) else [b[k]]
                after = o.get(k, []) if isinstance(b[k], list) else [o.get(k)]
                for ref, ref_after in zip(before, after):
                    target = listed.get(ref)
                    held = [x for x in m.stored.get(ref, []) if x["coll"] == coll]
                    if (m.stored.get(ref) and not held and org not in v["subs"]
                            and m.ref_after(ref, v["subs"], org, coll) != ref):
                        self.stats["references to SCOs of other collections rewritten"] = (
                            self.stats.get(
                                "references to SCOs of other collections rewritten", 0) + 1)
                    if target is None:
                        continue  # not in this collection, or hidden from org
                    want = m.expect(org, target, self.community, self.identity,
                                    self.named)["id"]
                    if ref_after == want:
                        if target["subs"] != v["subs"]:
                            self.stats["references followed across submitters"] = (
                                self.stats.get("references followed across submitters", 0) + 1)
                        self.stats["references followed"] = (
                            self.stats.get("references followed", 0) + 1)
                        if ref_after not in ids:
                            self.differences.append(("reference not followed", org, coll,
                                                     o["id"], ref_after))
                    elif ref_after == ref and org not in v["subs"]:
                        self.differences.append(("reference names the original", org, coll,
                                                 o["id"], ref, want))
                    elif ref_after not in ids:
                        self.unfollowable.append((org, coll, o["id"], ref_after,
                                                  sorted(v["subs"]), sorted(target["subs"])))

    def test_hub_agrees_with_the_model_for_every_org_and_read_path(self):
        self.build_community()
        self.declare_networks()
        self.oracle_setup()
        self.hub = Hub(self.setup.data)
        self.addCleanup(self.hub.stop)
        r = request(self.hub.base, API + "sharing/", token=self.setup.tokens["org0"])
        self.community = r.json()["objects"][0]["id"]
        self.post_objects()
        self.post_incidents()
        self.post_again()
        self.change_membership()
        self.change_networks()
        self.model.pseudonym = self.learn_pseudonyms()
        self.check_collections()
        self.check_reads()
        total = sum(len(v) for v in self.model.versions.values())
        self.assertGreater(total, 2400 * SCALE)
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
        # Victim privacy: what the reads met.
        addrs = [v for v in vs if v["body"]["type"] in ADDR_TYPES]
        rewritten = [(o, v) for o in self.orgs for v in addrs if o not in v["subs"]
                     and m.visible(o, v) and m.inside(v["body"]["value"], v["subs"])]
        owned = {}
        for o in self.orgs:
            for n in m.networks[o]:
                owned.setdefault(n, set()).add(o)
        clear_foreign = [(o, v) for o in self.orgs for v in addrs if o not in v["subs"]
                         and m.visible(o, v) and not m.inside(v["body"]["value"], v["subs"])
                         and m.inside(v["body"]["value"], set(self.orgs))]
        cosub_nets = [v for v in addrs if len(v["subs"]) > 1
                      and not m.inside(v["body"]["value"], {v["sub"]})
                      and m.inside(v["body"]["value"], v["subs"])]
        random_ids = [(o, v) for o, v in rewritten if v["id"] != sco_id(v["body"])]
        flows = [(o, v) for o in self.orgs for v in vs if v["body"]["type"] == "network-traffic"
                 and o not in v["subs"] and m.visible(o, v) and not m.by_id(o, v)]
        nested = [(a, b) for a in owned for b in owned if a != b and a.version == b.version
                  and a.subnet_of(b)]
        for what, pairs in [("hidden", hidden), ("via parent", via_parent),
                            ("red via group", red_group), ("description cut", cut),
                            ("address pseudonymized", rewritten),
                            ("inside another's network only, clear", clear_foreign),
                            ("network-traffic rewritten", flows),
                            ("random id kept, value pseudonymized", random_ids)]:
            self.assertGreater(len(pairs), 10, what)
        self.assertTrue(nested, "no nested networks")
        self.assertTrue(cosub_nets, "no co-submitter's network widened a version's")
        self.assertTrue(self.rotated)
        for what in ("hidden strings", "references followed", "not selectable",
                     "references followed across submitters", "originals forbidden",
                     "references to SCOs of other collections rewritten",
                     "embedded IPv4 checked"):
            self.assertGreater(self.stats.get(what, 0), 10, what)
        if os.environ.get("FH_SHARING_VERBOSE"):
            print("seed %d: %d versions, %d requests, victims %s, %d co-submitted SCOs "
                  "widening the networks, networks changed %s, %s, %d references "
                  "not followed (the referencing object's submitters differ from the SCO's), "
                  "e.g. %s" % (SEED, total, self.requests, self.kinds, len(cosub_nets),
                               self.changed_networks, self.stats, len(self.unfollowable),
                               self.unfollowable[:1]), file=sys.stderr)
        kinds = {}
        for d in self.differences:
            kind = d[0] if isinstance(d[0], str) else d[0][0]
            kinds[kind] = kinds.get(kind, 0) + 1
        self.assertEqual(self.differences[:5], [], "%d differences (seed %d): %s" % (
            len(self.differences), SEED, kinds))


if __name__ == "__main__":
    unittest.main()
