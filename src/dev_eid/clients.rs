//! The relying parties registered with the dev eID, and their authentication.

use std::collections::HashMap;

use super::settings::DevEidClient;

#[derive(Debug, Clone)]
pub struct Client {
    pub id: String,
    secret: String,
    redirect_uris: Vec<String>,
}

impl Client {
    /// Redirect URIs match exactly (no prefix or pattern matching), as OAuth 2.0 Security
    /// BCP requires.
    pub fn allows_redirect(&self, uri: &str) -> bool {
        self.redirect_uris
            .iter()
            .any(|registered| registered == uri)
    }

    fn secret_matches(&self, secret: &str) -> bool {
        aws_lc_rs::constant_time::verify_slices_are_equal(self.secret.as_bytes(), secret.as_bytes())
            .is_ok()
    }
}

pub struct Clients {
    by_id: HashMap<String, Client>,
}

impl Clients {
    /// The configured clients, with `{base_url}` in their redirect URIs replaced.
    pub fn new(configured: &[DevEidClient], base_url: &str) -> Clients {
        let by_id = configured
            .iter()
            .map(|c| {
                let client = Client {
                    id: c.client_id.clone(),
                    secret: c.client_secret.clone(),
                    redirect_uris: c
                        .redirect_uris
                        .iter()
                        .map(|uri| uri.replace("{base_url}", base_url))
                        .collect(),
                };
                (client.id.clone(), client)
            })
            .collect();
        Clients { by_id }
    }

    pub fn get(&self, client_id: &str) -> Option<&Client> {
        self.by_id.get(client_id)
    }

    /// The client, if the secret is its own.
    pub fn authenticate(&self, client_id: &str, secret: &str) -> Option<&Client> {
        self.get(client_id).filter(|c| c.secret_matches(secret))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_match_exactly_and_secrets_are_checked() {
        let clients = Clients::new(
            &[DevEidClient {
                client_id: "rp".into(),
                client_secret: "s3cret".into(),
                redirect_uris: vec!["{base_url}/auth/eid/callback".into()],
            }],
            "http://127.0.0.1:8080",
        );
        let rp = clients.get("rp").unwrap();
        assert!(rp.allows_redirect("http://127.0.0.1:8080/auth/eid/callback"));
        assert!(!rp.allows_redirect("http://127.0.0.1:8080/auth/eid/callback/"));
        assert!(!rp.allows_redirect("http://127.0.0.1:8080/auth/eid/callback?x=1"));
        assert!(clients.authenticate("rp", "s3cret").is_some());
        assert!(clients.authenticate("rp", "s3cret ").is_none());
        assert!(clients.authenticate("other", "s3cret").is_none());
    }
}
