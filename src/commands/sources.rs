//! `tokscope sources`: what each SDK would pick here, as a table or JSON.

use std::fmt::Write;

use crate::cli::{EndpointArgs, SourcesArgs};
use crate::sanitize::one_line;
use crate::sources::{self, Inputs};

/// The environment of this process, with the identity the command line names.
fn inputs(endpoint: &EndpointArgs) -> Inputs {
    let mut env = Inputs::from_process();
    env.selector = endpoint
        .client_id
        .clone()
        .map(|v| ("client_id", v))
        .or_else(|| endpoint.object_id.clone().map(|v| ("object_id", v)))
        .or_else(|| endpoint.resource_id.clone().map(|v| ("resource_id", v)));
    env
}

pub fn run(endpoint: &EndpointArgs, args: &SourcesArgs) -> String {
    let env = inputs(endpoint);
    let picks = sources::picks(&env);
    if args.json {
        return sources::to_json(&picks, &env).to_string();
    }
    let mut out = String::new();
    let width = picks.iter().map(|p| p.sdk.name.len()).max().unwrap_or(0);
    for p in &picks {
        let _ = writeln!(
            out,
            "{:width$}  {:13}  {}",
            p.sdk.name,
            p.source.name(),
            one_line(&p.because)
        );
        let _ = writeln!(
            out,
            "{:width$}  {:13}  selector: {}",
            p.sdk.version,
            "",
            one_line(&p.selector)
        );
        if let Some(probe) = &p.probe {
            let _ = writeln!(
                out,
                "{:width$}  {:13}  IMDS probe: {}",
                "",
                "",
                one_line(probe)
            );
        }
    }
    out
}
