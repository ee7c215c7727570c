//! Every view at 80x24 and 120x40, with a frozen clock and fixed tokens.

use crate::tui_fixture;

use tokscope::tui::action::{Action, FetchKind};
use tokscope::tui::app::{update, App, Tab};
use tui_fixture::*;

/// 80x24 over SSH, a big screen, and a narrow one below the width where the list hides.
const SIZES: [(u16, u16); 3] = [(80, 24), (120, 40), (50, 20)];

fn snap(name: &str, app: &App, raw: &str) {
    for (w, h) in SIZES {
        let screen = render(app, w, h);
        assert!(!screen.contains(raw), "{name}: the raw token is on screen");
        assert!(!screen.contains("eyJ"), "{name}: a JWT piece is on screen");
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), screen);
    }
    // A Linux console or a non-UTF-8 locale: plain ASCII, nothing lost.
    let mut ascii = app.clone();
    ascii.ascii = true;
    let screen = render(&ascii, 80, 24);
    assert!(
        screen.is_ascii(),
        "{name}: a glyph outside ASCII:\n{screen}"
    );
    insta::assert_snapshot!(format!("{name}_ascii_80x24"), screen);
}

#[test]
fn token_view() {
    let (app, raw) = with_token();
    snap("token", &app, &raw);
}

#[test]
fn token_view_scrolled() {
    let (mut app, raw) = with_token();
    update(&mut app, Action::FocusPanel);
    update(&mut app, Action::PageDown);
    snap("token_scrolled", &app, &raw);
}

#[test]
fn watch_view() {
    let (mut app, raw) = with_watch();
    update(&mut app, Action::GoTab(1));
    snap("watch", &app, &raw);
}

#[test]
fn arm_before_listing() {
    let (mut app, raw) = with_token();
    update(&mut app, Action::GoTab(2));
    assert_eq!(app.tab, Tab::Arm);
    snap("arm", &app, &raw);
}

#[test]
fn arm_listing_in_flight() {
    let (mut app, raw) = with_token();
    update(&mut app, Action::ListVms);
    app.effects.clear();
    update(&mut app, Action::Tick(NOW + 2));
    let screen = render(&app, 80, 24);
    assert!(screen.contains("listing…"), "{screen}");
    snap("arm_listing", &app, &raw);
}

#[test]
fn arm_vm_table() {
    let (mut app, raw) = with_token();
    update(&mut app, Action::ListVms);
    app.effects.clear();
    update(&mut app, Action::VmsListed(Box::new(vms_answer(NOW + 1))));
    update(&mut app, Action::Tick(NOW + 5));
    // A GUID cannot be whole on one line of the narrow panel: it wraps at a dash there.
    for (w, h) in &SIZES[..2] {
        let screen = render(&app, *w, *h);
        assert!(screen.contains("vm-tokscope-demo"), "{screen}");
        assert!(screen.contains("15 VMs in 2 pages"), "{screen}");
        assert!(screen.contains(SUB), "{screen}");
    }
    snap("arm_vms", &app, &raw);
}

#[test]
fn arm_vm_table_scrolled_to_the_requests() {
    let (mut app, raw) = with_token();
    update(&mut app, Action::ListVms);
    app.effects.clear();
    update(&mut app, Action::VmsListed(Box::new(vms_answer(NOW + 1))));
    update(&mut app, Action::Tick(NOW + 5));
    for _ in 0..5 {
        settle(&mut app, 80, 24);
        update(&mut app, Action::PageDown);
    }
    let screen = render(&app, 80, 24);
    assert!(screen.contains("api-version=2021-07-01"), "{screen}");
    assert!(screen.contains("x-ms-request-id"), "{screen}");
    snap("arm_vms_scrolled", &app, &raw);
}

#[test]
fn arm_error_in_place() {
    let (mut app, raw) = with_token();
    update(&mut app, Action::ListVms);
    app.effects.clear();
    update(&mut app, Action::VmsListed(Box::new(vms_denied(NOW + 1))));
    for (w, h) in &SIZES[..2] {
        let screen = render(&app, *w, *h);
        assert!(screen.contains("HTTP 403"), "{screen}");
        assert!(screen.contains("AuthorizationFailed"), "{screen}");
        assert!(screen.contains("hint"), "{screen}");
        assert!(screen.contains("x-ms-request-id"), "{screen}");
    }
    snap("arm_error", &app, &raw);
}

#[test]
fn arm_refusal_explained() {
    let (mut app, raw) = with_token();
    update(&mut app, Action::ListVms);
    app.effects.clear();
    update(&mut app, Action::VmsListed(Box::new(vms_denied(NOW + 1))));
    // The refusal asks why at once.
    assert!(
        app.effects
            .iter()
            .any(|e| matches!(e, tokscope::tui::app::Effect::Why { .. })),
        "{:?}",
        app.effects
    );
    app.effects.clear();
    assert!(render(&app, 80, 24).contains("asking ARM why"));
    update(
        &mut app,
        Action::WhyAnswered(Box::new(why_no_role(NOW + 2))),
    );
    let screen = render(&app, 80, 24);
    for want in [
        "Why: no_role",
        "Microsoft.Compute/virtualMachines/read",
        "fix",
        "--role \"Reader\"",
    ] {
        assert!(screen.contains(want), "{want}:\n{screen}");
    }
    snap("arm_why", &app, &raw);
}

#[test]
fn report_path_on_screen() {
    let (mut app, raw) = with_token();
    update(&mut app, Action::WriteReport);
    app.effects.clear();
    update(
        &mut app,
        Action::ReportWritten(Ok("/work/tokscope-report-20251124T160000Z.md".into())),
    );
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("report written to /work/tokscope-report-20251124T160000Z.md"),
        "{screen}"
    );
    snap("report_written", &app, &raw);
}

#[test]
fn log_view() {
    let (mut app, raw) = with_watch();
    update(&mut app, Action::GoTab(3));
    snap("log", &app, &raw);
}

#[test]
fn help_overlay() {
    let (mut app, raw) = with_token();
    update(&mut app, Action::ToggleHelp);
    snap("help", &app, &raw);
}

#[test]
fn error_in_place() {
    let mut app = app();
    update(&mut app, Action::StartInput);
    for c in "https://example.invalid".chars() {
        update(&mut app, Action::InputText(c.to_string()));
    }
    update(
        &mut app,
        Action::InputEdit(tokscope::tui::keys::Edit::Submit),
    );
    app.effects.clear();
    deliver(&mut app, FetchKind::User, NOW, Err(service_error()));
    snap("error", &app, "no token here");
    let headline = service_error().headline();
    assert_eq!(
        app.exit_line(),
        format!("tokscope: https://example.invalid fetch failed: {headline}")
    );
    assert!(render(&app, 120, 40).contains("Custom: fetch failed: "));
}

#[test]
fn expired_token() {
    let (mut app, raw) = with_token();
    update(&mut app, Action::Tick(NOW + 3600));
    let screen = render(&app, 80, 24);
    assert!(screen.contains("EXPIRED"), "{screen}");
    // Valid when fetched, run out since: the endpoint is not blamed, and r is the way out.
    assert!(!screen.contains("stale cache"), "{screen}");
    assert!(screen.contains("ran out after it was fetched"), "{screen}");
    snap("expired", &app, &raw);
}

#[test]
fn token_revealed_banner() {
    let (mut app, raw) = with_token();
    update(&mut app, Action::ToggleReveal);
    update(&mut app, Action::Reveal);
    for (w, h) in SIZES {
        let screen = render(&app, w, h);
        assert!(screen.contains("TOKEN VISIBLE — stop screen sharing"));
        assert!(screen.contains(&raw[..16]), "revealed token not shown");
        // The whole token, signature too: header.payload alone is not a usable token.
        let sig = raw.rsplit_once('.').unwrap().1;
        let half = sig.len() / 2;
        // At 120x40 the whole token fits on the first screen; smaller ones scroll to it.
        assert!(
            w < 120 || (0..=sig.len() - half).any(|i| screen.contains(&sig[i..i + half])),
            "the signature is not shown:\n{screen}"
        );
        let masked = mask_token(&screen, &raw);
        assert!(!masked.contains("eyJ"), "{masked}");
        insta::assert_snapshot!(format!("revealed_{w}x{h}"), masked);
    }
}

#[test]
fn no_color_draws_without_colours() {
    use ratatui::backend::TestBackend;
    use ratatui::style::Color;
    use ratatui::Terminal;
    let (mut app, _) = with_watch();
    app.no_color = true;
    // The lifetime gauge still shows how much is used, in characters.
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("[..........] Azure Resource Manager"),
        "{screen}"
    );
    for tab in 0..4 {
        update(&mut app, Action::GoTab(tab));
        let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
        term.draw(|f| {
            tokscope::tui::ui::draw(&app, f);
        })
        .unwrap();
        let buf = term.backend().buffer();
        for cell in buf.content() {
            assert_eq!(cell.fg, Color::Reset, "tab {tab}: {:?}", cell.symbol());
            assert_eq!(cell.bg, Color::Reset, "tab {tab}: {:?}", cell.symbol());
        }
    }
}

#[test]
fn prompt_and_pasted_token_views() {
    let (mut app, raw) = with_token();
    update(&mut app, Action::StartInput);
    update(&mut app, Action::InputText("api://my-app".into()));
    snap("prompt", &app, &raw);
    let pasted = jwt("api://pasted-app", NOW - 300, NOW + 600, 42);
    update(
        &mut app,
        Action::InputEdit(tokscope::tui::keys::Edit::KillToStart),
    );
    update(&mut app, Action::Paste(pasted.clone()));
    snap("prompt_pasted", &app, &pasted);
    update(
        &mut app,
        Action::InputEdit(tokscope::tui::keys::Edit::Submit),
    );
    snap("pasted_token", &app, &pasted);
}

#[test]
fn zoomed_panel_has_no_borders() {
    let (mut app, raw) = with_token();
    update(&mut app, Action::ToggleZoom);
    let screen = render(&app, 80, 24);
    assert!(!screen.contains('│') && !screen.contains('┌'), "{screen}");
    assert!(
        screen.contains("client id 11111111-2222-4333-8444-555555555555"),
        "{screen}"
    );
    snap("zoomed", &app, &raw);
}

#[test]
fn no_information_sits_in_palette_colour_8() {
    use ratatui::backend::TestBackend;
    use ratatui::style::Color;
    use ratatui::Terminal;
    let (mut app, _) = with_watch();
    for tab in 0..4 {
        update(&mut app, Action::GoTab(tab));
        let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
        term.draw(|f| {
            tokscope::tui::ui::draw(&app, f);
        })
        .unwrap();
        for cell in term.backend().buffer().content() {
            assert_ne!(cell.fg, Color::DarkGray, "tab {tab}: {:?}", cell.symbol());
            assert!(
                !matches!(cell.fg, Color::Indexed(_) | Color::Rgb(..)),
                "only basic colours"
            );
        }
    }
}
