//! The real binary in a real terminal: tokscope in a detached tmux session, driven with
//! send-keys and read with capture-pane. Each session runs on a tmux server of its own, so a
//! user's tmux is never touched. Skipped (with a note) without tmux, unless
//! TOKSCOPE_REQUIRE_TMUX is set (CI sets it): then a missing tmux fails the test.
#![allow(
    clippy::disallowed_macros,
    reason = "tests report what they skip on their own output; tokscope itself prints through its print layer"
)]

use crate::common;

use std::cell::Cell;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use tokscope::emulator::{self, Config, Fault, Running};

use crate::common::BIN;
const WAIT: Duration = Duration::from_secs(15);
const REQUIRE_ENV: &str = "TOKSCOPE_REQUIRE_TMUX";

fn have_tmux() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether the test can run; a missing tmux skips it with a note, or fails it under CI.
pub(crate) fn tmux_ready(what: &str) -> bool {
    if have_tmux() {
        return true;
    }
    if std::env::var_os(REQUIRE_ENV).is_some() {
        panic!("tmux is not installed but {REQUIRE_ENV} is set: {what} must run");
    }
    eprintln!("note: tmux is not installed; skipping {what}");
    false
}

/// A tmux session on a server of its own, killed when the test ends, pass or fail. Every
/// capture is checked for a JWT-shaped word unless the test says the token is revealed.
pub(crate) struct Session {
    name: String,
    socket: String,
    revealed: Cell<bool>,
}

impl Session {
    pub(crate) fn start(tag: &str, shell_cmd: &str) -> Self {
        Self::start_with(tag, shell_cmd, (80, 24), None)
    }

    fn start_with(tag: &str, shell_cmd: &str, (w, h): (u16, u16), cwd: Option<&Path>) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("tokscope-{tag}-{}-{nanos}", std::process::id());
        let s = Session {
            socket: name.clone(),
            name,
            revealed: Cell::new(false),
        };
        let mut cmd = s.tmux();
        cmd.args(["new-session", "-d", "-s", &s.name]).args([
            "-x",
            &w.to_string(),
            "-y",
            &h.to_string(),
        ]);
        if let Some(dir) = cwd {
            cmd.arg("-c").arg(dir);
        }
        let ok = cmd
            .arg(shell_cmd)
            .env("NO_COLOR", "1")
            // Never IMDS at 169.254.169.254: an unset endpoint would fall back to it.
            .env("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")
            .env("LANG", "C.UTF-8")
            .status()
            .unwrap()
            .success();
        assert!(ok, "tmux new-session failed");
        s
    }

    fn tmux(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]);
        c
    }

    pub(crate) fn capture(&self) -> String {
        let out = self
            .tmux()
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .unwrap();
        let screen = String::from_utf8_lossy(&out.stdout).into_owned();
        if !self.revealed.get() {
            assert!(!common::has_jwt(&screen), "a JWT on screen:\n{screen}");
        }
        screen
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            let ok = self
                .tmux()
                .args(["send-keys", "-t", &self.name, k])
                .status()
                .unwrap()
                .success();
            assert!(ok, "send-keys {k}");
        }
    }

    /// Poll the pane until `pred` holds; fail with the last screen after the bounded wait.
    pub(crate) fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if pred(&screen) {
                return screen;
            }
            if start.elapsed() > WAIT {
                panic!("timed out waiting for {what}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Reset the pane's terminal as a garbled line would leave it: blank, cursor home, while the
    /// program inside keeps running (`send-keys -R`).
    fn wipe_screen(&self) {
        let ok = self
            .tmux()
            .args(["send-keys", "-R", "-t", &self.name])
            .status()
            .unwrap()
            .success();
        assert!(ok, "send-keys -R");
    }

    fn alternate_screen_on(&self) -> bool {
        let out = self
            .tmux()
            .args(["display-message", "-p", "-t", &self.name, "#{alternate_on}"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").status();
    }
}

/// The emulator on 127.0.0.1 with these faults, on a runtime that lives as long as it does.
fn emulator_with_faults(specs: &[&str]) -> (tokio::runtime::Runtime, Running) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let config = Config {
        faults: specs.iter().map(|s| Fault::parse(s).unwrap()).collect(),
        ..Config::default()
    };
    let run = rt
        .block_on(emulator::start(config, "127.0.0.1:0".parse().unwrap()))
        .unwrap();
    (rt, run)
}

pub(crate) fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[test]
fn demo_session_end_to_end() {
    if !tmux_ready("the end-to-end TUI test") {
        return;
    }
    let s = Session::start("e2e", &format!("{} --demo; sleep 60", quote(BIN)));
    let screen = s.wait_for("the token view with a countdown", |sc| {
        sc.contains("Azure Resource Manager: expires in") && sc.contains("management.azure.com")
    });
    assert!(screen.contains("aud"), "{screen}");
    assert!(!common::has_jwt(&screen), "{screen}");

    // Another resource: down to Microsoft Graph, fetch it.
    s.keys(&["Down", "Enter"]);
    let screen = s.wait_for("a Graph token", |sc| {
        sc.contains("Microsoft Graph: expires in") && sc.contains("graph.microsoft.com")
    });
    assert!(!common::has_jwt(&screen), "{screen}");

    // Watch on, shown in the Watch tab.
    s.keys(&["w", "2"]);
    s.wait_for("the first poll", |sc| {
        sc.contains("● watching") && sc.contains("first")
    });

    // Help opens and closes.
    s.keys(&["?"]);
    s.wait_for("help", |sc| sc.contains("Keys") && sc.contains("this help"));
    s.keys(&["Escape"]);
    s.wait_for("help closed", |sc| !sc.contains("this help"));

    // Reveal shows the banner; hiding takes the token away again.
    s.keys(&["s"]);
    s.wait_for("the question first", |sc| {
        sc.contains("Show the raw token on screen") && !sc.contains("TOKEN VISIBLE")
    });
    s.revealed.set(true);
    s.keys(&["y"]);
    s.wait_for("the reveal banner", |sc| {
        sc.contains("TOKEN VISIBLE — stop screen sharing")
    });
    s.keys(&["s"]);
    let screen = s.wait_for("the banner gone", |sc| !sc.contains("TOKEN VISIBLE"));
    s.revealed.set(false);
    assert!(!common::has_jwt(&screen), "{screen}");

    s.keys(&["q"]);
    let screen = s.wait_for("the exit line", |sc| {
        sc.contains("tokscope: https://graph.microsoft.com/ sha256:")
    });
    assert!(screen.contains("expires"), "{screen}");
    assert!(!common::has_jwt(&screen), "{screen}");
    assert!(!s.alternate_screen_on(), "the alternate screen was left on");
}

#[test]
fn panic_restores_the_terminal() {
    if !tmux_ready("the TUI panic test") {
        return;
    }
    let cmd = format!(
        "TOKSCOPE_TEST_PANIC=1 RUST_BACKTRACE=0 {} --demo; echo STTY:$(stty -a | tr ' ;' '\\n\\n' | grep -x -- '-\\?icanon'); sleep 60",
        quote(BIN)
    );
    let s = Session::start("panic", &cmd);
    let screen = s.wait_for("the shell after the panic", |sc| sc.contains("STTY:"));
    assert!(
        screen.contains("panicking after the first frame"),
        "{screen}"
    );
    assert!(
        screen.contains("STTY:icanon"),
        "raw mode left on:\n{screen}"
    );
    assert!(!s.alternate_screen_on(), "the alternate screen was left on");
}

/// SIGTERM, and SIGHUP as a closed SSH session sends it: the terminal is given back and the
/// demo emulator's files are removed.
#[test]
fn sigterm_and_sighup_restore_the_terminal_and_remove_the_demo_files() {
    if !tmux_ready("the TUI SIGTERM test") {
        return;
    }
    for signal in ["TERM", "HUP"] {
        let dir = tempfile::tempdir().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let inner = format!(
            "echo $$ > {}; TMPDIR={} exec {} --demo",
            quote(pidfile.to_str().unwrap()),
            quote(tmp.path().to_str().unwrap()),
            quote(BIN)
        );
        let cmd = format!(
            "sh -c {}; echo STTY:$(stty -a | tr ' ;' '\\n\\n' | grep -x -- '-\\?icanon'); sleep 60",
            quote(&inner)
        );
        let s = Session::start("term", &cmd);
        s.wait_for("the token view", |sc| sc.contains("expires in"));
        assert!(
            std::fs::read_dir(tmp.path()).unwrap().next().is_some(),
            "the demo wrote no files"
        );
        let pid = std::fs::read_to_string(&pidfile).unwrap();
        let ok = Command::new("kill")
            .args([&format!("-{signal}"), pid.trim()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
        let screen = s.wait_for("the shell after the signal", |sc| sc.contains("STTY:"));
        assert!(
            screen.contains("STTY:icanon"),
            "SIG{signal}: raw mode left on:\n{screen}"
        );
        assert!(
            screen.contains("tokscope: https://management.azure.com/"),
            "SIG{signal}: {screen}"
        );
        assert!(!s.alternate_screen_on(), "SIG{signal}");
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert!(left.is_empty(), "SIG{signal} left {left:?}");
    }
}

#[test]
fn a_hanging_endpoint_leaves_the_ui_answering_and_q_quits_at_once() {
    if !tmux_ready("the hanging-endpoint TUI test") {
        return;
    }
    let (_rt, run) = emulator_with_faults(&["hang"]);
    // A 30 s timeout: quitting must not wait for it (WAIT is shorter).
    let cmd = format!(
        "{} --endpoint {} --flavour imds --timeout 30; echo EXITED:$?; sleep 60",
        quote(BIN),
        run.base_url()
    );
    let s = Session::start("hang", &cmd);
    s.wait_for("the fetch in flight", |sc| {
        sc.contains("⟳ fetching https://management.azure.com/") && sc.contains("fetching…")
    });
    s.keys(&["?"]);
    s.wait_for("help while the request hangs", |sc| {
        sc.contains("Keys") && sc.contains("this help")
    });
    // Esc and 3 sent back to back can arrive in one read, which a terminal means as Alt-3;
    // a person's keys are further apart, so wait for the help to close first.
    s.keys(&["Escape"]);
    s.wait_for("help closed", |sc| !sc.contains("this help"));
    s.keys(&["3"]);
    s.wait_for("the ARM tab while the request hangs", |sc| {
        sc.contains("Press  v  to list")
    });
    s.keys(&["q"]);
    let screen = s.wait_for("the shell after q", |sc| sc.contains("EXITED:0"));
    assert!(
        screen.contains("tokscope: https://management.azure.com/ no token fetched"),
        "{screen}"
    );
    assert!(!s.alternate_screen_on(), "the alternate screen was left on");
}

#[test]
fn a_503_is_shown_in_place_then_a_refetch_recovers() {
    if !tmux_ready("the 503 TUI test") {
        return;
    }
    let (_rt, run) = emulator_with_faults(&["503:count=1"]);
    let cmd = format!(
        "{} --endpoint {} --flavour imds --retry-max 0; echo EXITED:$?; sleep 60",
        quote(BIN),
        run.base_url()
    );
    let s = Session::start("503", &cmd);
    let screen = s.wait_for("the 503 in place", |sc| {
        sc.contains("fetch failed") && sc.contains("HTTP 503")
    });
    assert!(screen.contains("hint"), "{screen}");
    assert!(screen.contains("try again"), "{screen}");
    s.keys(&["r"]);
    let screen = s.wait_for("the token after the refetch", |sc| {
        sc.contains("Azure Resource Manager: expires in") && sc.contains("sha256:")
    });
    assert!(!screen.contains("HTTP 503"), "{screen}");
    s.keys(&["q"]);
    s.wait_for("the shell after q", |sc| sc.contains("EXITED:0"));
}

#[test]
fn the_arm_tab_lists_the_demo_vms() {
    if !tmux_ready("the ARM tab TUI test") {
        return;
    }
    for (w, h) in [(80, 24), (120, 40)] {
        let s = Session::start_with(
            "arm",
            &format!("{} --demo; sleep 60", quote(BIN)),
            (w, h),
            None,
        );
        s.wait_for("the token", |sc| sc.contains("expires in"));
        s.keys(&["v"]);
        let screen = s.wait_for("the VM table", |sc| {
            sc.contains("vm-tokscope-demo") && sc.contains("23 VMs in 3 pages")
        });
        assert!(screen.contains("(from the VM's instance"), "{screen}");
        assert!(screen.contains("Succeeded"), "{screen}");
        // Down to the requests, with their api-version and ids.
        s.keys(&["PageDown", "PageDown", "PageDown"]);
        s.wait_for("the request lines", |sc| {
            sc.contains("api-version=2021-07-01") && sc.contains("x-ms-request-id")
        });
        s.keys(&["q"]);
    }
}

#[test]
fn the_arm_tab_shows_a_403_with_its_hint() {
    if !tmux_ready("the ARM 403 TUI test") {
        return;
    }
    let cmd = format!(
        "{} --demo --client-id aed09b82-4ca8-4fc2-bfb6-37dd5bae2d26; sleep 60",
        quote(BIN)
    );
    let s = Session::start("arm403", &cmd);
    s.wait_for("the token", |sc| sc.contains("expires in"));
    s.keys(&["v"]);
    // The whole answer, waited for as one: a capture can land while a frame is half painted.
    s.wait_for("the 403 with its hint and request id", |sc| {
        [
            "HTTP 403",
            "AuthorizationFailed",
            "hint",
            "Reader",
            "x-ms-request-id",
        ]
        .iter()
        .all(|want| sc.contains(want))
    });
    // And explained: the verdict with the role to grant, asked of ARM at once.
    s.wait_for("the verdict", |sc| {
        ["Why: no_role", "--role \"Reader\""]
            .iter()
            .all(|want| sc.contains(want))
    });
}

#[test]
fn p_writes_the_report_in_the_current_directory() {
    if !tmux_ready("the report TUI test") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cmd = format!("{} --demo; sleep 60", quote(BIN));
    let s = Session::start_with("report", &cmd, (120, 40), Some(dir.path()));
    s.wait_for("the token", |sc| sc.contains("expires in"));
    s.keys(&["p"]);
    let screen = s.wait_for("the report path", |sc| sc.contains("report written to"));
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_str().unwrap().to_string();
    assert!(name.starts_with("tokscope-report-"), "{name}");
    assert!(screen.contains(&name), "{screen}");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(!common::has_jwt(&text), "a token in the report:\n{text}");
    assert!(text.contains("sha256:"), "{text}");
    s.keys(&["4"]);
    s.wait_for("the path in the Log", |sc| sc.contains("report written to"));
}

impl Session {
    /// Paste `text` as a terminal does with bracketed paste on.
    fn paste(&self, text: &str) {
        let ok = self
            .tmux()
            .args(["set-buffer", "--", text])
            .status()
            .unwrap()
            .success();
        assert!(ok, "set-buffer");
        let ok = self
            .tmux()
            .args(["paste-buffer", "-p", "-t", &self.name])
            .status()
            .unwrap()
            .success();
        assert!(ok, "paste-buffer");
    }

    fn resize(&self, w: u16, h: u16) {
        let ok = self
            .tmux()
            .args([
                "resize-window",
                "-t",
                &self.name,
                "-x",
                &w.to_string(),
                "-y",
                &h.to_string(),
            ])
            .status()
            .unwrap()
            .success();
        assert!(ok, "resize-window");
    }
}

#[test]
fn the_identity_card_is_on_the_first_screen_at_80x24() {
    if !tmux_ready("the identity card TUI test") {
        return;
    }
    let s = Session::start("card", &format!("{} --demo; sleep 60", quote(BIN)));
    let screen = s.wait_for("the card", |sc| sc.contains("who       system-assigned"));
    for want in [
        "client id ",
        "object id ",
        "tenant    ",
        "resource  vm-tokscope-demo · virtualMachines",
        "          sub ",
        "audience  https://management.azure.com/",
        "expires   in ",
        "CLAIMS",
    ] {
        assert!(
            screen.contains(want),
            "{want} not on the first screen:\n{screen}"
        );
    }
}

#[test]
fn a_wrong_audience_is_warned_as_get_warns_it() {
    if !tmux_ready("the wrong-audience TUI test") {
        return;
    }
    let (_rt, run) = emulator_with_faults(&["wrong-aud"]);
    let cmd = format!(
        "{} --endpoint {} --flavour imds; sleep 60",
        quote(BIN),
        run.base_url()
    );
    let s = Session::start_with("wrongaud", &cmd, (120, 40), None);
    let screen = s.wait_for("the warning on the card", |sc| {
        sc.contains("✗ FAIL") && sc.contains("InvalidAuthenticationTokenAudience")
    });
    assert!(screen.contains("not the resource asked"), "{screen}");
}

#[test]
fn the_report_after_an_arm_403_carries_its_request_ids() {
    if !tmux_ready("the report-after-403 TUI test") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cmd = format!(
        "{} --demo --client-id aed09b82-4ca8-4fc2-bfb6-37dd5bae2d26; sleep 60",
        quote(BIN)
    );
    let s = Session::start_with("report403", &cmd, (120, 40), Some(dir.path()));
    s.wait_for("the token", |sc| sc.contains("expires in"));
    s.keys(&["v"]);
    let screen = s.wait_for("the 403", |sc| {
        sc.contains("HTTP 403") && sc.contains("x-ms-request-id")
    });
    let ids: Vec<String> = screen
        .lines()
        .filter_map(|l| l.split("x-ms-request-id").nth(1))
        .filter_map(|rest| {
            rest.split_whitespace().next().map(|id| {
                id.trim_matches(|c: char| !c.is_ascii_hexdigit() && c != '-')
                    .to_string()
            })
        })
        .filter(|id| id.len() >= 32)
        .collect();
    assert!(!ids.is_empty(), "{screen}");
    s.keys(&["p"]);
    s.wait_for("the report path", |sc| sc.contains("report written to"));
    let file = std::fs::read_dir(dir.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains("AuthorizationFailed"), "{text}");
    for id in &ids {
        assert!(
            text.contains(id.as_str()),
            "request id {id} not in the report:\n{text}"
        );
    }
    assert!(!text.contains("None seen.\n\n## What"), "{text}");
    assert!(!common::has_jwt(&text), "a token in the report");
}

#[test]
fn esc_cancels_a_hanging_fetch_and_r_starts_again() {
    if !tmux_ready("the cancel TUI test") {
        return;
    }
    let (_rt, run) = emulator_with_faults(&["hang"]);
    let cmd = format!(
        "{} --endpoint {} --flavour imds --timeout 30; sleep 60",
        quote(BIN),
        run.base_url()
    );
    let s = Session::start("cancel", &cmd);
    s.wait_for("the fetch in flight", |sc| sc.contains("Esc cancels"));
    s.keys(&["Escape"]);
    s.wait_for("the cancel", |sc| sc.contains("cancelled after"));
    s.keys(&["r"]);
    let screen = s.wait_for("a new fetch at once", |sc| sc.contains("⟳ fetching"));
    assert!(!screen.contains("already in flight"), "{screen}");
}

#[test]
fn the_prompt_edits_and_a_pasted_token_is_decoded_unseen() {
    if !tmux_ready("the prompt TUI test") {
        return;
    }
    let s = Session::start_with(
        "prompt",
        &format!("{} --demo; sleep 60", quote(BIN)),
        (120, 40),
        None,
    );
    s.wait_for("the token", |sc| sc.contains("expires in"));
    // The prompt first: keys that arrive together with `/` read as a paste, not as typing.
    s.keys(&["/"]);
    s.wait_for("the prompt", |sc| sc.contains("resource or token:"));
    s.keys(&["api://first/second", "C-w", "C-a", "x"]);
    s.wait_for("the edited line", |sc| {
        sc.contains("resource or token: xapi://first/")
    });
    s.keys(&["C-e", "C-u"]);
    // A token as a user would paste it: the demo's own, copied from `tokscope get`.
    let token = tokscope_token();
    s.paste(&token);
    s.wait_for("the masked paste", |sc| {
        sc.contains("hidden› Enter decodes it here")
    });
    s.keys(&["Enter"]);
    let screen = s.wait_for("the decoded token", |sc| sc.contains("PASTED TOKEN"));
    assert!(screen.contains("who "), "{screen}");
}

/// A JWT-shaped token with readable claims, made as the fixtures make them.
fn tokscope_token() -> String {
    use tokscope::token::jwt::encode_part;
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT"});
    let claims = serde_json::json!({"aud": "api://pasted", "tid": "t-1", "exp": 4_000_000_000i64});
    format!("{}.{}.c2ln", encode_part(&header), encode_part(&claims))
}

#[test]
fn resizing_below_the_list_width_moves_focus_and_back() {
    if !tmux_ready("the resize TUI test") {
        return;
    }
    let s = Session::start_with(
        "resize",
        &format!("{} --demo; sleep 60", quote(BIN)),
        (100, 30),
        None,
    );
    s.wait_for("the list", |sc| {
        sc.contains("Resources") && sc.contains("expires in")
    });
    s.resize(50, 30);
    s.wait_for("the panel alone, with the keys", |sc| {
        !sc.contains("Resources") && sc.contains("j/k choose a claim")
    });
    s.resize(100, 30);
    s.wait_for("the list again", |sc| sc.contains("Resources"));
}

#[test]
fn the_arm_tab_takes_arm_url() {
    if !tmux_ready("the --arm-url TUI test") {
        return;
    }
    // Port 9 on loopback: nothing listens, so the listing fails there and says so.
    let cmd = format!(
        "{} --demo --arm-url http://127.0.0.1:9; sleep 60",
        quote(BIN)
    );
    let s = Session::start_with("armurl", &cmd, (100, 30), None);
    s.wait_for("the token", |sc| sc.contains("expires in"));
    s.keys(&["v"]);
    s.wait_for("the listing against --arm-url", |sc| {
        sc.contains("cannot reach http://127.0.0.1:9")
    });
}

#[test]
fn ctrl_z_hands_the_terminal_to_the_shell_and_fg_brings_the_ui_back() {
    if !tmux_ready("the Ctrl-Z TUI test") {
        return;
    }
    // An interactive shell with job control, as over SSH; tokscope is started from its prompt.
    let s = Session::start("suspend", "PS1='$ ' bash --norc --noprofile -i");
    s.wait_for("the shell prompt", |sc| sc.starts_with('$'));
    s.keys(&[&format!("{} --demo", quote(BIN)), "Enter"]);
    s.wait_for("the demo token", |sc| sc.contains("expires in"));
    assert!(s.alternate_screen_on());
    s.keys(&["C-z"]);
    let screen = s.wait_for("the shell's job message", |sc| sc.contains("Stopped"));
    assert!(
        !s.alternate_screen_on(),
        "suspended with the alternate screen on"
    );
    assert!(!screen.contains("expires in"), "{screen}");
    s.keys(&["fg", "Enter"]);
    s.wait_for("the UI again after fg", |sc| sc.contains("expires in"));
    assert!(s.alternate_screen_on());
    // Still answering keys after the resume. Ctrl-L repaints the whole screen: tmux wipes the
    // pane first, and the UI, which otherwise redraws only the cells that change (the
    // countdown), must bring back its static frame.
    s.wipe_screen();
    s.wait_for("the wiped pane", |sc| !sc.contains("Resources"));
    s.keys(&["C-l"]);
    s.wait_for("the frame repainted by Ctrl-L", |sc| {
        sc.contains("Resources") && sc.contains("expires in")
    });
    s.keys(&["?"]);
    s.wait_for("help after the resume", |sc| sc.contains("this help"));
    s.keys(&["q"]);
    s.wait_for("help closed", |sc| !sc.contains("this help"));
    s.keys(&["q"]);
    // tokscope's last line on the shell's screen, before the shell gets any more keys.
    s.wait_for("the exit line", |sc| {
        sc.contains("tokscope: https://management.azure.com/ sha256:")
    });
    s.keys(&["echo EXITED:$?", "Enter"]);
    s.wait_for("the exit status", |sc| sc.contains("EXITED:0"));
    assert!(!s.alternate_screen_on(), "the alternate screen was left on");
}

impl Session {
    /// Type `text` as keys, without bracketed paste: what a web or serial console does with a
    /// paste, all at once.
    fn type_literally(&self, text: &str) {
        let ok = self
            .tmux()
            .args(["send-keys", "-l", "-t", &self.name, text])
            .status()
            .unwrap()
            .success();
        assert!(ok, "send-keys -l");
    }
}

#[test]
fn a_stray_paste_without_bracketed_paste_runs_no_key() {
    if !tmux_ready("the stray-paste TUI test") {
        return;
    }
    let s = Session::start(
        "straypaste",
        &format!("{} --demo; echo EXITED; sleep 60", quote(BIN)),
    );
    s.wait_for("the token", |sc| sc.contains("expires in"));
    // A token whose letters include s (reveal), z (zoom), p (report), w (watch), y and q.
    let token = tokscope_token();
    let stray = format!("{}.szpwqysz", token.rsplit_once('.').unwrap().0);
    s.type_literally(&stray);
    let screen = s.wait_for("the paste in the prompt, hidden", |sc| {
        sc.contains("hidden› Enter decodes it here")
    });
    assert!(!screen.contains("TOKEN VISIBLE"), "{screen}");
    assert!(!screen.contains("Show the raw token"), "{screen}");
    assert!(!screen.contains("watching"), "{screen}");
    assert!(!screen.contains("report"), "{screen}");
    assert!(!screen.contains("EXITED"), "the UI quit:\n{screen}");
    s.keys(&["Enter"]);
    let screen = s.wait_for("the decoded paste", |sc| sc.contains("PASTED TOKEN"));
    assert!(!screen.contains("EXITED"), "{screen}");
    // Typed by a person, one key at a time, the same letters still act: q quits.
    s.keys(&["q"]);
    s.wait_for("the exit", |sc| sc.contains("EXITED"));
}

#[test]
fn term_dumb_gets_no_full_screen_ui_but_the_plain_commands() {
    if !tmux_ready("the TERM=dumb TUI test") {
        return;
    }
    let cmd = format!("TERM=dumb {} --demo; echo EXIT:$?; sleep 60", quote(BIN));
    let s = Session::start("dumb", &cmd);
    let screen = s.wait_for("the refusal", |sc| sc.contains("EXIT:"));
    assert!(screen.contains("EXIT:1"), "{screen}");
    assert!(screen.contains("TERM=dumb"), "{screen}");
    assert!(screen.contains("tokscope get"), "{screen}");
    assert!(!screen.contains("Resources"), "{screen}");
    assert!(!s.alternate_screen_on(), "the alternate screen was taken");
}
