#!/usr/bin/env python3
"""The baseline of the CLI export benchmark: a careful hand-written Python exporter.

It does what `crm fxiaoke query PaymentObj --format jsonl` does, with the standard library only
(urllib + json), the way a user would write it: fetch a token, then page through every
`PaymentObj` record by keyset (`_id GT <last id>`, ordered by `_id`, 100 per page, the SDK's
stream requests), writing each record as one JSON line to stdout. It stops on an empty page or on
a page that holds every remaining match (`total`), as the SDK's stream does.

Credentials and server from the CLI's environment variables: FXIAOKE_BASE_URL, FXIAOKE_APP_ID,
FXIAOKE_APP_SECRET, FXIAOKE_PERMANENT_CODE, FXIAOKE_OPEN_USER_ID. Prints a summary as one JSON
line on stderr: {"records": N, "ordered": true|false, "calls": C}.

Run by `cargo xtask bench` against `crm-bench serve --backend synthetic`, stdout to /dev/null.
"""

import json
import os
import sys
import urllib.request

TOKEN_PATH = "/cgi/corpAccessToken/get/V2"
QUERY_PATH = "/cgi/crm/v2/data/query"
OBJECT = "PaymentObj"
PAGE_SIZE = 100


def post(url, body):
    """POSTs `body` as JSON and returns the decoded JSON answer."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json;charset=utf-8"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def main():
    env = os.environ
    base = env["FXIAOKE_BASE_URL"].rstrip("/")
    token = post(
        base + TOKEN_PATH,
        {
            "appId": env["FXIAOKE_APP_ID"],
            "appSecret": env["FXIAOKE_APP_SECRET"],
            "permanentCode": env["FXIAOKE_PERMANENT_CODE"],
        },
    )
    if token.get("errorCode") != 0:
        sys.exit("token failed: %s" % token.get("errorMessage"))
    auth = {
        "corpAccessToken": token["corpAccessToken"],
        "corpId": token["corpId"],
        "currentOpenUserId": env["FXIAOKE_OPEN_USER_ID"],
    }
    out = sys.stdout
    records = calls = 0
    ordered = True
    after = None
    while True:
        filters = []
        if after is not None:
            filters.append({"field_name": "_id", "field_values": [after], "operator": "GT"})
        body = dict(auth)
        body["data"] = {
            "dataObjectApiName": OBJECT,
            "search_query_info": {
                "limit": PAGE_SIZE,
                "offset": 0,
                "filters": filters,
                "orders": [{"fieldName": "_id", "isAsc": True}],
            },
        }
        page = post(base + QUERY_PATH, body)
        calls += 1
        if page.get("errorCode") != 0:
            sys.exit("query failed: %s %s" % (page.get("errorCode"), page.get("errorMessage")))
        data = page.get("data") or {}
        rows = data.get("dataList") or []
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
            out.write("\n")
        records += len(rows)
        total = data.get("total") or 0
        if not rows or (total and len(rows) >= total):
            break
        last = rows[-1].get("_id")
        if not isinstance(last, str) or not last:
            sys.exit("a record has no _id to continue from")
        if after is not None and last <= after:
            ordered = False
        after = last
    out.flush()
    print(json.dumps({"records": records, "ordered": ordered, "calls": calls}), file=sys.stderr)


if __name__ == "__main__":
    main()
