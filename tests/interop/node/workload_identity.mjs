// Gets tokens with @azure/identity's workload-identity path, as a pod on AKS does.
//
// argv[2] is a JSON plan: {"credential": "workload" | "default", "cases": [{"scope": "…"}]}.
// The caller sets what the webhook would (AZURE_CLIENT_ID, AZURE_TENANT_ID,
// AZURE_FEDERATED_TOKEN_FILE, AZURE_AUTHORITY_HOST) and NODE_EXTRA_CA_CERTS for the emulator's
// CA. Prints one JSON array on stdout, a result per case: {"ok": true, "token", "expires_on"}
// or {"ok": false, "error"}.
//
// An authority other than Entra's own hosts needs disableInstanceDiscovery: without it MSAL asks
// the public cloud whether the host is a known authority. No variable sets it.
import { DefaultAzureCredential, WorkloadIdentityCredential } from "@azure/identity";

const plan = JSON.parse(process.argv[2] ?? "{}");

function credential(kind) {
  if (kind === "default") {
    return new DefaultAzureCredential({ disableInstanceDiscovery: true });
  }
  return new WorkloadIdentityCredential({ disableInstanceDiscovery: true });
}

const results = [];
for (const c of plan.cases ?? []) {
  try {
    const t = await credential(plan.credential).getToken(c.scope);
    results.push({ ok: true, token: t.token, expires_on: Math.floor(t.expiresOnTimestamp / 1000) });
  } catch (e) {
    results.push({ ok: false, error: String(e?.message ?? e).slice(0, 2000) });
  }
}
process.stdout.write(JSON.stringify(results));
