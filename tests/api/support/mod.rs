pub mod app;
pub mod data;
pub mod idp;
pub mod profiles;
pub mod tls_upstream;
pub mod upstream;
