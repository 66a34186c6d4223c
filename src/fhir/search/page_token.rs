//! Opaque page links.
//!
//! A `next` link must let the client run the same search again at another offset, but it must
//! not carry the search in clear: a national identifier in `Patient?identifier=` would land in
//! proxies' and clients' logs (R40). The link carries the search sealed with AES-256-GCM under
//! a server key instead; gateways that share the key (configuration) accept each other's links,
//! so the servers stay stateless.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// What a page link restores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageState {
    #[serde(rename = "t")]
    pub resource_type: String,
    #[serde(rename = "q")]
    pub params: Vec<(String, String)>,
    #[serde(rename = "o")]
    pub offset: usize,
    #[serde(rename = "c")]
    pub count: usize,
}

pub struct PageSealer {
    key: LessSafeKey,
    rng: SystemRandom,
}

impl std::fmt::Debug for PageSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PageSealer(..)")
    }
}

impl PageSealer {
    /// A sealer with a 32-byte key.
    pub fn new(key: &[u8; 32]) -> PageSealer {
        let unbound = UnboundKey::new(&AES_256_GCM, key).expect("AES-256 takes a 32-byte key");
        PageSealer {
            key: LessSafeKey::new(unbound),
            rng: SystemRandom::new(),
        }
    }

    /// A sealer with a fresh random key (links then work only against this process).
    pub fn random() -> PageSealer {
        let mut key = [0u8; 32];
        SystemRandom::new()
            .fill(&mut key)
            .expect("the system random source works");
        PageSealer::new(&key)
    }

    pub fn seal(&self, state: &PageState) -> String {
        let mut nonce_bytes = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce_bytes)
            .expect("the system random source works");
        let mut data = serde_json::to_vec(state).expect("page state serialises");
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::empty(),
                &mut data,
            )
            .expect("sealing in memory cannot fail");
        let mut token = nonce_bytes.to_vec();
        token.extend_from_slice(&data);
        URL_SAFE_NO_PAD.encode(token)
    }

    /// `None` for anything that is not a link this server (or one sharing its key) made.
    pub fn open(&self, token: &str) -> Option<PageState> {
        let mut bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let mut data = bytes.split_off(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(&bytes).ok()?;
        let plain = self
            .key
            .open_in_place(nonce, Aad::empty(), &mut data)
            .ok()?;
        serde_json::from_slice(plain).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> PageState {
        PageState {
            resource_type: "Patient".into(),
            params: vec![(
                "identifier".into(),
                "urn:oid:2.16.578.1.12.4.1.4.1|13886799931".into(),
            )],
            offset: 20,
            count: 10,
        }
    }

    #[test]
    fn a_sealed_page_opens_and_hides_its_content() {
        let sealer = PageSealer::random();
        let token = sealer.seal(&state());
        assert!(!token.contains("13886799931"));
        let decoded = URL_SAFE_NO_PAD.decode(&token).unwrap();
        assert!(!String::from_utf8_lossy(&decoded).contains("1388679"));
        assert_eq!(sealer.open(&token), Some(state()));
    }

    #[test]
    fn tampered_foreign_or_garbage_tokens_do_not_open() {
        let sealer = PageSealer::random();
        let token = sealer.seal(&state());
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(sealer.open(&URL_SAFE_NO_PAD.encode(bytes)), None);
        assert_eq!(PageSealer::random().open(&token), None);
        assert_eq!(sealer.open("not-a-token"), None);
        assert_eq!(sealer.open(""), None);
    }

    #[test]
    fn a_shared_key_opens_across_instances() {
        let key = [7u8; 32];
        let token = PageSealer::new(&key).seal(&state());
        assert_eq!(PageSealer::new(&key).open(&token), Some(state()));
    }
}
