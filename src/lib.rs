//! descent: gradient descent you can see and touch.
//!
//! The [`engine`] computes everything; [`cli`] runs it from the command line and [`app`]
//! shows it in a window.

pub mod app;
pub mod cli;
pub mod engine;
