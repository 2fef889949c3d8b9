"""Shared helpers for fenghuo's integration tests: find the binary, run it.

Tests use only the Python standard library and the real `fenghuo` binary
(FENGHUO_BIN, set by CTest)."""

import os
import subprocess
import tempfile

FENGHUO = os.environ.get("FENGHUO_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "fenghuo")


def run(*args, stdin=None, timeout=60):
    """Runs fenghuo with args; returns (exit status, stdout, stderr) as text."""
    p = subprocess.run([FENGHUO, *args], input=stdin, capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def write_temp(testcase, text, suffix=".json"):
    """Writes text to a file that is removed when the test ends."""
    fd, path = tempfile.mkstemp(suffix=suffix, prefix="fh-it-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    testcase.addCleanup(os.unlink, path)
    return path
