//! The flavour table, checked against the running emulator: the exports it prints for each
//! flavour are what that platform sets, detection reads them back as that flavour, a token
//! comes back, and `--demo` shows every flavour.

use crate::common::*;

use tokscope::endpoint::{detect, EnvSnapshot, Overrides};
use tokscope::flavour::{Demo, Flavour};

/// The `export` line under the comment naming `describe`, as (name, value) pairs.
fn export_line(exports: &str, describe: &str) -> Vec<(String, String)> {
    let mut lines = exports.lines();
    lines
        .find(|l| l.starts_with(&format!("# {describe}")))
        .unwrap_or_else(|| panic!("no export comment for {describe} in\n{exports}"));
    let line = lines.next().unwrap().strip_prefix("export ").unwrap();
    line.split(' ')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

#[tokio::test]
async fn every_served_flavour_works_from_the_exports_alone() {
    let run = emulator().await;
    let exports = run.exports();
    let client = client(&run);
    for &flavour in Flavour::ALL {
        let spec = flavour.spec();
        if matches!(spec.demo, Demo::As(_)) {
            continue;
        }
        let mut pairs = export_line(&exports, spec.describe);
        if let Demo::Path(_) = spec.demo {
            let names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(names, spec.env_vars(), "{flavour:?}");
        }
        // Never IMDS at its real address, whatever detection decides.
        if !pairs
            .iter()
            .any(|(k, _)| k == "AZURE_POD_IDENTITY_AUTHORITY_HOST")
        {
            pairs.push(("AZURE_POD_IDENTITY_AUTHORITY_HOST".into(), run.base_url()));
        }
        let env = EnvSnapshot::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        // Flavours no variable selects are chosen with --flavour, as the comment says.
        let ov = Overrides {
            flavour: spec.detect.is_none().then_some(flavour),
            ..Overrides::default()
        };
        let ep = detect(&env, &ov).unwrap();
        assert_eq!(ep.flavour, flavour, "{pairs:?}");
        let fetched = client
            .fetch(&ep, "https://management.azure.com/")
            .await
            .unwrap_or_else(|e| panic!("{flavour:?}: {e}"));
        assert!(fetched.token.jwt.is_ok(), "{flavour:?}");
    }
}

#[test]
fn the_demo_shows_every_flavour() {
    for &flavour in Flavour::ALL {
        let shown = match flavour.spec().demo {
            Demo::As(other) => other,
            Demo::Path(_) | Demo::Pod => flavour,
        };
        let (code, out, err) = tokscope(
            &["--demo", "--flavour", flavour.name(), "get", "--json"],
            &[("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")],
        );
        assert_eq!(code, 0, "{flavour:?}: {out}{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["source"]["flavour"], shown.name(), "{flavour:?}");
    }
}
