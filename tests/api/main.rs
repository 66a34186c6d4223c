//! Integration tests: the real gateway over HTTP on a random loopback port.
//! One binary for all of them, so that the crate is linked once.

mod support;

mod auth;
mod errors;
mod health;
mod metadata;
mod paging;
mod profiles;
mod protection;
mod read;
mod search_clinical;
mod search_patient;
mod upstream;
