//! `tokscope report`: the doctor's findings and the decoded token, for a support ticket.

use crate::cli::{EndpointArgs, ReportArgs};
use crate::error::Result;
use crate::output::{self, TerminalText};
use crate::report;

/// Build the report; write it to the file asked for, or return it for stdout.
pub async fn run(
    endpoint: &EndpointArgs,
    demo: bool,
    resource: &str,
    args: &ReportArgs,
) -> Result<Option<String>> {
    let d = super::doctor::diagnosis(endpoint, demo, resource, &args.diagnose).await?;
    let text = report::build(&d, args.format);
    let Some(path) = &args.output else {
        return Ok(Some(text));
    };
    let safe = match args.format {
        report::Format::Json => TerminalText::json(&text),
        report::Format::Md => TerminalText::text(&text),
    };
    output::write_file(path, &safe).map_err(|e| {
        e.to_error(
            "the report",
            path,
            "choose a new path with -o (or a file of yours nobody else can write), or leave -o out to print the report",
        )
    })?;
    output::note(&format!(
        "report written to {} ({})",
        path.display(),
        crate::doctor::render::summary_line(&d)
    ));
    Ok(None)
}
