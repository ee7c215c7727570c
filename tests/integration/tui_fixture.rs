//! A UI state built from fixed tokens and a frozen clock, so screens are the same on every run.

use std::time::Duration;

use chrono::FixedOffset;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use serde_json::{json, Value};
use tokscope::arm::{RequestRecord, Subscription, SubscriptionSource, Vm, VmList};
use tokscope::commands::vms::Outcome;
use tokscope::endpoint::response::parse_success;
use tokscope::endpoint::{Endpoint, Fetched, Flavour, Identity};
use tokscope::error::{Error, ErrorKind};
use tokscope::token::jwt::encode_part;
use tokscope::tui::action::{Action, FetchKind};
use tokscope::tui::app::{update, App, ArmAnswer, WhyAnswer};

/// 2025-11-24T16:00:00Z.
pub const NOW: i64 = 1_764_000_000;
pub const ARM: &str = "https://management.azure.com/";
pub const TID: &str = "72f988bf-0000-4000-8000-000000000001";

pub fn endpoint() -> Endpoint {
    Endpoint {
        flavour: Flavour::Imds,
        url: "http://127.0.0.1:50342/metadata/identity/oauth2/token".into(),
        secret: None,
        thumbprint: None,
        detected_from: vec!["--demo".into()],
        identity: Identity::SystemAssigned,
        system_client_id: None,
        notes: vec![],
        workload: None,
    }
}

/// A JWT with fixed claims. `serial` makes different tokens (a refresh) distinguishable.
pub fn jwt(resource: &str, iat: i64, exp: i64, serial: u32) -> String {
    let header = json!({"typ":"JWT","alg":"RS256","x5t":"FixedThumbprint0000000000","kid":"FixedThumbprint0000000000"});
    let claims = json!({
        "aud": resource,
        "iss": format!("https://sts.windows.net/{TID}/"),
        "iat": iat,
        "nbf": iat,
        "exp": exp,
        "aio": "E2ZgYFixedOpaqueValue==",
        "appid": "11111111-2222-4333-8444-555555555555",
        "appidacr": "2",
        "idp": format!("https://sts.windows.net/{TID}/"),
        "idtyp": "app",
        "oid": "66666666-7777-4888-9999-000000000000",
        "rh": "0.AAAAfixed.",
        "sub": "66666666-7777-4888-9999-000000000000",
        "tid": TID,
        "uti": format!("fixeduti{serial}"),
        "ver": "1.0",
        "xms_mirid": "/subscriptions/aaaabbbb-cccc-4ddd-8eee-ffff00001111/resourcegroups/rg-demo/providers/Microsoft.Compute/virtualMachines/vm-demo",
        "xms_tcdt": 1_600_000_000,
        "x_custom": {"team": "support", "level": [1, 2]},
    });
    format!(
        "{}.{}.c2lnbmF0dXJlLW5vdC1yZWFs",
        encode_part(&header),
        encode_part(&claims)
    )
}

/// An answer as the endpoint parser reads it, so its warnings are the real ones.
pub fn fetched(raw: &str, exp: i64, received_at: i64) -> Fetched {
    let body = json!({
        "access_token": raw,
        "token_type": "Bearer",
        "expires_on": exp,
        "expires_in": exp - received_at,
        "resource": ARM,
    });
    Fetched {
        token: parse_success(body.to_string().as_bytes(), received_at).unwrap(),
        latency: Duration::from_millis(12),
        retries: 0,
        server_date: Some(received_at + 3),
        received_at,
        federated: None,
    }
}

pub fn app() -> App {
    let mut app = App::new(
        &endpoint(),
        ARM,
        tokscope::assets::resource_presets(),
        NOW - 60,
    );
    app.local_offset = FixedOffset::east_opt(2 * 3600);
    app
}

pub fn deliver(app: &mut App, kind: FetchKind, at: i64, result: Result<Fetched, Error>) {
    // A user fetch's answer follows a user fetch; one that arrives after Esc is dropped.
    if kind == FetchKind::User && app.in_flight.is_none() {
        update(app, Action::Refetch);
        app.effects.clear();
    }
    update(app, Action::Tick(at));
    let resource = app.resource.clone();
    let id = match kind {
        FetchKind::User => app.in_flight.as_ref().map(|f| f.id),
        FetchKind::Poll => app.watch.polling,
    }
    .expect("a fetch of this kind is in flight");
    update(
        app,
        Action::Fetched {
            id,
            resource,
            at,
            latency: Duration::from_millis(12),
            result: Box::new(result),
        },
    );
}

/// The app with an ARM token fetched a minute ago, living an hour, at the frozen NOW.
pub fn with_token() -> (App, String) {
    let mut app = app();
    let iat = NOW - 60 - 300;
    let exp = NOW + 3540;
    let raw = jwt(ARM, iat, exp, 1);
    update(&mut app, Action::Refetch);
    app.effects.clear();
    deliver(
        &mut app,
        FetchKind::User,
        NOW - 60,
        Ok(fetched(&raw, exp, NOW - 60)),
    );
    update(&mut app, Action::Tick(NOW));
    (app, raw)
}

pub fn service_error() -> Error {
    let mut e = Error::new(
        ErrorKind::Endpoint,
        "AADSTS500011: The resource principal named https://example.invalid was not found in the tenant.",
        "check the resource (App ID URI) for typos; it must be an application registered in your tenant or a Microsoft service",
    )
    .with_status(400)
    .with_code(Some("invalid_resource".into()));
    e.request_ids = vec![(
        "x-ms-request-id".into(),
        "0f1e2d3c-0000-4000-8000-00000000abcd".into(),
    )]
    .into();
    e
}

/// The app after watching: a first poll, the same token, a 503, then a refresh.
pub fn with_watch() -> (App, String) {
    let (mut app, raw) = with_token();
    update(&mut app, Action::ToggleWatch);
    app.effects.clear();
    let exp1 = NOW + 3540;
    deliver(&mut app, FetchKind::Poll, NOW, Ok(fetched(&raw, exp1, NOW)));
    deliver(
        &mut app,
        FetchKind::Poll,
        NOW + 5,
        Ok(fetched(&raw, exp1, NOW + 5)),
    );
    let busy = Error::new(
        ErrorKind::Endpoint,
        "IMDS is busy",
        "tokscope retried; try again shortly",
    )
    .with_status(503);
    deliver(&mut app, FetchKind::Poll, NOW + 10, Err(busy));
    let raw2 = jwt(ARM, NOW + 15 - 300, NOW + 15 + 86_400, 2);
    deliver(
        &mut app,
        FetchKind::Poll,
        NOW + 15,
        Ok(fetched(&raw2, NOW + 15 + 86_400, NOW + 15)),
    );
    update(&mut app, Action::Tick(NOW + 16));
    (app, raw2)
}

/// The screen as text, one line per row, trailing spaces trimmed.
pub fn render(app: &App, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| {
        tokscope::tui::ui::draw(app, f);
    })
    .unwrap();
    let buf = term.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        for x in 0..w {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Replace any run of token characters that is a piece of `raw` (16 chars or more) by dots.
pub fn mask_token(screen: &str, raw: &str) -> String {
    let is_tok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let mut out = String::new();
    for line in screen.lines() {
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if is_tok(chars[i]) {
                let start = i;
                while i < chars.len() && is_tok(chars[i]) {
                    i += 1;
                }
                let run: String = chars[start..i].iter().collect();
                if run.len() >= 16 && raw.contains(&run) {
                    out.push_str(&"•".repeat(run.len()));
                } else {
                    out.push_str(&run);
                }
            } else {
                out.push(chars[i]);
                i += 1;
            }
        }
        out.push('\n');
    }
    out
}

pub fn json_value(s: &str) -> Value {
    serde_json::from_str(s).unwrap()
}

pub const SUB: &str = "5d96cf7f-265b-4da9-8f0c-26ef4243ed52";

fn request(url: &str, status: u16, ms: u64, n: u32) -> RequestRecord {
    let ids = if url.contains("/metadata/") {
        vec![]
    } else {
        vec![
            (
                "x-ms-request-id".to_string(),
                format!("0f5c0362-00bc-4e5c-a2be-0f9c2550{n:04}"),
            ),
            (
                "x-ms-correlation-request-id".to_string(),
                format!("eb940646-e35d-433a-af09-7d08c974{n:04}"),
            ),
        ]
    };
    RequestRecord {
        method: "GET",
        url: tokscope::display_url::DisplayUrl::of(url),
        status: Some(status),
        latency_ms: ms,
        request_ids: ids.into(),
    }
}

fn vm_list_url(page: u32) -> String {
    let mut u = format!("http://127.0.0.1:50342/subscriptions/{SUB}/providers/Microsoft.Compute/virtualMachines?api-version=2021-07-01");
    if page > 0 {
        u.push_str(&format!("&%24skiptoken=page{page}"));
    }
    u
}

/// Fifteen VMs over two pages, found through instance metadata.
pub fn vms_answer(at: i64) -> ArmAnswer {
    let spec = [
        (
            "vm-tokscope-demo",
            "rg-demo",
            "westeurope",
            "Standard_D2s_v5",
            "Linux",
            "Succeeded",
        ),
        (
            "vm-jumpbox-01",
            "rg-demo",
            "westeurope",
            "Standard_B2s",
            "Linux",
            "Succeeded",
        ),
        (
            "vm-win-test-01",
            "rg-demo",
            "westeurope",
            "Standard_D2s_v5",
            "Windows",
            "Succeeded",
        ),
        (
            "vm-web-01",
            "rg-web-prod",
            "westeurope",
            "Standard_D4s_v5",
            "Linux",
            "Succeeded",
        ),
        (
            "vm-web-02",
            "rg-web-prod",
            "northeurope",
            "Standard_D4s_v5",
            "Linux",
            "Updating",
        ),
        (
            "vm-iis-01",
            "rg-web-prod",
            "westeurope",
            "Standard_D2as_v5",
            "Windows",
            "Succeeded",
        ),
        (
            "vm-api-01",
            "rg-web-prod",
            "eastus2",
            "Standard_D2s_v5",
            "Linux",
            "Succeeded",
        ),
        (
            "vm-sql-01",
            "rg-data",
            "westeurope",
            "Standard_E4s_v5",
            "Windows",
            "Succeeded",
        ),
        (
            "vm-pg-01",
            "rg-data",
            "westeurope",
            "Standard_E2s_v5",
            "Linux",
            "Succeeded",
        ),
        (
            "vm-redis-01",
            "rg-data",
            "westeurope",
            "Standard_D2s_v5",
            "Linux",
            "Failed",
        ),
        (
            "vm-kafka-01",
            "rg-data",
            "eastus2",
            "Standard_D8s_v5",
            "Linux",
            "Succeeded",
        ),
        (
            "vm-build-01",
            "rg-batch",
            "eastus2",
            "Standard_F4s_v2",
            "Linux",
            "Succeeded",
        ),
        (
            "vm-render-01",
            "rg-batch",
            "northeurope",
            "Standard_NC4as_T4_v3",
            "Windows",
            "Updating",
        ),
        (
            "vm-worker-01",
            "rg-batch",
            "northeurope",
            "Standard_D4as_v5",
            "Linux",
            "Succeeded",
        ),
        (
            "vm-legacy-app-01",
            "rg-batch",
            "westeurope",
            "Standard_B4ms",
            "Windows",
            "Succeeded",
        ),
    ];
    let vms: Vec<Vm> = spec
        .iter()
        .enumerate()
        .map(|(i, (name, rg, loc, size, os, state))| Vm {
            name: name.to_string(),
            resource_group: rg.to_string(),
            location: loc.to_string(),
            size: size.to_string(),
            os_type: os.to_string(),
            provisioning_state: state.to_string(),
            id: format!("/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{name}"),
            power_state: Some(if i % 4 == 2 { "deallocated" } else { "running" }.to_string()),
        })
        .collect();
    let requests = vec![
        request(
            "http://127.0.0.1:50342/metadata/instance?api-version=2021-02-01",
            200,
            3,
            0,
        ),
        request(&vm_list_url(0), 200, 41, 1),
        request(&vm_list_url(1), 200, 37, 2),
    ];
    let outcome = Outcome {
        subscription: Subscription {
            id: SUB.into(),
            source: SubscriptionSource::InstanceMetadata,
            notes: vec![],
        },
        list: VmList {
            vms,
            pages: 2,
            requests: requests[1..].to_vec(),
        },
        requests: requests.clone(),
        token_note: None,
        fingerprint: "sha256:73b622f47310".into(),
        audience: ARM.into(),
    };
    ArmAnswer {
        at,
        token_note: None,
        requests,
        result: Ok(outcome),
    }
}

/// The 403 the demo's no-role identity gets, after a Graph token was the current one.
pub fn vms_denied(at: i64) -> ArmAnswer {
    let oid = "1ff13534-2e82-4ce1-958d-003d9a0b2361";
    let mut e = Error::new(
        ErrorKind::Arm,
        format!("The client 'aed09b82-4ca8-4fc2-bfb6-37dd5bae2d26' with object id '{oid}' does not have authorization to perform action 'Microsoft.Compute/virtualMachines/read' over scope '/subscriptions/{SUB}' or the scope is invalid. If access was recently granted, please refresh your credentials."),
        format!("give the identity whose oid is {oid} a Reader role on the subscription: az role assignment create --assignee-object-id {oid} --role Reader --scope /subscriptions/{SUB}"),
    )
    .with_status(403)
    .with_code(Some("AuthorizationFailed".into()));
    let failed = request(&vm_list_url(0), 403, 12, 7);
    e.request_ids = failed.request_ids.clone();
    ArmAnswer {
        at,
        token_note: Some("the resource given was https://graph.microsoft.com/; ARM needs a token for https://management.azure.com/, so tokscope fetched one for it".into()),
        requests: vec![
            request(
                "http://127.0.0.1:50342/metadata/instance?api-version=2021-02-01",
                200,
                3,
                0,
            ),
            failed,
        ],
        result: Err(e),
    }
}

/// The verdict on [`vms_denied`], decided by the core from the facts `why` would gather for
/// the identity without a role: ARM's 403, an empty permissions list, no assignments.
pub fn why_no_role(at: i64) -> WhyAnswer {
    use tokscope::authz::verdict::{Facts, Probe};
    let oid = "1ff13534-2e82-4ce1-958d-003d9a0b2361";
    let target = tokscope::authz::target::parse(
        &format!("/subscriptions/{SUB}/providers/Microsoft.Compute/virtualMachines"),
        "GET",
    )
    .unwrap();
    let body = json!({"error": {"code": "AuthorizationFailed", "message": format!("The client 'aed09b82-4ca8-4fc2-bfb6-37dd5bae2d26' with object id '{oid}' does not have authorization to perform action 'Microsoft.Compute/virtualMachines/read' over scope '/subscriptions/{SUB}' or the scope is invalid.")}});
    let probe = Probe::Refused(tokscope::authz::refusal::parse(
        403,
        &|_| None,
        &body.to_string(),
    ));
    let facts = Facts {
        scope: target.scope.clone(),
        target: target.clone(),
        principal_id: Some(oid.into()),
        principal_type: "ServicePrincipal",
        probe: probe.clone(),
        permissions: Ok(Vec::new()),
        assignments: Ok(Vec::new()),
        deny_assignments: Err("403 AuthorizationFailed".into()),
        roles: tokscope::arm::why::built_in_roles(),
        vault_rbac: None,
        now: at,
    };
    let diagnosis = tokscope::authz::decide(&facts);
    WhyAnswer {
        at,
        result: Ok(tokscope::arm::why::Outcome {
            diagnosis,
            scope: facts.scope,
            target,
            url: None,
            principal_id: facts.principal_id,
            principal_type: "ServicePrincipal",
            probe,
            permissions: facts.permissions,
            assignments: facts.assignments,
            deny_assignments: facts.deny_assignments,
            roles_source: "arm",
            requests: Vec::new(),
        }),
    }
}

/// Draw a frame at `w`×`h` and hand what it measured to `update`, as the runner does.
pub fn settle(app: &mut App, w: u16, h: u16) {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut drawn = tokscope::tui::action::Drawn::default();
    term.draw(|f| drawn = tokscope::tui::ui::draw(app, f))
        .unwrap();
    update(app, Action::Drawn(drawn));
}
