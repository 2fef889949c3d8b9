"""Integration test: a data folder of schema version 1 (before the sharing
policy) is migrated to version 2 on open, and its objects get their TLP from
their object_marking_refs (AMBER when none), so the policy applies to them
at once (docs/SHARING.md, "Not yet": objects of version 1 have no recorded
submitter). The version 1 database is made here with Python's sqlite3 from
the schema text of lib/store/store.c's first migration.
"""
import json
import os
import sqlite3
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hubtest import Hub, Setup, admin, indicator, request  # noqa: E402

SCHEMA_V1 = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE orgs(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,
  identity TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE tokens(id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs(id),
  label TEXT, admin INTEGER NOT NULL, hash BLOB NOT NULL UNIQUE, created TEXT NOT NULL,
  revoked TEXT);
CREATE TABLE collections(n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL, description TEXT, created TEXT NOT NULL,
  last_added INTEGER NOT NULL DEFAULT 0);
CREATE TABLE grants(coll INTEGER NOT NULL REFERENCES collections(n),
  org_id TEXT NOT NULL REFERENCES orgs(id), can_read INTEGER NOT NULL,
  can_write INTEGER NOT NULL, PRIMARY KEY(coll, org_id)) WITHOUT ROWID;
CREATE TABLE objects(seq INTEGER PRIMARY KEY, coll INTEGER NOT NULL, id TEXT NOT NULL,
  type TEXT NOT NULL, spec_version TEXT NOT NULL, version TEXT NOT NULL,
  vkey TEXT NOT NULL, date_added INTEGER NOT NULL, is_first INTEGER NOT NULL,
  is_last INTEGER NOT NULL, digest BLOB NOT NULL, body TEXT NOT NULL);
CREATE UNIQUE INDEX objects_version ON objects(coll, id, vkey);
CREATE UNIQUE INDEX objects_added ON objects(coll, date_added);
CREATE INDEX objects_type ON objects(coll, type, date_added);
CREATE TABLE statuses(id TEXT PRIMARY KEY, org_id TEXT NOT NULL,
  created INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX statuses_created ON statuses(created);
"""
CID = "11111111-2222-4333-8444-555555555555"
MARKINGS = {
    "none": [],
    "white1": ["marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"],
    "green2": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],
    "strict": ["marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
               "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],
    "red1": ["marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"],
}


class MigrationTest(unittest.TestCase):
    def test_version_1_objects_get_their_tlp(self):
        setup = Setup()
        self.addCleanup(setup.cleanup)
        os.makedirs(setup.data)
        db = sqlite3.connect(os.path.join(setup.data, "fenghuo.db"))
        db.executescript(SCHEMA_V1)
        db.execute("INSERT INTO collections(n, id, title, created) VALUES "
                   "(1, ?, 'old', '2026-01-01T00:00:00.000000Z')", (CID,))
        ids = {}
        for n, (name, refs) in enumerate(sorted(MARKINGS.items())):
            o = indicator(n + 1)
            if refs:
                o["object_marking_refs"] = refs
            ids[name] = o["id"]
            db.execute("INSERT INTO objects(coll, id, type, spec_version, version, vkey, "
                       "date_added, is_first, is_last, digest, body) VALUES "
                       "(1, ?, 'indicator', '2.1', ?, ?, ?, 1, 1, zeroblob(32), ?)",
                       (o["id"], o["modified"], "2026-01-01T00:00:00.000000000Z",
                        1000 + n, json.dumps(o)))
        db.execute("PRAGMA user_version = 1")
        db.commit()
        db.close()

        setup.org("reader")
        setup.orgs["client"] = admin(setup.data, "org", "add", "client", "--parent", "reader")
        setup.tokens["client"] = admin(setup.data, "token", "new", "client")
        admin(setup.data, "grant", CID, "reader", "read")
        out = admin(setup.data, "collection", "list")
        self.assertIn("5 objects", out)
        hub = Hub(setup.data)
        self.addCleanup(hub.stop)

        def seen(who):
            r = request(hub.base, "/api/collections/%s/objects/" % CID,
                        token=setup.tokens[who])
            self.assertEqual(r.status, 200, r.body)
            got = {o["id"] for o in r.json().get("objects", [])}
            return {name for name, oid in ids.items() if oid in got}

        # No submitter is known: RED is shown to no one.
        self.assertEqual(seen("reader"), {"none", "white1", "green2", "strict"})
        self.assertEqual(seen("client"), {"none", "white1", "green2"})


if __name__ == "__main__":
    unittest.main()
