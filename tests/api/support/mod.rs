pub mod app;
pub mod data;
pub mod db;
pub mod idp;
pub mod profiles;
pub mod tls_upstream;
pub mod upstream;
pub mod xhtml;
