"""Gets tokens with MSAL Python's ManagedIdentityClient, as an application would.

argv[1] is a JSON plan: {"cases": [{"id": null | {"clientId": ...} | {"objectId": ...} |
{"resourceId": ...}, "scope": "..."}]}. The endpoint comes from the environment the caller sets.
Prints one JSON array on stdout, a result per case: {"ok": true, "token", "expires_on"} or
{"ok": false, "error"}.
"""

import json
import sys
import time

import msal
import requests


def identity(spec):
    if not spec:
        return msal.SystemAssignedManagedIdentity()
    return msal.UserAssignedManagedIdentity(
        client_id=spec.get("clientId"),
        object_id=spec.get("objectId"),
        resource_id=spec.get("resourceId"),
    )


def main() -> int:
    plan = json.loads(sys.argv[1])
    results = []
    for case in plan.get("cases", []):
        resource = case["scope"].removesuffix("/.default")
        try:
            client = msal.ManagedIdentityClient(identity(case["id"]), http_client=requests.Session())
            got = client.acquire_token_for_client(resource=resource)
            if "access_token" in got:
                results.append({
                    "ok": True,
                    "token": got["access_token"],
                    "expires_on": int(time.time()) + int(got["expires_in"]),
                })
            else:
                results.append({"ok": False, "error": str(got.get("error_description") or got)[:2000]})
        except Exception as e:  # the test shows what went wrong, whatever it is
            results.append({"ok": False, "error": repr(e)[:2000]})
    json.dump(results, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
