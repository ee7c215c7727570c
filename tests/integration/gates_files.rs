//! The file gate and the limits on what comes in: files named from outside (FIFOs, devices,
//! huge files), files tokscope writes (a planted link or another user's file at `--ca-out`),
//! cleanup when the terminal hangs up (SIGHUP), clients that drip request bodies, an ARM that
//! never answers, and fleet results that are bombs or carry hostile names. Everything runs on
//! 127.0.0.1; assertions read the raw bytes tokscope writes and what is left on disk.

use crate::common::*;

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokscope::emulator::Config;

/// Longest any one run of the binary may take here: far above `--timeout`, far below the
/// minute a blocked read (or ARM's old fixed timeout) would take.
const GUARD: Duration = Duration::from_secs(40);

struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

/// Run the binary with `env`, failing the test if it does not end within [`GUARD`].
async fn run_bounded(args: &[&str], env: &[(&str, &str)]) -> Run {
    let child = tokscope_async()
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let out = tokio::time::timeout(GUARD, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("tokscope {args:?} was still running after {GUARD:?}"))
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn mkfifo(path: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap()
        .success();
    assert!(ok, "mkfifo {}", path.display());
}

fn assert_refused(what: &str, r: &Run, needles: &[&str]) {
    assert_ne!(r.code, 0, "{what}: {}", r.stderr);
    assert!(r.stdout.is_empty(), "{what}: stdout {:?}", r.stdout);
    for n in needles {
        assert!(r.stderr.contains(n), "{what}: no {n:?} in {}", r.stderr);
    }
}

#[tokio::test]
async fn fifos_devices_and_huge_files_named_as_ca_or_secret_files_fail_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("ca.fifo");
    mkfifo(&fifo);
    let fifo = fifo.to_str().unwrap();
    let huge = dir.path().join("huge.pem");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(64 * 1024 * 1024)
        .unwrap();
    let huge = huge.to_str().unwrap();
    let get = ["get", "--timeout", "3", "--retry-max", "0"];

    let r = run_bounded(&[&get[..], &["--ca-file", fifo]].concat(), &[]).await;
    assert_refused(
        "--ca-file FIFO",
        &r,
        &[fifo, "--ca-file", "not a regular file"],
    );
    let r = run_bounded(&[&get[..], &["--ca-file", "/dev/zero"]].concat(), &[]).await;
    assert_refused(
        "--ca-file /dev/zero",
        &r,
        &["/dev/zero", "not a regular file"],
    );
    for var in tokscope::net::trust::CA_VARS {
        let r = run_bounded(&get, &[(var, fifo)]).await;
        assert_refused(var, &r, &[fifo, var, "not a regular file"]);
    }
    let r = run_bounded(&get, &[("CURL_CA_BUNDLE", "/dev/zero")]).await;
    assert_refused("CURL_CA_BUNDLE=/dev/zero", &r, &["not a regular file"]);
    // A regular file too large for a CA bundle is refused by its size, never read into memory.
    let r = run_bounded(
        &[
            &get[..],
            &["--endpoint", "https://127.0.0.1:9", "--ca-file", huge],
        ]
        .concat(),
        &[],
    )
    .await;
    assert_refused("a 64 MiB --ca-file", &r, &[huge, "larger than"]);

    let secret_fifo = dir.path().join("secret.fifo");
    mkfifo(&secret_fifo);
    let secret_fifo = secret_fifo.to_str().unwrap();
    let app_service = [("IDENTITY_ENDPOINT", "http://127.0.0.1:9/msi/token")];
    let r = run_bounded(
        &[&get[..], &["--secret-file", secret_fifo]].concat(),
        &app_service,
    )
    .await;
    assert_refused(
        "--secret-file FIFO",
        &r,
        &["--secret-file", secret_fifo, "a FIFO"],
    );
    let r = run_bounded(
        &[&get[..], &["--secret-file", "/dev/zero"]].concat(),
        &app_service,
    )
    .await;
    assert_refused("--secret-file /dev/zero", &r, &["a device"]);
}

/// `tokscope emulate …` with its temporary folder in `tmp`, up to the end of its banner.
async fn emulate(args: &[&str], tmp: &Path) -> (tokio::process::Child, String) {
    emulate_from(tokscope_async(), args, tmp).await
}

/// [`emulate`] from a command the caller has prepared (its signal dispositions, say).
async fn emulate_from(
    mut cmd: tokio::process::Command,
    args: &[&str],
    tmp: &Path,
) -> (tokio::process::Child, String) {
    let mut child = cmd
        .arg("emulate")
        .args(["--port", "0"])
        .args(args)
        .env("TMPDIR", tmp)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = String::new();
    let read = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            banner.push_str(&line);
            banner.push('\n');
            if line.contains("| curl -H @-") {
                break;
            }
        }
    };
    tokio::time::timeout(GUARD, read)
        .await
        .expect("no banner from emulate");
    (child, banner)
}

/// The value after `key=` in the banner's first line that has it.
fn banner_value<'a>(banner: &'a str, key: &str) -> &'a str {
    let at = banner
        .find(&format!("{key}="))
        .unwrap_or_else(|| panic!("no {key} in {banner}"));
    banner[at + key.len() + 1..]
        .split([' ', '\n'])
        .next()
        .unwrap()
}

fn signal(child: &tokio::process::Child, name: &str) {
    let pid = child.id().unwrap().to_string();
    let ok = std::process::Command::new("kill")
        .args([&format!("-{name}"), &pid])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{name} {pid}");
}

async fn ended(mut child: tokio::process::Child) -> (i32, String) {
    let status = tokio::time::timeout(GUARD, child.wait())
        .await
        .expect("still running after the signal")
        .unwrap();
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        e.read_to_string(&mut err).await.unwrap();
    }
    (status.code().unwrap_or(-1), err)
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

/// Run `emulate --tls --ca-out PATH` expecting a refusal; returns its stderr.
async fn ca_out_refused(ca_out: &Path, tmp: &Path) -> String {
    let child = tokscope_async()
        .args(["emulate", "--port", "0", "--tls", "--ca-out"])
        .arg(ca_out)
        .env("TMPDIR", tmp)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let out = tokio::time::timeout(GUARD, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("emulate served with --ca-out {}", ca_out.display()))
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty(), "{:?}", out.stdout);
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn ca_out_never_follows_a_link_nor_reuses_a_file_another_user_could_swap() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();

    // A link planted where the CA goes: its target is left alone.
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "victim's file").unwrap();
    let link = dir.path().join("ca-link.pem");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let err = ca_out_refused(&link, tmp.path()).await;
    assert!(err.contains("symbolic link"), "{err}");
    assert!(err.contains(link.to_str().unwrap()), "{err}");
    assert_eq!(std::fs::read(&victim).unwrap(), b"victim's file");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());

    // A dangling link: nothing is created at its target either.
    let nowhere = dir.path().join("created-through-the-link");
    let dangling = dir.path().join("dangling.pem");
    std::os::unix::fs::symlink(&nowhere, &dangling).unwrap();
    let err = ca_out_refused(&dangling, tmp.path()).await;
    assert!(err.contains("symbolic link"), "{err}");
    assert!(!nowhere.exists());

    // A file pre-created writable by everyone: whoever made it could swap the CA afterwards.
    let open = dir.path().join("open.pem");
    std::fs::write(&open, "planted").unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o666)).unwrap();
    let err = ca_out_refused(&open, tmp.path()).await;
    assert!(err.contains("open to other users"), "{err}");
    assert_eq!(std::fs::read(&open).unwrap(), b"planted");

    // A file of another user, even one only they can write (tests running as root can make one).
    let theirs = dir.path().join("theirs.pem");
    std::fs::write(&theirs, "theirs").unwrap();
    if std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).is_ok() {
        let err = ca_out_refused(&theirs, tmp.path()).await;
        assert!(err.contains("another user"), "{err}");
        assert_eq!(std::fs::read(&theirs).unwrap(), b"theirs");
    }
    // A folder anyone may write, without the sticky bit: anyone could swap the CA afterwards.
    let everyone = dir.path().join("everyone");
    std::fs::create_dir(&everyone).unwrap();
    std::fs::set_permissions(&everyone, std::fs::Permissions::from_mode(0o777)).unwrap();
    let err = ca_out_refused(&everyone.join("ca.pem"), tmp.path()).await;
    assert!(err.contains("writable by everyone"), "{err}");
    assert!(entries(&everyone).is_empty());
    assert!(entries(tmp.path()).is_empty(), "{:?}", entries(tmp.path()));

    // A new path works, and the same path again (our own file, nobody else's to write) too.
    let fresh = dir.path().join("fresh.pem");
    for round in 0..2 {
        let (child, banner) =
            emulate(&["--tls", "--ca-out", fresh.to_str().unwrap()], tmp.path()).await;
        assert_eq!(
            banner_value(&banner, "REQUESTS_CA_BUNDLE"),
            fresh.to_str().unwrap()
        );
        let pem = std::fs::read_to_string(&fresh).unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{round}");
        let meta = std::fs::symlink_metadata(&fresh).unwrap();
        assert!(meta.is_file());
        assert_eq!(meta.permissions().mode() & 0o022, 0, "{round}");
        signal(&child, "TERM");
        let (code, err) = ended(child).await;
        assert_eq!(code, 0, "{err}");
        // The user chose the place: the file stays.
        assert!(fresh.exists());
    }
}

#[tokio::test]
async fn sighup_to_emulate_removes_its_ca_key_files_and_the_pods_token() {
    let tmp = tempfile::tempdir().unwrap();
    let (child, banner) = emulate(&["--tls"], tmp.path()).await;
    let ca = PathBuf::from(banner_value(&banner, "REQUESTS_CA_BUNDLE"));
    let sa_token = PathBuf::from(banner_value(&banner, "AZURE_FEDERATED_TOKEN_FILE"));
    let base = banner_value(&banner, "AZURE_POD_IDENTITY_AUTHORITY_HOST").to_string();
    assert!(ca.starts_with(tmp.path()) && ca.is_file(), "{banner}");
    assert!(
        sa_token.starts_with(tmp.path()) && sa_token.is_file(),
        "{banner}"
    );

    // An Arc challenge leaves a key file until the key is used.
    let pem = std::fs::read(&ca).unwrap();
    let http = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let r = http
        .get(format!(
            "{base}/arc/metadata/identity/oauth2/token?api-version=2020-06-01&resource=https://management.azure.com/"
        ))
        .header("Metadata", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let realm = r.headers()["www-authenticate"].to_str().unwrap();
    let key_file = PathBuf::from(realm.strip_prefix("Basic realm=").unwrap());
    assert!(key_file.starts_with(tmp.path()) && key_file.is_file());
    // The CA's, the pod's and the key's folders are private.
    for made in entries(tmp.path()) {
        let mode = std::fs::symlink_metadata(&made)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700, "{}", made.display());
    }
    let key_mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
    assert_eq!(key_mode & 0o777, 0o600);

    signal(&child, "HUP");
    let (code, err) = ended(child).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        entries(tmp.path()).is_empty(),
        "left behind after SIGHUP: {:?}",
        entries(tmp.path())
    );
}

/// A loopback server that accepts connections and never answers.
async fn silent_server() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    (addr, task)
}

#[tokio::test]
async fn sighup_to_a_demo_command_removes_the_demo_emulators_files() {
    let (arm, server) = silent_server().await;
    let arm_url = format!("http://{arm}");
    // `watch` stops on signals itself; `vms`, a one-shot command, is dropped on one.
    let cases: [&[&str]; 2] = [
        &["watch", "--demo", "--interval", "1s"],
        &["vms", "--demo", "--arm-url", &arm_url, "--timeout", "30"],
    ];
    for args in cases {
        let tmp = tempfile::tempdir().unwrap();
        let child = tokscope_async()
            .args(args)
            .env("TMPDIR", tmp.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        // The demo pod's token is written as the emulator starts.
        let started = async {
            while entries(tmp.path()).is_empty() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::time::timeout(GUARD, started)
            .await
            .unwrap_or_else(|_| panic!("{args:?}: no demo files appeared"));
        // The emulator is up once its token file is complete; give a hang-up then.
        let token_written = async {
            loop {
                let written = entries(tmp.path()).iter().any(|d| {
                    std::fs::read(d.join("azure-identity-token")).is_ok_and(|t| !t.is_empty())
                });
                if written {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::time::timeout(GUARD, token_written).await.unwrap();
        signal(&child, "HUP");
        let (code, err) = ended(child).await;
        assert_ne!(
            code, -1,
            "{args:?} was killed by the signal instead of stopping: {err}"
        );
        assert!(
            entries(tmp.path()).is_empty(),
            "{args:?} left behind after SIGHUP: {:?}",
            entries(tmp.path())
        );
    }
    server.abort();
}

#[tokio::test]
async fn vms_gives_up_on_an_arm_that_never_answers_after_timeout() {
    let (arm, server) = silent_server().await;
    let arm_url = format!("http://{arm}");
    let r = run_bounded(
        &[
            "vms",
            "--demo",
            "--arm-url",
            &arm_url,
            "--subscription",
            "00000000-0000-0000-0000-000000000000",
            "--timeout",
            "2",
            "--json",
        ],
        &[],
    )
    .await;
    server.abort();
    assert_eq!(r.code, 1, "{}", r.stderr);
    let out: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(out["ok"], false, "{out}");
    assert_eq!(out["error"]["kind"], "timeout", "{out}");
    assert!(
        out["error"]["message"]
            .as_str()
            .unwrap()
            .contains("did not answer in time"),
        "{out}"
    );
}

/// A client that sends a request head announcing a large body, then drips the body one byte
/// at a time; returns whether the emulator closed the connection within `limit`.
async fn drip_body(addr: SocketAddr, request_head: String, limit: Duration) -> bool {
    let Ok(mut s) = TcpStream::connect(addr).await else {
        return true;
    };
    let deadline = tokio::time::Instant::now() + limit;
    if s.write_all(request_head.as_bytes()).await.is_err() {
        return true;
    }
    let mut buf = [0u8; 1024];
    loop {
        tokio::select! {
            read = s.read(&mut buf) => match read {
                Ok(0) | Err(_) => return true,
                Ok(_) => {}
            },
            _ = tokio::time::sleep(Duration::from_millis(100)) => {
                if s.write_all(b"a").await.is_err() {
                    return true;
                }
            }
        }
        if tokio::time::Instant::now() > deadline {
            return false;
        }
    }
}

#[tokio::test]
async fn clients_dripping_bodies_are_cut_off_and_cannot_starve_a_normal_one() {
    let run = emulator_with(Config {
        header_read_timeout: Duration::from_secs(1),
        body_read_timeout: Duration::from_secs(1),
        max_connections: 16,
        ..Config::default()
    })
    .await;
    let addr = run.addr;
    let host = format!("127.0.0.1:{}", addr.port());
    // A route that reads its body (Cloud Shell's POST) and one that never does (IMDS's GET).
    let heads = [
        format!(
            "POST /oauth2/token HTTP/1.1\r\nHost: {host}\r\nMetadata: true\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000000\r\n\r\nresource="
        ),
        format!(
            "GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/ HTTP/1.1\r\nHost: {host}\r\nMetadata: true\r\nContent-Length: 1000000\r\n\r\n"
        ),
    ];
    let drippers: Vec<_> = (0..60)
        .map(|i| tokio::spawn(drip_body(addr, heads[i % 2].clone(), GUARD)))
        .collect();
    // Wait until the drippers hold every slot.
    let full = async {
        while run.open_connections() < 16 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(GUARD, full)
        .await
        .expect("the drippers never filled the slots");
    let served = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!(
            "{}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/",
            run.base_url()
        ))
        .header("Metadata", "true")
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .expect("a normal request was not served beside the drippers");
    assert_eq!(served.status(), 200);
    for d in drippers {
        assert!(d.await.unwrap(), "a dripping connection was left open");
    }
    assert!(run.open_connections() <= 16);
}

/// Open a connection and drip a request head a byte at a time, never finishing it, until the
/// server closes it (true) or `limit` passes (false).
async fn drip_head(addr: SocketAddr, limit: Duration) -> bool {
    let Ok(mut s) = TcpStream::connect(addr).await else {
        return true;
    };
    let deadline = tokio::time::Instant::now() + limit;
    let mut head = b"GET /metadata/identity/oauth2/token HTTP/1.1\r\nHost: x\r\nX-Slow: "
        .iter()
        .copied()
        .chain(std::iter::repeat(b'a'));
    let mut buf = [0u8; 1024];
    loop {
        tokio::select! {
            read = s.read(&mut buf) => match read {
                Ok(0) | Err(_) => return true,
                Ok(_) => {}
            },
            _ = tokio::time::sleep(Duration::from_millis(100)) => {
                let byte = [head.next().unwrap_or(b'a')];
                if s.write_all(&byte).await.is_err() {
                    return true;
                }
            }
        }
        if tokio::time::Instant::now() > deadline {
            return false;
        }
    }
}

/// Clients that drip their request heads hold every slot, with a head timeout far longer than
/// the test: a normal client is still served, because the connection waiting longest for a
/// head gives way to it, and no dripper outlives the test.
#[tokio::test]
async fn clients_dripping_heads_give_way_to_a_normal_one() {
    let run = emulator_with(Config {
        header_read_timeout: Duration::from_secs(600),
        max_connections: 16,
        ..Config::default()
    })
    .await;
    let addr = run.addr;
    // The drippers outlast the request's own limit: only eviction can let it in.
    let drippers = (0..16)
        .map(|_| tokio::spawn(drip_head(addr, GUARD * 3)))
        .collect();
    normal_clients_are_served_beside(&run, drippers).await;
}

/// The same with clients that promise a long body and drip it, under a body timeout far longer
/// than the test: waiting for a body gives way as waiting for a head does.
#[tokio::test]
async fn clients_holding_back_a_body_give_way_to_a_normal_one() {
    let run = emulator_with(Config {
        body_read_timeout: Duration::from_secs(600),
        max_connections: 16,
        ..Config::default()
    })
    .await;
    let addr = run.addr;
    let head = format!(
        "POST /oauth2/token HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nMetadata: true\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000000\r\n\r\n",
        addr.port()
    );
    let drippers = (0..16)
        .map(|_| tokio::spawn(drip_body(addr, head.clone(), GUARD * 3)))
        .collect();
    normal_clients_are_served_beside(&run, drippers).await;
}

/// Once `drippers` hold every slot, three normal requests in a row are each served.
async fn normal_clients_are_served_beside(
    run: &tokscope::emulator::Running,
    drippers: Vec<tokio::task::JoinHandle<bool>>,
) {
    let full = async {
        while run.open_connections() < 16 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(GUARD, full)
        .await
        .expect("the drippers never filled the slots");
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    for _ in 0..3 {
        let served = http
            .get(format!(
                "{}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/",
                run.base_url()
            ))
            .header("Metadata", "true")
            .timeout(GUARD)
            .send()
            .await
            .expect("a normal request was kept out by clients holding their slots");
        assert_eq!(served.status(), 200);
    }
    assert!(run.open_connections() <= 16);
    for d in drippers {
        d.abort();
    }
}

fn have(cmd: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Write an executable stand-in for a runner into `dir`.
fn stand_in(dir: &Path, name: &str, body: &str) {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!("#!/usr/bin/env bash\nset -euo pipefail\n{body}\n"),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The fleet script against pods whose answers are hostile: one sends 64 MiB of zeros packed
/// into about 85 KiB, one is named `../x`. Nothing lands outside the output folder, nothing
/// large lands inside it, and both show as refused rows beside a healthy pod.
#[tokio::test(flavor = "multi_thread")]
async fn fleet_script_bounds_bombs_and_refuses_names_that_are_paths() {
    for tool in ["jq", "gzip", "base64"] {
        if !have(tool) {
            assert!(
                std::env::var_os("TOKSCOPE_REQUIRE_INTEROP").is_none(),
                "{tool} is missing"
            );
            return;
        }
    }
    let good = emulator().await;
    let bin_dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let out_dir = work.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let bomb = work.path().join("bomb.b64");
    let packed = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "head -c 67108864 /dev/zero | gzip -c | base64 | tr -d '\\n' > '{}'",
            bomb.display()
        ))
        .status()
        .unwrap();
    assert!(packed.success());
    let bomb_size = std::fs::metadata(&bomb).unwrap().len();
    assert!(bomb_size < 200 * 1024, "{bomb_size}");
    stand_in(
        bin_dir.path(),
        "kubectl",
        &format!(
            r#"case $1 in
  get) printf 'pod-good\npod-bomb\n../x\n' ;;
  exec) shift; pod=""; while [ "$1" != "--" ]; do case $1 in -n) shift ;; -c) shift ;; *) pod=$1 ;; esac; shift; done; shift
    case $pod in
      pod-bomb) printf 'TOKSCOPE-BEGIN %s TOKSCOPE-END\n' "$(cat '{bomb}')" ;;
      pod-good) AZURE_POD_IDENTITY_AUTHORITY_HOST={good} FLEET_AUTHORITY={good} "$@" ;;
      *) echo "exec into $pod" >&2; exit 9 ;;
    esac ;;
  *) exit 9 ;;
esac"#,
            bomb = bomb.display(),
            good = good.base_url()
        ),
    );
    let path = format!(
        "{}:{}",
        bin_dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/fleet-doctor.sh");
    let mut cmd = std::process::Command::new("bash");
    for v in tokscope::endpoint::detect::IDENTITY_VARS {
        cmd.env_remove(v);
    }
    cmd.env("AZURE_POD_IDENTITY_AUTHORITY_HOST", DEAD_IMDS)
        .arg(&script)
        .args(["pods", "default"])
        .env("PATH", &path)
        .env("TOKSCOPE", BIN)
        .env("TOKSCOPE_REMOTE", BIN)
        .env("FLEET_OUT", &out_dir)
        .env(
            "FLEET_DOCTOR_ARGS",
            "--retry-max 0 --timeout 5 --authority \"$FLEET_AUTHORITY\"",
        );
    // The emulator answers on the runtime's workers while this thread waits for the script.
    let out = tokio::task::block_in_place(|| cmd.output().unwrap());
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{table}\n{err}");

    // Nothing outside the output folder; nothing large inside it.
    let mut outside = entries(work.path());
    outside.retain(|p| p != &out_dir && p != &bomb);
    assert!(
        outside.is_empty(),
        "written outside the output folder: {outside:?}"
    );
    for f in entries(&out_dir) {
        let len = std::fs::metadata(&f).unwrap().len();
        assert!(len <= 1024 * 1024, "{} is {len} bytes", f.display());
    }
    let row = |m: &str| {
        table
            .lines()
            .find(|r| r.starts_with(&format!("{m} ")))
            .unwrap_or_else(|| panic!("no row for {m}:\n{table}\n{err}"))
            .to_string()
    };
    assert!(row("pod-good").ends_with("ok"), "{table}");
    assert!(row("pod-bomb").ends_with("no result"), "{table}");
    assert!(row("refused-name-1").ends_with("no result"), "{table}");
    assert!(table.contains("unpacks to more than"), "{table}");
    assert!(table.contains("not one plain path component"), "{table}");
    assert!(err.contains("refused"), "{err}");
    // The runner was never asked to exec into the badly named pod.
    assert!(!err.contains("exec into"), "{err}");
}

#[tokio::test]
async fn report_output_never_follows_a_link_nor_reuses_a_file_open_to_others() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let tmp_env = [("TMPDIR", tmp.path().to_str().unwrap())];
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "victim's file").unwrap();
    let link = dir.path().join("report.md");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let report = |path: &Path| {
        vec![
            "report".to_string(),
            "--demo".into(),
            "-o".into(),
            path.to_str().unwrap().to_string(),
        ]
    };
    let args = report(&link);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = run_bounded(&args, &tmp_env).await;
    assert_ne!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("symbolic link"), "{}", r.stderr);
    assert_eq!(std::fs::read(&victim).unwrap(), b"victim's file");

    let open = dir.path().join("open.md");
    std::fs::write(&open, "planted").unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o666)).unwrap();
    let args = report(&open);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = run_bounded(&args, &tmp_env).await;
    assert_ne!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("open to other users"), "{}", r.stderr);
    assert_eq!(std::fs::read(&open).unwrap(), b"planted");

    // A new file, then the same file again: the user's own, replaced whole.
    let fresh = dir.path().join("fresh.md");
    for _ in 0..2 {
        let args = report(&fresh);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = run_bounded(&args, &tmp_env).await;
        assert_eq!(r.code, 0, "{}", r.stderr);
        let text = std::fs::read_to_string(&fresh).unwrap();
        assert!(text.starts_with('#'), "{text}");
        assert!(!has_jwt(&text), "a token in the report");
    }
    assert_eq!(entries(dir.path()).len(), 4, "{:?}", entries(dir.path()));
    assert!(entries(tmp.path()).is_empty(), "{:?}", entries(tmp.path()));
}

/// The gate is one place: clippy.toml refuses the opens, and only src/files.rs (and
/// src/output.rs, for the standard streams) allow them module-wide; elsewhere an allow sits on
/// one item that opens no file, or on a test module.
#[test]
fn files_are_opened_only_through_the_gate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rules = std::fs::read_to_string(root.join("clippy.toml")).unwrap();
    for method in [
        "std::fs::read\"",
        "std::fs::read_to_string",
        "std::fs::File::open",
        "std::fs::File::create\"",
        "std::fs::OpenOptions::open",
        "std::fs::write",
        "std::fs::create_dir_all",
        "std::fs::DirBuilder::create",
    ] {
        assert!(
            rules.contains(&format!("path = \"{method}")),
            "clippy.toml does not refuse {method}"
        );
    }
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut sources = Vec::new();
    walk(&root.join("src"), &mut sources);
    let mut outside = Vec::new();
    for file in sources {
        let rel = file
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if rel == "src/files.rs" || rel == "src/output.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !line.contains("clippy::disallowed_methods") {
                continue;
            }
            let attribute = lines[..=i]
                .iter()
                .rev()
                .find(|l| l.trim_start().starts_with("#"))
                .copied()
                .unwrap_or("");
            // The item the allow is on: up to its closing brace at the left margin.
            let item: Vec<&str> = lines[i..]
                .iter()
                .take_while(|l| **l != "}")
                .copied()
                .collect();
            let on_tests = item
                .iter()
                .take(8)
                .any(|l| l.trim_start().starts_with("mod tests"));
            let opens_files = item.iter().any(|l| {
                ["fs::", "File::", "OpenOptions", "DirBuilder"]
                    .iter()
                    .any(|w| l.contains(w))
            });
            if attribute.trim_start().starts_with("#![") || (!on_tests && opens_files) {
                outside.push(format!("{rel}:{}", i + 1));
            }
        }
    }
    assert!(
        outside.is_empty(),
        "files opened around the gate (allow(clippy::disallowed_methods)): {outside:?}"
    );
}

/// SIGHUP's bits in a process's ignored and caught signal masks (/proc/PID/status).
fn hangup_disposition(pid: u32) -> (bool, bool) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let mask = |name: &str| {
        let hex = status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap()
            .trim();
        u64::from_str_radix(hex, 16).unwrap() & 1 == 1
    };
    (mask("SigIgn:"), mask("SigCgt:"))
}

/// Started by `nohup` (SIGHUP ignored), tokscope keeps ignoring it: a closed session does not
/// stop a command the user meant to outlive it. Started normally, it catches SIGHUP to clean up.
#[tokio::test]
async fn a_hangup_ignored_by_nohup_stays_ignored() {
    let tmp = tempfile::tempdir().unwrap();
    let (child, _) = emulate(&[], tmp.path()).await;
    let pid = child.id().unwrap();
    assert_eq!(hangup_disposition(pid), (false, true), "caught normally");
    drop(child);

    let mut nohup = tokscope_async();
    // SAFETY: between fork and exec only the async-signal-safe signal() is called.
    unsafe {
        nohup.pre_exec(|| {
            libc::signal(libc::SIGHUP, libc::SIG_IGN);
            Ok(())
        });
    }
    let (child, _) = emulate_from(nohup, &[], tmp.path()).await;
    let pid = child.id().unwrap();
    assert_eq!(
        hangup_disposition(pid),
        (true, false),
        "ignored under nohup"
    );
}

/// A secret file of two lines is refused for what it is, without showing either line, instead
/// of failing later as a broken connection.
#[test]
fn a_secret_file_of_two_lines_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret");
    std::fs::write(&path, "FirstLine-5ecret\nSecondLine-5ecret\n").unwrap();
    let (code, out, err) = tokscope(
        &[
            "get",
            "--secret-file",
            path.to_str().unwrap(),
            "--timeout",
            "2",
        ],
        &[("IDENTITY_ENDPOINT", "http://127.0.0.1:9/msi/token")],
    );
    assert_ne!(code, 0);
    let all = format!("{out}{err}");
    assert!(all.contains("line break"), "{all}");
    assert!(!all.contains("5ecret"), "{all}");
}
