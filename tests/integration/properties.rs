//! Property tests: no input makes the decoder or the response normaliser panic.
//! The case count is bounded so that CI stays quick; fuzzing (fuzz/) goes further.

use proptest::prelude::*;
use tokscope::endpoint::response::{parse_error, parse_expires_on, parse_success};
use tokscope::endpoint::Flavour;
use tokscope::token::claims::MAX_EPOCH;
use tokscope::token::{self, jwt::encode_part};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn decode_never_panics(s in ".{0,400}") {
        let _ = token::decode(&s);
    }

    #[test]
    fn decode_never_panics_on_jwt_shaped_input(a in "[A-Za-z0-9_=-]{0,60}", b in "[A-Za-z0-9_=-]{0,60}", c in "[A-Za-z0-9_.=-]{0,60}") {
        let _ = token::decode(&format!("{a}.{b}.{c}"));
        let _ = token::decode(&format!("eyJ{a}.eyJ{b}.{c}"));
    }

    #[test]
    fn decode_round_trips_any_claims(k in "k_[a-z_]{1,12}", v in -MAX_EPOCH..=MAX_EPOCH, s in ".{0,40}") {
        let claims = serde_json::json!({ k.clone(): v, "s": s });
        let t = format!("{}.{}.c2ln", encode_part(&serde_json::json!({"alg": "RS256"})), encode_part(&claims));
        let jwt = token::decode(&t).unwrap();
        prop_assert_eq!(jwt.claim_i64(&k), Some(v));
        let _ = token::claims::times_json(&jwt, 0);
    }

    #[test]
    fn time_forms_never_panic(epoch in any::<i64>(), now in any::<i64>()) {
        let _ = token::claims::time_forms(epoch, now / 2);
    }

    #[test]
    fn normaliser_never_panics(body in proptest::collection::vec(any::<u8>(), 0..300), status in 100u16..600) {
        let _ = parse_success(&body, 1_700_000_000);
        let _ = parse_error(Flavour::Imds, status, &[], &body);
    }

    #[test]
    fn normaliser_never_panics_on_json_shaped_bodies(
        token in "[A-Za-z0-9._-]{0,80}",
        on in prop_oneof![any::<i64>().prop_map(|n| n.to_string()), ".{0,30}", "[0-9/ :APM+-]{0,30}"],
        inn in ".{0,12}",
    ) {
        let body = serde_json::json!({"access_token": token, "expires_on": on, "expires_in": inn}).to_string();
        let _ = parse_success(body.as_bytes(), 1_700_000_000);
        let _ = parse_expires_on(&serde_json::json!(on));
        let err = serde_json::json!({"error": {"code": on, "message": inn}}).to_string();
        let _ = parse_error(Flavour::Cloudshell, 400, &[], err.as_bytes());
    }
}

proptest! {
    #![proptest_config(config())]

    /// Times far outside any real date are refused where they are read, so nothing later overflows.
    #[test]
    fn extreme_times_are_refused_at_the_edge(v in prop_oneof![i64::MIN..-MAX_EPOCH, (MAX_EPOCH + 1)..=i64::MAX]) {
        let t = format!("{}.{}.c2ln", encode_part(&serde_json::json!({"alg": "RS256"})), encode_part(&serde_json::json!({"exp": v})));
        prop_assert_eq!(token::decode(&t).unwrap().claim_i64("exp"), None);
        prop_assert_eq!(parse_expires_on(&serde_json::json!(v.to_string())), None);
        let body = serde_json::json!({"access_token": "x", "expires_on": v.to_string(), "expires_in": v}).to_string();
        prop_assert!(parse_success(body.as_bytes(), 1_700_000_000).is_err());
    }
}

/// An offset with a huge hour or minute count once overflowed the seconds arithmetic
/// (a panic in debug builds, a wrapped offset in release); it must simply be refused.
#[test]
fn expires_on_with_an_absurd_offset_is_refused() {
    for s in [
        "11/24/2026 1:59:18 AM +99999999:00",
        "11/24/2026 01:59:18 -00:99999999",
        "11/24/2026 01:59:18 +596523:00",
        "11/24/2026 01:59:18 +2147483647",
    ] {
        assert_eq!(parse_expires_on(&serde_json::json!(s)), None, "{s}");
    }
    assert_eq!(
        parse_expires_on(&serde_json::json!("11/24/2026 01:59:18 +01:00")),
        Some(1_795_481_958)
    );
}

/// Anything that could act on a terminal or reorder text.
fn raw_unsafe(s: &str) -> bool {
    s.chars().any(tokscope::sanitize::is_unsafe)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn sanitised_text_holds_no_control_or_bidi_character(s in any::<String>()) {
        prop_assert!(!raw_unsafe(&tokscope::sanitize::sanitize(&s)));
        let lines = tokscope::sanitize::sanitize_lines(&s);
        prop_assert!(!lines.chars().any(|c| tokscope::sanitize::is_unsafe(c) && c != '\n' && c != '\t'));
    }

    #[test]
    fn sanitiser_keeps_printable_text(s in "[^\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}]{0,200}") {
        prop_assert_eq!(tokscope::sanitize::sanitize(&s), s.as_str());
    }

    #[test]
    fn sanitised_json_is_the_same_value(s in any::<String>()) {
        let v = serde_json::json!({ "claim": s });
        let raw = serde_json::to_string_pretty(&v).unwrap();
        let safe = tokscope::sanitize::sanitize_json(&raw);
        prop_assert!(!safe.chars().any(|c| tokscope::sanitize::is_unsafe(c) && c != '\n'));
        prop_assert_eq!(serde_json::from_str::<serde_json::Value>(&safe).unwrap(), v);
    }
}
