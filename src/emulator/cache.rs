//! The token cache: one token per (identity, audience), as real endpoints hand back the same
//! token until it nears expiry. Keyed on the normalised audience, so `…/`, `…//` and another
//! case are one entry, and bounded, so no spelling or allow-list grows it without end.

use std::collections::HashMap;

use super::mint::normalise_audience;
use super::{Cached, CACHE_MAX};

#[derive(Default)]
pub struct TokenCache {
    tokens: HashMap<(String, String), Cached>,
}

impl TokenCache {
    fn key(object_id: &str, resource: &str) -> (String, String) {
        (object_id.to_string(), normalise_audience(resource))
    }

    /// The cached token, unless it has `refresh_before` seconds or fewer left at `now`.
    pub fn fresh(
        &self,
        object_id: &str,
        resource: &str,
        now: i64,
        refresh_before: i64,
    ) -> Option<Cached> {
        self.tokens
            .get(&Self::key(object_id, resource))
            .filter(|c| c.expires_on - now > refresh_before)
            .cloned()
    }

    /// Keeps `token`; when full, stale tokens go first, then the one closest to expiry.
    pub fn put(
        &mut self,
        object_id: &str,
        resource: &str,
        token: Cached,
        now: i64,
        refresh_before: i64,
    ) {
        let key = Self::key(object_id, resource);
        if !self.tokens.contains_key(&key) && self.tokens.len() >= CACHE_MAX {
            self.tokens
                .retain(|_, c| c.expires_on - now > refresh_before);
            if self.tokens.len() >= CACHE_MAX {
                let soonest = self
                    .tokens
                    .iter()
                    .min_by_key(|(_, c)| c.expires_on)
                    .map(|(k, _)| k.clone());
                if let Some(k) = soonest {
                    self.tokens.remove(&k);
                }
            }
        }
        self.tokens.insert(key, token);
    }

    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}
