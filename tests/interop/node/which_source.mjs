// Print the managed-identity source msal-node (inside @azure/identity) picks here; sends nothing.
import { ManagedIdentityApplication } from "@azure/msal-node";

const names = {
  ServiceFabric: "servicefabric",
  AppService: "appservice",
  MachineLearning: "azureml",
  CloudShell: "cloudshell",
  AzureArc: "arc",
  DefaultToImds: "imds",
};
const source = new ManagedIdentityApplication().getManagedIdentitySource();
console.log(names[source] ?? source);
