"""Integration tests: the real `fenghuo hub` on 127.0.0.1 with a temporary
data folder, driven over HTTP as a TAXII 2.1 client would (TAXII 2.1
sections 3, 4 and 5). One hub serves the tests of a class; each test uses
its own collection so tests do not see each other's objects.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hubtest  # noqa: E402
from hubtest import TAXII, Hub, Setup, indicator, request  # noqa: E402

API = "/api/"


class HubTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.setup = Setup()
        cls.alice = cls.setup.org("alice")  # reads and writes
        cls.bob = cls.setup.org("bob")      # reads only
        cls.carol = cls.setup.org("carol")  # no grant at all
        cls.hub = Hub(cls.setup.data, "--max-content-length", "64K")
        cls.n = 0

    @classmethod
    def tearDownClass(cls):
        status = cls.hub.stop()
        cls.setup.cleanup()
        assert status == 0, "hub exited with %s after SIGTERM" % status

    def new_collection(self):
        HubTest.n += 1
        return self.setup.collection("c%d" % HubTest.n,
                                     {"alice": "read,write", "bob": "read"})

    def get(self, path, token=None, **kw):
        return request(self.hub.base, path, token=token or self.alice, **kw)

    def post(self, cid, objects, token=None, **kw):
        return request(self.hub.base, API + "collections/%s/objects/" % cid, method="POST",
                       token=token or self.alice, body={"objects": objects}, **kw)

    def assertError(self, r, status):
        self.assertEqual(r.status, status, r.body)
        self.assertEqual(r.headers["Content-Type"], TAXII)
        body = r.json()
        self.assertIn("title", body)
        self.assertEqual(body["http_status"], str(status))

    # ---- server information (section 4) ------------------------------------

    def test_discovery_needs_no_credentials(self):
        r = request(self.hub.base, "/taxii2/")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers["Content-Type"], TAXII)
        d = r.json()
        self.assertEqual(d["api_roots"], [API])
        self.assertEqual(d["default"], API)
        self.assertIn("title", d)

    def test_api_root_reports_versions_and_max_content_length(self):
        d = self.get(API).json()
        self.assertEqual(d["versions"], [TAXII])
        self.assertEqual(d["max_content_length"], 64 * 1024)

    def test_missing_credentials_get_401_with_challenge(self):
        r = request(self.hub.base, API)
        self.assertError(r, 401)
        self.assertIn("Basic", r.headers["WWW-Authenticate"])

    def test_unknown_token_gets_401(self):
        self.assertError(request(self.hub.base, API, token="0" * 64), 401)

    def test_basic_auth_with_token_as_password(self):
        r = request(self.hub.base, API, basic=("anyone", self.alice))
        self.assertEqual(r.status, 200)
        self.assertError(request(self.hub.base, API, basic=("anyone", "wrong")), 401)

    def test_revoked_token_gets_401(self):
        tok = hubtest.admin(self.setup.data, "token", "new", "alice")
        self.assertEqual(self.get(API, token=tok).status, 200)
        tid = [t["id"] for t in json.loads(
            hubtest.admin(self.setup.data, "token", "list", "--json")) if t["revoked"] is None][-1]
        hubtest.admin(self.setup.data, "token", "revoke", tid)
        self.assertError(self.get(API, token=tok), 401)

    def test_accept_negotiation(self):
        self.assertError(self.get(API, accept="application/json"), 406)
        self.assertError(self.get(API, accept="application/taxii+json;version=2.0"), 406)
        self.assertEqual(self.get(API, accept="application/taxii+json").status, 200)
        self.assertEqual(self.get(API, accept="text/html, */*;q=0.8").status, 200)
        self.assertEqual(self.get(API, accept=None).status, 200)

    def test_unknown_paths_and_methods(self):
        self.assertError(self.get(API + "nothing/"), 404)
        self.assertError(self.get("/api"), 404)
        self.assertError(self.get(API + "collections"), 404)
        r = self.get(API + "collections/", method="PUT")
        self.assertError(r, 405)
        self.assertIn("GET", r.headers["Allow"])

    def test_status_of_unknown_id_is_404(self):
        self.assertError(self.get(API + "status/2d086da7-4bdc-4f91-900e-d77486753710/"), 404)

    # ---- collections (5.1, 5.2) ---------------------------------------------

    def test_collections_list_what_the_caller_may_use(self):
        cid = self.new_collection()
        mine = {c["id"]: c for c in self.get(API + "collections/").json()["collections"]}
        self.assertTrue(mine[cid]["can_read"] and mine[cid]["can_write"])
        bobs = {c["id"]: c for c in
                self.get(API + "collections/", token=self.bob).json()["collections"]}
        self.assertTrue(bobs[cid]["can_read"])
        self.assertFalse(bobs[cid]["can_write"])
        # Carol has no grant: she sees only the hub's built-in consensus
        # collection, which every organization reads and none writes.
        carols = self.get(API + "collections/", token=self.carol).json()["collections"]
        self.assertEqual([(c["title"], c["can_read"], c["can_write"]) for c in carols],
                         [("consensus", True, False)])

    def test_collection_resource(self):
        cid = self.new_collection()
        c = self.get(API + "collections/%s/" % cid).json()
        self.assertEqual(c["id"], cid)
        self.assertEqual(c["media_types"], ["application/stix+json;version=2.1"])
        self.assertError(self.get(API + "collections/%s/" % cid, token=self.carol), 404)
        self.assertError(
            self.get(API + "collections/00000000-0000-4000-8000-000000000000/"), 404)
        self.assertError(self.get(API + "collections/not-a-uuid/"), 404)

    # ---- add objects (5.5) and status (4.3) -----------------------------------

    def test_post_stores_valid_and_reports_invalid(self):
        cid = self.new_collection()
        r = self.post(cid, [indicator(1), {"type": "indicator", "id": "nope"}])
        self.assertEqual(r.status, 202, r.body)
        st = r.json()
        self.assertEqual(st["status"], "complete")
        self.assertEqual(st["total_count"], 2)
        self.assertEqual(st["success_count"], 1)
        self.assertEqual(st["failure_count"], 1)
        self.assertEqual(st["pending_count"], 0)
        self.assertEqual(st["successes"][0], {"id": indicator(1)["id"],
                                              "version": "2026-01-01T00:00:00.000Z"})
        self.assertTrue(st["failures"][0]["message"])
        again = self.get(API + "status/%s/" % st["id"])
        self.assertEqual(again.status, 200)
        self.assertEqual(again.json(), st)
        # Only the poster's organization reads a status.
        self.assertError(self.get(API + "status/%s/" % st["id"], token=self.bob), 404)

    def test_post_same_version_twice_stores_once(self):
        cid = self.new_collection()
        for _ in range(2):
            st = self.post(cid, [indicator(1)]).json()
            self.assertEqual(st["success_count"], 1)
        m = self.get(API + "collections/%s/manifest/" % cid,
                     params=[("match[version]", "all")]).json()
        self.assertEqual(len(m["objects"]), 1)

    def test_post_needs_taxii_content_type(self):
        cid = self.new_collection()
        r = request(self.hub.base, API + "collections/%s/objects/" % cid, method="POST",
                    token=self.alice, body={"objects": [indicator(1)]},
                    content_type="application/json")
        self.assertError(r, 415)

    def test_post_over_max_content_length_is_413(self):
        cid = self.new_collection()
        big = [indicator(i) for i in range(300)]  # about 100 KB
        self.assertError(self.post(cid, big), 413)

    def test_post_bundle_or_garbage_is_422(self):
        cid = self.new_collection()
        url = API + "collections/%s/objects/" % cid
        bundle = {"type": "bundle", "id": "bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                  "objects": [indicator(1)]}
        self.assertError(request(self.hub.base, url, method="POST", token=self.alice,
                                 body=bundle), 422)
        self.assertError(request(self.hub.base, url, method="POST", token=self.alice,
                                 body=b"{not json"), 422)

    def test_post_without_write_permission_is_403(self):
        cid = self.new_collection()
        self.assertError(self.post(cid, [indicator(1)], token=self.bob), 403)
        self.assertError(self.post(cid, [indicator(1)], token=self.carol), 404)

    def test_objects_come_back_semantically_identical(self):
        cid = self.new_collection()
        o = indicator(7)
        o["x_note"] = "烽火 \u00e9 \"quoted\""
        o["labels"] = ["a", "b"]
        self.post(cid, [o])
        got = self.get(API + "collections/%s/objects/" % cid).json()["objects"]
        self.assertEqual(got, [o])

    def test_objects_stored_as_posted_from_any_envelope_layout(self):
        cid = self.new_collection()
        a, b = indicator(1), indicator(2)
        b["x_esc"] = "quote \" brace } bracket ] \\ \u00e9"
        b["x_nested"] = {"list": [1, 2.5, {"k": [True, False, None]}], "s": "[{"}
        # "more" before "objects", pretty-printed, an escaped key inside an object.
        body = ('{\n  "more" : false ,\n  "objects" : [\n    ' + json.dumps(a, indent=2) +
                ' ,\n' + json.dumps(b).replace('"x_esc"', '"x_\\u0065sc"') + '\n ]\n}\n')
        r = request(self.hub.base, API + "collections/%s/objects/" % cid, method="POST",
                    token=self.alice, body=body.encode())
        self.assertEqual(r.status, 202, r.body)
        got = self.get(API + "collections/%s/objects/" % cid).json()["objects"]
        self.assertEqual(got, [a, b])
        # The key "objects" itself written with an escape: still stored right.
        cid2 = self.new_collection()
        body2 = '{"obj\\u0065cts": [' + json.dumps(a) + ']}'
        r = request(self.hub.base, API + "collections/%s/objects/" % cid2, method="POST",
                    token=self.alice, body=body2.encode())
        self.assertEqual(r.status, 202, r.body)
        self.assertEqual(self.get(API + "collections/%s/objects/" % cid2).json()["objects"], [a])

    # ---- get objects, filters, pagination (5.4, 3.4, 3.5) --------------------

    def test_empty_collection_gives_empty_envelope(self):
        cid = self.new_collection()
        r = self.get(API + "collections/%s/objects/" % cid)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json(), {})
        self.assertEqual(self.get(API + "collections/%s/manifest/" % cid).json(), {})

    def test_bob_reads_carol_cannot(self):
        cid = self.new_collection()
        self.post(cid, [indicator(1)])
        self.assertEqual(len(self.get(API + "collections/%s/objects/" % cid,
                                      token=self.bob).json()["objects"]), 1)
        self.assertError(self.get(API + "collections/%s/objects/" % cid, token=self.carol), 404)

    def test_write_only_grant_cannot_read(self):
        cid = self.setup.collection("wo", {"carol": "write"})
        self.assertEqual(self.post(cid, [indicator(1)], token=self.carol).status, 202)
        self.assertError(self.get(API + "collections/%s/objects/" % cid, token=self.carol), 403)
        self.assertError(self.get(API + "collections/%s/manifest/" % cid, token=self.carol),
                         403)

    def test_paging_with_next_visits_every_object_once(self):
        cid = self.new_collection()
        self.post(cid, [indicator(i) for i in range(25)])
        seen, params, pages = [], [("limit", "10")], 0
        while pages < 10:
            r = self.get(API + "collections/%s/objects/" % cid, params=params)
            self.assertEqual(r.status, 200, r.body)
            env = r.json()
            seen += [o["id"] for o in env.get("objects", [])]
            pages += 1
            self.assertLessEqual(len(env.get("objects", [])), 10)
            if not env["more"]:
                self.assertNotIn("next", env)
                break
            params = [("limit", "10"), ("next", env["next"])]
        self.assertEqual(pages, 3)
        self.assertEqual(sorted(seen), sorted(indicator(i)["id"] for i in range(25)))

    def test_paging_with_added_after_and_headers(self):
        cid = self.new_collection()
        self.post(cid, [indicator(i) for i in range(5)])
        self.post(cid, [indicator(i) for i in range(5, 9)])
        seen, after = [], None
        for _ in range(10):
            params = [("limit", "3")] + ([("added_after", after)] if after else [])
            r = self.get(API + "collections/%s/objects/" % cid, params=params)
            env = r.json()
            if "objects" not in env:
                self.assertNotIn("X-TAXII-Date-Added-First", r.headers)
                break
            first = r.headers["X-TAXII-Date-Added-First"]
            last = r.headers["X-TAXII-Date-Added-Last"]
            self.assertLessEqual(first, last)
            if after:
                self.assertGreater(first, after)
            seen += [o["id"] for o in env["objects"]]
            after = last
        self.assertEqual(len(seen), 9)
        self.assertEqual(len(set(seen)), 9)

    def test_manifest_dates_are_strictly_increasing(self):
        cid = self.new_collection()
        self.post(cid, [indicator(i) for i in range(20)])
        r = self.get(API + "collections/%s/manifest/" % cid)
        recs = r.json()["objects"]
        dates = [m["date_added"] for m in recs]
        self.assertEqual(r.headers["X-TAXII-Date-Added-First"], dates[0])
        self.assertEqual(r.headers["X-TAXII-Date-Added-Last"], dates[-1])
        head = self.get(API + "collections/%s/manifest/" % cid, method="HEAD")
        self.assertEqual(head.status, 200)
        self.assertEqual(head.body, b"")
        self.assertEqual(head.headers["X-TAXII-Date-Added-Last"], dates[-1])
        self.assertEqual(dates, sorted(set(dates)))
        self.assertRegex(dates[0], r"\.\d{6}Z$")
        for m in recs:
            self.assertEqual(m["media_type"], "application/stix+json;version=2.1")
            self.assertEqual(m["version"], "2026-01-01T00:00:00.000Z")

    def test_next_with_other_filters_is_400(self):
        cid = self.new_collection()
        self.post(cid, [indicator(i) for i in range(5)])
        env = self.get(API + "collections/%s/objects/" % cid,
                       params=[("limit", "2")]).json()
        self.assertTrue(env["more"])
        r = self.get(API + "collections/%s/objects/" % cid,
                     params=[("limit", "2"), ("next", env["next"]),
                             ("match[type]", "malware")])
        self.assertError(r, 400)
        forged = ("0" if env["next"][0] != "0" else "1") + env["next"][1:]
        self.assertError(self.get(API + "collections/%s/objects/" % cid,
                                  params=[("next", forged)]), 400)
        # A next token is bound to its collection too.
        other = self.new_collection()
        self.assertError(self.get(API + "collections/%s/objects/" % other,
                                  params=[("limit", "2"), ("next", env["next"])]), 400)

    def test_match_type_and_id_with_several_values(self):
        cid = self.new_collection()
        ip = {"type": "ipv4-addr", "spec_version": "2.1",
              "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "198.51.100.3"}
        self.post(cid, [indicator(1), indicator(2), ip])
        url = API + "collections/%s/objects/" % cid
        got = self.get(url, params=[("match[type]", "ipv4-addr")]).json()["objects"]
        self.assertEqual([o["id"] for o in got], [ip["id"]])
        got = self.get(url, params=[("match[type]", "indicator,ipv4-addr")]).json()["objects"]
        self.assertEqual(len(got), 3)
        ids = "%s,%s" % (indicator(2)["id"], ip["id"])
        got = self.get(url, params=[("match[id]", ids)]).json()["objects"]
        self.assertEqual(sorted(o["id"] for o in got), sorted([indicator(2)["id"], ip["id"]]))
        got = self.get(url, params=[("match[spec_version]", "2.0")]).json()
        self.assertNotIn("objects", got)
        got = self.get(url, params=[("match[spec_version]", "2.1")]).json()["objects"]
        self.assertEqual(len(got), 3)

    def test_match_version(self):
        cid = self.new_collection()
        v = ["2026-01-0%dT00:00:00.000Z" % d for d in (1, 2, 3)]
        self.post(cid, [indicator(1, v[1]), indicator(1, v[0]), indicator(1, v[2])])
        url = API + "collections/%s/objects/" % cid

        def versions(value=None):
            params = [("match[version]", value)] if value else []
            return sorted(o["modified"] for o in self.get(url, params=params).json()["objects"])

        self.assertEqual(versions(), [v[2]])
        self.assertEqual(versions("last"), [v[2]])
        self.assertEqual(versions("first"), [v[0]])
        self.assertEqual(versions("all"), v)
        self.assertEqual(versions("first,last"), [v[0], v[2]])
        self.assertEqual(versions("2026-01-02T00:00:00Z"), [v[1]])
        self.assertEqual(versions("first,2026-01-02T00:00:00.000Z"), [v[0], v[1]])

    def test_malformed_filters_are_400(self):
        cid = self.new_collection()
        url = API + "collections/%s/objects/" % cid
        for params in ([("limit", "0")], [("limit", "-1")], [("limit", "ten")],
                       [("limit", "1"), ("limit", "2")],
                       [("added_after", "yesterday")],
                       [("added_after", "2026-01-01T00:00:00+01:00")],
                       [("match[version]", "all,first")],
                       [("match[version]", "first,first")],
                       [("match[version]", "newest")],
                       [("match[type]", "indicator,,malware")],
                       [("match[type]", "a"), ("match[type]", "b")],
                       [("next", "abc")]):
            self.assertError(self.get(url, params=params), 400)
        # Unknown match fields and parameters are ignored, as the spec allows.
        self.assertEqual(self.get(url, params=[("match[color]", "red"), ("x", "1")]).status,
                         200)

    def test_limit_larger_than_server_maximum_is_capped(self):
        cid = self.new_collection()
        self.post(cid, [indicator(i) for i in range(3)])
        env = self.get(API + "collections/%s/objects/" % cid,
                       params=[("limit", "100000")]).json()
        self.assertEqual(len(env["objects"]), 3)
        self.assertFalse(env["more"])

    # ---- one object, versions, delete (5.6, 5.7, 5.8) ------------------------

    def test_get_object_and_versions(self):
        cid = self.new_collection()
        v = ["2026-01-0%dT00:00:00.000Z" % d for d in (1, 2)]
        oid = indicator(1)["id"]
        self.post(cid, [indicator(1, v[0])])
        self.post(cid, [indicator(1, v[1]), indicator(2)])
        url = API + "collections/%s/objects/%s/" % (cid, oid)
        r = self.get(url)
        self.assertEqual(r.status, 200)
        self.assertIn("X-TAXII-Date-Added-Last", r.headers)
        self.assertEqual([o["modified"] for o in r.json()["objects"]], [v[1]])
        got = self.get(url, params=[("match[version]", "all")]).json()["objects"]
        self.assertEqual([o["modified"] for o in got], v)
        r = self.get(url + "versions/")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json(), {"more": False, "versions": v})
        self.assertIn("X-TAXII-Date-Added-First", r.headers)
        r = self.get(url + "versions/", params=[("limit", "1")]).json()
        self.assertEqual(r["versions"], [v[0]])
        self.assertTrue(r["more"])
        r2 = self.get(url + "versions/", params=[("limit", "1"), ("next", r["next"])]).json()
        self.assertEqual(r2["versions"], [v[1]])
        missing = API + "collections/%s/objects/indicator--%s/" % (
            cid, "00000000-0000-4000-8000-000000000000")
        self.assertError(self.get(missing), 404)
        self.assertError(self.get(missing + "versions/"), 404)
        self.assertError(self.get(url, params=[("match[version]", "2020-01-01T00:00:00Z")]),
                         404)

    def test_delete_version_then_object(self):
        cid = self.new_collection()
        v = ["2026-01-0%dT00:00:00.000Z" % d for d in (1, 2)]
        oid = indicator(1)["id"]
        self.post(cid, [indicator(1, v[0]), indicator(1, v[1])])
        url = API + "collections/%s/objects/%s/" % (cid, oid)
        self.assertError(self.get(url, method="DELETE", token=self.bob), 403)
        r = self.get(url, method="DELETE", params=[("match[version]", v[1])])
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.headers["Content-Type"], TAXII)
        self.assertError(self.get(url, params=[("match[version]", v[1])]), 404)
        self.assertEqual([o["modified"] for o in self.get(url).json()["objects"]], [v[0]])
        self.assertEqual(self.get(url, method="DELETE").status, 200)
        self.assertError(self.get(url), 404)
        self.assertError(self.get(url, method="DELETE"), 404)
        m = self.get(API + "collections/%s/manifest/" % cid).json()
        self.assertNotIn("objects", m)


class HubLifecycleTest(unittest.TestCase):
    def setUp(self):
        self.setup = Setup()
        self.addCleanup(self.setup.cleanup)
        self.token = self.setup.org("acme")
        self.cid = self.setup.collection("c", {"acme": "read,write"})

    def run_hub(self, *args):
        return subprocess.run([hubtest.FENGHUO, "hub", *args], capture_output=True, text=True,
                              timeout=60)

    def test_next_token_survives_restart(self):
        hub = Hub(self.setup.data)
        try:
            url = API + "collections/%s/objects/" % self.cid
            request(hub.base, url, method="POST", token=self.token,
                    body={"objects": [indicator(i) for i in range(4)]})
            env = request(hub.base, url, token=self.token, params=[("limit", "2")]).json()
        finally:
            self.assertEqual(hub.stop(), 0)
        hub = Hub(self.setup.data)
        try:
            env2 = request(hub.base, url, token=self.token,
                           params=[("limit", "2"), ("next", env["next"])]).json()
            self.assertEqual(len(env2["objects"]), 2)
            self.assertFalse(env2["more"])
            first = {o["id"] for o in env["objects"]}
            self.assertFalse(first & {o["id"] for o in env2["objects"]})
        finally:
            self.assertEqual(hub.stop(), 0)

    def test_port_taken_is_a_clear_error(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        try:
            p = self.run_hub("--data", self.setup.data, "--listen",
                             "127.0.0.1:%d" % s.getsockname()[1])
        finally:
            s.close()
        self.assertEqual(p.returncode, 2)
        self.assertIn("Address already in use", p.stderr)

    def test_unusable_data_folder_is_a_clear_error(self):
        path = os.path.join(self.setup.tmp, "afile")
        with open(path, "w") as f:
            f.write("x")
        p = self.run_hub("--data", path, "--listen", "127.0.0.1:0")
        self.assertEqual(p.returncode, 2)
        self.assertIn("data folder", p.stderr)

    def test_plain_http_off_loopback_is_refused(self):
        p = self.run_hub("--data", self.setup.data, "--listen", "0.0.0.0:0")
        self.assertEqual(p.returncode, 2)
        self.assertIn("--tls-cert", p.stderr)

    @unittest.skipUnless(shutil.which("openssl"), "openssl is needed to make a certificate")
    def test_tls(self):
        cert = os.path.join(self.setup.tmp, "cert.pem")
        key = os.path.join(self.setup.tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                        "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key, "-out", cert], check=True, capture_output=True,
                       timeout=60)
        hub = Hub(self.setup.data, "--tls-cert", cert, "--tls-key", key)
        try:
            self.assertTrue(hub.base.startswith("https://"))
            r = request(hub.base, API, token=self.token, cafile=cert)
            self.assertEqual(r.status, 200)
            self.assertEqual(r.json()["versions"], [TAXII])
            # The CLI client (libcurl, GnuTLS) against it: trusted, insecure, untrusted.
            path = os.path.join(self.setup.tmp, "one.json")
            with open(path, "w") as f:
                json.dump(indicator(1), f)
            base = [hubtest.FENGHUO, "submit", "--hub", hub.base, "--token", self.token,
                    "--collection", self.cid, "--quiet"]
            p = subprocess.run(base + ["--cacert", cert, path], capture_output=True, text=True,
                               timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            get = [hubtest.FENGHUO, "get", "--hub", hub.base, "--token", self.token,
                   "--collection", self.cid]
            p = subprocess.run(get + ["--insecure"], capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(json.loads(p.stdout)["id"], indicator(1)["id"])
            p = subprocess.run(get, capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 2)
        finally:
            self.assertEqual(hub.stop(), 0)
        p = self.run_hub("--data", self.setup.data, "--listen", "127.0.0.1:0",
                         "--tls-cert", cert)
        self.assertEqual(p.returncode, 2)

    def test_usage_errors(self):
        self.assertEqual(self.run_hub().returncode, 2)
        self.assertEqual(self.run_hub("--data", self.setup.data, "--listen", "nope").returncode,
                         2)
        p = self.run_hub("--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("--listen", p.stdout)


if __name__ == "__main__":
    unittest.main()
