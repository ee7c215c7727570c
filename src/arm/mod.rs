//! ARM
