//! `tokscope watch`: poll the endpoint with the watch engine and print one event per poll.
//!
//! With `--json` every poll is one NDJSON line:
//! `{"at":<epoch s>,"at_utc":"2026-11-25T16:40:01Z","event":"fetched"|"unchanged"|"refreshed"|"error",
//! "fingerprint","expires_on_epoch","expires_in_s","latency_ms","retries","refreshed_before_expiry_s"?,
//! "error"?,"service_account"?,"warnings"?,"verdict":{"level","causes"}}` and the last line is
//! `{"summary":{"polls","refreshes","errors","retries","recovered","latency_p50_ms","latency_p95_ms",
//! "latency_max_ms","service_account_rotations"?,"verdict"}}`.
//! With workload identity, `service_account` is the token file's side of the same poll:
//! `{"event":"read"|"unchanged"|"rotated","fingerprint","expires_on_epoch","expires_in_s",
//! "rotation_due_epoch","rotated_before_expiry_s"?}`.

use std::time::Duration;

use crate::cli::WatchArgs;
use crate::endpoint::Flavour;
use crate::error::{Error, Result};
use crate::output::{self, TerminalText};
use crate::session::Session;
use crate::token::claims::{duration, relative, utc_string};
use crate::watch::{poll, EventKind, FileEvent, PollEvent, ServiceAccountPoll, Summary, Timeline};

/// IMDS throttles the identity category at 20 requests/s; polling faster than this is rude.
const IMDS_GENTLE_INTERVAL: Duration = Duration::from_secs(1);

/// `2026-11-25T16:40:01Z  refreshed  sha256:… expires 16:44:00 UTC (in 2m 0s) · 8 ms · …`
pub fn event_line(e: &PollEvent) -> String {
    let kind = match e.event {
        EventKind::Fetched => "fetched",
        EventKind::Unchanged => "unchanged",
        EventKind::Refreshed => "refreshed",
        EventKind::Error => "error",
    };
    let mut line = format!("{}  {kind:<9}", utc_string(e.at));
    if let Some(err) = &e.error {
        line.push_str(&format!("  {} · hint: {}", err.headline(), err.hint));
    }
    if let (Some(fp), Some(exp)) = (&e.fingerprint, e.expires_on_epoch) {
        line.push_str(&format!(
            "  {fp}  expires {} ({})",
            utc_string(exp),
            relative(exp - e.at)
        ));
    }
    line.push_str(&format!(" · {} ms", e.latency_ms));
    if e.retries > 0 {
        line.push_str(&format!(
            " after {} {}",
            e.retries,
            if e.retries == 1 { "retry" } else { "retries" }
        ));
    }
    if let Some(b) = e.refreshed_before_expiry_s {
        line.push_str(&format!(
            " · renewed {} before the old token's expiry",
            duration(b)
        ));
    }
    if let Some(sa) = &e.service_account {
        line.push_str(&service_account_words(e.at, sa));
    }
    // An error poll's verdict only repeats its error, already on the line.
    if e.error.is_none() {
        for c in &e.verdict.causes {
            line.push_str(&format!(" · {}: {}", c.level().label(), c.message()));
        }
    }
    line
}

/// ` · service-account token rotated sha256:… (expires … in 1h 0m) 12m 0s before the old one's expiry`
fn service_account_words(at: i64, sa: &ServiceAccountPoll) -> String {
    let what = match sa.event {
        FileEvent::Read => "service-account token",
        FileEvent::Unchanged => "service-account token unchanged",
        FileEvent::Rotated => "service-account token rotated",
    };
    let mut out = format!(" · {what} {}", sa.fingerprint);
    if let Some(exp) = sa.expires_on_epoch {
        out.push_str(&format!(
            " (expires {}, {})",
            utc_string(exp),
            relative(exp - at)
        ));
    }
    if let Some(b) = sa.rotated_before_expiry_s {
        out.push_str(&format!(" {} before the old one's expiry", duration(b)));
    } else if let Some(due) = sa.rotation_due_epoch.filter(|d| *d > at) {
        out.push_str(&format!(", kubelet rotates it {}", relative(due - at)));
    }
    out
}

pub fn summary_line(s: &Summary) -> String {
    let mut line = format!(
        "{} polls · {} refreshes · {} errors · {} retries · {} recovered after retrying · latency p50 {} ms · p95 {} ms · max {} ms",
        s.polls,
        s.refreshes,
        s.errors,
        s.retries,
        s.recovered,
        s.latency_p50_ms,
        s.latency_p95_ms,
        s.latency_max_ms
    );
    if let Some(n) = s.service_account_rotations {
        line.push_str(&format!(" · {n} service-account token rotations"));
    }
    line.push_str(&format!(" · verdict {}", s.verdict.headline()));
    line
}

fn emit(text: &str, json: bool) -> Result<()> {
    output::stdout_line(&if json {
        TerminalText::json(text)
    } else {
        crate::color::for_stdout(
            &crate::sanitize::sanitize(text),
            crate::color::Layout::Watch,
        )
    })
}

/// Poll until `--count` or `stop` (the caller's `shutdown_signal`: Ctrl-C, SIGTERM, SIGHUP), then
/// print the summary. Failed polls are events, not a failure of the command: the summary counts
/// them.
pub async fn run(
    setup: &Session,
    resource: &str,
    args: &WatchArgs,
    stop: impl std::future::Future<Output = ()>,
) -> Result<()> {
    if args.interval.is_zero() && !crate::loopback::is_loopback_url(setup.endpoint.url.expose()) {
        return Err(Error::config(
            format!(
                "--interval 0ms polls back to back, and {} is not on this machine",
                setup.endpoint.url
            ),
            "give a real interval (e.g. 30s); back-to-back polling is for a loopback endpoint such as tokscope emulate",
        ));
    }
    let real_imds = setup.demo_url.is_none() && setup.endpoint.flavour == Flavour::Imds;
    if real_imds && args.interval < IMDS_GENTLE_INTERVAL {
        output::note(&format!(
            "warning: polling IMDS every {} ms; it throttles at 20 requests/s per VM (429), so keep the interval at 1s or more",
            args.interval.as_millis()
        ));
    }
    if !args.json {
        output::note(&format!(
            "watching {} ({}) for {} every {}; Ctrl-C stops",
            setup.endpoint.url,
            setup.endpoint.flavour.name(),
            resource,
            humanize(args.interval)
        ));
    }
    let mut timeline = Timeline::for_resource(
        crate::watch::HISTORY,
        setup.endpoint.notes.clone(),
        resource.to_string(),
    );
    tokio::pin!(stop);
    let mut polls = 0u64;
    loop {
        let (at, latency, result) = tokio::select! {
            r = poll(&setup.client, &setup.endpoint, resource) => r,
            _ = &mut stop => break,
        };
        let event = timeline.record(at, latency, &result);
        let line = if args.json {
            event.to_json().to_string()
        } else {
            event_line(event)
        };
        emit(&line, args.json)?;
        polls += 1;
        if args.count.is_some_and(|n| polls >= n) {
            break;
        }
        if args.interval.is_zero() {
            // Back to back, but a signal still gets its turn between polls.
            tokio::task::yield_now().await;
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(args.interval) => {},
            _ = &mut stop => break,
        }
    }
    let summary = timeline.summary();
    let line = if args.json {
        serde_json::json!({ "summary": summary }).to_string()
    } else {
        summary_line(&summary)
    };
    emit(&line, args.json)?;
    Ok(())
}

fn humanize(d: Duration) -> String {
    if d.subsec_millis() != 0 || d.as_secs() == 0 {
        format!("{} ms", d.as_millis())
    } else {
        duration(crate::duration::secs_i64(d))
    }
}
