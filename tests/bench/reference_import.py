#!/usr/bin/env python3
"""A sequential reference client for the full import, in plain Python.

This is the baseline the benchmark compares the connector against: the
straightforward client a competent engineer would write with `requests`,
one keep-alive session, one request at a time. It reads exactly the lists a
full `confluent-connector import all` reads with the built-in documents:

  accounts      GET /iam/v2/users?page_size=100
                GET /iam/v2/service-accounts?page_size=100
  entitlements  GET /org/v2/organizations?page_size=100
                GET /org/v2/environments?page_size=100
  access        GET /org/v2/organizations?page_size=100 (read again, as the
                connector does), then for each organization CRN:
                GET /iam/v2/role-bindings?crn_pattern=<CRN>&page_size=1000
                GET /iam/v2/role-bindings?crn_pattern=<CRN>/*&page_size=1000

following `metadata.next` until a page has none. Each item becomes a record
dict with the attributes the built-in documents map; repeats are dropped by
id, and access links naming an account or entitlement this run did not see
are counted as orphans and left out, as the connector does. It prints one
JSON line: the counts per kind, the pages read and the elapsed seconds.

Usage:
  python3 tests/bench/reference_import.py --base-url URL [--key K --secret S]

The key and secret default to CONFLUENT_CLOUD_API_KEY and
CONFLUENT_CLOUD_API_SECRET, the variables the runner reads. The secret is
never printed.
"""

import argparse
import json
import os
import sys
import time
from urllib.parse import urljoin, urlsplit

import requests

PAGE_SIZE = 100
ROLE_BINDING_PAGE_SIZE = 1000
TIMEOUT_SECONDS = 60


def origin(url):
    parts = urlsplit(url)
    return (parts.scheme, parts.hostname, parts.port)


class Importer:
    def __init__(self, base_url, key, secret):
        self.base_url = base_url.rstrip("/")
        self.origin = origin(self.base_url)
        self.session = requests.Session()
        self.session.auth = (key, secret)
        self.session.headers["Accept"] = "application/json"
        self.pages = 0

    def walk(self, path, params):
        """Yields every item of a list, page by page, following metadata.next."""
        url = self.base_url + path
        while url:
            response = self.session.get(url, params=params, timeout=TIMEOUT_SECONDS)
            response.raise_for_status()
            body = response.json()
            self.pages += 1
            yield from body["data"]
            next_url = (body.get("metadata") or {}).get("next")
            if not next_url:
                break
            url = urljoin(url, next_url)
            if origin(url) != self.origin:
                raise RuntimeError(f"metadata.next leaves {self.base_url}; not followed")
            params = None  # the next link carries the whole query

    def accounts(self):
        for user in self.walk("/iam/v2/users", {"page_size": PAGE_SIZE}):
            yield {
                "accountID": user["id"],
                "name": user.get("full_name"),
                "displayName": user.get("full_name"),
                "customproperty2": user.get("email"),
                "customproperty3": user.get("kind"),
            }
        for sa in self.walk("/iam/v2/service-accounts", {"page_size": PAGE_SIZE}):
            yield {
                "accountID": sa["id"],
                "name": sa.get("display_name"),
                "displayName": sa.get("display_name"),
                "customproperty1": sa.get("description"),
                "customproperty3": sa.get("kind"),
                "customproperty4": sa.get("description"),
            }

    def entitlements(self):
        for ent_type, path in (
            ("organization", "/org/v2/organizations"),
            ("environment", "/org/v2/environments"),
        ):
            for item in self.walk(path, {"page_size": PAGE_SIZE}):
                yield {
                    "entType": ent_type,
                    "entitlementID": item["id"],
                    "entitlement_value": item.get("display_name"),
                    "customproperty1": item.get("kind"),
                }

    def access(self):
        crns = [
            org["metadata"]["resource_name"]
            for org in self.walk("/org/v2/organizations", {"page_size": PAGE_SIZE})
        ]
        for crn in crns:
            for pattern in (crn, crn + "/*"):
                params = {"crn_pattern": pattern, "page_size": ROLE_BINDING_PAGE_SIZE}
                for binding in self.walk("/iam/v2/role-bindings", params):
                    yield to_access(binding)


def entitlement_of(crn):
    """The entitlement a CRN falls under: its environment, else its organization."""
    found = None
    for segment in crn.removeprefix("crn://").split("/"):
        name, _, value = segment.partition("=")
        if name == "organization" and found is None:
            found = ("organization", value)
        elif name == "environment":
            found = ("environment", value)
    if found is None or not found[1]:
        raise ValueError(f"role binding CRN {crn!r} names no organization or environment")
    return found


def to_access(binding):
    principal = binding["principal"]
    ent_type, ent_id = entitlement_of(binding["crn_pattern"])
    return {
        "roleBindingID": binding["id"],
        "accountID": principal.removeprefix("User:"),
        "entType": ent_type,
        "entitlementID": ent_id,
        "role_name": binding["role_name"],
        "crn_pattern": binding["crn_pattern"],
        "principal": principal,
    }


def run(importer):
    started = time.perf_counter()
    accounts = {}
    for record in importer.accounts():
        accounts.setdefault(record["accountID"], record)
    entitlements = {}
    for record in importer.entitlements():
        entitlements.setdefault((record["entType"], record["entitlementID"]), record)
    access, orphans = {}, set()
    for record in importer.access():
        known = record["accountID"] in accounts and (
            (record["entType"], record["entitlementID"]) in entitlements
        )
        if not known:
            orphans.add(record["roleBindingID"])
        else:
            access.setdefault(record["roleBindingID"], record)
    elapsed = time.perf_counter() - started
    return {
        "accounts": len(accounts),
        "entitlements": len(entitlements),
        "access": len(access),
        "orphans": len(orphans),
        "pages": importer.pages,
        "elapsed_seconds": round(elapsed, 3),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:PORT")
    parser.add_argument("--key", default=os.environ.get("CONFLUENT_CLOUD_API_KEY"))
    parser.add_argument("--secret", default=os.environ.get("CONFLUENT_CLOUD_API_SECRET"))
    args = parser.parse_args()
    if not args.key or not args.secret:
        parser.error(
            "no credentials: set CONFLUENT_CLOUD_API_KEY and CONFLUENT_CLOUD_API_SECRET "
            "or pass --key and --secret"
        )
    try:
        summary = run(Importer(args.base_url, args.key, args.secret))
    except (requests.RequestException, RuntimeError, KeyError, ValueError) as error:
        # requests' messages name the URL and status, never the credentials.
        print(f"import failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
