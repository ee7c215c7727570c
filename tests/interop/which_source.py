"""Print the managed-identity source azure-identity picks in this environment (no request is sent)."""
from azure.identity import ManagedIdentityCredential

NAMES = {
    "ServiceFabricCredential": "servicefabric",
    "AppServiceCredential": "appservice",
    "AzureArcCredential": "arc",
    "AzureMLCredential": "azureml",
    "CloudShellCredential": "cloudshell",
    "WorkloadIdentityCredential": "workload",
    "ImdsCredential": "imds",
}

inner = getattr(ManagedIdentityCredential(), "_credential", None)
print(NAMES.get(type(inner).__name__, "none" if inner is None else type(inner).__name__))
