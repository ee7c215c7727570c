//! What a workload presented (its service-account token's issuer, subject and audiences) against
//! what is configured (an identity's federated credentials): the closest credential and, field by
//! field, the first character where they part. Entra compares all three exactly and with case,
//! so this does too.

use serde::Serialize;

/// One federated identity credential as ARM lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Configured {
    pub name: String,
    pub issuer: String,
    /// None when the credential matches by a claims expression instead.
    pub subject: Option<String>,
    pub audiences: Vec<String>,
}

/// The assertion's side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Presented {
    pub issuer: String,
    pub subject: String,
    pub audiences: Vec<String>,
}

/// One field that differs, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldDiff {
    /// `issuer`, `subject` or `audience`.
    pub field: &'static str,
    pub presented: String,
    pub configured: String,
    /// 1-based position of the first character that differs (one past the shorter value when
    /// one is a prefix of the other).
    pub position: usize,
    /// The characters at that position; None where that value has ended.
    pub presented_char: Option<char>,
    pub configured_char: Option<char>,
    /// The two are equal but for the case of letters.
    pub case_only: bool,
}

impl FieldDiff {
    /// The difference in words: `subject differs at character 27: presented 'W', configured 'w' (case only)`.
    pub fn describe(&self) -> String {
        let ch = |c: Option<char>| match c {
            Some(c) => format!("'{}'", c.escape_debug()),
            None => "(end)".to_string(),
        };
        format!(
            "{} differs at character {}: presented {}, configured {}{}",
            self.field,
            self.position,
            ch(self.presented_char),
            ch(self.configured_char),
            if self.case_only {
                " (only in case: matching is case-sensitive)"
            } else if self.presented_char.is_none() || self.configured_char.is_none() {
                " (one is the other plus a tail)"
            } else {
                ""
            }
        )
    }
}

/// The credential closest to what was presented, and how it differs (empty: it matches).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comparison {
    pub credential: Configured,
    pub diffs: Vec<FieldDiff>,
}

impl Comparison {
    pub fn matches(&self) -> bool {
        self.diffs.is_empty()
    }
}

/// Where two values first part, or None when they are equal.
pub fn first_difference(
    field: &'static str,
    presented: &str,
    configured: &str,
) -> Option<FieldDiff> {
    if presented == configured {
        return None;
    }
    let (p, c): (Vec<char>, Vec<char>) =
        (presented.chars().collect(), configured.chars().collect());
    let at = p.iter().zip(&c).take_while(|(a, b)| a == b).count();
    Some(FieldDiff {
        field,
        presented: presented.to_string(),
        configured: configured.to_string(),
        position: at + 1,
        presented_char: p.get(at).copied(),
        configured_char: c.get(at).copied(),
        case_only: presented.to_lowercase() == configured.to_lowercase(),
    })
}

/// Edits between two short strings (issuers and subjects are under 200 characters).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row.first().copied().unwrap_or(0);
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let above = row.get(j + 1).copied().unwrap_or(0);
            let left = row.get(j).copied().unwrap_or(0);
            let cost = usize::from(ca != *cb);
            let v = (above + 1).min(left + 1).min(prev + cost);
            prev = above;
            if let Some(cell) = row.get_mut(j + 1) {
                *cell = v;
            }
        }
    }
    row.last().copied().unwrap_or(0)
}

/// How one credential differs from the assertion. A credential's audiences match when any one of
/// the token's audiences is among them; the diff shows the credential's first against the token's.
pub fn compare(p: &Presented, c: &Configured) -> Comparison {
    let mut diffs = Vec::new();
    diffs.extend(first_difference("issuer", &p.issuer, &c.issuer));
    if let Some(sub) = &c.subject {
        diffs.extend(first_difference("subject", &p.subject, sub));
    }
    if !p.audiences.iter().any(|a| c.audiences.contains(a)) {
        let pa = p.audiences.first().map_or("", String::as_str);
        let ca = c.audiences.first().map_or("", String::as_str);
        diffs.extend(first_difference("audience", pa, ca));
    }
    Comparison {
        credential: c.clone(),
        diffs,
    }
}

/// The credential nearest to the assertion: fewest differing fields, then fewest edits.
pub fn closest(p: &Presented, configured: &[Configured]) -> Option<Comparison> {
    configured.iter().map(|c| compare(p, c)).min_by_key(|cmp| {
        let edits: usize = cmp
            .diffs
            .iter()
            .map(|d| distance(&d.presented, &d.configured))
            .sum();
        (cmp.diffs.len(), edits)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fic(name: &str, iss: &str, sub: &str) -> Configured {
        Configured {
            name: name.into(),
            issuer: iss.into(),
            subject: Some(sub.into()),
            audiences: vec!["api://AzureADTokenExchange".into()],
        }
    }

    #[test]
    fn the_first_differing_character_is_found_with_case() {
        let d = first_difference(
            "subject",
            "system:serviceaccount:demo:Workload-sa",
            "system:serviceaccount:demo:workload-sa",
        )
        .unwrap();
        assert_eq!(
            (d.position, d.presented_char, d.configured_char, d.case_only),
            (28, Some('W'), Some('w'), true)
        );
        let d = first_difference("issuer", "https://x/c", "https://x/c/").unwrap();
        assert_eq!(
            (d.position, d.presented_char, d.configured_char),
            (12, None, Some('/'))
        );
        assert!(d.describe().contains("plus a tail"));
        assert!(first_difference("issuer", "a", "a").is_none());
    }

    #[test]
    fn the_closest_credential_is_chosen() {
        let p = Presented {
            issuer: "https://iss/".into(),
            subject: "system:serviceaccount:demo:Workload-sa".into(),
            audiences: vec!["api://AzureADTokenExchange".into()],
        };
        let list = [
            fic("other", "https://elsewhere/", "system:serviceaccount:x:y"),
            fic(
                "near",
                "https://iss/",
                "system:serviceaccount:demo:workload-sa",
            ),
        ];
        let c = closest(&p, &list).unwrap();
        assert_eq!(c.credential.name, "near");
        assert_eq!(c.diffs.len(), 1);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
