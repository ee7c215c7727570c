//! The emulator under abuse, over real HTTP on 127.0.0.1: key-file floods, cross-site admin
//! calls, DNS rebinding, dripping headers, audience spellings, exposed binds, extreme clocks.
//! Every attack is bounded in count and time and aimed at loopback only.

use crate::common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::{emulator, emulator_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokscope::emulator::{self, Config, Running, ADMIN_TOKEN_HEADER};

const IMDS_PATH: &str =
    "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/";
const ARC_PATH: &str = "/arc/metadata/identity/oauth2/token?api-version=2020-06-01&resource=https://management.azure.com/";

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// One HTTP/1.1 request written by hand (so Host, absolute targets and missing headers are
/// exactly as given); returns the status code.
async fn raw_status(addr: SocketAddr, head: &str) -> u16 {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut answer))
        .await
        .expect("the emulator did not answer")
        .unwrap();
    let text = String::from_utf8_lossy(&answer);
    text.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"))
}

async fn get_with_host(addr: SocketAddr, path: &str, host: &str) -> u16 {
    raw_status(
        addr,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nMetadata: true\r\nConnection: close\r\n\r\n"
        ),
    )
    .await
}

fn key_files(dir: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

/// An unauthenticated Arc request; returns the key file its challenge names.
async fn arc_challenge(run: &Running) -> PathBuf {
    let r = http()
        .get(format!("{}{ARC_PATH}", run.base_url()))
        .header("Metadata", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let realm = r.headers()["www-authenticate"].to_str().unwrap();
    PathBuf::from(realm.strip_prefix("Basic realm=").unwrap())
}

async fn arc_with_key(run: &Running, key: &str) -> u16 {
    http()
        .get(format!("{}{ARC_PATH}", run.base_url()))
        .header("Metadata", "true")
        .header("Authorization", format!("Basic {key}"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn arc_config() -> (tempfile::TempDir, Config) {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        arc_key_dir: dir.path().join("keys"),
        arc_key_dir_owned: false,
        ..Config::default()
    };
    (dir, config)
}

#[tokio::test]
async fn a_burst_of_arc_challenges_cannot_grow_the_key_folder_without_bound() {
    let (_dir, config) = arc_config();
    let run = emulator_with(config).await;
    let folder = run.shared.config.arc_key_dir.clone();
    let mut realms = Vec::new();
    for _ in 0..300 {
        realms.push(arc_challenge(&run).await);
    }
    let files = key_files(&folder);
    assert!(
        files.len() <= emulator::ARC_KEYS_MAX,
        "{} key files after 300 challenges",
        files.len()
    );
    // The newest challenge is still good.
    let last = realms.last().unwrap();
    let key = std::fs::read_to_string(last).unwrap();
    assert_eq!(arc_with_key(&run, &key).await, 200);
}

#[tokio::test]
async fn an_arc_key_file_is_deleted_once_the_key_is_used() {
    let (_dir, config) = arc_config();
    let run = emulator_with(config).await;
    let file = arc_challenge(&run).await;
    let key = std::fs::read_to_string(&file).unwrap();
    assert_eq!(arc_with_key(&run, &key).await, 200);
    assert!(
        !file.exists(),
        "{} is still there after use",
        file.display()
    );
    // The key itself lives until its TTL, so a client may retry with it.
    assert_eq!(arc_with_key(&run, &key).await, 200, "a retry with the key");
}

#[tokio::test]
async fn an_arc_key_expires_and_its_file_goes() {
    let (_dir, mut config) = arc_config();
    config.arc_key_ttl = Duration::from_millis(300);
    let run = emulator_with(config).await;
    let file = arc_challenge(&run).await;
    let key = std::fs::read_to_string(&file).unwrap();
    let gone = tokio::time::timeout(Duration::from_secs(10), async {
        while file.exists() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(gone.is_ok(), "{} outlived its TTL", file.display());
    assert_eq!(
        arc_with_key(&run, &key).await,
        401,
        "an expired key was accepted"
    );
}

#[tokio::test]
async fn admin_needs_the_run_token() {
    let run = emulator().await;
    let admin = format!("{}/admin/faults", run.base_url());
    let c = http();
    let r = c.post(&admin).body("500").send().await.unwrap();
    assert_eq!(r.status(), 401, "no token");
    let r = c
        .post(&admin)
        .header(ADMIN_TOKEN_HEADER, "0123456789abcdef0123456789abcdef")
        .body("500")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "a wrong token");
    assert_eq!(c.get(&admin).send().await.unwrap().status(), 401);
    assert_eq!(c.delete(&admin).send().await.unwrap().status(), 401);
    // Nothing was set by the refused calls.
    let r = c
        .get(&admin)
        .header(ADMIN_TOKEN_HEADER, run.admin_token())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "");
    let r = c
        .post(&admin)
        .header(ADMIN_TOKEN_HEADER, run.admin_token())
        .body("500:count=1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn admin_refuses_a_foreign_origin_even_with_the_token() {
    let run = emulator().await;
    let admin = format!("{}/admin/faults", run.base_url());
    let own = run.base_url();
    let c = http();
    for origin in [
        "http://evil.example",
        "null",
        "http://localhost:1",
        "https://127.0.0.1.nip.io",
    ] {
        // What a page in the user's browser can send without a preflight.
        let r = c
            .post(&admin)
            .header(ADMIN_TOKEN_HEADER, run.admin_token())
            .header("Origin", origin)
            .header("Content-Type", "text/plain")
            .body("hang")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "Origin {origin}");
    }
    let r = c
        .get(&admin)
        .header(ADMIN_TOKEN_HEADER, run.admin_token())
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "", "a refused call set a fault");
    let r = c
        .post(&admin)
        .header(ADMIN_TOKEN_HEADER, run.admin_token())
        .header("Origin", own)
        .body("500:count=1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the emulator's own origin");
}

#[tokio::test]
async fn admin_serves_ipv4_loopback_callers_on_a_mapped_ipv6_socket() {
    let run = emulator::start(Config::default(), "[::ffff:127.0.0.1]:0".parse().unwrap())
        .await
        .unwrap();
    let url = format!("http://127.0.0.1:{}/admin/faults", run.addr.port());
    let r = http()
        .post(url)
        .header(ADMIN_TOKEN_HEADER, run.admin_token())
        .body("500:count=1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn every_route_refuses_a_foreign_host() {
    let run = emulator().await;
    let addr = run.addr;
    let port = addr.port();
    let routes = [
        IMDS_PATH,
        "/metadata/instance?api-version=2021-02-01",
        "/common/.well-known/openid-configuration",
        "/subscriptions?api-version=2022-12-01",
        "/admin/faults",
        "/no/such/path",
    ];
    let foreign = [
        "evil.example".to_string(),
        format!("evil.example:{port}"),
        format!("localhost.evil.example:{port}"),
        format!("127.0.0.1.nip.io:{port}"),
        "[::2]".to_string(),
        "10.0.0.1".to_string(),
    ];
    for path in routes {
        for host in &foreign {
            assert_eq!(
                get_with_host(addr, path, host).await,
                403,
                "{path} Host {host}"
            );
        }
    }
    for host in [
        format!("127.0.0.1:{port}"),
        "127.0.0.1".to_string(),
        format!("localhost:{port}"),
        "LocalHost".to_string(),
        format!("[::1]:{port}"),
        "[::1]".to_string(),
    ] {
        assert_eq!(
            get_with_host(addr, IMDS_PATH, &host).await,
            200,
            "Host {host}"
        );
    }
    // An absolute target names the host too; and a request naming none is refused.
    let absolute = format!(
        "GET http://evil.example{IMDS_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nMetadata: true\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(raw_status(addr, &absolute).await, 403);
    let hostless = format!("GET {IMDS_PATH} HTTP/1.0\r\nMetadata: true\r\n\r\n");
    assert_eq!(raw_status(addr, &hostless).await, 403);
}

/// A client that sends one header byte at a time and never finishes; returns whether the
/// emulator closed it within `limit`.
async fn drip(addr: SocketAddr, limit: Duration) -> bool {
    let Ok(mut s) = TcpStream::connect(addr).await else {
        return true;
    };
    let deadline = tokio::time::Instant::now() + limit;
    let _ = s
        .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Drip: ")
        .await;
    let mut buf = [0u8; 512];
    loop {
        tokio::select! {
            read = s.read(&mut buf) => match read {
                Ok(0) | Err(_) => return true,
                Ok(_) => {}
            },
            _ = tokio::time::sleep(Duration::from_millis(200)) => {
                if s.write_all(b"x").await.is_err() {
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
async fn dripping_headers_are_cut_off_and_cannot_starve_a_normal_request() {
    let config = Config {
        header_read_timeout: Duration::from_secs(1),
        max_connections: 16,
        ..Config::default()
    };
    let run = emulator_with(config).await;
    let addr = run.addr;
    let drippers: Vec<_> = (0..50)
        .map(|_| tokio::spawn(drip(addr, Duration::from_secs(40))))
        .collect();
    let mut most = 0;
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        most = most.max(run.open_connections());
    }
    assert!(most >= 1, "no connection was counted");
    assert!(
        most <= 16,
        "{most} connections open at once, above the limit of 16"
    );
    let served = http()
        .get(format!("{}{IMDS_PATH}", run.base_url()))
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

#[tokio::test]
async fn the_cache_keeps_one_token_per_normalised_audience() {
    let run = emulator().await;
    let c = http();
    let mut tokens = std::collections::HashSet::new();
    for spelling in [
        "https://management.azure.com".to_string(),
        "https://management.azure.com/".to_string(),
        "https://management.azure.com//".to_string(),
        "HTTPS://Management.Azure.Com/".to_string(),
        "https://management.azure.com/.default".to_string(),
        format!("https://management.azure.com{}", "/".repeat(300)),
    ] {
        let r = c
            .get(format!("{}/metadata/identity/oauth2/token", run.base_url()))
            .query(&[
                ("api-version", "2018-02-01"),
                ("resource", spelling.as_str()),
            ])
            .header("Metadata", "true")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{spelling}");
        let v: serde_json::Value = r.json().await.unwrap();
        tokens.insert(v["access_token"].as_str().unwrap().to_string());
    }
    assert_eq!(
        tokens.len(),
        1,
        "one audience minted {} tokens",
        tokens.len()
    );
    assert_eq!(run.shared.cache.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn the_cache_is_bounded() {
    let audiences: Vec<String> = (0..emulator::CACHE_MAX + 40)
        .map(|i| format!("api://audience-{i}"))
        .collect();
    let run = emulator_with(Config {
        audiences: audiences.clone(),
        ..Config::default()
    })
    .await;
    let c = http();
    for aud in &audiences {
        let r = c
            .get(format!("{}/metadata/identity/oauth2/token", run.base_url()))
            .query(&[("api-version", "2018-02-01"), ("resource", aud.as_str())])
            .header("Metadata", "true")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{aud}");
    }
    let held = run.shared.cache.lock().unwrap().len();
    assert!(held <= emulator::CACHE_MAX, "{held} cached tokens");
}

/// `tokscope emulate ARGS`, given at most 20 s to exit by itself: (exit code, stdout, stderr),
/// the code None when it was still running.
async fn emulate(args: &[&str]) -> (Option<i32>, String, String) {
    let mut cmd = common::tokscope_async();
    for v in tokscope::endpoint::detect::IDENTITY_VARS
        .iter()
        .chain(tokscope::endpoint::detect::PROXY_VARS)
    {
        cmd.env_remove(v);
    }
    cmd.env("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")
        .arg("emulate")
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().unwrap();
    let code = match tokio::time::timeout(Duration::from_secs(20), child.wait()).await {
        Ok(status) => status.unwrap().code(),
        Err(_) => {
            child.kill().await.unwrap();
            None
        }
    };
    let (mut out, mut err) = (String::new(), String::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .await
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .await
        .unwrap();
    (code, out, err)
}

#[tokio::test]
async fn a_non_loopback_bind_needs_allow_remote() {
    // Documentation addresses: never this machine's, so even a wrong answer exposes nothing.
    for bind in ["192.0.2.1", "2001:db8::1"] {
        let (code, _, err) = emulate(&["--bind", bind, "--port", "0"]).await;
        assert!(code.is_some_and(|c| c != 0), "--bind {bind}: {code:?}");
        assert!(err.contains("--allow-remote"), "--bind {bind}: {err}");
        assert!(err.contains("mint"), "says what it exposes: {err}");
        // With the flag it gets as far as binding, which fails for an address not ours.
        let (code, _, err) = emulate(&["--bind", bind, "--port", "0", "--allow-remote"]).await;
        assert!(code.is_some_and(|c| c != 0), "{code:?}");
        assert!(err.contains("cannot listen"), "{err}");
    }
    let refused = emulator::start(Config::default(), "192.0.2.1:0".parse().unwrap()).await;
    let err = refused.err().expect("the library refused too");
    assert!(err.to_string().contains("allow_remote") || err.to_string().contains("--allow-remote"));
}

#[tokio::test]
async fn lifetime_and_clock_skew_are_bounded_when_parsed() {
    for args in [
        ["--lifetime", "9223372036854775807"],
        ["--lifetime", "0"],
        ["--clock-skew", "-9223372036854775808"],
        ["--clock-skew", "9223372036854775807"],
        ["--refresh-before", "9223372036854775807"],
    ] {
        let mut all = vec!["--port", "0"];
        all.extend(args);
        let (code, _, err) = emulate(&all).await;
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(err.contains(args[0]), "{args:?}: {err}");
        assert!(err.contains("between"), "{args:?} names the bounds: {err}");
    }
    let extreme = Config {
        lifetime: i64::MAX,
        ..Config::default()
    };
    assert!(emulator::start(extreme, "127.0.0.1:0".parse().unwrap())
        .await
        .is_err());
}

#[tokio::test]
async fn emulate_prints_the_admin_token_and_the_admin_path_takes_it() {
    let mut child = common::tokscope_async()
        .env("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")
        .args(["emulate", "--port", "0"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut text = String::new();
    let mut buf = [0u8; 4096];
    let found = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let n = out.read(&mut buf).await.unwrap();
            assert!(n > 0, "emulate ended: {text}");
            text.push_str(&String::from_utf8_lossy(&buf[..n]));
            if text.contains(ADMIN_TOKEN_HEADER) && text.contains("/admin/faults") {
                break;
            }
        }
    })
    .await;
    assert!(found.is_ok(), "no admin token printed: {text}");
    let base = text
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap()
        .to_string();
    let token: String = text
        .split(&format!("{ADMIN_TOKEN_HEADER}: "))
        .nth(1)
        .unwrap()
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    assert!(token.len() >= 32, "{text}");
    let admin = format!("{base}/admin/faults");
    let c = http();
    assert_eq!(
        c.post(&admin).body("500").send().await.unwrap().status(),
        401
    );
    let r = c
        .post(&admin)
        .header(ADMIN_TOKEN_HEADER, &token)
        .body("500:count=1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    child.kill().await.unwrap();
}

#[tokio::test]
async fn a_hanging_answer_frees_its_connection_when_the_client_gives_up() {
    let run = emulator().await;
    let r = common::admin_client(&run)
        .post(format!("{}/admin/faults", run.base_url()))
        .body("hang")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    drop(r);
    for _ in 0..5 {
        let gave_up = http()
            .get(format!("{}{IMDS_PATH}", run.base_url()))
            .header("Metadata", "true")
            .timeout(Duration::from_millis(300))
            .send()
            .await;
        assert!(gave_up.is_err());
    }
    let freed = tokio::time::timeout(Duration::from_secs(10), async {
        while run.open_connections() > 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(
        freed.is_ok(),
        "{} connections still held",
        run.open_connections()
    );
}
