"""Gets tokens with azure-identity's workload-identity path, as a pod on AKS does.

The caller sets what the webhook would (AZURE_CLIENT_ID, AZURE_TENANT_ID,
AZURE_FEDERATED_TOKEN_FILE, AZURE_AUTHORITY_HOST) and REQUESTS_CA_BUNDLE for the emulator's
CA. Prints one JSON object on stdout: for each credential, the token's claims decoded here
(independently of tokscope), its expiry, and the token itself for the caller to decode, or the
error azure-identity raised.
"""

import base64
import json
import sys

from azure.core.exceptions import ClientAuthenticationError
from azure.identity import DefaultAzureCredential, WorkloadIdentityCredential


def claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))


def attempt(make, scope: str) -> dict:
    try:
        tok = make().get_token(scope)
    except ClientAuthenticationError as e:
        return {"error": str(e)}
    return {"token": tok.token, "expires_on": tok.expires_on, "claims": claims_of(tok.token)}


def main() -> int:
    scope = sys.argv[1] if len(sys.argv) > 1 else "https://management.azure.com/.default"
    out = {
        "workload": attempt(WorkloadIdentityCredential, scope),
        # The developer-tool credentials are left out: they would look outside the pod.
        # Environment and managed identity stay in the chain, ahead of and behind workload.
        "default": attempt(
            lambda: DefaultAzureCredential(
                exclude_cli_credential=True,
                exclude_powershell_credential=True,
                exclude_developer_cli_credential=True,
                exclude_visual_studio_code_credential=True,
                exclude_shared_token_cache_credential=True,
                exclude_interactive_browser_credential=True,
            ),
            scope,
        ),
    }
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
