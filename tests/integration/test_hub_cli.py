"""Integration tests: the hub's command-line tools against the real hub:
`fenghuo admin`, `fenghuo submit`, `fenghuo get`, and scripts/run-hub (what
`make run` starts).
"""
import json
import os
import re
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hubtest  # noqa: E402
from hubtest import FENGHUO, Hub, Setup, indicator  # noqa: E402


def run(*args, env=None, timeout=120):
    e = dict(os.environ)
    e.pop("FENGHUO_TOKEN", None)
    if env:
        e.update(env)
    return subprocess.run([FENGHUO, *args], capture_output=True, text=True, timeout=timeout,
                          env=e)


class AdminTest(unittest.TestCase):
    def setUp(self):
        self.setup = Setup()
        self.addCleanup(self.setup.cleanup)

    def admin(self, *args):
        return run("admin", "--data", self.setup.data, *args)

    def test_token_is_alone_on_stdout(self):
        self.assertEqual(self.admin("org", "add", "acme").returncode, 0)
        p = self.admin("token", "new", "acme", "--label", "ci", "--admin")
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout, r"^[0-9a-f]{64}\n$")
        tokens = json.loads(self.admin("token", "list", "--json").stdout)
        self.assertEqual(len(tokens), 1)
        self.assertTrue(tokens[0]["admin"])
        self.assertEqual(tokens[0]["label"], "ci")
        self.assertNotIn(p.stdout.strip(), json.dumps(tokens))

    def test_org_and_collection_ids_are_printed(self):
        p = self.admin("org", "add", "acme")
        self.assertRegex(p.stdout, r"^[0-9a-f-]{36}\n$")
        orgs = json.loads(self.admin("org", "list", "--json").stdout)
        self.assertTrue(orgs[0]["identity"].startswith("identity--"))
        p = self.admin("collection", "add", "Intel", "--description", "d", "--id",
                       "11111111-2222-4333-8444-555555555555")
        self.assertEqual(p.stdout.strip(), "11111111-2222-4333-8444-555555555555")
        self.assertIn("Intel", self.admin("collection", "list").stdout)

    def test_refusals_exit_1_usage_exits_2(self):
        self.admin("org", "add", "acme")
        self.assertEqual(self.admin("org", "add", "acme").returncode, 1)
        self.assertEqual(self.admin("token", "new", "nobody").returncode, 1)
        self.assertEqual(self.admin("token", "revoke", "nope").returncode, 1)
        self.assertEqual(self.admin("grant", "11111111-2222-4333-8444-555555555555", "acme",
                                    "read").returncode, 1)
        self.assertEqual(self.admin("grant", "x", "acme", "everything").returncode, 2)
        self.assertEqual(self.admin("frobnicate").returncode, 2)
        self.assertEqual(run("admin", "org", "list").returncode, 2)
        p = run("admin", "--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("token new ORG", p.stdout)


class ClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.setup = Setup()
        cls.token = cls.setup.org("acme")
        cls.reader = cls.setup.org("reader")
        # A small max_content_length makes submit split its input.
        cls.hub = Hub(cls.setup.data, "--max-content-length", "4K")
        cls.n = 0

    @classmethod
    def tearDownClass(cls):
        status = cls.hub.stop()
        cls.setup.cleanup()
        assert status == 0, status

    def collection(self):
        ClientTest.n += 1
        return self.setup.collection("c%d" % ClientTest.n,
                                     {"acme": "read,write", "reader": "read"})

    def write(self, name, doc):
        path = os.path.join(self.setup.tmp, name)
        with open(path, "w") as f:
            json.dump(doc, f)
        return path

    def submit(self, cid, *files, token=None):
        return run("submit", "--hub", self.hub.base, "--token", token or self.token,
                   "--collection", cid, "--quiet", *files)

    def get(self, cid, *args, token=None):
        return run("get", "--hub", self.hub.base, "--token", token or self.token,
                   "--collection", cid, *args)

    def test_submit_bundle_split_into_envelopes_then_get_all(self):
        cid = self.collection()
        objs = [indicator(i) for i in range(40)]  # about 13 KB: several envelopes
        path = self.write("b.json", {"type": "bundle",
                                     "id": "bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                                     "objects": objs})
        p = self.submit(cid, path)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("40 stored, 0 failed", p.stderr)
        g = self.get(cid, "--all", "--limit", "7")
        self.assertEqual(g.returncode, 0, g.stderr)
        got = [json.loads(line) for line in g.stdout.splitlines()]
        self.assertEqual(sorted(o["id"] for o in got), sorted(o["id"] for o in objs))
        one_page = self.get(cid, "--limit", "7")
        self.assertEqual(len(one_page.stdout.splitlines()), 7)

    def test_submit_reports_failures_and_exits_1(self):
        cid = self.collection()
        path = self.write("a.json", [indicator(1), {"type": "indicator", "id": "bad"}])
        env_path = self.write("e.json", {"objects": [indicator(2)]})
        p = self.submit(cid, path, env_path)
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stdout, r"FAILED bad .*: ")
        self.assertIn("3 objects: 2 stored, 1 failed", p.stderr)

    def test_submit_with_token_from_environment_and_api_root_url(self):
        cid = self.collection()
        path = self.write("one.json", indicator(3))
        p = run("submit", "--hub", self.hub.base + "/api/", "--collection", cid, "--quiet",
                path, env={"FENGHUO_TOKEN": self.token})
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_submit_refused_without_write_permission(self):
        cid = self.collection()
        path = self.write("r.json", [indicator(1)])
        p = self.submit(cid, path, token=self.reader)
        self.assertEqual(p.returncode, 2)
        self.assertIn("403", p.stderr)

    def test_get_filters(self):
        cid = self.collection()
        ip = {"type": "ipv4-addr", "spec_version": "2.1",
              "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "198.51.100.3"}
        path = self.write("f.json", [indicator(1), indicator(1, "2026-02-01T00:00:00.000Z"),
                                     indicator(2), ip])
        self.assertEqual(self.submit(cid, path).returncode, 0)
        lines = self.get(cid, "--type", "ipv4-addr").stdout.splitlines()
        self.assertEqual([json.loads(x)["id"] for x in lines], [ip["id"]])
        lines = self.get(cid, "--id", indicator(1)["id"], "--version", "all").stdout.splitlines()
        self.assertEqual(len(lines), 2)
        lines = self.get(cid, "--id", indicator(1)["id"]).stdout.splitlines()
        self.assertEqual(json.loads(lines[0])["modified"], "2026-02-01T00:00:00.000Z")
        lines = self.get(cid, "--added-after", "2999-01-01T00:00:00Z").stdout.splitlines()
        self.assertEqual(lines, [])
        self.assertEqual(self.get(cid, "--reader-only").returncode, 2)

    def test_get_errors(self):
        cid = self.collection()
        self.assertEqual(self.get(cid, token="0" * 64).returncode, 1)
        self.assertEqual(self.get("00000000-0000-4000-8000-000000000000").returncode, 1)
        p = self.get(cid, "--added-after", "yesterday")
        self.assertEqual(p.returncode, 1)
        self.assertIn("400", p.stderr)
        p = run("get", "--hub", "http://127.0.0.1:1", "--token", "x", "--collection", cid)
        self.assertEqual(p.returncode, 2)


class RunHubTest(unittest.TestCase):
    """scripts/run-hub, which `make run` starts, on a temporary folder."""

    def test_first_start_creates_demo_data_and_prints_a_get_line(self):
        setup = Setup()
        self.addCleanup(setup.cleanup)
        script = os.path.join(os.environ.get("FH_SOURCE_DIR", "../.."), "scripts", "run-hub")
        env = dict(os.environ, FENGHUO_DATA=setup.data, FENGHUO_LISTEN="127.0.0.1:0")
        proc = subprocess.Popen([script], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                env=env, text=True)
        try:
            out = []
            for _ in range(40):
                line = proc.stdout.readline()
                if not line:
                    break
                out.append(line)
                if "stop with Ctrl-C" in line:
                    break
            text = "".join(out)
            self.assertIn("created", text)
            self.assertRegex(text, r"\n  [0-9a-f]{64}\n")
            self.assertIn("/taxii2/", text)
            m = re.search(r"try: +(\S+) get --hub \S+ --token (\S+) --collection (\S+)", text)
            self.assertIsNotNone(m, text)
            port = re.search(r"127\.0\.0\.1:(\d+)/api/", text).group(1)
            self.assertIn("--hub http://127.0.0.1:%s " % port, text)
            g = run("get", "--hub", "http://127.0.0.1:%s" % port, "--token", m.group(2),
                    "--collection", m.group(3))
            self.assertEqual(g.returncode, 0, g.stderr)
            self.assertEqual(len(g.stdout.splitlines()), 3)  # the demo indicators
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
            proc.stdout.close()
        self.assertEqual(proc.returncode, 0)


if __name__ == "__main__":
    unittest.main()
