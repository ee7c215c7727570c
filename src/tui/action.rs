//! Everything that can change the UI's state: keys (already interpreted), the clock, and the
//! results of async work.

use std::time::Duration;

use super::app::ArmAnswer;
use crate::endpoint::{Fetched, RetryNote};
use crate::error::Error;

/// Why a fetch was started: a user's request, or a watch poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchKind {
    User,
    Poll,
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
    /// A frame was drawn; the panel can scroll at most this far.
    Drawn {
        max_scroll: u16,
    },
    FetchSelected,
    Refetch,
    ToggleWatch,
    IntervalLonger,
    IntervalShorter,
    StartInput,
    InputChar(char),
    InputBackspace,
    InputCancel,
    InputSubmit,
    ToggleReveal,
    CopyClaims,
    AskCopyToken,
    ConfirmCopyToken,
    CancelConfirm,
    /// Close whatever overlay is open (Esc).
    Close,
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
}
