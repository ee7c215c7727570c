//! Polling an endpoint to see its cache at work: one engine for the TUI and `tokscope watch`.

use std::collections::VecDeque;
use std::time::Duration;

use serde::Serialize;

use crate::endpoint::{Endpoint, Fetched, TokenClient};
use crate::error::Error;
use crate::token::claims::utc_string;
use crate::verdict::{Activity, Cause, Verdict};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The first token seen.
    Fetched,
    /// The same token as last time.
    Unchanged,
    /// A different token: the endpoint's cache renewed it.
    Refreshed,
    Error,
}

/// What a poll saw of the service-account token file (workload identity only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileEvent {
    /// The first token read from the file.
    Read,
    /// The same token as last time.
    Unchanged,
    /// A different token: kubelet rewrote the file.
    Rotated,
}

/// The service-account token behind a workload-identity poll, on the same timeline as the
/// access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceAccountPoll {
    pub event: FileEvent,
    pub fingerprint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_on_epoch: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in_s: Option<i64>,
    /// When kubelet is expected to write the next one (80 % of the lifetime).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation_due_epoch: Option<i64>,
    /// For a rotation: how long before the previous file token's expiry the new one came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotated_before_expiry_s: Option<i64>,
}

/// One poll, as the timeline shows it and `watch --json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct PollEvent {
    /// Epoch seconds.
    pub at: i64,
    pub event: EventKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_on_epoch: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in_s: Option<i64>,
    pub latency_ms: u64,
    /// Retries this poll needed before its answer (0 for a failed poll: its error says how
    /// many it made).
    pub retries: u32,
    /// For a refresh: how long before the previous token's expiry the new one came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refreshed_before_expiry_s: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
    /// Workload identity: the service-account token that was exchanged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_account: Option<ServiceAccountPoll>,
    /// The verdict's causes in words for a token (a stale cache, expiry going backwards, a
    /// service-account file kubelet stopped rotating, a wrong audience …); none for an error.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// This poll's verdict: the token's, or FAIL for a failed poll.
    pub verdict: Verdict,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub polls: u64,
    pub refreshes: u64,
    pub errors: u64,
    /// Retries across all polls.
    pub retries: u64,
    /// Polls that got their token only after one or more retries.
    pub recovered: u64,
    pub latency_p50_ms: u64,
    pub latency_p95_ms: u64,
    pub latency_max_ms: u64,
    /// Workload identity: how often the service-account token file changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_account_rotations: Option<u64>,
    /// The run's verdict: the last token's causes, and the failed polls counted.
    pub verdict: Verdict,
}

/// How many of the latest polls the latency percentiles are taken over: a watch left running
/// for weeks keeps a fixed amount of memory, and the figures follow what the endpoint does now.
pub const LATENCY_WINDOW: usize = 10_000;

/// The history of polls and what they mean. Keeps the last `capacity` events for display, the
/// latencies of the last [`LATENCY_WINDOW`] polls for the summary, and counts of all of them.
#[derive(Debug, Clone)]
pub struct Timeline {
    events: VecDeque<PollEvent>,
    capacity: usize,
    last: Option<(String, i64)>,
    /// The service-account token last seen: fingerprint and expiry.
    last_sa: Option<(String, Option<i64>)>,
    sa_rotations: Option<u64>,
    /// The window's latencies in arrival order, so the oldest can leave.
    recent: VecDeque<u64>,
    /// The same latencies sorted, so that the summary (drawn each second) costs no sort.
    sorted: Vec<u64>,
    latency_max_ms: u64,
    polls: u64,
    refreshes: u64,
    errors: u64,
    retries: u64,
    recovered: u64,
    /// The last failed poll's headline, and whether a poll succeeded after it.
    last_error: Option<(String, bool)>,
    /// The last token's verdict.
    last_verdict: Option<Verdict>,
    /// What the verdict checks a token against: the endpoint's notes and the resource.
    context: Option<(Vec<String>, String)>,
}

/// How many polls a timeline keeps for display.
pub const HISTORY: usize = 500;

impl Default for Timeline {
    fn default() -> Self {
        Self::new(HISTORY)
    }
}

impl Timeline {
    pub fn new(capacity: usize) -> Self {
        Self {
            events: VecDeque::new(),
            capacity: capacity.max(1),
            last: None,
            last_sa: None,
            sa_rotations: None,
            recent: VecDeque::new(),
            sorted: Vec::new(),
            latency_max_ms: 0,
            polls: 0,
            refreshes: 0,
            errors: 0,
            retries: 0,
            recovered: 0,
            last_error: None,
            last_verdict: None,
            context: None,
        }
    }

    /// A timeline whose verdicts check each token against the endpoint's notes and the
    /// resource asked for, as `tokscope get` does.
    pub fn for_resource(capacity: usize, endpoint_notes: Vec<String>, resource: String) -> Self {
        let mut t = Self::new(capacity);
        t.context = Some((endpoint_notes, resource));
        t
    }

    /// Classify one poll's outcome and append it.
    pub fn record(
        &mut self,
        at: i64,
        latency: Duration,
        result: &Result<Fetched, Error>,
    ) -> &PollEvent {
        let latency_ms = crate::duration::millis(latency);
        self.polls += 1;
        self.note_latency(latency_ms);
        let event = match result {
            Err(e) => {
                self.errors += 1;
                self.last_error = Some((e.headline(), false));
                let verdict = Verdict::from_causes(vec![Cause::Failed {
                    activity: Activity::Poll,
                    count: 1,
                    last: e.headline(),
                    recovered: false,
                }]);
                PollEvent {
                    at,
                    event: EventKind::Error,
                    fingerprint: None,
                    expires_on_epoch: None,
                    expires_in_s: None,
                    latency_ms,
                    retries: 0,
                    refreshed_before_expiry_s: None,
                    error: Some(e.clone()),
                    service_account: None,
                    // The error is the poll's story; its verdict only counts it.
                    warnings: Vec::new(),
                    verdict,
                }
            }
            Ok(f) => {
                let fp = f.token.access_token.fingerprint();
                let exp = f.token.expires_on;
                self.retries += u64::from(f.retries);
                if f.retries > 0 {
                    self.recovered += 1;
                }
                if let Some((_, recovered)) = &mut self.last_error {
                    *recovered = true;
                }
                let (notes, resource) = match &self.context {
                    Some((n, r)) => (n.as_slice(), Some(r.as_str())),
                    None => (&[][..], None),
                };
                let mut verdict = crate::inspect::verdict_of(notes, resource, f, at);
                let (kind, before) = match &self.last {
                    None => (EventKind::Fetched, None),
                    Some((last_fp, last_exp)) => {
                        if exp < *last_exp {
                            verdict.causes.push(Cause::ExpiryWentBackwards {
                                by_s: last_exp.saturating_sub(exp),
                            });
                        }
                        if *last_fp == fp {
                            (EventKind::Unchanged, None)
                        } else {
                            self.refreshes += 1;
                            (EventKind::Refreshed, Some(last_exp.saturating_sub(at)))
                        }
                    }
                };
                self.last = Some((fp.clone(), exp));
                let mut file_notes = Vec::new();
                let service_account = f
                    .federated
                    .as_ref()
                    .map(|fed| self.record_file(at, fed, &mut file_notes));
                verdict
                    .causes
                    .extend(file_notes.into_iter().map(|text| Cause::Note { text }));
                let verdict = Verdict::from_causes(verdict.causes);
                self.last_verdict = Some(verdict.clone());
                PollEvent {
                    at,
                    event: kind,
                    fingerprint: Some(fp),
                    expires_on_epoch: Some(exp),
                    expires_in_s: Some(exp.saturating_sub(at)),
                    latency_ms,
                    retries: f.retries,
                    refreshed_before_expiry_s: before,
                    error: None,
                    service_account,
                    warnings: verdict.messages(),
                    verdict,
                }
            }
        };
        if self.events.len() == self.capacity {
            self.events.pop_front();
        }
        self.events.push_back(event);
        // Just pushed, so the back exists.
        #[allow(
            clippy::indexing_slicing,
            reason = "the event was pushed on the line above"
        )]
        let last = &self.events[self.events.len() - 1];
        last
    }

    /// Classify the service-account token of a workload-identity poll against the last one.
    fn record_file(
        &mut self,
        at: i64,
        fed: &crate::endpoint::workload::Federated,
        warnings: &mut Vec<String>,
    ) -> ServiceAccountPoll {
        let fp = fed.file.contents.fingerprint();
        let t = &fed.file.token;
        let (event, before) = match &self.last_sa {
            None => (FileEvent::Read, None),
            Some((last_fp, _)) if *last_fp == fp => (FileEvent::Unchanged, None),
            Some((_, last_exp)) => {
                *self.sa_rotations.get_or_insert(0) += 1;
                (FileEvent::Rotated, last_exp.map(|e| e.saturating_sub(at)))
            }
        };
        self.sa_rotations.get_or_insert(0);
        self.last_sa = Some((fp.clone(), t.expires_at));
        match (t.expires_at, t.rotation_due) {
            (Some(exp), _) if exp <= at => warnings.push(format!(
                "the service-account token in the file expired {} ago: kubelet stopped rotating it",
                crate::token::claims::duration(at.saturating_sub(exp))
            )),
            (_, Some(due)) if at > due + 60 => warnings.push(format!(
                "kubelet is {} late rotating the service-account token (due at 80 % of its lifetime)",
                crate::token::claims::duration(at - due)
            )),
            _ => {}
        }
        ServiceAccountPoll {
            event,
            fingerprint: fp,
            expires_on_epoch: t.expires_at,
            expires_in_s: t.expires_at.map(|e| e.saturating_sub(at)),
            rotation_due_epoch: t.rotation_due,
            rotated_before_expiry_s: before,
        }
    }

    pub fn events(&self) -> impl DoubleEndedIterator<Item = &PollEvent> + ExactSizeIterator {
        self.events.iter()
    }

    fn note_latency(&mut self, ms: u64) {
        self.latency_max_ms = self.latency_max_ms.max(ms);
        if self.recent.len() == LATENCY_WINDOW {
            if let Some(old) = self.recent.pop_front() {
                if let Ok(i) = self.sorted.binary_search(&old) {
                    self.sorted.remove(i);
                }
            }
        }
        self.recent.push_back(ms);
        let at = self.sorted.partition_point(|&l| l < ms);
        self.sorted.insert(at, ms);
    }

    /// Latencies held for the percentiles: at most [`LATENCY_WINDOW`].
    pub fn latencies_held(&self) -> usize {
        self.sorted.len()
    }

    pub fn summary(&self) -> Summary {
        let l = &self.sorted;
        let pct = |p: f64| -> u64 {
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "p is a share from 0 to 1 of an index that fits"
            )]
            let i = ((l.len().saturating_sub(1) as f64) * p).round() as usize;
            l.get(i).copied().unwrap_or(0)
        };
        let mut causes = self
            .last_verdict
            .as_ref()
            .map(|v| v.causes.clone())
            .unwrap_or_default();
        if let Some((last, recovered)) = &self.last_error {
            causes.push(Cause::Failed {
                activity: Activity::Poll,
                count: self.errors,
                last: last.clone(),
                recovered: *recovered,
            });
        }
        Summary {
            polls: self.polls,
            refreshes: self.refreshes,
            errors: self.errors,
            retries: self.retries,
            recovered: self.recovered,
            latency_p50_ms: pct(0.5),
            latency_p95_ms: pct(0.95),
            latency_max_ms: self.latency_max_ms,
            service_account_rotations: self.sa_rotations,
            verdict: Verdict::from_causes(causes),
        }
    }
}

impl PollEvent {
    /// The NDJSON line of `watch --json`: the serialized event with `at_utc` (RFC 3339) after
    /// the epoch `at`, and the error in the common error shape (request ids as an object).
    pub fn to_json(&self) -> serde_json::Value {
        let mut out = serde_json::Map::new();
        let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(self) else {
            return serde_json::Value::Object(out);
        };
        for (k, v) in fields {
            let is_at = k == "at";
            out.insert(k, v);
            if is_at {
                out.insert("at_utc".into(), utc_string(self.at).into());
            }
        }
        serde_json::Value::Object(out)
    }
}

/// One poll: fetch and time it.
pub async fn poll(
    client: &TokenClient,
    endpoint: &Endpoint,
    resource: &str,
) -> (i64, Duration, Result<Fetched, Error>) {
    let started = std::time::Instant::now();
    let result = client.fetch(endpoint, resource).await;
    (chrono::Utc::now().timestamp(), started.elapsed(), result)
}

#[cfg(test)]
mod json_tests {
    use super::*;

    #[test]
    fn event_json_has_utc_time_and_the_common_error_shape() {
        let mut t = Timeline::new(4);
        let mut e = Error::new(crate::error::ErrorKind::Endpoint, "busy", "try later");
        e.request_ids.push(("x-ms-request-id".into(), "r1".into()));
        let v = t
            .record(1_795_624_911, Duration::from_millis(7), &Err(e))
            .to_json();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys[..3], ["at", "at_utc", "event"]);
        assert_eq!(v["at_utc"], "2026-11-25T16:41:51Z");
        assert_eq!(v["event"], "error");
        assert_eq!(v["error"]["request_ids"]["x-ms-request-id"], "r1");
        assert_eq!(v["latency_ms"], 7);
    }
}
