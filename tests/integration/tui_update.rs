//! The key flows through `update`: no terminal, no clock but the one the test sets.

use crate::tui_fixture;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokscope::sanitize::ClipboardText;
use tokscope::tui::action::{Action, FetchKind};
use tokscope::tui::app::{update, App, Effect, Mode, Tab, MAX_INTERVAL, MIN_INTERVAL};
use tokscope::tui::event::key_action;
use tokscope::tui::keys::{Confirm, Edit};
use tui_fixture::*;

fn press(app: &mut App, code: KeyCode) {
    if let Some(a) = key_action(&app.mode, KeyEvent::new(code, KeyModifiers::NONE)) {
        update(app, a);
    }
}

fn fetches(app: &App) -> Vec<(FetchKind, String)> {
    app.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Fetch { kind, resource, .. } => Some((*kind, resource.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_second_refetch_while_one_is_in_flight_is_only_noted() {
    let mut app = app();
    press(&mut app, KeyCode::Char('r'));
    press(&mut app, KeyCode::Char('r'));
    assert_eq!(fetches(&app), [(FetchKind::User, ARM.to_string())]);
    let note = app.active_note().unwrap();
    assert!(
        note.contains("in flight") && note.contains("Esc cancels it"),
        "{note}"
    );
}

#[test]
fn enter_fetches_the_selected_resource() {
    let (mut app, _) = with_token();
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        fetches(&app),
        [(FetchKind::User, "https://graph.microsoft.com/".to_string())]
    );
    assert_eq!(app.resource, "https://graph.microsoft.com/");
    assert!(
        app.current.is_none(),
        "the old resource's token is not shown for the new one"
    );
}

#[test]
fn typing_a_resource_fetches_it_and_esc_cancels() {
    let mut app = app();
    press(&mut app, KeyCode::Char('/'));
    for c in "api://x".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.mode, Mode::Normal);
    assert!(app.effects.is_empty());

    press(&mut app, KeyCode::Char('/'));
    for c in "api://xq".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Enter);
    assert_eq!(fetches(&app), [(FetchKind::User, "api://x".to_string())]);
    assert_eq!(app.resources[app.selected].resource, "api://x");
    assert!(!app.quit, "q typed into the input must not quit");
}

#[test]
fn watch_polls_on_its_interval_and_clamps_it() {
    let (mut app, raw) = with_token();
    press(&mut app, KeyCode::Char('w'));
    assert!(app.watch.on);
    assert_eq!(fetches(&app), [(FetchKind::Poll, ARM.to_string())]);
    app.effects.clear();
    deliver(
        &mut app,
        FetchKind::Poll,
        NOW + 1,
        Ok(fetched(&raw, NOW + 3540, NOW + 1)),
    );
    update(&mut app, Action::Tick(NOW + 3));
    assert!(app.effects.is_empty(), "no poll before the interval");
    update(&mut app, Action::Tick(NOW + 5));
    assert_eq!(fetches(&app).len(), 1);
    update(&mut app, Action::Tick(NOW + 6));
    assert_eq!(fetches(&app).len(), 1, "one poll in flight at a time");

    for _ in 0..20 {
        press(&mut app, KeyCode::Char('-'));
    }
    assert_eq!(app.watch.interval, MIN_INTERVAL);
    for _ in 0..100 {
        press(&mut app, KeyCode::Char('+'));
    }
    assert_eq!(app.watch.interval, MAX_INTERVAL);
    press(&mut app, KeyCode::Char('w'));
    assert!(!app.watch.on);
}

#[test]
fn token_copy_needs_confirmation() {
    let (mut app, raw) = with_token();
    press(&mut app, KeyCode::Char('y'));
    assert_eq!(app.mode, Mode::Confirm(Confirm::CopyToken));
    press(&mut app, KeyCode::Char('n'));
    assert_eq!(app.mode, Mode::Normal);
    assert!(app.effects.is_empty());

    press(&mut app, KeyCode::Char('y'));
    press(&mut app, KeyCode::Char('y'));
    assert_eq!(
        app.effects,
        [Effect::Copy(ClipboardText::revealed_token(&raw))]
    );
    app.effects.clear();
    // Enter also fetches: it must not be taken for a yes, and it does nothing else here.
    press(&mut app, KeyCode::Char('y'));
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.mode, Mode::Normal);
    assert!(app.effects.is_empty(), "{:?}", app.effects);
    assert_eq!(app.active_note(), Some("token not copied"));
    press(&mut app, KeyCode::Char('y'));
    press(&mut app, KeyCode::Char('y'));
    assert_eq!(
        app.effects,
        [Effect::Copy(ClipboardText::revealed_token(&raw))]
    );
    let note = app.active_note().unwrap_or_default();
    assert!(
        note.contains("sent to the terminal's clipboard via OSC 52"),
        "{note}"
    );
    assert!(!note.contains("copied"), "{note}");
}

#[test]
fn claims_copy_is_json_without_the_token() {
    let (mut app, raw) = with_token();
    press(&mut app, KeyCode::Char('C'));
    let [Effect::Copy(text)] = app.effects.as_slice() else {
        panic!("expected one copy, got {:?}", app.effects);
    };
    let v = json_value(text);
    assert_eq!(v["claims"]["aud"], ARM);
    assert_eq!(v["header"]["alg"], "RS256");
    assert!(!text.contains(&raw));
    assert_eq!(
        app.active_note(),
        Some(
            "claims, as one line of JSON, sent to the terminal's clipboard via OSC 52 (in tmux: set-clipboard on)"
        )
    );
}

#[test]
fn help_quit_tabs_and_reveal() {
    let (mut app, _) = with_token();
    press(&mut app, KeyCode::Char('?'));
    assert_eq!(app.mode, Mode::Help(0));
    press(&mut app, KeyCode::Char('r'));
    assert!(app.effects.is_empty(), "help takes the keys");
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.mode, Mode::Normal);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.tab, Tab::Watch);
    press(&mut app, KeyCode::BackTab);
    press(&mut app, KeyCode::BackTab);
    assert_eq!(app.tab, Tab::Log);
    press(&mut app, KeyCode::Char('s'));
    assert_eq!(app.mode, Mode::Confirm(Confirm::Reveal), "s asks first");
    assert!(!app.revealed());
    press(&mut app, KeyCode::Char('y'));
    assert!(app.revealed());
    assert_eq!(app.tab, Tab::Token, "revealing shows the token tab");
    press(&mut app, KeyCode::Char('s'));
    assert!(!app.revealed());
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    let quit = key_action(&app.mode, ctrl_c).unwrap();
    update(&mut app, quit);
    assert!(app.quit);
    assert!(app.exit_line().contains("sha256:"));
}

#[test]
fn expiry_disagreement_is_reported() {
    let mut app = app();
    let raw = jwt(ARM, NOW - 300, NOW + 3600, 1);
    // The endpoint says ten minutes earlier than the token's exp.
    deliver(
        &mut app,
        FetchKind::User,
        NOW,
        Ok(fetched(&raw, NOW + 3000, NOW)),
    );
    let w = app.warnings();
    assert!(w.iter().any(|w| w.contains("differ by 10m")), "{w:?}");
    assert!(render(&app, 80, 24).contains("differ by 10m"));
}

#[test]
fn the_log_never_holds_the_token() {
    let (mut app, raw) = with_watch();
    press(&mut app, KeyCode::Char('s'));
    press(&mut app, KeyCode::Char('y'));
    press(&mut app, KeyCode::Enter);
    let log: String = app.log.iter().map(|l| l.text.clone()).collect();
    assert!(!log.contains(&raw));
    assert!(log.contains("refreshed the token"));
    assert!(log.contains("503"));
}

#[tokio::test]
async fn a_token_from_the_emulator_decodes_in_the_app() {
    use tokscope::cli::EndpointArgs;
    use tokscope::commands::setup;
    let args = EndpointArgs {
        retry_max: Some(0),
        timeout: Some(5),
        ..EndpointArgs::default()
    };
    let s = setup::setup(&args, true, setup::demo_config).await.unwrap();
    assert!(tokscope::endpoint::is_loopback_url(s.endpoint.url.expose()));
    let mut app = tokscope::tui::initial_app(&s.endpoint, ARM);
    let [Effect::Fetch { id, resource, .. }] = app.effects.as_slice() else {
        panic!("the app starts with one fetch");
    };
    let (at, latency, result) = tokscope::watch::poll(&s.client, &s.endpoint, resource).await;
    let id = *id;
    let resource = resource.clone();
    app.effects.clear();
    update(
        &mut app,
        Action::Fetched {
            id,
            resource,
            at,
            latency,
            result: Box::new(result),
        },
    );
    let cur = app.current.as_ref().expect("a token");
    let jwt = cur.jwt.as_ref().expect("a JWT");
    assert!(jwt
        .claim_str("aud")
        .unwrap()
        .contains("management.azure.com"));
    let screen = render(&app, 80, 24);
    assert!(screen.contains("expires in"), "{screen}");
    assert!(!screen.contains("eyJ"));
}

fn arm_effects(app: &App) -> Vec<Effect> {
    app.effects
        .iter()
        .filter(|e| matches!(e, Effect::ListVms { .. } | Effect::WriteReport { .. }))
        .cloned()
        .collect()
}

#[test]
fn v_lists_vms_once_and_goes_to_the_arm_tab() {
    let (mut app, _) = with_token();
    press(&mut app, KeyCode::Char('v'));
    assert_eq!(app.tab, Tab::Arm);
    assert_eq!(app.arm.listing_since, Some(NOW));
    assert_eq!(
        arm_effects(&app),
        [Effect::ListVms {
            resource: ARM.to_string()
        }]
    );
    // A second press while the first runs asks for nothing more.
    press(&mut app, KeyCode::Char('v'));
    assert_eq!(arm_effects(&app).len(), 1);
    assert!(app.active_note().unwrap().contains("being listed"));
    // The UI still answers keys meanwhile.
    press(&mut app, KeyCode::Char('?'));
    assert_eq!(app.mode, Mode::Help(0));
}

#[test]
fn the_listing_asks_with_the_current_resource_so_the_plan_can_swap_it() {
    let (mut app, _) = with_token();
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    app.effects.clear();
    press(&mut app, KeyCode::Char('v'));
    assert_eq!(
        arm_effects(&app),
        [Effect::ListVms {
            resource: "https://graph.microsoft.com/".to_string()
        }]
    );
}

#[test]
fn a_listing_lands_in_the_arm_tab_and_the_log() {
    let (mut app, _) = with_token();
    press(&mut app, KeyCode::Char('v'));
    app.effects.clear();
    update(&mut app, Action::VmsListed(Box::new(vms_answer(NOW + 1))));
    assert!(app.arm.listing_since.is_none());
    let last = app.arm.last.as_ref().unwrap();
    assert_eq!(last.result.as_ref().unwrap().list.vms.len(), 15);
    let log: Vec<&str> = app.log.iter().map(|l| l.text.as_str()).collect();
    assert!(
        log.iter().any(|l| l.contains("15 VMs in 2 pages")),
        "{log:?}"
    );
    // The requests are summed up in one line; the ARM tab has each with its ids.
    assert!(
        log.iter().any(|l| l.contains("3 requests sent, 0 failed")),
        "{log:?}"
    );
    assert!(!log.iter().any(|l| l.starts_with("request GET")), "{log:?}");
    // A new listing can start once the last one is in.
    press(&mut app, KeyCode::Char('v'));
    assert_eq!(arm_effects(&app).len(), 1);
}

#[test]
fn a_failed_listing_is_kept_with_its_requests_and_logged() {
    let (mut app, _) = with_token();
    press(&mut app, KeyCode::Char('v'));
    update(&mut app, Action::VmsListed(Box::new(vms_denied(NOW + 1))));
    let last = app.arm.last.as_ref().unwrap();
    let e = last.result.as_ref().unwrap_err();
    assert_eq!(e.status, Some(403));
    assert_eq!(last.requests.len(), 2);
    assert!(app
        .log
        .iter()
        .any(|l| l.text.contains("listing VMs failed") && l.text.contains("AuthorizationFailed")));
    assert!(app
        .log
        .iter()
        .any(|l| l.text.contains("ARM needs a token for")));
}

#[test]
fn arrows_scroll_the_arm_table_not_the_resource_list() {
    let (mut app, _) = with_token();
    press(&mut app, KeyCode::Char('v'));
    update(&mut app, Action::VmsListed(Box::new(vms_answer(NOW + 1))));
    let selected = app.selected;
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    assert_eq!(app.arm.scroll.offset, 2);
    assert_eq!(app.selected, selected);
    press(&mut app, KeyCode::Up);
    assert_eq!(app.arm.scroll.offset, 1);
    // Elsewhere the arrows still move in the resource list.
    press(&mut app, KeyCode::Char('1'));
    press(&mut app, KeyCode::Down);
    assert_eq!(app.selected, selected + 1);
}

#[test]
fn p_writes_one_report_at_a_time_and_shows_the_path() {
    let (mut app, _) = with_token();
    press(&mut app, KeyCode::Char('p'));
    let reports: Vec<_> = arm_effects(&app);
    assert!(
        matches!(reports.as_slice(), [Effect::WriteReport { resource, session }]
            if resource == ARM && session.contains("token held: sha256:")),
        "{reports:?}"
    );
    press(&mut app, KeyCode::Char('p'));
    assert_eq!(arm_effects(&app).len(), 1);
    let path = "/tmp/tokscope-report-20251124T160000Z.md";
    update(&mut app, Action::ReportWritten(Ok(path.into())));
    assert!(!app.report_in_flight);
    assert!(app.active_note().unwrap().contains(path));
    assert!(app.log.iter().any(|l| l.text.contains(path)));
    // The path stays up long enough to read out.
    update(&mut app, Action::Tick(NOW + 20));
    assert!(app.active_note().unwrap().contains(path));
}

#[test]
fn a_report_that_cannot_be_written_says_why() {
    let (mut app, _) = with_token();
    press(&mut app, KeyCode::Char('p'));
    let e = tokscope::error::Error::new(
        tokscope::error::ErrorKind::Io,
        "cannot write the report (/x: read-only)",
        "run tokscope from a writable directory",
    );
    update(&mut app, Action::ReportWritten(Err(e)));
    assert!(app.active_note().unwrap().contains("read-only"));
    assert!(app
        .log
        .iter()
        .any(|l| l.text.contains("the report was not written")));
}

#[test]
fn a_fresh_token_has_used_none_of_its_lifetime() {
    // Entra stamps iat and nbf five minutes before it issues the token.
    let mut app = app();
    let raw = jwt(ARM, NOW - 300, NOW + 120, 7);
    update(&mut app, Action::Refetch);
    let mut f = fetched(&raw, NOW + 120, NOW);
    f.server_date = Some(NOW);
    deliver(&mut app, FetchKind::User, NOW, Ok(f));
    let (used, left) = app.expiry().unwrap();
    assert!(used < 0.01, "{used}");
    assert_eq!(left, 120);
}

#[test]
fn the_gauge_counts_on_the_endpoints_clock_when_ours_is_behind() {
    // This machine is 10 minutes behind: the token was issued "in the future" by our clock,
    // which used to leave the gauge at 0 % for its whole first ten minutes.
    let mut app = app();
    let ahead = 600;
    let issued = NOW + ahead;
    let raw = jwt(ARM, issued - 300, issued + 3300, 8);
    let mut f = fetched(&raw, issued + 3300, NOW);
    f.server_date = Some(NOW + ahead);
    deliver(&mut app, FetchKind::User, NOW, Ok(f));
    update(&mut app, Action::Tick(NOW + 1200));
    let (used, left) = app.expiry().unwrap();
    assert!(used > 0.3, "{used}");
    assert_eq!(left, 3300 - 1200);
}

#[test]
fn esc_cancels_a_running_fetch_and_drops_its_late_answer() {
    let (mut app, _) = with_token();
    let before = app
        .current
        .as_ref()
        .unwrap()
        .fetched
        .token
        .access_token
        .fingerprint();
    press(&mut app, KeyCode::Char('r'));
    app.effects.clear();
    press(&mut app, KeyCode::Esc);
    assert!(app.in_flight.is_none());
    assert_eq!(app.effects, [Effect::CancelFetch]);
    assert!(
        app.active_note().unwrap().contains("cancelled"),
        "{:?}",
        app.note
    );
    // The next fetch can start at once.
    app.effects.clear();
    press(&mut app, KeyCode::Char('r'));
    assert_eq!(fetches(&app), [(FetchKind::User, ARM.to_string())]);
    let cancelled = app.in_flight.as_ref().unwrap().id;
    press(&mut app, KeyCode::Esc);
    // An answer already on its way when Esc was pressed changes nothing.
    let raw = jwt(ARM, NOW - 300, NOW + 999, 9);
    update(
        &mut app,
        Action::Fetched {
            id: cancelled,
            resource: ARM.into(),
            at: NOW,
            latency: std::time::Duration::from_millis(5),
            result: Box::new(Ok(fetched(&raw, NOW + 999, NOW))),
        },
    );
    let after = app
        .current
        .as_ref()
        .unwrap()
        .fetched
        .token
        .access_token
        .fingerprint();
    assert_eq!(before, after);
}

#[test]
fn token_scrolling_stops_at_the_last_line_and_home_end_jump() {
    let (mut app, _) = with_token();
    settle(&mut app, 80, 24);
    let most = app.token.scroll.max.unwrap();
    assert!(most > 0, "the fixture token overflows 80x24");
    press(&mut app, KeyCode::Right);
    for _ in 0..20 {
        press(&mut app, KeyCode::PageDown);
        settle(&mut app, 80, 24);
    }
    assert_eq!(app.token.scroll.offset, most);
    // One PgUp moves back at once; no hidden overshoot to climb out of.
    press(&mut app, KeyCode::PageUp);
    let page = app.token.scroll.page;
    assert_eq!(app.token.scroll.offset, most.saturating_sub(page - 1));
    press(&mut app, KeyCode::Home);
    assert_eq!(app.token.scroll.offset, 0);
    press(&mut app, KeyCode::End);
    settle(&mut app, 80, 24);
    assert_eq!(app.token.scroll.offset, most);
    let screen = render(&app, 80, 24);
    assert!(screen.contains("lines "), "{screen}");
    assert!(
        screen.contains("signature"),
        "the last line is shown: {screen}"
    );
}

#[test]
fn changing_resource_while_watching_restarts_the_watch_and_says_so() {
    let (mut app, _) = with_watch();
    let storage = "https://storage.azure.com/";
    update(&mut app, Action::StartInput);
    update(&mut app, Action::InputText(storage.into()));
    update(&mut app, Action::InputEdit(Edit::Submit));
    assert!(app.watch.on);
    assert_eq!(app.watch.resource, storage);
    assert_eq!(app.watch.timeline.events().len(), 0);
    assert!(app
        .log
        .iter()
        .any(|l| l.text == format!("watch restarted for {storage}")));
    let screen = render(&app, 120, 40);
    assert!(screen.contains(&format!("resource {storage}")), "{screen}");
}

#[test]
fn the_hint_line_follows_focus() {
    let (mut app, _) = with_token();
    assert!(render(&app, 120, 40).contains("j/k choose a resource"));
    press(&mut app, KeyCode::Right);
    let screen = render(&app, 120, 40);
    assert!(screen.contains("j/k choose a claim · c copies"), "{screen}");
    press(&mut app, KeyCode::Char('4'));
    let screen = render(&app, 120, 40);
    assert!(screen.contains("j/k PgUp/PgDn g/G scroll · ←"), "{screen}");
    assert!(!screen.contains("choose a resource"), "{screen}");
}

#[test]
fn claims_are_one_line_each_with_the_selected_ones_meaning_below() {
    let (mut app, _) = with_token();
    settle(&mut app, 120, 40);
    let screen = render(&app, 120, 40);
    let iss = screen
        .lines()
        .find(|l| l.contains(" iss "))
        .expect("the iss row is on screen");
    assert!(
        !iss.contains("Issuer"),
        "no explanation under every claim: {iss}"
    );
    assert!(screen.contains("aud: Audience"), "{screen}");
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Char('j'));
    let screen = render(&app, 120, 40);
    assert!(screen.contains("iss: Issuer"), "{screen}");
    press(&mut app, KeyCode::Char('c'));
    assert!(
        app.effects
            .iter()
            .any(|e| matches!(e, Effect::Copy(v) if v.starts_with("https://sts.windows.net/"))),
        "c copies the selected claim's value: {:?}",
        app.effects
    );
}

#[test]
fn a_tiny_terminal_gets_a_message_not_a_broken_layout() {
    let (app, _) = with_token();
    for (w, h) in [(39, 24), (80, 9), (20, 3), (1, 1), (0, 0)] {
        let screen = render(&app, w, h);
        if w >= 32 {
            assert!(
                screen.contains("terminal too small (need 40x10)"),
                "{screen}"
            );
        }
        assert!(!screen.contains("CLAIMS"), "{w}x{h}: {screen}");
    }
    assert!(render(&app, 30, 8).contains("too small: 40x10"));
    assert!(!render(&app, 40, 10).contains("too small"));
}

fn ctrl(app: &mut App, c: char) {
    if let Some(a) = key_action(
        &app.mode,
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL),
    ) {
        update(app, a);
    }
}

fn prompt_text(app: &App) -> String {
    match &app.mode {
        Mode::Input(e) => e.text(),
        other => panic!("not in the prompt: {other:?}"),
    }
}

#[test]
fn the_prompt_edits_with_shell_keys_instead_of_typing_them() {
    let mut app = app();
    press(&mut app, KeyCode::Char('/'));
    for c in "https://vault.azure.net/keys".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    ctrl(&mut app, 'w');
    assert_eq!(prompt_text(&app), "https://vault.azure.net/");
    ctrl(&mut app, 'a');
    press(&mut app, KeyCode::Char('x'));
    assert_eq!(prompt_text(&app), "xhttps://vault.azure.net/");
    press(&mut app, KeyCode::Home);
    press(&mut app, KeyCode::Delete);
    press(&mut app, KeyCode::End);
    press(&mut app, KeyCode::Left);
    press(&mut app, KeyCode::Backspace);
    assert_eq!(prompt_text(&app), "https://vault.azure.ne/");
    ctrl(&mut app, 'e');
    ctrl(&mut app, 'u');
    assert_eq!(prompt_text(&app), "");
    // A long input scrolls sideways and keeps the cursor on screen.
    update(
        &mut app,
        Action::InputText("https://".to_string() + &"a".repeat(200) + "/end"),
    );
    let screen = render(&app, 80, 24);
    assert!(screen.contains("/end"), "{screen}");
}

#[test]
fn a_pasted_jwt_is_never_shown_and_decodes_in_place() {
    let (mut app, _) = with_token();
    let pasted = jwt("api://pasted-app", NOW - 300, NOW + 600, 42);
    update(&mut app, Action::Paste(format!("Bearer {pasted}\n")));
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = render(&app, w, h);
        assert!(
            !screen.contains("eyJ"),
            "the pasted token is on screen:\n{screen}"
        );
        assert!(screen.contains("hidden"), "{screen}");
    }
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.mode, Mode::Normal);
    assert!(app.effects.is_empty(), "a pasted token is not fetched");
    assert_eq!(app.resource, ARM, "nor does it become a resource");
    assert!(app.pasted.is_some());
    let screen = render(&app, 120, 40);
    assert!(screen.contains("PASTED TOKEN"), "{screen}");
    assert!(screen.contains("api://pasted-app"), "{screen}");
    assert!(!screen.contains("eyJ"), "{screen}");
    assert!(app.log.iter().all(|l| !l.text.contains("eyJ")));
    assert!(!tokscope::tui::report::session_story(&app).contains("eyJ"));
    press(&mut app, KeyCode::Esc);
    assert!(app.pasted.is_none());
}

#[test]
fn q_closes_help_before_it_quits_and_help_scrolls() {
    let (mut app, _) = with_token();
    press(&mut app, KeyCode::Char('?'));
    settle(&mut app, 60, 15);
    assert!(app.help_max > 0, "help overflows 60x15");
    press(&mut app, KeyCode::Char('G'));
    assert_eq!(app.mode, Mode::Help(app.help_max));
    let screen = render(&app, 60, 15);
    assert!(
        screen.contains("to a 0600 file"),
        "the last lines are reachable:\n{screen}"
    );
    press(&mut app, KeyCode::Char('q'));
    assert_eq!(app.mode, Mode::Normal);
    assert!(!app.quit, "q closed help");
    press(&mut app, KeyCode::Char('q'));
    assert!(app.quit);
}

#[test]
fn enter_fetches_from_the_panel_too() {
    let (mut app, _) = with_token();
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Enter);
    assert_eq!(fetches(&app), [(FetchKind::User, ARM.to_string())]);
}

#[test]
fn vim_and_page_keys_scroll_every_tab() {
    let (mut app, _) = with_token();
    update(&mut app, Action::ListVms);
    update(&mut app, Action::VmsListed(Box::new(vms_answer(NOW + 1))));
    settle(&mut app, 80, 24);
    press(&mut app, KeyCode::Char('j'));
    assert_eq!(app.arm.scroll.offset, 1);
    ctrl(&mut app, 'd');
    let page = app.arm.scroll.page;
    assert_eq!(app.arm.scroll.offset, page);
    ctrl(&mut app, 'u');
    assert_eq!(app.arm.scroll.offset, 1);
    press(&mut app, KeyCode::Char(' '));
    assert_eq!(app.arm.scroll.offset, page);
    press(&mut app, KeyCode::Char('G'));
    assert_eq!(app.arm.scroll.offset, app.arm.scroll.max.unwrap());
    press(&mut app, KeyCode::Char('g'));
    assert_eq!(app.arm.scroll.offset, 0);
    press(&mut app, KeyCode::Char('k'));
    assert_eq!(app.arm.scroll.offset, 0);
}

#[test]
fn each_tab_keeps_its_own_scroll() {
    let (mut app, _) = with_watch();
    update(&mut app, Action::ListVms);
    update(&mut app, Action::VmsListed(Box::new(vms_answer(NOW + 1))));
    settle(&mut app, 80, 24);
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Char('2'));
    settle(&mut app, 80, 24);
    press(&mut app, KeyCode::Right);
    for _ in 0..10 {
        press(&mut app, KeyCode::Char('j'));
    }
    // Watch scrolls its rows only as far as they go, and never claims there are none.
    assert_eq!(app.watch.scroll.offset, app.watch.scroll.max.unwrap_or(0));
    assert!(!render(&app, 80, 24).contains("No polls yet"));
    press(&mut app, KeyCode::Char('3'));
    assert_eq!(app.arm.scroll.offset, 2);
}

#[test]
fn the_log_reads_oldest_first_and_opens_on_the_newest() {
    let (mut app, _) = with_watch();
    press(&mut app, KeyCode::Char('4'));
    settle(&mut app, 80, 24);
    let screen = render(&app, 80, 24);
    assert!(screen.contains("lines "), "a position line: {screen}");
    assert!(
        screen.contains("refreshed the token"),
        "the newest is shown: {screen}"
    );
    press(&mut app, KeyCode::Home);
    let top = render(&app, 80, 24);
    assert!(top.contains("oldest first"), "{top}");
    assert!(
        top.contains("fetching a token for"),
        "Home shows the oldest: {top}"
    );
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Down);
    assert_eq!(app.log.scroll.offset, 1, "down goes to newer lines");
}

#[test]
fn below_the_list_width_the_panel_takes_focus() {
    let (mut app, _) = with_token();
    assert_eq!(app.focus, tokscope::tui::app::Focus::Resources);
    settle(&mut app, 50, 20);
    assert!(!app.list_shown);
    assert_eq!(app.focus, tokscope::tui::app::Focus::Panel);
    press(&mut app, KeyCode::Left);
    assert_eq!(
        app.focus,
        tokscope::tui::app::Focus::Panel,
        "no focus on a hidden list"
    );
    settle(&mut app, 200, 60);
    press(&mut app, KeyCode::Left);
    assert_eq!(app.focus, tokscope::tui::app::Focus::Resources);
}

#[test]
fn the_list_grows_with_the_terminal_and_the_header_keeps_the_resource() {
    let mut app = app();
    let wide = render(&app, 200, 60);
    assert!(
        wide.contains("AKS (Entra integration)"),
        "the longest name is whole:\n{wide}"
    );
    let long = "api://a-rather-long-application-id-uri-for-a-custom-api/with/a/path";
    update(&mut app, Action::StartInput);
    update(&mut app, Action::InputText(long.into()));
    update(&mut app, Action::InputEdit(Edit::Submit));
    let wide = render(&app, 200, 60);
    assert!(
        wide.contains(long),
        "the list shows it whole at 200 columns:\n{wide}"
    );
    let narrow = render(&app, 80, 24);
    let row2 = narrow.lines().nth(1).unwrap();
    assert!(row2.starts_with(" resource api://"), "{row2}");
    assert!(
        row2.contains("…") && row2.contains("/path"),
        "the end is kept: {row2}"
    );
}

#[test]
fn t_switches_every_time_between_utc_and_local_with_labels() {
    let (mut app, _) = with_token();
    let utc = render(&app, 120, 40);
    assert!(utc.contains("16:59:00 UTC"), "{utc}");
    press(&mut app, KeyCode::Char('t'));
    let local = render(&app, 120, 40);
    assert!(local.contains("18:59:00 local"), "{local}");
    assert!(local.contains("times in local"), "{local}");
}

#[test]
fn y_offers_a_private_file_when_osc52_may_not_work() {
    let (mut app, _) = with_token();
    press(&mut app, KeyCode::Char('y'));
    assert!(render(&app, 120, 40).contains("f: to a 0600 file"));
    press(&mut app, KeyCode::Char('f'));
    assert_eq!(app.effects, [Effect::WriteTokenFile]);
    update(
        &mut app,
        Action::TokenFileWritten(Ok("/tmp/tokscope-token-x.txt".into())),
    );
    assert!(app
        .active_note()
        .unwrap()
        .contains("/tmp/tokscope-token-x.txt"));
}

#[test]
fn ctrl_l_repaints_and_ctrl_z_suspends() {
    let (mut app, _) = with_token();
    ctrl(&mut app, 'l');
    ctrl(&mut app, 'z');
    assert_eq!(app.effects, [Effect::Repaint, Effect::Suspend]);
}

#[test]
fn s_reveals_for_a_while_then_hides() {
    let (mut app, _) = with_token();
    press(&mut app, KeyCode::Char('s'));
    press(&mut app, KeyCode::Char('y'));
    assert!(app.revealed());
    update(
        &mut app,
        Action::Tick(NOW + tokscope::tui::app::REVEAL_SECONDS + 1),
    );
    assert!(!app.revealed());
    press(&mut app, KeyCode::Char('s'));
    press(&mut app, KeyCode::Char('y'));
    assert!(app.revealed());
    press(&mut app, KeyCode::Esc);
    assert!(!app.revealed(), "Esc hides it");
}

#[test]
fn watch_shows_retries_as_they_happen_and_marks_a_recovered_poll() {
    let (mut app, raw) = with_token();
    press(&mut app, KeyCode::Char('w'));
    app.effects.clear();
    let poll = app.watch.polling.unwrap();
    update(
        &mut app,
        Action::Retrying {
            job: tokscope::tui::action::Job::Fetch(poll),
            note: tokscope::endpoint::RetryNote {
                retry: 2,
                status: Some(503),
                wait: std::time::Duration::from_secs(3),
            },
        },
    );
    press(&mut app, KeyCode::Char('2'));
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("retry 2 after HTTP 503, next in 3 s"),
        "{screen}"
    );
    // Once the "watch on" note is gone, the status line says the same, instead of sitting on
    // "next poll in 0 s" while the retries run.
    app.note = None;
    let screen = render(&app, 80, 24);
    assert!(!screen.contains("next poll in 0 s"), "{screen}");
    assert_eq!(
        screen.matches("retry 2 after HTTP 503").count(),
        2,
        "{screen}"
    );
    let mut f = fetched(&raw, NOW + 3540, NOW + 4);
    f.retries = 2;
    deliver(&mut app, FetchKind::Poll, NOW + 4, Ok(f));
    assert_eq!(app.watch.retries, 1);
    assert_eq!(app.watch.recovered, 1);
    let screen = render(&app, 120, 40);
    assert!(screen.contains("recovered after 2 retries"), "{screen}");
    assert!(screen.contains("retries 1"), "{screen}");
}

#[test]
fn watch_history_is_kept_per_resource() {
    let (mut app, _) = with_watch();
    let polls = app.watch.timeline.events().len();
    assert!(polls > 0);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.watch.timeline.events().len(), 0);
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.watch.timeline.events().len(), polls, "restored");
    assert!(app.log.iter().any(|l| l.text.contains("history of")));
}

#[test]
fn a_wrong_audience_is_warned_on_the_card() {
    let mut app = app();
    let raw = jwt("https://graph.microsoft.com/", NOW - 300, NOW + 3600, 3);
    deliver(
        &mut app,
        FetchKind::User,
        NOW,
        Ok(fetched(&raw, NOW + 3600, NOW)),
    );
    let screen = render(&app, 120, 40);
    assert!(
        screen.contains("InvalidAuthenticationTokenAudience"),
        "{screen}"
    );
    assert!(screen.contains("✗ FAIL"), "{screen}");
    // The header says so too, not only the card.
    let gauge = screen.lines().nth(2).unwrap();
    assert!(gauge.contains("FAIL · "), "{gauge}");
}

/// README's key table is the one the code maps and `?` shows.
#[test]
fn readme_lists_the_keys_the_code_maps() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let rows = tokscope::tui::keys::markdown_rows();
    assert!(
        readme.contains(&format!("| keys | what |\n|---|---|\n{rows}")),
        "README's key table differs from tui::keys; it should read:\n{rows}"
    );
}

/// A token pasted where the terminal has no bracketed paste arrives as keys microseconds apart.
/// Run as the runner runs them, through the burst check, none of its letters acts: no reveal
/// (`s`), zoom (`z`), report (`p`), watch (`w`) or quit (`q`); the prompt holds it, hidden.
#[test]
fn a_burst_of_keys_on_the_main_screen_is_a_paste_not_commands() {
    use std::time::{Duration, Instant};
    use tokscope::tui::event::{Typed, Typing, BURST_GAP};
    let (mut app, _) = with_token();
    let head = jwt("api://pasted-app", NOW - 300, NOW + 600, 42);
    let pasted = format!("{}.szpwqyszpwqy", head.rsplit_once('.').unwrap().0);
    let mut typing = Typing::default();
    let t0 = Instant::now();
    let mut typed = Vec::new();
    for (i, c) in pasted.chars().enumerate() {
        let at = t0 + Duration::from_micros(u64::try_from(i).unwrap() * 20);
        typed.extend(typing.key(
            &app.mode,
            KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE),
            at,
        ));
    }
    assert!(
        typed.is_empty(),
        "nothing acts while the keys come: {typed:?}"
    );
    assert!(typing.due().unwrap() <= t0 + Duration::from_millis(40) + BURST_GAP);
    typed.extend(typing.flush());
    assert_eq!(typed, [Typed::Paste(pasted.clone())]);
    // `/` and a quick paste: the prompt opens and takes the rest as pasted text.
    for (i, c) in "/api://x".chars().enumerate() {
        let at = t0 + Duration::from_micros(u64::try_from(i).unwrap() * 20);
        let k = KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        assert!(typing.key(&Mode::Normal, k, at).is_empty());
    }
    assert_eq!(
        typing.flush(),
        [
            Typed::Keys(vec![KeyEvent::new(KeyCode::Char('/'), KeyModifiers::NONE)]),
            Typed::Paste("api://x".into())
        ]
    );
    for t in typed {
        if let Typed::Paste(text) = t {
            update(&mut app, Action::Paste(text));
        }
    }
    assert!(!app.quit && !app.revealed() && !app.zoom && !app.watch.on);
    assert!(app.effects.is_empty(), "{:?}", app.effects);
    assert!(matches!(app.mode, Mode::Input(_)));
    let screen = render(&app, 80, 24);
    assert!(screen.contains("hidden› Enter decodes it here"), "{screen}");
    assert!(!screen.contains("eyJ"), "{screen}");
    press(&mut app, KeyCode::Enter);
    assert!(app.pasted.is_some(), "offered to decode, and decoded");
}

#[test]
fn s_asks_before_it_shows_the_token_and_any_other_key_says_no() {
    let (mut app, _) = with_token();
    press(&mut app, KeyCode::Char('s'));
    assert_eq!(app.mode, Mode::Confirm(Confirm::Reveal));
    let screen = render(&app, 80, 24);
    assert!(screen.contains("Show the raw token on screen"), "{screen}");
    assert!(!screen.contains("TOKEN VISIBLE"), "{screen}");
    press(&mut app, KeyCode::Char('s'));
    assert_eq!(app.mode, Mode::Normal);
    assert!(!app.revealed(), "a second s is not a yes");
    assert_eq!(app.active_note(), Some("token not shown"));
    press(&mut app, KeyCode::Char('s'));
    press(&mut app, KeyCode::Enter);
    assert!(!app.revealed(), "nor is Enter");
    press(&mut app, KeyCode::Char('s'));
    press(&mut app, KeyCode::Char('y'));
    assert!(app.revealed());
    // Hiding never asks.
    press(&mut app, KeyCode::Char('s'));
    assert!(!app.revealed());
    assert_eq!(app.mode, Mode::Normal);
}

/// Enter fetches the highlighted resource from the panel too, as help says, not the one shown.
#[test]
fn enter_in_the_panel_fetches_the_highlighted_resource() {
    let (mut app, _) = with_token();
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        fetches(&app),
        [(FetchKind::User, "https://graph.microsoft.com/".to_string())]
    );
}

/// The marks are explained, and help's PgDn moves by the page it shows, not ten lines.
#[test]
fn help_explains_the_marks_and_pages_by_its_height() {
    let (mut app, _) = with_token();
    press(&mut app, KeyCode::Char('?'));
    settle(&mut app, 80, 24);
    press(&mut app, KeyCode::PageDown);
    let page = app.help_page;
    assert!(page > 10, "{page}");
    assert_eq!(app.mode, Mode::Help(page - 1));
    press(&mut app, KeyCode::Char('G'));
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("the highlighted resource: Enter fetches it"),
        "{screen}"
    );
    assert!(
        screen.contains("the resource whose token is shown"),
        "{screen}"
    );
}

/// One listing that sent many requests (an instance view per VM) adds a few lines to the log,
/// not one per request; a failed request is there whole, with its ids.
#[test]
fn one_arm_listing_does_not_flood_the_log() {
    let (mut app, _) = with_token();
    press(&mut app, KeyCode::Char('v'));
    let mut answer = vms_answer(NOW + 1);
    let one = answer.requests[1].clone();
    answer.requests.extend(std::iter::repeat_n(one, 24));
    assert_eq!(answer.requests.len(), 27);
    let before = app.log.iter().count();
    update(&mut app, Action::VmsListed(Box::new(answer)));
    let added: Vec<String> = app
        .log
        .iter()
        .skip(before)
        .map(|l| l.text.clone())
        .collect();
    assert!(added.len() <= 3, "{added:?}");
    assert!(
        added
            .iter()
            .any(|l| l.contains("27 requests sent, 0 failed")),
        "{added:?}"
    );

    press(&mut app, KeyCode::Char('v'));
    update(&mut app, Action::VmsListed(Box::new(vms_denied(NOW + 2))));
    assert!(app.log.iter().any(|l| l.text.starts_with("request GET")
        && l.text.contains("→ 403")
        && l.text.contains("x-ms-request-id")));
}

/// `e` narrows the log to warnings and errors, then to errors, then back.
#[test]
fn the_log_filters_to_its_errors() {
    let (mut app, _) = with_watch();
    press(&mut app, KeyCode::Char('4'));
    let all = render(&app, 120, 40);
    assert!(all.contains("fetching a token for"), "{all}");
    press(&mut app, KeyCode::Char('e'));
    let problems = render(&app, 120, 40);
    assert!(problems.contains("warnings and errors only"), "{problems}");
    assert!(!problems.contains("fetching a token for"), "{problems}");
    assert!(problems.contains("503"), "{problems}");
    press(&mut app, KeyCode::Char('e'));
    let errors = render(&app, 120, 40);
    assert!(errors.contains("errors only"), "{errors}");
    assert!(errors.contains("503"), "{errors}");
    press(&mut app, KeyCode::Char('e'));
    assert!(render(&app, 120, 40).contains("fetching a token for"));
}

/// A note about work running goes when the work ends, instead of sitting on the status line.
#[test]
fn a_note_about_a_running_fetch_goes_when_it_ends() {
    let (mut app, raw) = with_token();
    press(&mut app, KeyCode::Char('r'));
    press(&mut app, KeyCode::Char('r'));
    assert!(app.active_note().unwrap().contains("in flight"));
    deliver(
        &mut app,
        FetchKind::User,
        NOW,
        Ok(fetched(&raw, NOW + 3540, NOW)),
    );
    assert_eq!(app.active_note(), None);
}

/// At 40 columns the countdown is whole; at 80 the endpoint is readable however long the
/// list of what chose it; at 200 claim names are whole.
#[test]
fn narrow_and_wide_screens_keep_what_matters_whole() {
    let (mut app, _) = with_token();
    let narrow = render(&app, 40, 12);
    let gauge = narrow.lines().nth(2).unwrap();
    assert!(gauge.contains("expires in 58m 57s"), "{narrow}");
    app.demo = false;
    app.detected_from = vec![
        "IDENTITY_ENDPOINT".into(),
        "IDENTITY_HEADER".into(),
        "AZURE_CLIENT_ID".into(),
    ];
    let screen = render(&app, 80, 24);
    let top = screen.lines().next().unwrap();
    assert!(
        top.contains("127.0.0.1:50342/") && top.contains("/identity/oauth2/token"),
        "{top}"
    );
    assert!(top.contains("from IDENTITY_ENDP"), "{top}");
    let wide = render(&app, 200, 60);
    assert!(wide.contains(" xms_mirid "), "{wide}");
}

/// CJK text is measured in columns: a long value is cut with an ellipsis inside the panel and
/// no row grows past the terminal.
#[test]
fn cjk_claims_are_measured_in_columns() {
    use tokscope::token::jwt::encode_part;
    let (mut app, _) = with_token();
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT"});
    let claims = serde_json::json!({
        "aud": "api://日本",
        "名前": "日本語のテキスト".repeat(12),
        "exp": NOW + 600,
    });
    let raw = format!("{}.{}.c2ln", encode_part(&header), encode_part(&claims));
    update(&mut app, Action::Paste(raw));
    press(&mut app, KeyCode::Enter);
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let screen = render(&app, w, h);
        let row = screen
            .lines()
            .find(|l| l.contains('名'))
            .unwrap_or_else(|| panic!("the claim:\n{screen}"));
        assert!(row.contains('…'), "{row}");
        if w < 200 {
            assert!(row.ends_with('│'), "the border is intact: {row}");
        }
    }
}

/// A pasted token is judged as `decode` judges it, on the card and in the header: unsigned
/// and expired ones are FAIL, with the words the core gives.
#[test]
fn a_pasted_unsigned_or_expired_token_turns_the_header() {
    use tokscope::token::jwt::encode_part;
    let paste = |app: &mut App, header: serde_json::Value, exp: i64| {
        let claims = serde_json::json!({"aud": "api://x", "exp": exp, "iat": exp - 3600});
        let raw = format!("{}.{}.c2ln", encode_part(&header), encode_part(&claims));
        update(app, Action::Paste(raw));
        press(app, KeyCode::Enter);
        assert!(app.pasted.is_some());
        render(app, 120, 40)
    };
    let (mut app, _) = with_token();
    let ok = paste(&mut app, serde_json::json!({"alg": "RS256"}), NOW + 600);
    assert!(ok.lines().nth(2).unwrap().contains(": OK"), "{ok}");
    press(&mut app, KeyCode::Esc);
    let unsigned = paste(&mut app, serde_json::json!({"alg": "none"}), NOW + 600);
    let head = unsigned.lines().nth(2).unwrap();
    assert!(
        head.contains("FAIL") && head.contains("UNSIGNED"),
        "{unsigned}"
    );
    assert!(unsigned.contains("✗ FAIL"), "{unsigned}");
    press(&mut app, KeyCode::Esc);
    let expired = paste(&mut app, serde_json::json!({"alg": "RS256"}), NOW - 600);
    let head = expired.lines().nth(2).unwrap();
    assert!(
        head.contains("FAIL") && head.contains("expired"),
        "{expired}"
    );
}

/// An expired fetched token says which of the causes the core tells apart: served already
/// expired (a stale cache at the endpoint), not run out since.
#[test]
fn a_token_served_expired_blames_the_endpoints_cache() {
    let mut app = app();
    let raw = jwt(ARM, NOW - 7200, NOW - 60, 5);
    let mut f = fetched(&raw, NOW - 60, NOW);
    f.server_date = Some(NOW);
    deliver(&mut app, FetchKind::User, NOW, Ok(f));
    let screen = render(&app, 120, 40);
    let gauge = screen.lines().nth(2).unwrap();
    assert!(gauge.contains("stale cache"), "{screen}");
    assert!(!gauge.contains("ran out after"), "{screen}");
}
