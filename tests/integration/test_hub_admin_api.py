"""Integration tests: the hub's admin API (/admin/..., JSON, admin tokens)
on the real hub."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hubtest  # noqa: E402
from hubtest import Hub, Setup, indicator, request  # noqa: E402


class AdminApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.setup = Setup()
        hubtest.admin(cls.setup.data, "org", "add", "ops")
        cls.admin_token = hubtest.admin(cls.setup.data, "token", "new", "ops", "--admin")
        cls.user_token = hubtest.admin(cls.setup.data, "token", "new", "ops")
        cls.hub = Hub(cls.setup.data)

    @classmethod
    def tearDownClass(cls):
        status = cls.hub.stop()
        cls.setup.cleanup()
        assert status == 0, status

    def call(self, method, path, body=None, token=None):
        return request(self.hub.base, path, method=method, token=token or self.admin_token,
                       body=body, content_type="application/json", accept="application/json")

    def test_needs_credentials_and_an_admin_token(self):
        r = request(self.hub.base, "/admin/orgs/", accept="application/json")
        self.assertEqual(r.status, 401)
        self.assertIn("WWW-Authenticate", r.headers)
        r = self.call("GET", "/admin/orgs/", token=self.user_token)
        self.assertEqual(r.status, 403)
        self.assertEqual(r.json()["http_status"], "403")

    def test_manage_a_member_remotely(self):
        r = self.call("POST", "/admin/orgs/", {"name": "member1"})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.headers["Content-Type"], "application/json")
        org_id = r.json()["id"]
        self.assertEqual(self.call("POST", "/admin/orgs/", {"name": "member1"}).status, 409)
        names = [o["name"] for o in self.call("GET", "/admin/orgs/").json()]
        self.assertIn("member1", names)
        tok = self.call("POST", "/admin/tokens/", {"org": org_id, "label": "api"}).json()
        self.assertRegex(tok["token"], r"^[0-9a-f]{64}$")
        listed = self.call("GET", "/admin/tokens/").json()
        self.assertIn(tok["id"], [t["id"] for t in listed])
        self.assertNotIn(tok["token"], json.dumps(listed))
        cid = self.call("POST", "/admin/collections/", {"title": "remote"}).json()["id"]
        self.assertIn(cid, [c["id"] for c in self.call("GET", "/admin/collections/").json()])
        r = self.call("PUT", "/admin/collections/%s/grants/member1/" % cid,
                      {"read": True, "write": True})
        self.assertEqual(r.status, 204, r.body)
        # The new member can now use TAXII with its new token.
        r = request(self.hub.base, "/api/collections/%s/objects/" % cid, method="POST",
                    token=tok["token"], body={"objects": [indicator(1)]})
        self.assertEqual(r.status, 202, r.body)
        self.assertEqual(self.call("DELETE", "/admin/collections/%s/grants/member1/" % cid)
                         .status, 204)
        r = request(self.hub.base, "/api/collections/%s/" % cid, token=tok["token"])
        self.assertEqual(r.status, 404)
        self.assertEqual(self.call("DELETE", "/admin/tokens/%s/" % tok["id"]).status, 204)
        self.assertEqual(request(self.hub.base, "/api/", token=tok["token"]).status, 401)
        self.assertEqual(self.call("DELETE", "/admin/tokens/%s/" % tok["id"]).status, 404)

    def test_bad_bodies_and_paths(self):
        self.assertEqual(self.call("POST", "/admin/orgs/", b"[1,2]").status, 400)
        self.assertEqual(self.call("POST", "/admin/orgs/", b"{nope").status, 400)
        self.assertEqual(self.call("POST", "/admin/orgs/", {"nom": "x"}).status, 400)
        self.assertEqual(self.call("POST", "/admin/collections/", {"title": "t", "id": "x"})
                         .status, 400)
        self.assertEqual(self.call("GET", "/admin/nothing/").status, 404)
        self.assertEqual(self.call("GET", "/admin/orgs").status, 404)


    def test_sharing_policy_settings_over_http(self):
        for name in ["ministry", "unit"]:
            self.assertEqual(self.call("POST", "/admin/orgs/", {"name": name}).status, 200)
        r = self.call("PUT", "/admin/orgs/unit/", {"parent": "ministry", "attribution": "named"})
        self.assertEqual(r.status, 204, r.body)
        orgs = {o["name"]: o for o in self.call("GET", "/admin/orgs/").json()}
        self.assertEqual(orgs["unit"]["parent"], "ministry")
        self.assertTrue(orgs["unit"]["named"])
        self.assertFalse(orgs["ministry"]["named"])
        self.assertEqual(self.call("PUT", "/admin/orgs/unit/", {"parent": None}).status, 204)
        orgs = {o["name"]: o for o in self.call("GET", "/admin/orgs/").json()}
        self.assertIsNone(orgs["unit"]["parent"])
        self.assertEqual(self.call("PUT", "/admin/orgs/unit/", {"attribution": "x"}).status, 400)
        self.assertEqual(self.call("PUT", "/admin/orgs/nobody/", {"parent": None}).status, 404)

        cid = self.call("POST", "/admin/collections/", {"title": "tlp"}).json()["id"]
        r = self.call("PUT", "/admin/collections/%s/" % cid, {"default_tlp": "amber+strict"})
        self.assertEqual(r.status, 204, r.body)
        colls = {c["id"]: c for c in self.call("GET", "/admin/collections/").json()}
        self.assertEqual(colls[cid]["default_tlp"], "amber+strict")
        r = self.call("PUT", "/admin/collections/%s/" % cid, {"default_tlp": "pink"})
        self.assertEqual(r.status, 400)

        r = self.call("POST", "/admin/groups/", {"name": "cell", "members": ["ministry"]})
        self.assertEqual(r.status, 200, r.body)
        gid = r.json()["id"]
        self.assertTrue(gid.startswith("marking-definition--"))
        r = self.call("PUT", "/admin/groups/cell/members/", {"add": ["unit"],
                                                             "remove": ["ministry"]})
        self.assertEqual(r.status, 204, r.body)
        groups = {g["name"]: g for g in self.call("GET", "/admin/groups/").json()}
        self.assertEqual([m["name"] for m in groups["cell"]["members"]], ["unit"])
        self.assertEqual(groups["cell"]["marking_definition"]["id"], gid)
        self.assertEqual(self.call("POST", "/admin/groups/", {"name": "cell"}).status, 409)

        audit = self.call("GET", "/admin/audit/").json()
        self.assertIn("PUT /admin/groups/cell/members/", [a["endpoint"] for a in audit])
        r = request(self.hub.base, "/admin/audit/", token=self.admin_token,
                    accept="application/json", params=[("org", "nobody")])
        self.assertEqual(r.status, 404)
        r = request(self.hub.base, "/admin/audit/", token=self.admin_token,
                    accept="application/json", params=[("since", "2100-01-01T00:00:00Z")])
        self.assertEqual(r.json(), [])
        self.assertEqual(self.call("GET", "/admin/audit/", token=self.user_token).status, 403)


if __name__ == "__main__":
    unittest.main()
