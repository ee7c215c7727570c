// Gets tokens with the official @azure/identity credentials, as an application would.
//
// argv[2] is a JSON plan: {"credential": "managed" | "default", "cases": [{"id": null |
// {"clientId": …} | {"objectId": …} | {"resourceId": …}, "scope": "…"}]}. The endpoint comes
// from the environment the caller sets, as on Azure. Prints one JSON array on stdout, a result
// per case: {"ok": true, "token", "expires_on"} or {"ok": false, "error"}.
//
// msal-node picks its managed-identity source once per process, so one process serves one mode.
import { DefaultAzureCredential, ManagedIdentityCredential } from "@azure/identity";

const plan = JSON.parse(process.argv[2] ?? "{}");

function credential(kind, id) {
  if (kind === "default") {
    const opts = id?.clientId ? { managedIdentityClientId: id.clientId } : {};
    return new DefaultAzureCredential(opts);
  }
  return id ? new ManagedIdentityCredential(id) : new ManagedIdentityCredential();
}

const results = [];
for (const c of plan.cases ?? []) {
  try {
    const t = await credential(plan.credential, c.id).getToken(c.scope);
    results.push({ ok: true, token: t.token, expires_on: Math.floor(t.expiresOnTimestamp / 1000) });
  } catch (e) {
    results.push({ ok: false, error: String(e?.message ?? e).slice(0, 2000) });
  }
}
process.stdout.write(JSON.stringify(results));
