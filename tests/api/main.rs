//! Integration tests: the real gateway over HTTP on a random loopback port.
//! One binary for all of them, so that the crate is linked once.

mod support;

mod audit;
mod auth;
mod authz;
mod authz_attacks;
mod authz_fixation;
mod authz_flow;
mod authz_grantors;
mod clock_boundaries;
mod consent;
mod consent_changes;
mod consent_write;
mod dev_eid;
mod dispense;
mod errors;
mod everything;
mod file_modes;
mod health;
mod laboratory;
mod logs;
mod metadata;
mod ncp;
mod ncp_token;
mod oidc_provider;
mod paging;
mod profiles;
mod profiles_eu;
mod profiles_ips2;
mod profiles_lab;
mod protection;
mod proxies;
mod races;
mod rate_limit;
mod read;
mod research_opt_out;
mod restrictions;
mod search_clinical;
mod search_patient;
mod security;
mod summary;
mod upstream;
