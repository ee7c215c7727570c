//! The real binary in a real terminal: `tokscope --demo` in a detached 80x24 tmux session,
//! driven with send-keys and read with capture-pane. Skipped (with a note) without tmux.

use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_tokscope");
const WAIT: Duration = Duration::from_secs(15);

fn have_tmux() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A tmux session that is killed when the test ends, pass or fail.
struct Session {
    name: String,
}

impl Session {
    fn start(tag: &str, shell_cmd: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!("tokscope-{tag}-{}-{nanos}", std::process::id());
        let ok = Command::new("tmux")
            .args(["new-session", "-d", "-s", &name, "-x", "80", "-y", "24"])
            .arg(shell_cmd)
            .env("NO_COLOR", "1")
            .status()
            .unwrap()
            .success();
        assert!(ok, "tmux new-session failed");
        Session { name }
    }

    fn capture(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            let ok = Command::new("tmux")
                .args(["send-keys", "-t", &self.name, k])
                .status()
                .unwrap()
                .success();
            assert!(ok, "send-keys {k}");
        }
    }

    /// Poll the pane until `pred` holds; fail with the last screen after the bounded wait.
    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
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

    fn alternate_screen_on(&self) -> bool {
        let out = Command::new("tmux")
            .args(["display-message", "-p", "-t", &self.name, "#{alternate_on}"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .status();
    }
}

/// True when something shaped like a JWT (eyJ…, then two dots within token characters) is shown.
fn shows_jwt(screen: &str) -> bool {
    screen.match_indices("eyJ").any(|(i, _)| {
        screen[i..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .filter(|c| *c == '.')
            .count()
            >= 2
    })
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[test]
fn demo_session_end_to_end() {
    if !have_tmux() {
        eprintln!("note: tmux is not installed; skipping the end-to-end TUI test");
        return;
    }
    let s = Session::start("e2e", &format!("{} --demo; sleep 60", quote(BIN)));
    let screen = s.wait_for("the token view with a countdown", |sc| {
        sc.contains("Azure Resource Manager: expires in") && sc.contains("management.azure.com")
    });
    assert!(screen.contains("aud"), "{screen}");
    assert!(!shows_jwt(&screen), "{screen}");

    // Another resource: down to Microsoft Graph, fetch it.
    s.keys(&["Down", "Enter"]);
    let screen = s.wait_for("a Graph token", |sc| {
        sc.contains("Microsoft Graph: expires in") && sc.contains("graph.microsoft.com")
    });
    assert!(!shows_jwt(&screen), "{screen}");

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
    s.wait_for("the reveal banner", |sc| {
        sc.contains("TOKEN VISIBLE — stop screen sharing")
    });
    s.keys(&["s"]);
    let screen = s.wait_for("the banner gone", |sc| !sc.contains("TOKEN VISIBLE"));
    assert!(!shows_jwt(&screen), "{screen}");

    s.keys(&["q"]);
    let screen = s.wait_for("the exit line", |sc| {
        sc.contains("tokscope: https://graph.microsoft.com/ sha256:")
    });
    assert!(screen.contains("expires"), "{screen}");
    assert!(!shows_jwt(&screen), "{screen}");
    assert!(!s.alternate_screen_on(), "the alternate screen was left on");
}

#[test]
fn panic_restores_the_terminal() {
    if !have_tmux() {
        eprintln!("note: tmux is not installed; skipping the TUI panic test");
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

#[test]
fn sigterm_restores_the_terminal() {
    if !have_tmux() {
        eprintln!("note: tmux is not installed; skipping the TUI SIGTERM test");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let inner = format!(
        "echo $$ > {}; exec {} --demo",
        quote(pidfile.to_str().unwrap()),
        quote(BIN)
    );
    let cmd = format!(
        "sh -c {}; echo STTY:$(stty -a | tr ' ;' '\\n\\n' | grep -x -- '-\\?icanon'); sleep 60",
        quote(&inner)
    );
    let s = Session::start("term", &cmd);
    s.wait_for("the token view", |sc| sc.contains("expires in"));
    let pid = std::fs::read_to_string(&pidfile).unwrap();
    let ok = Command::new("kill")
        .args(["-TERM", pid.trim()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let screen = s.wait_for("the shell after SIGTERM", |sc| sc.contains("STTY:"));
    assert!(
        screen.contains("STTY:icanon"),
        "raw mode left on:\n{screen}"
    );
    assert!(
        screen.contains("tokscope: https://management.azure.com/"),
        "{screen}"
    );
    assert!(!s.alternate_screen_on());
}
