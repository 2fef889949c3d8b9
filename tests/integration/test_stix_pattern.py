"""Integration tests: `fenghuo stix pattern`, run as a user would run it.

Starts the real binary (env FENGHUO_BIN) and checks its output, exit status
and JSON. The patterns are typed in from STIX 2.1 section 9.
"""

import json
import os
import subprocess
import unittest

BIN = os.environ.get("FENGHUO_BIN", "fenghuo")

# Section 9.8 (and 9.3) examples, as the spec prints them (raw strings keep
# the spec's backslashes).
SPEC_EXAMPLES = [
    r"[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
    r"[email-message:from_ref.value MATCHES '.+\\@example\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\.exe$']",
    r"[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' AND file:mime_type = 'application/x-pdf']",
    "[file:hashes.'SHA-256' = 'bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c' OR file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f']\n"
    "AND [file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
    r"([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar']) WITHIN 300 SECONDS",
    r"[user-account:account_type = 'unix' AND user-account:user_id = '1007' AND user-account:account_login = 'Peter'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1008' AND user-account:account_login = 'Paul'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1009' AND user-account:account_login = 'Mary']",
    r"[artifact:mime_type = 'application/vnd.tcpdump.pcap' AND artifact:payload_bin MATCHES '\\xd4\\xc3\\xb2\\xa1\\x02\\x00\\x04\\x00']",
    r"[file:name = 'foo.dll' AND file:parent_directory_ref.path = 'C:\\Windows\\System32']",
    r"[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]",
    r"[file:mime_type = 'image/bmp' AND file:magic_number_hex = h'ffd8']",
    r"[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '203.0.113.33/32']",
    r"[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'example.com'] REPEATS 5 TIMES WITHIN 1800 SECONDS",
    r"[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = '198.51.100.1/32']",
    r"[url:value = 'http://example.com/foo' OR url:value = 'http://example.com/bar']",
    r"[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = '4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']",
    r"[windows-registry-key:key = 'HKEY_CURRENT_USER\\Software\\CryptoLocker\\Files' OR windows-registry-key:key = 'HKEY_CURRENT_USER\\Software\\Microsoft\\CurrentVersion\\Run\\CryptoLocker_0388']",
    r"[(file:name = 'pdf.exe' OR file:size = 371712) AND file:created = t'2014-01-13T07:03:17Z']",
    r"[email-message:sender_ref.value = 'jdoe@example.com' AND email-message:subject = 'Conference Info']",
    r"[x-usb-device:usbdrive.serial_number = '575833314133343231313937']",
    r"[process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachine Root$'] FOLLOWEDBY [process:command_line MATCHES'^.+>-add GlobalSign.cer -c -s -r localMachineTrustedPublisher$'] WITHIN 300 SECONDS",
    r"[network-traffic:dst_ref.value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']",
    r"([file:name = 'foo.dll'] AND [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar']) OR [process:image_ref.name = 'fooproc' OR process:image_ref.name = 'procfoo']",
    r"([ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128'] FOLLOWEDBY [domain-name:value = 'example.com']) WITHIN 600 SECONDS",
]


def run(*args, stdin=None):
    return subprocess.run(
        [BIN, "stix", "pattern", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
    )


class PatternCommandTest(unittest.TestCase):
    def test_help_describes_options_and_exit_status(self):
        r = run("--help")
        self.assertEqual(r.returncode, 0)
        for word in ("--json", "--max-length", "exit status", "not matchable in traffic", "-"):
            self.assertIn(word, r.stdout)

    def test_usage_errors_exit_2(self):
        self.assertEqual(run().returncode, 2)
        self.assertEqual(run("[a:b = 1]", "[c:d = 2]").returncode, 2)
        r = run("--bogus", "[file:name = 'x']")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(run("--max-length", "zero", "[file:name = 'x']").returncode, 2)

    def test_every_spec_example_parses(self):
        for p in SPEC_EXAMPLES:
            with self.subTest(pattern=p[:60]):
                r = run(p)
                self.assertEqual(r.returncode, 0, r.stderr)
                first = r.stdout.splitlines()[0]
                # The normalized form parses to itself.
                again = run(first)
                self.assertEqual(again.returncode, 0, again.stderr)
                self.assertEqual(again.stdout.splitlines()[0], first)

    def test_prints_normalized_pattern_and_observables(self):
        r = run("([ipv4-addr:value = '198.51.100.0/24' ]  OR [ domain-name:value = 'Example.com'])")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(
            r.stdout.splitlines(),
            [
                "[ipv4-addr:value = '198.51.100.0/24'] OR [domain-name:value = 'Example.com']",
                "ipv4 198.51.100.0/24 (exact)",
                "domain example.com (exact)",
            ],
        )

    def test_partial_observables_are_marked(self):
        r = run("[network-traffic:dst_ref.value = '203.0.113.7'] FOLLOWEDBY "
                "[network-traffic:dst_port = 443 AND network-traffic:protocols[*] = 'tcp']")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertIn("ipv4 203.0.113.7 dst (partial)", lines)
        self.assertIn("port 443/tcp dst (partial)", lines)

    def test_address_with_port_line(self):
        r = run("[network-traffic:dst_ref.value = '203.0.113.7' AND network-traffic:dst_port = 443 "
                "AND network-traffic:protocols[*] = 'tcp']")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines()[1:],
                         ["ipv4 203.0.113.7 dst with dst port 443/tcp (exact)"])

    def test_hash_observable_line(self):
        r = run(SPEC_EXAMPLES[0])
        self.assertIn(
            "hash SHA-256 aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f (exact)",
            r.stdout.splitlines())

    def test_not_matchable_is_reported_not_rejected(self):
        r = run("[file:name = 'x']")
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stdout.splitlines()[0], "[file:name = 'x']")
        self.assertTrue(r.stdout.splitlines()[1].startswith("not matchable in traffic: "))
        r = run("[process:pid > 4]")
        self.assertEqual(r.returncode, 0)
        self.assertIn("not matchable in traffic:", r.stdout)

    def test_syntax_error_gives_column_on_stderr_and_exit_1(self):
        r = run("[file:name = 'x' foo:bar = 1]")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, "")
        self.assertIn("column 18: expected ']' or AND/OR, found 'foo:bar'", r.stderr)
        r = run("[file:name = 'a'] within 5 seconds")
        self.assertEqual(r.returncode, 1)
        self.assertIn("column 19:", r.stderr)
        self.assertIn("keywords are upper case", r.stderr)

    def test_reads_pattern_from_stdin(self):
        r = run("-", stdin="[url:value = 'http://example.com/foo']\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines()[1], "url http://example.com/foo (exact)")
        r = run("-", stdin="")
        self.assertEqual(r.returncode, 1)
        self.assertIn("pattern is empty", r.stderr)

    def test_length_limit(self):
        p = "[file:name = '" + "a" * 100 + "']"
        r = run("--max-length", "50", p)
        self.assertEqual(r.returncode, 1)
        self.assertIn("the limit is 50", r.stderr)
        r = run("--max-length", "50", "-", stdin=p)
        self.assertEqual(r.returncode, 1)
        self.assertIn("raise --max-length", r.stderr)
        self.assertEqual(run("--max-length", "1K", p).returncode, 0)

    def test_depth_limit(self):
        r = run("(" * 5000 + "[file:name = 'x']" + ")" * 5000)
        self.assertEqual(r.returncode, 1)
        self.assertIn("column 65: brackets and parentheses nest deeper than 64", r.stderr)

    def test_json_output(self):
        r = run("--json", "[ipv4-addr:value ISSUBSET '198.51.100.7/24' OR file:name = 'x'] "
                          "START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'")
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertTrue(doc["valid"])
        self.assertTrue(doc["matchable"])
        self.assertEqual(len(doc["observables"]), 1)
        ob = doc["observables"][0]
        self.assertEqual(ob["kind"], "ipv4")
        self.assertEqual(ob["value"], "198.51.100.0/24")
        self.assertEqual(ob["prefix"], 24)
        self.assertTrue(ob["exact"])
        self.assertEqual(ob["start"], "2016-06-01T00:00:00Z")
        self.assertEqual(ob["stop"], "2016-07-01T00:00:00Z")
        kinds = sorted(n["unmatchable"] for n in doc["notes"])
        self.assertEqual(kinds, [False, True])

    def test_json_error(self):
        r = run("--json", "[file:name = h'abc']")
        self.assertEqual(r.returncode, 1)
        doc = json.loads(r.stdout)
        self.assertFalse(doc["valid"])
        self.assertEqual(doc["error"]["column"], 14)
        self.assertIn("odd number of digits", doc["error"]["message"])

    def test_option_after_pattern(self):
        r = run("[file:name = 'x']", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(json.loads(r.stdout)["matchable"])


if __name__ == "__main__":
    unittest.main()
