//! Arc challenge keys: each unauthenticated Arc request gets a fresh key in a file only the
//! caller's user can read. A key is good for a short while (so a client may retry with it),
//! its file is deleted once the key is used or expires, and few keys are outstanding at once,
//! so a flood of challenges cannot fill the key folder.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::guard::same_secret;
use super::mint::random_hex;
use super::ARC_KEYS_MAX;
use crate::files;

struct Outstanding {
    key: String,
    path: PathBuf,
    issued: Instant,
}

#[derive(Default)]
pub struct ArcKeys {
    outstanding: VecDeque<Outstanding>,
}

impl ArcKeys {
    /// Writes a new key file in `dir` and returns its path; the oldest key makes room if needed.
    pub fn issue(&mut self, dir: &Path, ttl: Duration) -> std::io::Result<PathBuf> {
        self.expire(ttl);
        while self.outstanding.len() >= ARC_KEYS_MAX {
            if let Some(old) = self.outstanding.pop_front() {
                remove(&old);
            }
        }
        let key = random_hex(32);
        let path = dir.join(format!("{}.key", random_hex(8)));
        write_private(dir, &path, &key)?;
        self.outstanding.push_back(Outstanding {
            key,
            path: path.clone(),
            issued: Instant::now(),
        });
        Ok(path)
    }

    /// Whether `offered` is an outstanding key. Its file is deleted on first use: the caller
    /// has read it, and nobody else needs to.
    pub fn accepts(&mut self, offered: &str, ttl: Duration) -> bool {
        self.expire(ttl);
        let hit = self
            .outstanding
            .iter()
            .find(|o| same_secret(o.key.as_bytes(), offered.as_bytes()));
        if let Some(used) = hit {
            remove(used);
        }
        hit.is_some()
    }

    /// Drops keys older than `ttl`, with their files.
    pub fn expire(&mut self, ttl: Duration) {
        while self
            .outstanding
            .front()
            .is_some_and(|o| o.issued.elapsed() >= ttl)
        {
            if let Some(old) = self.outstanding.pop_front() {
                remove(&old);
            }
        }
    }

    /// Drops every key, with its file (when the emulator stops).
    pub fn clear(&mut self) {
        for o in self.outstanding.drain(..) {
            remove(&o);
        }
    }

    pub fn len(&self) -> usize {
        self.outstanding.len()
    }

    pub fn is_empty(&self) -> bool {
        self.outstanding.is_empty()
    }
}

fn remove(o: &Outstanding) {
    // Already gone (a user cleaned the folder) is as good as removed.
    files::remove_file(&o.path);
}

/// The key folder and file are readable by their owner only, as the Arc agent's are by root;
/// the folder is ours and nobody else can write it, the file is new (see `files`).
fn write_private(dir: &Path, path: &Path, key: &str) -> std::io::Result<()> {
    let refused = |e: files::WriteError| match e {
        files::WriteError::Io(e) => e,
        other => std::io::Error::other(format!("{}: {other}", dir.display())),
    };
    files::private_dir(dir).map_err(refused)?;
    files::create_new(path, key.as_bytes(), files::Access::Private).map_err(refused)
}
