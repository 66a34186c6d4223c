//! ehds-gateway: a FHIR R4 gateway in front of the Nordic national health portals.
//!
//! The folders are the architecture (see ARCHITECTURE.md): `fhir` speaks the protocol,
//! `portal` holds national data, `mapping` turns one into the other, `auth` knows who calls,
//! `consent` decides what they may see, `store` keeps the gateway's own state, `access` walks
//! a request through these, `http` is the thin layer of routes.

pub mod access;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod clock;
pub mod config;
pub mod consent;
pub mod dev_eid;
pub mod eid;
pub mod fhir;
pub mod http;
pub mod mapping;
pub mod national_id;
pub mod ncp;
pub mod portal;
pub mod private_fs;
pub mod request_context;
pub mod startup;
pub mod store;
pub mod telemetry;

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod test_dir;
