//! The file gate: every file tokscope reads or writes goes through here (clippy.toml refuses
//! `std::fs` opens anywhere else), so the rules below hold for all of them at once.
//!
//! Reading ([`read`]): a file named from outside (a flag, a variable, an endpoint's challenge,
//! a fleet result) is opened without blocking, so a FIFO cannot hold the command, then checked
//! on the opened handle to be a regular file (never a FIFO, device, socket or folder), and read
//! up to a cap per purpose: `/dev/zero` or a huge file cannot fill memory. Symbolic links are
//! followed only where the purpose needs it (kubelet's token file is a link by design).
//!
//! Writing: [`create_new`] never follows a link nor touches an existing file; [`replace`] swaps
//! a file in by a rename only when the file there is a plain file of ours that nobody else can
//! write; [`private_dir`] makes (or accepts) a folder only its owner can enter, and
//! [`TempFolder`] is one under the system's temporary folder, removed with what it holds.
//! Secrets are written 0600 ([`Access::Private`]).

// The one module allowed to open files (see clippy.toml).
#![allow(
    clippy::disallowed_methods,
    reason = "the file gate itself: every other module opens files through it"
)]

use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind};

/// Whether a symbolic link at the path itself may be followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// Follow it (a CA bundle in /etc/ssl, kubelet's `token → ..data/token`): the target
    /// still has to be a regular file within the cap.
    Follow,
    /// Refuse it: the file must be the very one named (Arc's key file).
    Refuse,
}

/// What one purpose allows: the largest file and whether a link is followed.
#[derive(Debug, Clone, Copy)]
pub struct ReadRule {
    pub max_bytes: u64,
    pub links: Links,
}

impl ReadRule {
    pub const fn new(max_bytes: u64) -> Self {
        Self {
            max_bytes,
            links: Links::Follow,
        }
    }

    pub const fn no_links(max_bytes: u64) -> Self {
        Self {
            max_bytes,
            links: Links::Refuse,
        }
    }
}

/// Why a file was not read.
#[derive(Debug)]
pub enum ReadError {
    /// Opening failed: not there, no permission, …
    Open(std::io::Error),
    /// A symbolic link where [`Links::Refuse`] was asked.
    Symlink,
    /// A FIFO, device, socket or folder ("a FIFO", …).
    NotRegular(&'static str),
    /// Larger than the purpose's cap.
    TooLarge(u64),
    /// Reading the opened file failed.
    Read(std::io::Error),
    /// Not UTF-8 where text was asked for.
    NotText,
}

impl ReadError {
    /// The operating system's reason, when there is one (for hints per cause).
    pub fn io_kind(&self) -> Option<std::io::ErrorKind> {
        match self {
            ReadError::Open(e) | ReadError::Read(e) => Some(e.kind()),
            _ => None,
        }
    }

    /// One error for the user: `cannot read WHAT PATH: why`, with the caller's advice.
    pub fn to_error(&self, what: &str, path: &Path, hint: impl Into<String>) -> Error {
        Error::new(
            ErrorKind::Io,
            format!("cannot read {what} {}: {self}", path.display()),
            hint,
        )
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Open(e) | ReadError::Read(e) => write!(f, "{e}"),
            ReadError::Symlink => f.write_str("it is a symbolic link, which is not followed here"),
            ReadError::NotRegular(kind) => write!(f, "it is {kind}, not a regular file"),
            ReadError::TooLarge(max) => write!(f, "it is larger than {max} bytes"),
            ReadError::NotText => f.write_str("it is not UTF-8 text"),
        }
    }
}

/// What a file that is not a regular one is, for messages.
fn kind_of(t: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

/// Open for reading without waiting: O_NONBLOCK makes a FIFO open at once (to be refused by the
/// type check) instead of waiting for a writer; O_NOCTTY keeps a terminal device from becoming
/// ours; O_NOFOLLOW when links are refused.
fn open_for_reading(path: &Path, links: Links) -> Result<std::fs::File, ReadError> {
    let mut open = std::fs::OpenOptions::new();
    open.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut flags = libc::O_NONBLOCK | libc::O_NOCTTY;
        if links == Links::Refuse {
            flags |= libc::O_NOFOLLOW;
        }
        open.custom_flags(flags);
    }
    open.open(path).map_err(|e| {
        #[cfg(unix)]
        if links == Links::Refuse && e.raw_os_error() == Some(libc::ELOOP) {
            return ReadError::Symlink;
        }
        ReadError::Open(e)
    })
}

/// A regular file's bytes, at most `rule.max_bytes` of them; see the module comment.
pub fn read(path: &Path, rule: ReadRule) -> Result<Vec<u8>, ReadError> {
    read_with_metadata(path, rule).map(|(bytes, _)| bytes)
}

/// [`read`], with the metadata of the file as opened (its mode, size and time).
pub fn read_with_metadata(
    path: &Path,
    rule: ReadRule,
) -> Result<(Vec<u8>, std::fs::Metadata), ReadError> {
    let file = open_for_reading(path, rule.links)?;
    // The type and size of what was opened, not of what the path named a moment before.
    let meta = file.metadata().map_err(ReadError::Read)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular(kind_of(meta.file_type())));
    }
    if meta.len() > rule.max_bytes {
        return Err(ReadError::TooLarge(rule.max_bytes));
    }
    // The size can change (or lie, as /proc's files say 0): the read itself is capped too.
    let mut raw = Vec::new();
    file.take(rule.max_bytes.saturating_add(1))
        .read_to_end(&mut raw)
        .map_err(ReadError::Read)?;
    if u64::try_from(raw.len()).map_or(true, |n| n > rule.max_bytes) {
        return Err(ReadError::TooLarge(rule.max_bytes));
    }
    Ok((raw, meta))
}

/// [`read`], as UTF-8 text.
pub fn read_text(path: &Path, rule: ReadRule) -> Result<String, ReadError> {
    String::from_utf8(read(path, rule)?).map_err(|_| ReadError::NotText)
}

/// Who may read a file tokscope writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// 0600: secrets (a token, a key, a CA another user must not swap).
    Private,
    /// 0644 less the umask: reports and other text the user will share.
    Shared,
}

impl Access {
    #[cfg(unix)]
    fn mode(self) -> u32 {
        match self {
            Access::Private => 0o600,
            Access::Shared => 0o644,
        }
    }
}

/// Why a file or folder was not written.
#[derive(Debug)]
pub enum WriteError {
    Io(std::io::Error),
    /// A symbolic link where the file or folder should be.
    Symlink,
    /// Something other than a regular file (or, for a folder, other than a folder).
    NotRegular(&'static str),
    /// It belongs to another user.
    NotOurs,
    /// Others may write it.
    OpenToOthers(u32),
    /// It has other names (hard links), so replacing it would not be the whole story.
    Linked,
    /// The folder is writable by everyone without the sticky bit: anyone could swap the file.
    FolderOpenToAll,
}

impl WriteError {
    /// One error for the user: `cannot write WHAT PATH: why`, with the caller's advice.
    pub fn to_error(&self, what: &str, path: &Path, hint: impl Into<String>) -> Error {
        Error::new(
            ErrorKind::Io,
            format!("cannot write {what} {}: {self}", path.display()),
            hint,
        )
    }
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::Io(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                f.write_str("something is already there, and it is never overwritten")
            }
            WriteError::Io(e) => write!(f, "{e}"),
            WriteError::Symlink => {
                f.write_str("a symbolic link is there, and links are never followed for writing")
            }
            WriteError::NotRegular(kind) => write!(f, "{kind} is there"),
            WriteError::NotOurs => {
                f.write_str("a file there belongs to another user, and it is never reused")
            }
            WriteError::OpenToOthers(mode) => write!(
                f,
                "what is there is open to other users (mode {mode:04o}), so it is never reused"
            ),
            WriteError::Linked => {
                f.write_str("the file there has other names (hard links), so it is never reused")
            }
            WriteError::FolderOpenToAll => f.write_str(
                "its folder is writable by everyone without the sticky bit, so anyone could swap the file afterwards",
            ),
        }
    }
}

impl From<std::io::Error> for WriteError {
    fn from(e: std::io::Error) -> Self {
        WriteError::Io(e)
    }
}

/// Create `path` anew and write `bytes`: O_CREAT|O_EXCL fails on anything already there, a
/// dangling link included, so no link is ever followed and nobody's file is overwritten.
pub fn create_new(path: &Path, bytes: &[u8], access: Access) -> Result<(), WriteError> {
    create_new_dated(path, bytes, access, None)
}

/// [`create_new`], with the file's modification time set to `modified` when given (the
/// emulator's stale token file: a file written long ago, without waiting for it to age).
pub fn create_new_dated(
    path: &Path,
    bytes: &[u8],
    access: Access,
    modified: Option<std::time::SystemTime>,
) -> Result<(), WriteError> {
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        open.mode(access.mode())
            .custom_flags(libc::O_NOFOLLOW | libc::O_NOCTTY);
    }
    #[cfg(not(unix))]
    let _ = access;
    let mut file = open.open(path)?;
    // The file is new and ours: half of it is worse than none, so a failed write removes it.
    if let Err(e) = file.write_all(bytes).and_then(|()| file.flush()) {
        drop(file);
        remove_file(path);
        return Err(e.into());
    }
    if let Some(t) = modified {
        file.set_modified(t)?;
    }
    Ok(())
}

/// This process's user, to tell our files from other users'.
#[cfg(unix)]
fn our_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Whether what is at `path` (not followed) is a file this process may replace: a regular file
/// of our user with a single name that no one else can write. Missing is fine too.
fn replaceable(path: &Path) -> Result<bool, WriteError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    if meta.file_type().is_symlink() {
        return Err(WriteError::Symlink);
    }
    if !meta.is_file() {
        return Err(WriteError::NotRegular(kind_of(meta.file_type())));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.uid() != our_uid() {
            return Err(WriteError::NotOurs);
        }
        if meta.mode() & 0o022 != 0 {
            return Err(WriteError::OpenToOthers(meta.mode() & 0o7777));
        }
        if meta.nlink() > 1 {
            return Err(WriteError::Linked);
        }
    }
    Ok(true)
}

/// Random hex for names nobody can guess ahead of time.
fn random_name_part() -> String {
    let mut b = [0u8; 8];
    // aws-lc's generator aborts the process rather than return fewer bytes.
    let _ = aws_lc_rs::rand::fill(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Refuse a folder anyone may write without the sticky bit (which keeps others from renaming
/// or removing what is ours): what is written there could be swapped by anyone.
fn check_folder(path: &Path) -> Result<(), WriteError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let mode = std::fs::metadata(folder)?.mode();
        if mode & 0o002 != 0 && mode & 0o1000 == 0 {
            return Err(WriteError::FolderOpenToAll);
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Write `bytes` to `path`, a place the user chose: created anew when nothing is there; else,
/// only when the file there is ours alone (see [`replaceable`]), replaced whole by renaming a
/// new file over it, so a reader never sees half of it and a link planted meanwhile is
/// replaced, not followed. Never in a folder where anyone could swap the file afterwards.
pub fn replace(path: &Path, bytes: &[u8], access: Access) -> Result<(), WriteError> {
    check_folder(path)?;
    if !replaceable(path)? {
        return create_new(path, bytes, access);
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = path.with_file_name(format!(".{name}.{}.tmp", random_name_part()));
    create_new(&temp, bytes, access)?;
    std::fs::rename(&temp, path).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        WriteError::Io(e)
    })
}

/// Make `path` a folder only its owner can enter (0700), or accept one already there if it is
/// a real folder (not a link) of ours that nobody else can write (so nobody else can plant,
/// swap or remove what we put in it). The parent must exist.
pub fn private_dir(path: &Path) -> Result<(), WriteError> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    match builder.create(path) {
        Ok(()) => return Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e.into()),
    }
    let meta = std::fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        return Err(WriteError::Symlink);
    }
    if !meta.is_dir() {
        return Err(WriteError::NotRegular(kind_of(meta.file_type())));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.uid() != our_uid() {
            return Err(WriteError::NotOurs);
        }
        if meta.mode() & 0o022 != 0 {
            return Err(WriteError::OpenToOthers(meta.mode() & 0o7777));
        }
    }
    Ok(())
}

/// Point the link `at` to `target` in one step, as kubelet's atomic writer swaps `..data`: a new
/// link is made beside it under a name of our own, then renamed over it, so a reader sees the
/// old target or the new one, never none. Only links are made and replaced: never a file.
#[cfg(unix)]
pub fn swap_link(target: &Path, at: &Path) -> std::io::Result<()> {
    let folder = at.parent().unwrap_or_else(|| Path::new("."));
    let name = at
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let beside = folder.join(format!(".{name}.{}.tmp", random_name_part()));
    std::os::unix::fs::symlink(target, &beside)?;
    std::fs::rename(&beside, at).inspect_err(|_| remove_file(&beside))
}

/// Make the link `at` to `target` unless something is there already (kept as it is).
#[cfg(unix)]
pub fn ensure_link(target: &Path, at: &Path) -> std::io::Result<()> {
    match std::os::unix::fs::symlink(target, at) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    }
}

/// Remove a file tokscope wrote; already gone is as good as removed.
pub fn remove_file(path: &Path) {
    let _ = std::fs::remove_file(path);
}

/// Remove a folder tokscope made, with what it holds (links inside are removed, not followed).
pub fn remove_tree(path: &Path) {
    let _ = std::fs::remove_dir_all(path);
}

/// A private folder (0700) under the system's temporary folder, with a name nobody can guess,
/// made anew (never one that was already there) and removed with its contents on drop.
#[derive(Debug)]
pub struct TempFolder {
    path: PathBuf,
}

impl TempFolder {
    /// `<temp>/<prefix>-<pid>-<random>`.
    pub fn new(prefix: &str) -> std::io::Result<Self> {
        Self::new_in(&std::env::temp_dir(), prefix)
    }

    /// `<parent>/<prefix>-<pid>-<random>`.
    pub fn new_in(parent: &Path, prefix: &str) -> std::io::Result<Self> {
        let path = parent.join(format!(
            "{prefix}-{}-{}",
            std::process::id(),
            random_name_part()
        ));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        // Not recursive: a folder already there (planted under a guessed name) is an error.
        builder.create(&path)?;
        Ok(Self { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Keep the folder after all: the caller removes it (or hands it to the user).
    pub fn into_path(self) -> PathBuf {
        // No drop, so no removal; the path is moved out, leaving nothing behind to free.
        let mut me = std::mem::ManuallyDrop::new(self);
        std::mem::take(&mut me.path)
    }
}

impl Drop for TempFolder {
    fn drop(&mut self) {
        remove_tree(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_and_a_device_are_refused_without_blocking() {
        let dir = TempFolder::new("tokscope-files-test").unwrap();
        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let e = read(&fifo, ReadRule::new(100)).unwrap_err();
        assert!(matches!(e, ReadError::NotRegular("a FIFO")), "{e}");
        let e = read(Path::new("/dev/zero"), ReadRule::new(100)).unwrap_err();
        assert!(matches!(e, ReadError::NotRegular("a device")), "{e}");
        let e = read(dir.path(), ReadRule::new(100)).unwrap_err();
        assert!(matches!(e, ReadError::NotRegular("a folder")), "{e}");
    }

    #[test]
    fn sizes_are_capped_and_links_followed_only_when_asked() {
        let dir = TempFolder::new("tokscope-files-test").unwrap();
        let file = dir.path().join("f");
        create_new(&file, b"12345", Access::Private).unwrap();
        assert_eq!(read(&file, ReadRule::new(5)).unwrap(), b"12345");
        assert!(matches!(
            read(&file, ReadRule::new(4)),
            Err(ReadError::TooLarge(4))
        ));
        let link = dir.path().join("l");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert_eq!(read(&link, ReadRule::new(5)).unwrap(), b"12345");
        assert!(matches!(
            read(&link, ReadRule::no_links(5)),
            Err(ReadError::Symlink)
        ));
    }

    #[test]
    fn writing_never_follows_a_link_nor_reuses_a_file_open_to_others() {
        use std::os::unix::fs::PermissionsExt;
        let dir = TempFolder::new("tokscope-files-test").unwrap();
        let target = dir.path().join("target");
        create_new(&target, b"theirs", Access::Shared).unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(create_new(&link, b"ours", Access::Private).is_err());
        assert!(matches!(
            replace(&link, b"ours", Access::Private),
            Err(WriteError::Symlink)
        ));
        assert_eq!(std::fs::read(&target).unwrap(), b"theirs");

        let open = dir.path().join("open");
        create_new(&open, b"x", Access::Shared).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o666)).unwrap();
        assert!(matches!(
            replace(&open, b"ours", Access::Private),
            Err(WriteError::OpenToOthers(0o666))
        ));

        let everyone = dir.path().join("everyone");
        private_dir(&everyone).unwrap();
        std::fs::set_permissions(&everyone, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(matches!(
            replace(&everyone.join("f"), b"ours", Access::Private),
            Err(WriteError::FolderOpenToAll)
        ));
        std::fs::set_permissions(&everyone, std::fs::Permissions::from_mode(0o1777)).unwrap();
        replace(&everyone.join("f"), b"ours", Access::Private).unwrap();

        let mine = dir.path().join("mine");
        replace(&mine, b"one", Access::Private).unwrap();
        replace(&mine, b"two", Access::Private).unwrap();
        assert_eq!(std::fs::read(&mine).unwrap(), b"two");
        let mode = std::fs::metadata(&mine).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_private_folder_is_ours_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = TempFolder::new("tokscope-files-test").unwrap();
        let mode = std::fs::metadata(dir.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        let inner = dir.path().join("inner");
        private_dir(&inner).unwrap();
        private_dir(&inner).unwrap();
        std::fs::set_permissions(&inner, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(matches!(
            private_dir(&inner),
            Err(WriteError::OpenToOthers(_))
        ));
        let path = dir.path().to_path_buf();
        drop(dir);
        assert!(!path.exists());
    }
}
