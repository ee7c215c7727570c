//! Everything that can change the UI's state: keys (already interpreted), the clock, what the
//! last frame measured, and the results of async work.

use std::time::Duration;

use super::app::{ArmAnswer, WhyAnswer};
use super::keys::Edit;
use crate::endpoint::{Fetched, RetryNote};
use crate::error::Error;

/// Why a fetch was started: a user's request, or a watch poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchKind {
    User,
    Poll,
}

/// One fetch, from the effect that starts it to every report that comes back from it: its
/// retries and its answer. An answer whose fetch is no longer awaited (cancelled) is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FetchId(pub u64);

/// The async work a retry belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    Fetch(FetchId),
    /// The ARM listing's own token fetch.
    ArmListing,
}

/// What a drawn frame tells the next update: how far things can scroll, and what was shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drawn {
    /// The current tab's panel can scroll at most this far.
    pub max_scroll: u16,
    /// Rows of the panel's scrolling body: a page.
    pub page: u16,
    /// The line the Token tab's first claim is on, to keep the selected one in view.
    pub first_field: Option<u16>,
    /// Whether the resource list had room on screen.
    pub list_shown: bool,
    /// How far the help overlay can scroll.
    pub help_max: u16,
    /// Rows of help on screen: its page.
    pub help_page: u16,
}

#[derive(Debug, Clone)]
pub enum Action {
    /// The clock's second changed; epoch seconds.
    Tick(i64),
    Resize,
    Quit,
    ToggleHelp,
    NextTab,
    PrevTab,
    GoTab(usize),
    Up,
    Down,
    FocusResources,
    FocusPanel,
    PageUp,
    PageDown,
    ScrollTop,
    ScrollBottom,
    /// A frame was drawn.
    Drawn(Drawn),
    FetchSelected,
    Refetch,
    /// Esc: cancel the running fetch, else hide the token, else close what is open.
    Cancel,
    ToggleWatch,
    IntervalLonger,
    IntervalShorter,
    StartInput,
    /// Typed or pasted text for the prompt.
    InputText(String),
    InputEdit(Edit),
    /// Pasted text (bracketed, or keys faster than a person types), outside the prompt: opens
    /// it with the text, so a pasted token is offered for decoding and never run as keys.
    Paste(String),
    /// `s`: hide the token shown, or ask before showing it.
    ToggleReveal,
    /// Show the raw token for a while (the yes to `ToggleReveal`'s question).
    Reveal,
    CopyClaim,
    CopyClaims,
    AskCopyToken,
    ConfirmCopyToken,
    WriteTokenFile,
    /// Any key but a yes while a confirmation asks.
    CancelConfirm,
    ToggleZone,
    ToggleZoom,
    Repaint,
    Suspend,
    /// A retry is about to happen inside a running job.
    Retrying {
        job: Job,
        note: RetryNote,
    },
    /// A fetch or poll finished. `at` is epoch seconds at completion.
    Fetched {
        id: FetchId,
        resource: String,
        at: i64,
        latency: Duration,
        result: Box<Result<Fetched, Error>>,
    },
    /// Show every log line, then only warnings and errors, then only errors (the Log tab).
    LogFilter,
    /// List the VMs through ARM (the ARM tab).
    ListVms,
    /// The ARM listing finished.
    VmsListed(Box<ArmAnswer>),
    /// `tokscope why` on the refused listing finished.
    WhyAnswered(Box<WhyAnswer>),
    /// Write the support report to a file.
    WriteReport,
    /// The report was written to this path, or not.
    ReportWritten(Result<String, Error>),
    /// The token file was written to this path, or not.
    TokenFileWritten(Result<String, Error>),
}
