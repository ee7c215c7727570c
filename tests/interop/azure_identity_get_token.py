"""Gets a token with the official azure-identity ManagedIdentityCredential.

The endpoint is chosen by the environment the caller sets (MSI_ENDPOINT, IDENTITY_ENDPOINT +
IDENTITY_HEADER, or AZURE_POD_IDENTITY_AUTHORITY_HOST). Prints one JSON object on stdout with
the token, its expiry and the claims decoded here, independently of tokscope.
"""

import base64
import json
import sys

from azure.identity import ManagedIdentityCredential


def claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))


def main() -> int:
    scope = sys.argv[1] if len(sys.argv) > 1 else "https://management.azure.com/.default"
    cred = ManagedIdentityCredential()
    tok = cred.get_token(scope)
    json.dump({"token": tok.token, "expires_on": tok.expires_on, "claims": claims_of(tok.token)}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
