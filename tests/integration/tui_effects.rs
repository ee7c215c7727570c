//! What the UI's keys start, run for real against the in-process demo emulator: the ARM
//! listing through the same plan as `tokscope vms`, and the support report file.

use crate::common;

use clap::Parser;
use tokscope::cli::{Cli, VmsArgs};
use tokscope::commands::{setup, vms};
use tokscope::error::ErrorKind;
use tokscope::tui::report;

const ARM: &str = "https://management.azure.com/";
const NO_ROLE: &str = "aed09b82-4ca8-4fc2-bfb6-37dd5bae2d26";

async fn demo(extra: &[&str]) -> setup::Setup {
    let mut argv = vec!["tokscope", "--demo"];
    argv.extend_from_slice(extra);
    let cli = Cli::parse_from(argv);
    setup::setup(&cli.endpoint, cli.demo, setup::demo_config)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_plan_fetches_an_arm_token_when_the_resource_is_another() {
    let s = demo(&[]).await;
    let plan = vms::plan(&s, &VmsArgs::default(), "https://graph.microsoft.com/").unwrap();
    assert_eq!(plan.resource, ARM);
    assert!(plan.token_note.unwrap().contains("graph.microsoft.com"));
    let plan = vms::plan(&s, &VmsArgs::default(), ARM).unwrap();
    assert_eq!(plan.resource, ARM);
    assert!(plan.token_note.is_none());
    // In the demo, instance metadata comes from the emulator like everything else.
    let imds = plan.discovery.imds_host.unwrap();
    assert!(imds.starts_with("http://127.0.0.1:"), "{imds}");
}

#[tokio::test]
async fn the_demo_lists_its_vms_with_every_request() {
    let s = demo(&[]).await;
    let plan = vms::plan(&s, &VmsArgs::default(), "https://graph.microsoft.com/").unwrap();
    let o = vms::list(&plan, &s.client, &s.endpoint).await.unwrap();
    assert!(o.list.vms.iter().any(|v| v.name == "vm-tokscope-demo"));
    assert_eq!(o.list.vms.len(), 23);
    assert!(o.token_note.is_some());
    assert!(o.requests.iter().any(|r| r.url.contains("api-version=")));
    assert!(o
        .requests
        .iter()
        .any(|r| r.request_ids.iter().any(|(k, _)| k == "x-ms-request-id")));
}

#[tokio::test]
async fn the_no_role_identity_gets_403_with_a_hint_and_its_requests() {
    let s = demo(&["--client-id", NO_ROLE]).await;
    let plan = vms::plan(&s, &VmsArgs::default(), ARM).unwrap();
    let e = vms::list(&plan, &s.client, &s.endpoint).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Arm);
    assert_eq!(e.status, Some(403));
    assert_eq!(e.code.as_deref(), Some("AuthorizationFailed"));
    assert!(e.hint.contains("Reader"), "{}", e.hint);
    assert!(!e.request_ids.is_empty());
    let history = plan.client.history();
    assert_eq!(history.last().and_then(|r| r.status), Some(403));
}

#[tokio::test]
async fn the_report_file_holds_no_token_and_falls_back_to_a_writable_dir() {
    let s = demo(&[]).await;
    let inputs = report::ReportInputs::from_setup(&s);
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("not-there");
    let path = report::save(&inputs, ARM, "", &[missing, dir.path().to_path_buf()])
        .await
        .unwrap();
    assert_eq!(path.parent(), Some(dir.path()));
    let name = path.file_name().unwrap().to_str().unwrap();
    assert!(
        name.starts_with("tokscope-report-") && name.ends_with("Z.md"),
        "{name}"
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        common::has_jwt("token eyJhbGciOi.eyJhdWQi.c2ln end"),
        "the detector works"
    );
    assert!(text.contains("sha256:"), "the fingerprint names the token");
    assert!(!common::has_jwt(&text), "a token in the report:\n{text}");
}

#[test]
fn reports_never_overwrite_and_unwritable_places_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let dirs = [dir.path().to_path_buf()];
    let a = report::write_first(&dirs, "r.md", "one").unwrap();
    let b = report::write_first(&dirs, "r.md", "two").unwrap();
    assert_ne!(a, b);
    assert_eq!(std::fs::read_to_string(&a).unwrap(), "one");
    assert_eq!(b.file_name().unwrap(), "r-2.md");
    let e = report::write_first(&[dir.path().join("missing")], "r.md", "x").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Io);
    assert!(e.message.contains("missing"), "{}", e.message);
}

/// The report after an ARM 403 in the UI carries that failure and every request id, next to
/// the token the UI holds (issue: it said "Request ids: none seen").
#[tokio::test]
async fn the_report_after_an_arm_403_carries_the_failure_and_its_request_ids() {
    use tokscope::tui::action::Action;
    use tokscope::tui::app::{update, ArmAnswer};
    let s = demo(&["--client-id", NO_ROLE]).await;
    let mut app = tokscope::tui::initial_app(&s.endpoint, ARM);
    let fetched = s.client.fetch(&s.endpoint, ARM).await.unwrap();
    let id = app.in_flight.as_ref().unwrap().id;
    update(
        &mut app,
        Action::Fetched {
            id,
            resource: ARM.into(),
            at: fetched.received_at,
            latency: fetched.latency,
            result: Box::new(Ok(fetched)),
        },
    );
    let plan = vms::plan(&s, &VmsArgs::default(), ARM).unwrap();
    let result = vms::list(&plan, &s.client, &s.endpoint).await;
    let e = result.as_ref().unwrap_err().clone();
    let requests = plan.client.history();
    let at = app.now;
    update(
        &mut app,
        Action::VmsListed(Box::new(ArmAnswer {
            at,
            token_note: plan.token_note.clone(),
            requests: requests.clone(),
            result,
        })),
    );
    let session = report::session_story(&app);
    let dir = tempfile::tempdir().unwrap();
    let inputs = report::ReportInputs::from_setup(&s);
    let path = report::save(&inputs, ARM, &session, &[dir.path().to_path_buf()])
        .await
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("AuthorizationFailed"), "{text}");
    assert!(!e.request_ids.is_empty());
    for (_, v) in e
        .request_ids
        .iter()
        .chain(requests.iter().flat_map(|r| r.request_ids.iter()))
    {
        assert!(text.contains(v.as_str()), "request id {v} missing:\n{text}");
    }
    assert!(text.contains("token held: sha256:"), "{text}");
    assert!(!text.contains("token held: none"), "{text}");
    assert!(!common::has_jwt(&text), "a token in the report:\n{text}");
}
