"""Integration tests of the sharing policy (docs/SHARING.md) on the real
`fenghuo hub`: which organization reads which object through every TAXII
read path, for each TLP level, sharing groups, client organizations and
collection defaults; hidden objects answer exactly as missing ones.
"""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hubtest  # noqa: E402
from hubtest import Hub, Setup, admin, indicator, request  # noqa: E402

API = "/api/"
TLP = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
    "white1": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    "amber1": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    "red1": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
}
EVERYONE = ["sub", "reader", "member", "outsider", "sub_client", "reader_client",
            "member_client", "grandchild"]


class SharingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.setup = s = Setup()
        for name in ["sub", "reader", "member", "outsider"]:
            s.org(name)
        for name, parent in [("sub_client", "sub"), ("reader_client", "reader"),
                             ("member_client", "member"), ("grandchild", "reader_client")]:
            s.orgs[name] = admin(s.data, "org", "add", name, "--parent", parent)
            s.tokens[name] = admin(s.data, "token", "new", name)
        cls.group = admin(s.data, "group", "add", "ops", "member")
        cls.hub = Hub(s.data)
        cls.n = 0

    @classmethod
    def tearDownClass(cls):
        status = cls.hub.stop()
        cls.setup.cleanup()
        assert status == 0, "hub exited with %s" % status

    def collection(self, default_tlp=None):
        SharingTest.n += 1
        cid = admin(self.setup.data, "collection", "add", "s%d" % SharingTest.n,
                    *(["--default-tlp", default_tlp] if default_tlp else []))
        for org, perms in [("sub", "read,write"), ("reader", "read"), ("member", "read,write")]:
            admin(self.setup.data, "grant", cid, org, perms)
        return cid

    def obj(self, markings=None, modified="2026-01-01T00:00:00.000Z", **extra):
        SharingTest.n += 1
        o = indicator(1000 + SharingTest.n, modified=modified)
        if markings:
            o["object_marking_refs"] = markings
        o.update(extra)
        return o

    def post(self, cid, objects, who="sub"):
        r = request(self.hub.base, API + "collections/%s/objects/" % cid, method="POST",
                    token=self.setup.tokens[who], body={"objects": objects})
        self.assertEqual(r.status, 202, r.body)
        self.assertEqual(r.json()["success_count"], len(objects), r.body)
        return r.json()

    def get(self, who, path, params=None):
        return request(self.hub.base, API + path, token=self.setup.tokens[who], params=params)

    def readers_of(self, cid, oid):
        """The organizations for which object-by-id answers 200."""
        seen = set()
        for who in EVERYONE:
            r = self.get(who, "collections/%s/objects/%s/" % (cid, oid))
            if r.status == 200:
                seen.add(who)
            else:
                self.assertEqual(r.status, 404, (who, r.body))
        return seen

    def ids(self, who, cid, **params):
        r = self.get(who, "collections/%s/objects/" % cid, params=list(params.items()))
        if r.status != 200:
            return None
        return [o["id"] for o in (r.json() or {}).get("objects", [])]

    # ---- TLP levels ----------------------------------------------------------

    def test_clear_green_amber_reach_the_audience_and_its_direct_clients(self):
        cid = self.collection()
        for level in ["clear", "green", "amber", "white1", "amber1"]:
            o = self.obj([TLP[level]])
            self.post(cid, [o])
            self.assertEqual(self.readers_of(cid, o["id"]),
                             {"sub", "reader", "member", "sub_client", "reader_client",
                              "member_client"}, level)

    def test_amber_strict_reaches_the_audience_only(self):
        cid = self.collection()
        o = self.obj([TLP["amber+strict"]])
        self.post(cid, [o])
        self.assertEqual(self.readers_of(cid, o["id"]), {"sub", "reader", "member"})

    def test_red_without_group_is_for_the_submitter_alone(self):
        cid = self.collection()
        for level in ["red", "red1"]:
            o = self.obj([TLP[level]])
            self.post(cid, [o])
            self.assertEqual(self.readers_of(cid, o["id"]), {"sub"}, level)

    def test_red_with_group_reaches_members_who_read_not_their_clients(self):
        cid = self.collection()
        o = self.obj([TLP["red"], self.group])
        self.post(cid, [o])
        self.assertEqual(self.readers_of(cid, o["id"]), {"sub", "member"})

    def test_group_narrows_green_to_members_and_their_clients(self):
        cid = self.collection()
        o = self.obj([TLP["green"], self.group])
        self.post(cid, [o])
        self.assertEqual(self.readers_of(cid, o["id"]),
                         {"sub", "sub_client", "member", "member_client"})

    def test_group_membership_changes_apply_to_stored_objects(self):
        cid = self.collection()
        admin(self.setup.data, "group", "add", "late", "member")
        gid = [g["id"] for g in __import__("json").loads(
            admin(self.setup.data, "group", "list", "--json")) if g["name"] == "late"][0]
        o = self.obj([TLP["red"], gid])
        self.post(cid, [o])
        self.assertEqual(self.readers_of(cid, o["id"]), {"sub", "member"})
        out = admin(self.setup.data, "group", "members", "late", "--add", "reader",
                    "--remove", "member")
        self.assertIn("reader", out)
        self.assertNotIn("member", out.split())
        self.assertEqual(self.readers_of(cid, o["id"]), {"sub", "reader"})

    def test_most_restrictive_marking_wins(self):
        cid = self.collection()
        o = self.obj([TLP["clear"], TLP["amber+strict"], TLP["green"]])
        self.post(cid, [o])
        self.assertEqual(self.readers_of(cid, o["id"]), {"sub", "reader", "member"})

    def test_granular_red_marking_withholds_the_whole_object(self):
        cid = self.collection()
        o = self.obj([TLP["green"]], granular_markings=[
            {"marking_ref": TLP["red"], "selectors": ["pattern"]}])
        self.post(cid, [o])
        self.assertEqual(self.readers_of(cid, o["id"]), {"sub"})

    def test_granular_marking_on_an_optional_property_cuts_it_from_lower_readers(self):
        cid = self.collection()
        o = self.obj([TLP["green"]], description="victim: example.net", name="n",
                     granular_markings=[
                         {"marking_ref": TLP["amber+strict"], "selectors": ["description"]},
                         {"marking_ref": TLP["clear"], "selectors": ["name", "description"]}])
        self.post(cid, [o])
        self.assertEqual(self.readers_of(cid, o["id"]),
                         {"sub", "reader", "member", "sub_client", "reader_client",
                          "member_client"})
        path = "collections/%s/objects/%s/" % (cid, o["id"])
        full = self.get("reader", path).json()["objects"][0]
        self.assertEqual(full, o)
        cut = self.get("reader_client", path).json()["objects"][0]
        self.assertNotIn("description", cut)
        self.assertNotIn("granular_markings", cut)  # both markings selected it
        self.assertEqual(cut["name"], "n")
        self.assertEqual(cut["pattern"], o["pattern"])
        p = subprocess.run([hubtest.FENGHUO, "stix", "validate", "-"],
                           input=self.get("reader_client", path).body, capture_output=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_unmarked_objects_take_the_collection_default(self):
        for default, expected in [
                (None, {"sub", "reader", "member", "sub_client", "reader_client",
                        "member_client"}),
                ("amber+strict", {"sub", "reader", "member"}),
                ("red", {"sub"})]:
            cid = self.collection(default)
            o = self.obj()
            self.post(cid, [o])
            self.assertEqual(self.readers_of(cid, o["id"]), expected, default)
            # A marking on the object overrides the default.
            o = self.obj([TLP["clear"]])
            self.post(cid, [o])
            self.assertIn("reader_client", self.readers_of(cid, o["id"]))

    def test_clients_see_the_collection_as_readable(self):
        cid = self.collection()
        r = self.get("reader_client", "collections/%s/" % cid)
        self.assertEqual(r.status, 200, r.body)
        self.assertTrue(r.json()["can_read"])
        self.assertFalse(r.json()["can_write"])
        self.assertEqual(self.get("grandchild", "collections/%s/" % cid).status, 404)
        self.assertEqual(self.get("outsider", "collections/%s/objects/" % cid).status, 404)

    def test_sharing_definitions_show_a_member_its_groups_as_valid_stix(self):
        r = self.get("member", "sharing/")
        self.assertEqual(r.status, 200, r.body)
        objs = r.json()["objects"]
        ext = "extension-definition--752804a7-fda9-4f76-8559-78ce24ae5b51"
        self.assertEqual(objs[0]["type"], "identity")
        self.assertEqual(objs[0]["name"], "fenghuo community")
        self.assertEqual(objs[1]["id"], ext)
        marking = [o for o in objs if o["id"] == self.group]
        self.assertEqual(len(marking), 1)
        self.assertIn(ext, marking[0]["extensions"])
        members = marking[0]["extensions"][ext]["members"]
        self.assertEqual(len(members), 1)
        self.assertTrue(members[0].startswith("identity--"))
        # Groups an organization is not in stay private.
        ids = [o["id"] for o in self.get("outsider", "sharing/").json()["objects"]]
        self.assertEqual(ids, [objs[0]["id"], ext])
        self.assertEqual(request(self.hub.base, API + "sharing/").status, 401)
        # Both objects pass the hub's own STIX validator.
        p = subprocess.run([hubtest.FENGHUO, "stix", "validate", "-"], input=r.body,
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    # ---- submitter anonymity ------------------------------------------------

    def identity(self, org):
        orgs = __import__("json").loads(admin(self.setup.data, "org", "list", "--json"))
        return [o["identity"] for o in orgs if o["name"] == org][0]

    def test_submitters_are_anonymous_to_others_unless_named(self):
        cid = self.collection()
        community = self.get("sub", "sharing/").json()["objects"][0]["id"]
        me, other = self.identity("member"), "identity--5c8b0f2e-6b4a-4f0e-9d61-6d3e3a0f7a11"
        ind = self.obj([TLP["green"]], created_by_ref=me)
        sighting = {"type": "sighting", "spec_version": "2.1",
                    "id": "sighting--6f1e2a3b-0c4d-4e5f-8a9b-0c1d2e3f4a5b",
                    "created": "2026-01-01T00:00:00.000Z",
                    "modified": "2026-01-01T00:00:00.000Z", "created_by_ref": me,
                    "sighting_of_ref": ind["id"], "where_sighted_refs": [me, other],
                    "object_marking_refs": [TLP["green"]]}
        self.post(cid, [ind, sighting], who="member")

        def seen_by(who):
            objs = self.get(who, "collections/%s/objects/" % cid).json()["objects"]
            return {o["type"]: o for o in objs}

        mine = seen_by("member")
        self.assertEqual(mine["indicator"]["created_by_ref"], me)
        self.assertEqual(mine["sighting"]["where_sighted_refs"], [me, other])
        for who in ["sub", "reader", "member_client"]:
            theirs = seen_by(who)
            self.assertEqual(theirs["indicator"]["created_by_ref"], community, who)
            self.assertEqual(theirs["sighting"]["created_by_ref"], community, who)
            self.assertEqual(theirs["sighting"]["where_sighted_refs"], [community, other], who)
            self.assertEqual(theirs["indicator"]["pattern"], ind["pattern"])
            # The same copy every time, and the same through object by id.
            r = self.get(who, "collections/%s/objects/%s/" % (cid, ind["id"]))
            self.assertEqual(r.json()["objects"][0], theirs["indicator"])
            self.assertEqual(seen_by(who), theirs)
        # The rewritten copies are valid STIX.
        body = self.get("reader", "collections/%s/objects/" % cid).body
        p = subprocess.run([hubtest.FENGHUO, "stix", "validate", "-"], input=body,
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        admin(self.setup.data, "org", "set", "member", "--attribution", "named")
        try:
            self.assertEqual(seen_by("reader")["indicator"]["created_by_ref"], me)
        finally:
            admin(self.setup.data, "org", "set", "member", "--attribution", "anonymous")
        self.assertEqual(seen_by("reader")["indicator"]["created_by_ref"], community)

    # ---- audit ----------------------------------------------------------------

    def audit(self, *args):
        return __import__("json").loads(
            admin(self.setup.data, "audit", "--json", *args))

    def test_reads_of_amber_and_above_are_audited(self):
        cid = self.collection()
        green, amber = self.obj([TLP["green"]]), self.obj([TLP["amber"]])
        strict = self.obj([TLP["amber+strict"]])
        self.post(cid, [green, amber, strict])
        before = self.audit("--org", "reader")
        self.get("reader", "collections/%s/objects/" % cid)
        self.get("reader", "collections/%s/manifest/" % cid)
        self.get("reader", "collections/%s/objects/%s/" % (cid, green["id"]))
        self.get("reader_client", "collections/%s/objects/" % cid)
        after = self.audit("--org", "reader")
        new = after[len(before):]
        self.assertEqual(len(new), 2, new)  # the GREEN-only read is not audited
        for rec, path in zip(new, ["objects", "manifest"]):
            self.assertEqual(rec["action"], "read")
            self.assertEqual(rec["org_name"], "reader")
            self.assertEqual(rec["collection"], cid)
            self.assertEqual(rec["endpoint"], "GET /api/collections/%s/%s/" % (cid, path))
            self.assertEqual(sorted(rec["object_ids"]), sorted([amber["id"], strict["id"]]))
            self.assertTrue(rec["token"])
        client = self.audit("--org", "reader_client")
        self.assertEqual(client[-1]["object_ids"], [amber["id"]])
        since = self.audit("--since", after[-1]["time"])
        self.assertEqual(since[0]["seq"], after[-1]["seq"])

    def test_admin_actions_are_audited(self):
        before = len(self.audit())
        admin(self.setup.data, "group", "add", "audited", "reader")
        admin(self.setup.data, "group", "list")
        admin(self.setup.data, "org", "add", "ghost", "--parent", "nobody", check=False)
        new = self.audit()[before:]
        self.assertEqual([r["action"] for r in new], ["admin", "admin"])
        self.assertEqual(new[0]["endpoint"], "cli")
        self.assertIn("group add audited reader (exit 0)", new[0]["detail"])
        self.assertIn("org add ghost", new[1]["detail"])
        self.assertIn("(exit 1)", new[1]["detail"])
        # Over the admin API: the token and the answer are recorded.
        token = admin(self.setup.data, "token", "new", "sub", "--admin")
        r = request(self.hub.base, "/admin/orgs/", method="POST", token=token,
                    body={"name": "via-api"}, accept="application/json",
                    content_type="application/json")
        self.assertEqual(r.status, 200, r.body)
        rec = self.audit("--org", "sub")[-1]
        self.assertEqual(rec["endpoint"], "POST /admin/orgs/")
        self.assertTrue(rec["detail"].startswith("HTTP 200 "), rec)
        self.assertIn("via-api", rec["detail"])

    # ---- hidden is missing ---------------------------------------------------

    def test_hidden_object_answers_like_a_missing_one(self):
        cid = self.collection()
        o = self.obj([TLP["red"]])
        self.post(cid, [o])
        missing = "indicator--00000000-0000-4000-8000-000000000001"
        for path in ["objects/%s/", "objects/%s/versions/"]:
            hidden = self.get("reader", "collections/%s/" % cid + path % o["id"])
            absent = self.get("reader", "collections/%s/" % cid + path % missing)
            self.assertEqual(hidden.status, 404)
            self.assertEqual(hidden.body, absent.body)
        # A writer cannot delete what it may not see: 404, and it stays.
        r = request(self.hub.base, API + "collections/%s/objects/%s/" % (cid, o["id"]),
                    method="DELETE", token=self.setup.tokens["member"])
        r2 = request(self.hub.base, API + "collections/%s/objects/%s/" % (cid, missing),
                     method="DELETE", token=self.setup.tokens["member"])
        self.assertEqual(r.status, 404)
        self.assertEqual(r.body, r2.body)
        self.assertEqual(self.readers_of(cid, o["id"]), {"sub"})

    def test_posting_stored_content_makes_the_poster_a_reader_of_it(self):
        cid = self.collection()
        sco = {"type": "ipv4-addr", "spec_version": "2.1",
               "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "198.51.100.3",
               "object_marking_refs": [TLP["red"]]}
        ind = self.obj([TLP["red"]], created_by_ref=self.identity("sub"))
        other = dict(self.obj([TLP["red"]]), description="different bytes")
        self.post(cid, [sco, ind, other])
        other_mine = dict(other, description="mine")
        for o in (sco, ind, other):
            self.assertEqual(self.readers_of(cid, o["id"]), {"sub"})
        self.post(cid, [sco, ind, other_mine], who="member")
        self.assertEqual(self.readers_of(cid, sco["id"]), {"sub", "member"})
        self.assertEqual(self.readers_of(cid, ind["id"]), {"sub", "member"})
        # A co-submitter sees the object as it posted it.
        r = self.get("member", "collections/%s/objects/%s/" % (cid, ind["id"]))
        self.assertEqual(r.json()["objects"][0], ind)
        # Different bytes under a stored version: nothing changes (known gap).
        self.assertEqual(self.readers_of(cid, other["id"]), {"sub"})

    def test_status_is_for_the_poster_only(self):
        cid = self.collection()
        st = self.post(cid, [self.obj([TLP["clear"]])])
        self.assertEqual(self.get("sub", "status/%s/" % st["id"]).status, 200)
        for who in ["reader", "sub_client", "member"]:
            self.assertEqual(self.get(who, "status/%s/" % st["id"]).status, 404)

    # ---- pages, manifest, versions -----------------------------------------

    def test_pages_count_only_visible_objects(self):
        cid = self.collection()
        objs = [self.obj([TLP[level]]) for level in
                ["green", "red", "clear", "red", "amber+strict", "red", "green"]]
        for o in objs:  # one POST each: distinct date_added, in this order
            self.post(cid, [o])
        visible = [o["id"] for o in objs if o["object_marking_refs"][0] != TLP["red"]]
        client_visible = [o["id"] for o in objs if o["object_marking_refs"][0] in
                          (TLP["green"], TLP["clear"])]
        for who, want in [("reader", visible), ("reader_client", client_visible),
                          ("sub", [o["id"] for o in objs])]:
            for endpoint in ["objects", "manifest"]:
                got, nxt, pages = [], None, 0
                while True:
                    params = [("limit", "2")] + ([("next", nxt)] if nxt else [])
                    r = self.get(who, "collections/%s/%s/" % (cid, endpoint), params=params)
                    self.assertEqual(r.status, 200, r.body)
                    body = r.json()
                    page = [o["id"] for o in body["objects"]]
                    self.assertEqual(len(page), 2 if body["more"] else len(page))
                    got += page
                    pages += 1
                    if endpoint == "manifest":
                        dates = [x["date_added"] for x in body["objects"]]
                        self.assertEqual(r.headers["X-TAXII-Date-Added-First"], dates[0])
                        self.assertEqual(r.headers["X-TAXII-Date-Added-Last"], dates[-1])
                    if not body["more"]:
                        break
                    nxt = body["next"]
                self.assertEqual(got, want, (who, endpoint))
                self.assertEqual(pages, (len(want) + 1) // 2, (who, endpoint))

    def test_versions_are_judged_one_by_one(self):
        cid = self.collection()
        v1 = self.obj([TLP["green"]], modified="2026-01-01T00:00:00.000Z")
        v2 = dict(v1, modified="2026-02-01T00:00:00.000Z", object_marking_refs=[TLP["red"]])
        v3 = dict(v1, modified="2026-03-01T00:00:00.000Z",
                  object_marking_refs=[TLP["amber+strict"]])
        self.post(cid, [v1, v2, v3])
        path = "collections/%s/objects/%s/" % (cid, v1["id"])

        def versions(who):
            r = self.get(who, path + "versions/")
            return r.json().get("versions") if r.status == 200 else r.status

        self.assertEqual(len(versions("sub")), 3)
        self.assertEqual(versions("reader"), ["2026-01-01T00:00:00.000Z",
                                              "2026-03-01T00:00:00.000Z"])
        self.assertEqual(versions("reader_client"), ["2026-01-01T00:00:00.000Z"])
        self.assertEqual(versions("outsider"), 404)
        # The latest version each reader may see.
        latest = {who: self.get(who, path).json()["objects"][0]["modified"]
                  for who in ["sub", "reader", "reader_client"]}
        self.assertEqual(latest, {"sub": "2026-03-01T00:00:00.000Z",
                                  "reader": "2026-03-01T00:00:00.000Z",
                                  "reader_client": "2026-01-01T00:00:00.000Z"})
        r = self.get("reader_client", path, params=[("match[version]", "last")])
        self.assertEqual([o["modified"] for o in r.json()["objects"]],
                         ["2026-01-01T00:00:00.000Z"])
        r = self.get("reader_client", path,
                     params=[("match[version]", "2026-02-01T00:00:00.000Z")])
        self.assertEqual(r.status, 404)
        ids = self.ids("reader_client", cid, **{"match[version]": "all"})
        self.assertEqual(ids, [v1["id"]])


if __name__ == "__main__":
    unittest.main()
