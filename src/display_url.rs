//! The one form in which a URL is shown: without userinfo, with secret-like query values masked.
//!
//! An endpoint variable may carry a credential inside its URL (`http://user:PASSWORD@host/…`,
//! `?code=…`, `?sig=…`); whatever shows a URL (get, get --json, doctor, report, watch, the UI,
//! errors) shows its [`DisplayUrl`]. [`PrivateUrl`] holds such a URL for requests: it prints and
//! serialises only as its display form, and creating one registers its credentials with
//! `crate::vault`, so an error or an echo that repeats them is redacted too.

use std::fmt;

use serde::Serialize;

/// Query parameter names whose value is a credential, matched on the lower-cased name: exact
/// names, and any name containing one of [`SECRET_NAME_PARTS`].
const SECRET_NAMES: &[&str] = &["code", "sig", "key", "pwd", "pass", "auth", "sas", "se_sig"];
const SECRET_NAME_PARTS: &[&str] = &[
    "secret",
    "token",
    "signature",
    "password",
    "passwd",
    "apikey",
    "api_key",
    "api-key",
    "credential",
    "assertion",
    "access_key",
    "accesskey",
    "sharedkey",
    "private",
];
/// Paging cursors, which name a place in a list and grant nothing: shown, since support needs
/// them (ARM's `$skiptoken` in a `nextLink`).
const CURSOR_NAMES: &[&str] = &["$skiptoken", "skiptoken", "continuationtoken", "$skip"];
/// What a masked value shows instead.
const MASK: &str = "***";

fn is_secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    if CURSOR_NAMES.contains(&name.as_str()) {
        return false;
    }
    SECRET_NAMES.contains(&name.as_str())
        || SECRET_NAME_PARTS.iter().any(|p| name.contains(p))
        // `subscription-key`, `x-functions-key`, `sv_sig`.
        || name.ends_with("key")
        || name.ends_with("_sig")
}

/// A URL as tokscope shows it. Made only by [`DisplayUrl::of`], which drops userinfo and masks
/// secret-like query values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayUrl(String);

impl DisplayUrl {
    /// The display form of `raw`; the credentials it drops are registered with the vault, so
    /// that another message repeating the whole URL (a library's error) cannot show them.
    pub fn of(raw: &str) -> Self {
        keep_credentials(raw);
        Self(display_form(raw))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The display form is safe to read as text anywhere.
impl std::ops::Deref for DisplayUrl {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DisplayUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for DisplayUrl {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Split `raw` into what comes before the query, the query and the fragment (`#…`, kept out).
fn split_query(raw: &str) -> (&str, Option<&str>) {
    let raw = raw.split('#').next().unwrap_or(raw);
    match raw.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (raw, None),
    }
}

/// The authority's userinfo (`user:password@`), if the URL has one: found on the text itself,
/// so that a URL the parser refuses is shown without it too.
fn userinfo_span(base: &str) -> Option<(usize, usize)> {
    let start = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base
        .get(start..)?
        .find('/')
        .map_or(base.len(), |i| start + i);
    let at = base.get(start..authority_end)?.rfind('@')?;
    Some((start, start + at + 1))
}

/// The display form of `raw` (see the module comment). The fragment is dropped as well: it
/// is never sent, and is where implicit-grant tokens travel.
pub fn display_form(raw: &str) -> String {
    let (base, query) = split_query(raw);
    let mut out = match userinfo_span(base) {
        Some((from, to)) => format!(
            "{}{}",
            base.get(..from).unwrap_or_default(),
            base.get(to..).unwrap_or_default()
        ),
        None => base.to_string(),
    };
    if let Some(query) = query {
        out.push('?');
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if is_secret_name(&percent_decoded(name)) => {
                    format!("{name}={MASK}")
                }
                _ => pair.to_string(),
            })
            .collect();
        out.push_str(&pairs.join("&"));
    }
    out
}

/// `name` with `%XX` escapes and `+` decoded, so that `%73ig` is seen as `sig`.
fn percent_decoded(name: &str) -> String {
    url::form_urlencoded::parse(format!("{name}=").as_bytes())
        .next()
        .map_or_else(|| name.to_string(), |(k, _)| k.into_owned())
}

/// A user name at least this long is taken for a credential (an API key or token given as the
/// user name alone, as `https://TOKEN@host` does).
const USER_NAME_AS_SECRET: usize = 16;

/// The credentials a URL carries (its userinfo, user name and password alike, since a token is
/// often given as the user name alone, and the secret-like query values), raw and decoded, for
/// the vault.
fn credentials(raw: &str) -> Vec<String> {
    let (base, query) = split_query(raw);
    let mut found = Vec::new();
    if let Some((from, to)) = userinfo_span(base) {
        let userinfo = base.get(from..to.saturating_sub(1)).unwrap_or_default();
        let (user, password) = match userinfo.split_once(':') {
            Some((user, password)) => (user, Some(password)),
            None => (userinfo, None),
        };
        // A user name is a secret when it is token-like: a short one ("admin") would hide
        // ordinary words wherever it stands alone.
        let token_like = (user.len() >= USER_NAME_AS_SECRET).then_some(user);
        for part in password.into_iter().chain(token_like) {
            found.push(part.to_string());
            found.push(percent_decoded(part));
        }
    }
    for pair in query.unwrap_or_default().split('&') {
        if let Some((name, value)) = pair.split_once('=') {
            if is_secret_name(&percent_decoded(name)) {
                found.push(value.to_string());
                found.push(percent_decoded(value));
            }
        }
    }
    found.retain(|s| !s.is_empty());
    found
}

/// Register the credentials `raw` carries with the vault, for the life of the process.
pub fn keep_credentials(raw: &str) {
    for credential in credentials(raw) {
        crate::vault::keep_header(&credential);
    }
}

/// A URL that may carry credentials, as given: [`PrivateUrl::expose`] for the request, and
/// only the [`DisplayUrl`] for everything else (`Display`, `Debug`, serde).
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateUrl {
    raw: String,
    shown: DisplayUrl,
}

impl PrivateUrl {
    pub fn new(raw: impl Into<String>) -> Self {
        let raw = raw.into();
        let shown = DisplayUrl::of(&raw);
        Self { raw, shown }
    }

    /// The URL to send a request to. Never print it: print the value itself.
    pub fn expose(&self) -> &str {
        &self.raw
    }

    pub fn display(&self) -> &DisplayUrl {
        &self.shown
    }
}

impl From<&str> for PrivateUrl {
    fn from(raw: &str) -> Self {
        Self::new(raw)
    }
}

impl fmt::Display for PrivateUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shown.fmt(f)
    }
}

impl fmt::Debug for PrivateUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateUrl({})", self.shown)
    }
}

impl Serialize for PrivateUrl {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.shown.serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_goes_and_secret_values_are_masked() {
        assert_eq!(
            display_form("http://user:PASSWORD@127.0.0.1:8080/msi/token?api-version=1&code=abc&%73ig=x&Client_Secret=y#t=z"),
            "http://127.0.0.1:8080/msi/token?api-version=1&code=***&%73ig=***&Client_Secret=***"
        );
        assert_eq!(display_form("user:pw@host/a?b"), "host/a?b");
        assert_eq!(
            display_form("https://127.0.0.1/x?api-version=1&%24skiptoken=page1&access_token=t&subscription-key=k"),
            "https://127.0.0.1/x?api-version=1&%24skiptoken=page1&access_token=***&subscription-key=***"
        );
        assert_eq!(
            display_form("http://127.0.0.1/a@b/c?resource=x"),
            "http://127.0.0.1/a@b/c?resource=x"
        );
        assert_eq!(
            display_form("http://127.0.0.1:40342/metadata/identity/oauth2/token"),
            "http://127.0.0.1:40342/metadata/identity/oauth2/token"
        );
    }

    #[test]
    fn a_private_url_prints_only_its_display_form() {
        let u = PrivateUrl::new("http://u:Pw-9f3e1c@127.0.0.1:1/x?sig=S1g-6a0b2d");
        let shown = format!("{u} {u:?} {}", serde_json::to_string(&u).unwrap());
        assert!(!shown.contains("Pw-9f3e1c") && !shown.contains("S1g-6a0b2d"));
        assert_eq!(
            crate::vault::redact_known("echo Pw-9f3e1c S1g-6a0b2d"),
            "echo <secret removed> <secret removed>"
        );
        assert_eq!(
            u.expose(),
            "http://u:Pw-9f3e1c@127.0.0.1:1/x?sig=S1g-6a0b2d"
        );
    }
}
