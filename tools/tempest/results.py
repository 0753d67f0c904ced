"""Read a subunit v2 stream on stdin; print one JSON object: test id (tags stripped)
-> final status (success, fail, skip, ...), plus the skip reasons and failure details.
Runs on the Tempest venv (python-subunit and testtools come with it)."""

from __future__ import annotations

import json
import re
import sys

import subunit
import testtools

TAGS = re.compile(r"\[.*\]$")


def main() -> int:
    results: dict[str, dict[str, str]] = {}

    def record(test: dict) -> None:
        status = test["status"]
        if status in ("exists", "inprogress", None):
            return
        details = test.get("details") or {}
        text = ""
        for name in ("reason", "traceback"):
            if name in details:
                text = details[name].as_text()
                break
        results[TAGS.sub("", test["id"])] = {"status": status, "detail": text[-2000:]}

    stream = subunit.ByteStreamToStreamResult(sys.stdin.buffer, non_subunit_name="stdout")
    result = testtools.StreamToDict(record)
    result.startTestRun()
    try:
        stream.run(result)
    finally:
        result.stopTestRun()
    json.dump(results, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
