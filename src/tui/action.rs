//! Everything that can change the UI's state: keys (already interpreted), the clock, what the
//! last frame measured, and the results of async work.

use std::time::Duration;

use super::app::ArmAnswer;
use super::keys::Edit;
use crate::endpoint::{Fetched, RetryNote};
use crate::error::Error;

/// Why a fetch was started: a user's request, or a watch poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchKind {
    User,
    Poll,
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
    /// Pasted text (bracketed paste), outside the prompt: opens it with the text.
    Paste(String),
    ToggleReveal,
    CopyClaim,
    CopyClaims,
    AskCopyToken,
    ConfirmCopyToken,
    WriteTokenFile,
    CancelConfirm,
    ToggleZone,
    ToggleZoom,
    Repaint,
    Suspend,
    /// A retry is about to happen inside a running fetch.
    Retrying(RetryNote),
    /// A fetch or poll finished. `at` is epoch seconds at completion.
    Fetched {
        kind: FetchKind,
        resource: String,
        at: i64,
        latency: Duration,
        result: Box<Result<Fetched, Error>>,
    },
    /// List the VMs through ARM (the ARM tab).
    ListVms,
    /// The ARM listing finished.
    VmsListed(Box<ArmAnswer>),
    /// Write the support report to a file.
    WriteReport,
    /// The report was written to this path, or not.
    ReportWritten(Result<String, Error>),
    /// The token file was written to this path, or not.
    TokenFileWritten(Result<String, Error>),
}
