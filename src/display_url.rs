//! The one form in which a URL is shown: without userinfo, with secret-like query values masked.
//!
//! An endpoint variable may carry a credential inside its URL (`http://user:PASSWORD@host/…`,
//! `?code=…`, `?sig=…`); whatever shows a URL (get, get --json, doctor, report, watch, the UI,
//! errors) shows its [`DisplayUrl`]. [`PrivateUrl`] holds such a URL for requests: it prints and
//! serialises only as its display form, and creating one registers its credentials with
//! `crate::vault`, so an error or an echo that repeats them is redacted too.

use std::fmt;

use serde::Serialize;

/// Query parameter names whose value is a credential, matched on the name as a server may read
/// it ([`normalised_name`]): exact names, and any name containing one of [`SECRET_NAME_PARTS`].
const SECRET_NAMES: &[&str] = &[
    // Names whose values are commonly ordinary words (`session`, `sid`, `access`, `pin`) are
    // left out: every value named here is also hidden wherever else it appears, as a word.
    "code", "sig", "key", "pwd", "pw", "pass", "auth", "sas", "jwt", "otp", "cred", "creds", "hmac",
];
const SECRET_NAME_PARTS: &[&str] = &[
    "secret",
    "token",
    "signature",
    "password",
    "passwd",
    "apikey",
    "credential",
    "assertion",
    "accesskey",
    "sharedkey",
    "private",
    "bearer",
    "hmac",
    "jwt",
    "authorization",
    "passcode",
    "authcode",
    "identityheader",
];
/// Paging cursors, which name a place in a list and grant nothing: shown, since support needs
/// them (ARM's `$skiptoken` in a `nextLink`).
const CURSOR_NAMES: &[&str] = &["skiptoken", "continuationtoken", "skip"];
/// What a masked value shows instead.
const MASK: &str = "***";

/// A query name as a lenient server may read it: decoded (IIS's `%u0073` too), lower-cased, and
/// with everything but letters and digits dropped, so that `SIG`, `%73ig`, `%u0073ig`, `sig[]`,
/// `sig%00`, `sig ` and `x-Api_Key` are all seen for what they name.
fn normalised_name(name: &str) -> String {
    percent_decoded(&percent_u_decoded(name))
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_secret_name(name: &str) -> bool {
    let name = normalised_name(name);
    if CURSOR_NAMES.contains(&name.as_str()) {
        return false;
    }
    SECRET_NAMES.contains(&name.as_str())
        || SECRET_NAME_PARTS.iter().any(|p| name.contains(p))
        // `subscription-key`, `x-functions-key`, `sv_sig`, `se_sig`.
        || name.ends_with("key")
        || name.ends_with("sig")
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

/// Where the authority starts when `raw` begins with a scheme and its slashes: after `scheme:`
/// and the run of `/` or `\\` that follows, since the parser takes `http:\\host` and `http:/\\host`
/// for `http://host` as a browser does.
fn scheme_end(raw: &str) -> Option<usize> {
    let colon = raw.find(':')?;
    let scheme = raw.get(..colon)?;
    let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    let slashes = raw
        .get(colon + 1..)?
        .chars()
        .take_while(|c| matches!(c, '/' | '\\'))
        .count();
    (is_scheme && slashes > 0).then_some(colon + 1 + slashes)
}

/// The pairs of a query, split where a lenient server splits them: on `&` and on `;` (as
/// older form parsers do), so that `?x=1;sig=…` is seen to carry a `sig`.
fn query_pairs(query: &str) -> impl Iterator<Item = &str> {
    query.split(['&', ';'])
}

/// The authority's userinfo (`user:password@`), if the URL has one: found on the text itself,
/// so that a URL the parser refuses is shown without it too. A URL that parses has the
/// userinfo the parser sees; one that does not (a password holding a raw `?` or `#`, which ends
/// the authority early) loses everything up to the last `@` before the path, so that no piece
/// of a password is shown in the error that names the URL.
fn userinfo_span(raw: &str) -> Option<(usize, usize)> {
    let scheme_end = scheme_end(raw);
    // Without a scheme the parser reads `user:pw@host` as scheme `user`: only the text counts.
    let parsed = scheme_end.and_then(|_| url::Url::parse(raw).ok());
    let Some(url) = parsed else {
        // A URL the parser refuses is named in an error as it is: everything up to its last
        // `@`, after whatever looks like a scheme, goes (a password may hold a raw `/`, `?` or
        // `#`, and junk may stand before the scheme).
        let start = scheme_end
            .or_else(|| raw.find("://").map(|i| i + 3))
            .unwrap_or(0);
        let at = raw.get(start..)?.rfind('@')?;
        return Some((start, start + at + 1));
    };
    if url.username().is_empty() && url.password().is_none() {
        return None;
    }
    let start = scheme_end.unwrap_or(0);
    let rest = raw.get(start..)?;
    let authority_end = rest
        .find(['/', '\\', '?', '#'])
        .map_or(raw.len(), |i| start + i);
    let at = raw.get(start..authority_end)?.rfind('@')?;
    Some((start, start + at + 1))
}

/// `raw` as a URL parser reads it before anything else (the WHATWG URL standard, which the
/// `url` crate and the HTTP client follow): without leading and trailing spaces and control
/// characters, and without any tab or line break inside. ` http://u:pw@host` is a URL with a
/// password, and is shown as one.
fn as_parser_reads(raw: &str) -> String {
    raw.trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect()
}

/// The display form of `raw` (see the module comment). The fragment is dropped as well: it
/// is never sent, and is where implicit-grant tokens travel.
pub fn display_form(raw: &str) -> String {
    let raw = &as_parser_reads(raw);
    let without_userinfo = match userinfo_span(raw) {
        Some((from, to)) => format!(
            "{}{}",
            raw.get(..from).unwrap_or_default(),
            raw.get(to..).unwrap_or_default()
        ),
        None => raw.to_string(),
    };
    let (base, query) = split_query(&without_userinfo);
    let mut out = masked_path_parameters(base);
    if let Some(query) = query {
        out.push('?');
        // Each pair is followed by the separator the query had there, kept as it was.
        let mut rest = query;
        for pair in query_pairs(query) {
            match pair.split_once('=') {
                Some((name, value)) if is_secret_name(name) || is_secret_value(value) => {
                    out.push_str(&format!("{name}={MASK}"));
                }
                _ => out.push_str(pair),
            }
            rest = rest.get(pair.len()..).unwrap_or_default();
            if let Some(separator) = rest.chars().next() {
                out.push(separator);
                rest = rest.get(separator.len_utf8()..).unwrap_or_default();
            }
        }
    }
    out
}

/// The parameters path segments carry after `;` (`/token;sig=…`, read by servers that take
/// matrix or session parameters, as `;jsessionid=` is), as (name, value).
fn path_parameters(path: &str) -> impl Iterator<Item = (&str, &str)> {
    path.split('/')
        .flat_map(|segment| segment.split(';').skip(1))
        .filter_map(|pair| pair.split_once('='))
}

/// `path` with the values of its secret-like path parameters masked.
fn masked_path_parameters(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            let mut pieces = segment.split(';');
            let mut out = pieces.next().unwrap_or_default().to_string();
            for pair in pieces {
                out.push(';');
                match pair.split_once('=') {
                    Some((name, _)) if is_secret_name(name) => {
                        out.push_str(&format!("{name}={MASK}"))
                    }
                    _ => out.push_str(pair),
                }
            }
            out
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// `name` with IIS's `%uXXXX` escapes decoded (ASP.NET's `UrlDecode` reads them).
fn percent_u_decoded(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(i) = rest.find("%u") {
        out.push_str(rest.get(..i).unwrap_or_default());
        let hex = rest.get(i + 2..i + 6).unwrap_or_default();
        match u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
            Some(c) if hex.len() == 4 => {
                out.push(c);
                rest = rest.get(i + 6..).unwrap_or_default();
            }
            _ => {
                out.push_str("%u");
                rest = rest.get(i + 2..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whether a query value is itself a credential whatever its name: a JWT (`eyJ…` in three
/// parts), which no URL should carry in the clear.
fn is_secret_value(value: &str) -> bool {
    let value = percent_decoded(value);
    value.match_indices("eyJ").any(|(at, _)| {
        value
            .get(at..)
            .is_some_and(|jwt| jwt.split('.').count() >= 2)
    })
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
    let raw = &as_parser_reads(raw);
    let mut found = Vec::new();
    if let Some((from, to)) = userinfo_span(raw) {
        let userinfo = raw.get(from..to.saturating_sub(1)).unwrap_or_default();
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
        // The HTTP client sends userinfo as `Authorization: Basic base64(user:password)`:
        // a server that echoes its request headers echoes the credential in that form.
        found.push(basic_credential(user, password.unwrap_or_default()));
    }
    let (base, query) = split_query(raw);
    let query_parameters =
        query_pairs(query.unwrap_or_default()).filter_map(|pair| pair.split_once('='));
    for (name, value) in path_parameters(base).chain(query_parameters) {
        if is_secret_name(name) || is_secret_value(value) {
            found.push(value.to_string());
            found.push(percent_decoded(value));
        }
    }
    found.retain(|s| !s.is_empty());
    found
}

/// The `Basic` credential an HTTP client makes of a URL's userinfo (RFC 7617), as sent.
fn basic_credential(user: &str, password: &str) -> String {
    use base64::Engine as _;
    let pair = format!("{}:{}", percent_decoded(user), percent_decoded(password));
    base64::engine::general_purpose::STANDARD.encode(pair.as_bytes())
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
    fn backslashes_after_the_scheme_and_semicolon_pairs_are_seen() {
        for raw in [
            r"http:\\u:PW1x@127.0.0.1:9/msi/token",
            r"http:/\u:PW1x@127.0.0.1:9/msi/token",
            r"HTTP:\/u:PW1x@127.0.0.1:9/msi/token",
        ] {
            assert!(!display_form(raw).contains("PW1x"), "{raw}");
            assert!(credentials(raw).iter().any(|c| c == "PW1x"), "{raw}");
        }
        assert_eq!(
            display_form("http://127.0.0.1:9/t?x=1;sig=S1x&a=2;b"),
            "http://127.0.0.1:9/t?x=1;sig=***&a=2;b"
        );
        assert!(credentials("http://h/t?x=1;Sig=S1x")
            .iter()
            .any(|c| c == "S1x"));
        assert_eq!(
            display_form("http://127.0.0.1:9/a;v=1/token;SIG=P1x;b=2?q=1"),
            "http://127.0.0.1:9/a;v=1/token;SIG=***;b=2?q=1"
        );
        assert!(credentials("http://h/t;jsessionid=J1x;code=C1x")
            .iter()
            .any(|c| c == "C1x"));
    }

    #[test]
    fn a_password_that_ends_the_authority_early_is_not_shown() {
        for raw in [
            "http://u:pa?ss-Q1x9@127.0.0.1:1/msi/token",
            "http://u:pa#ss-Q1x9@127.0.0.1:1/msi/token",
        ] {
            assert_eq!(display_form(raw), "http://127.0.0.1:1/msi/token", "{raw}");
        }
        // A query that holds an `@` in a URL that parses is a query, not userinfo.
        assert_eq!(
            display_form("http://127.0.0.1:1?mail=a@b/c"),
            "http://127.0.0.1:1?mail=a@b/c"
        );
    }

    #[test]
    fn query_names_are_read_as_a_lenient_server_reads_them() {
        assert_eq!(
            display_form("http://h/x?%00sig=A&sig%00=B&sig%20=C&sig[]=D&sig.=E&SIG=F&Sv_Sig=G&api-version=1"),
            "http://h/x?%00sig=***&sig%00=***&sig%20=***&sig[]=***&sig.=***&SIG=***&Sv_Sig=***&api-version=1"
        );
    }

    #[test]
    fn a_url_is_read_as_the_parser_reads_it() {
        for raw in [
            " http://user:PwLead1234@127.0.0.1:1/msi/token",
            "\thttp://user:PwLead1234@127.0.0.1:1/msi/token",
            "http://user:PwLe\tad1234@127.0.0.1:1/msi/token ",
        ] {
            let shown = display_form(raw);
            assert_eq!(shown, "http://127.0.0.1:1/msi/token", "{raw:?}");
            assert!(
                credentials(raw).iter().any(|c| c == "PwLead1234"),
                "{raw:?}"
            );
        }
        // Refused by the parser, and still shown without the password.
        for raw in [
            "http://user:PwL/eak123456@127.0.0.1:1/x",
            "x http://user:PwLeak123456@127.0.0.1:1/x",
        ] {
            let shown = display_form(raw);
            assert!(!shown.contains("eak123456"), "{raw:?}: {shown}");
        }
    }

    #[test]
    fn more_credential_names_and_a_jwt_anywhere_are_masked() {
        assert_eq!(
            display_form("http://h/x?jwt=a&bearer=b&hmac=d&otp=e&cred=h&%u0073ig=i&authorization=j&t=eyJhbGciOiJub25lIn0.eyJ4IjoxfQ.&q=%22eyJhbGciOiJub25lIn0.eyJ4IjoxfQ.%22&api-version=1"),
            "http://h/x?jwt=***&bearer=***&hmac=***&otp=***&cred=***&%u0073ig=***&authorization=***&t=***&q=***&api-version=1"
        );
    }

    #[test]
    fn the_basic_credential_made_of_userinfo_is_a_secret() {
        let _ = PrivateUrl::new("http://us%65r:Pw-77e0c4@127.0.0.1:1/x");
        use base64::Engine as _;
        let sent = base64::engine::general_purpose::STANDARD.encode("user:Pw-77e0c4");
        let shown = crate::vault::redact_known(&format!("authorization=Basic {sent}"));
        assert!(
            shown.starts_with("authorization=Basic <secret removed>"),
            "{shown}"
        );
        assert!(!shown.contains(sent.trim_end_matches('=')), "{shown}");
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
