//! The emulator's skewed clock, shown in the HTTP `Date` header as well as in the tokens,
//! so that a client can measure the skew the way it would against a real endpoint.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header::DATE;
use axum::http::HeaderValue;
use axum::response::Response;
use chrono::{DateTime, Utc};

use super::Shared;

/// An IMF-fixdate (`Tue, 24 Nov 2026 01:59:18 GMT`), the form HTTP's Date header takes.
pub fn http_date(epoch: i64) -> Option<String> {
    DateTime::<Utc>::from_timestamp(epoch, 0)
        .map(|t| t.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
}

/// Response middleware: with a skewed clock, replace the server's Date with the skewed time.
pub async fn stamp_date(State(s): State<Arc<Shared>>, mut response: Response) -> Response {
    if s.config.clock_skew != 0 {
        if let Some(v) = http_date(s.now()).and_then(|d| HeaderValue::from_str(&d).ok()) {
            response.headers_mut().insert(DATE, v);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_imf_fixdate() {
        assert_eq!(
            super::http_date(1_795_521_558).as_deref(),
            Some("Tue, 24 Nov 2026 11:59:18 GMT")
        );
    }
}
