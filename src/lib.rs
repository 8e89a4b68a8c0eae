//! descent: gradient descent you can see and touch.
//!
//! The [`engine`] computes everything; [`cli`] runs it from the command line.

pub mod cli;
pub mod engine;
