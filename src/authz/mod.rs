//! Why a call is refused: the action a request needs, what a principal's roles grant at a
//! scope, the services' refusals read, and one verdict with its evidence and fix. Pure: the
//! requests that gather the facts are `arm::why`'s; front ends only render the `Diagnosis`.

pub mod refusal;
pub mod target;
pub mod verdict;

pub use crate::assets::Permission;
pub use refusal::Refusal;
pub use target::{Service, Target};
pub use verdict::{decide, Diagnosis, Facts, Verdict};

/// Whether an action pattern of a role (`*`, `*/read`, `Microsoft.Compute/*`) covers an action.
/// Azure compares without case, and `*` stands for any run of characters, slashes included.
pub fn pattern_matches(pattern: &str, action: &str) -> bool {
    let p = pattern.to_ascii_lowercase();
    let a = action.to_ascii_lowercase();
    glob(p.as_bytes(), a.as_bytes())
}

/// `*`-only glob matching, iterative with one backtrack point, so no input can make it slow.
fn glob(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(c) if Some(c) == s.get(si) => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|&c| c == b'*'))
}

impl Permission {
    /// Whether this entry grants `action`: one of its (data) actions covers it and none of its
    /// `not` list does. A `not` list subtracts within its own entry only, as Azure evaluates.
    pub fn grants(&self, action: &str, data: bool) -> bool {
        let (yes, no) = if data {
            (&self.data_actions, &self.not_data_actions)
        } else {
            (&self.actions, &self.not_actions)
        };
        yes.iter().any(|p| pattern_matches(p, action))
            && !no.iter().any(|p| pattern_matches(p, action))
    }

    /// The pattern that grants `action`, for the evidence.
    pub fn granting_pattern(&self, action: &str, data: bool) -> Option<&str> {
        let yes = if data {
            &self.data_actions
        } else {
            &self.actions
        };
        self.grants(action, data)
            .then(|| {
                yes.iter()
                    .find(|p| pattern_matches(p, action))
                    .map(String::as_str)
            })
            .flatten()
    }
}

/// Whether any entry grants `action`: the union of a principal's roles.
pub fn any_grants(permissions: &[Permission], action: &str, data: bool) -> bool {
    permissions.iter().any(|p| p.grants(action, data))
}

/// Whether `inner` is `outer` or below it: an assignment at `outer` applies at `inner`.
/// Segments compare without case (`resourceGroups` and `resourcegroups` are one).
pub fn scope_covers(outer: &str, inner: &str) -> bool {
    let o = outer.trim_end_matches('/').to_ascii_lowercase();
    let i = inner.trim_end_matches('/').to_ascii_lowercase();
    o.is_empty() || i == o || i.strip_prefix(&o).is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_as_azure_reads_them() {
        assert!(pattern_matches(
            "*",
            "Microsoft.Compute/virtualMachines/read"
        ));
        assert!(pattern_matches(
            "*/read",
            "Microsoft.Compute/virtualMachines/read"
        ));
        assert!(!pattern_matches(
            "*/read",
            "Microsoft.Compute/virtualMachines/delete"
        ));
        assert!(pattern_matches(
            "microsoft.compute/*",
            "Microsoft.Compute/virtualMachines/read"
        ));
        assert!(pattern_matches(
            "Microsoft.KeyVault/vaults/*/read",
            "Microsoft.KeyVault/vaults/secrets/read"
        ));
        assert!(!pattern_matches(
            "Microsoft.Compute/virtualMachines/read",
            "Microsoft.Compute/virtualMachines/reader"
        ));
        assert!(!pattern_matches("", "x"));
        assert!(pattern_matches("a*b*c", "aXXbYYc"));
        assert!(!pattern_matches("a*b*c", "aXXbYY"));
    }

    #[test]
    fn not_actions_subtract_within_their_entry() {
        let p = Permission {
            actions: vec!["Microsoft.Compute/virtualMachines/*".into()],
            not_actions: vec!["Microsoft.Compute/virtualMachines/delete".into()],
            ..Default::default()
        };
        assert!(p.grants("Microsoft.Compute/virtualMachines/start/action", false));
        assert!(!p.grants("Microsoft.Compute/virtualMachines/delete", false));
        assert!(!p.grants("Microsoft.Compute/virtualMachines/read", true));
    }

    #[test]
    fn scopes_nest_by_segment() {
        assert!(scope_covers(
            "/subscriptions/s",
            "/subscriptions/s/resourceGroups/rg"
        ));
        assert!(scope_covers("/subscriptions/S/", "/subscriptions/s"));
        assert!(!scope_covers("/subscriptions/s", "/subscriptions/s2"));
        assert!(scope_covers("/", "/subscriptions/s"));
    }
}
