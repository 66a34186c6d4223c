//! Regression tests of the security review's findings: each one fails on the code the review
//! read and passes once the finding is closed at its root.

mod access_log_views;
mod inputs;
mod provisions;
mod refusals;
mod who_acts;
