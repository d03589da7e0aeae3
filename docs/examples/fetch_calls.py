#!/usr/bin/env python3
"""Every call of one callnorm query, one JSON object a line on stdout.

    fetch_calls.py URL [--user USER:PASSWORD] [--param NAME=VALUE ...]

URL is the API's /calls, e.g. https://example.org/api/calls.  It follows
next_cursor until has_more is false, keeping the other parameters as they
were (only the cursor changes), and fails loudly: an error answer, a
broken page or a connection failure ends it with a message on stderr and
exit status 1, never with a short list that looks complete.  Python's
standard library only.
"""
import argparse
import base64
import json
import sys
import urllib.error
import urllib.parse
import urllib.request


def fail(msg):
    print("fetch_calls: " + msg, file=sys.stderr)
    sys.exit(1)


def get(url, auth):
    req = urllib.request.Request(url, headers={"Accept": "application/json"})
    if auth:
        token = base64.b64encode(auth.encode()).decode()
        req.add_header("Authorization", "Basic " + token)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            body = r.read()
    except urllib.error.HTTPError as e:
        # a problem document (RFC 9457) says what went wrong and who
        detail = e.read().decode("utf-8", "replace")
        try:
            p = json.loads(detail)
            detail = "%s: %s" % (p.get("code"), p.get("detail"))
        except ValueError:
            pass
        fail("HTTP %d from %s: %s" % (e.code, url, detail))
    except (urllib.error.URLError, OSError) as e:
        fail("%s: %s" % (url, e))
    try:
        page = json.loads(body)
        return page["data"], page["page"]
    except (ValueError, KeyError, TypeError):
        fail("%s: not a page of calls" % url)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url")
    ap.add_argument("--user", help="USER:PASSWORD for basic authentication")
    ap.add_argument("--param", action="append", default=[],
                    help="a query parameter, NAME=VALUE (repeatable)")
    a = ap.parse_args()
    params = [tuple(p.split("=", 1)) for p in a.param if "=" in p]
    if len(params) != len(a.param):
        fail("--param takes NAME=VALUE")
    cursor = None
    while True:
        q = params + ([("cursor", cursor)] if cursor else [])
        url = a.url + ("?" + urllib.parse.urlencode(q) if q else "")
        data, page = get(url, a.user)
        for call in data:
            print(json.dumps(call, separators=(",", ":")))
        if not page.get("has_more"):
            return
        cursor = page.get("next_cursor")
        if not cursor:
            fail("has_more without a next_cursor")


if __name__ == "__main__":
    main()
