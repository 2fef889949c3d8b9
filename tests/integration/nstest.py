"""Helpers for firewall tests with the real kernel: two network namespaces
the test creates and deletes, joined by a veth pair. The defender's holds
the hub (on its own loopback), the process that blocks, and a TCP listener
on DEFENDER:8080; the attacker's holds two addresses, ATTACKER (to be
blocked) and BYSTANDER (never blocked), both on a 198.18.0.0/15 network.
Needs root, iproute2 and nftables. Python standard library only."""

import json
import os
import shutil
import subprocess

from hubtest import FENGHUO

CAN_RUN_NFT = bool(os.geteuid() == 0 and shutil.which("ip") and shutil.which("nft"))
TAXII = "application/taxii+json;version=2.1"


def sh(*args, check=True, timeout=60):
    return subprocess.run(args, check=check, capture_output=True, text=True, timeout=timeout)


def stop(proc, timeout=20):
    """SIGTERM, then SIGKILL after timeout; returns the exit status."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    return proc.returncode


class Namespaces:
    """Creates the namespaces for testcase (removed by its cleanups). tag
    keeps names apart between tests that run at once."""

    def __init__(self, testcase, tag, attacker, bystander, defender):
        self.t = testcase
        self.attacker, self.bystander, self.defender = attacker, bystander, defender
        pid = str(os.getpid())
        self.a, self.b = "fh-%sa-%s" % (tag, pid), "fh-%sb-%s" % (tag, pid)
        va, self.vb = "f%sa%s" % (tag, pid[-6:]), "f%sb%s" % (tag, pid[-6:])
        for ns in (self.a, self.b):
            sh("ip", "netns", "add", ns)
            testcase.addCleanup(sh, "ip", "netns", "del", ns, check=False)
        sh("ip", "link", "add", va, "netns", self.a, "type", "veth", "peer", "name", self.vb,
           "netns", self.b)
        sh("ip", "-n", self.a, "addr", "add", attacker + "/24", "dev", va)
        sh("ip", "-n", self.a, "addr", "add", bystander + "/24", "dev", va)
        sh("ip", "-n", self.b, "addr", "add", defender + "/24", "dev", self.vb)
        for ns, dev in ((self.a, va), (self.b, self.vb)):
            sh("ip", "-n", ns, "link", "set", dev, "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        server = subprocess.Popen(
            ["ip", "netns", "exec", self.b, "python3", "-c",
             "import socket\n"
             "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
             "s.bind((%r, 8080)); s.listen(64)\n"
             "while True:\n"
             "    c, _ = s.accept(); c.close()\n" % defender])
        testcase.addCleanup(server.wait)
        testcase.addCleanup(server.kill)
        self.port = None

    def defender_cmd(self, *args):
        """args run in the defender's namespace."""
        return ["ip", "netns", "exec", self.b, *args]

    def start_hub(self, setup, *extra):
        """The hub of setup (a hubtest.Setup) in the defender's namespace."""
        log = open(os.path.join(setup.tmp, "hub.log"), "ab")
        self.t.addCleanup(log.close)
        hub = subprocess.Popen(
            self.defender_cmd(FENGHUO, "hub", "--data", setup.data, "--listen", "127.0.0.1:0",
                              *extra), stdout=subprocess.PIPE, stderr=log)
        self.t.addCleanup(hub.stdout.close)
        self.t.addCleanup(stop, hub)
        line = hub.stdout.readline().decode()
        self.port = int(line.split("127.0.0.1:")[1].split("/")[0])
        self.hub_url = "http://127.0.0.1:%d" % self.port

    def post(self, coll, token, objects):
        """POSTs objects to the hub's collection from inside the defender's
        namespace, where the hub is."""
        script = ("import json, sys, urllib.request\n"
                  "req = urllib.request.Request(%r, data=sys.stdin.buffer.read(), method='POST',"
                  " headers={'Authorization': 'Bearer ' + %r, 'Content-Type': %r,"
                  " 'Accept': %r})\n"
                  "print(urllib.request.urlopen(req, timeout=30).status)\n" % (
                      "%s/api/collections/%s/objects/" % (self.hub_url, coll), token, TAXII,
                      TAXII))
        p = subprocess.run(self.defender_cmd("python3", "-c", script),
                           input=json.dumps({"objects": objects}).encode(), capture_output=True,
                           timeout=60)
        self.t.assertEqual(p.stdout.strip(), b"202", p.stderr)

    def reaches(self, src):
        """True when a TCP connection from src to DEFENDER:8080 succeeds
        within a second."""
        p = sh("ip", "netns", "exec", self.a, "python3", "-c",
               "import socket, sys\n"
               "s = socket.socket(); s.settimeout(1); s.bind((%r, 0))\n"
               "try:\n    s.connect((%r, 8080))\nexcept OSError:\n    sys.exit(1)\n"
               % (src, self.defender), check=False)
        return p.returncode == 0
