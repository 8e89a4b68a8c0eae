//! descent: gradient descent you can see and touch.
//!
//! The [`engine`] computes everything; [`cli`] runs it from the command line and, with the
//! `app` feature (on by default), `app` shows it in a window.

#[cfg(feature = "app")]
pub mod app;
pub mod cli;
pub mod engine;
pub mod files;
