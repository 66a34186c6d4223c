//! The dev eID's state, in memory: login pages waiting for a choice, and issued authorization
//! codes waiting to be redeemed. Both expire; a code is taken out when it is redeemed, so it
//! works once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use moka::sync::Cache;

use super::assurance::Level;
use super::people::Person;

/// A checked authorization request.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// The S256 challenge, when the client sent one.
    pub code_challenge: Option<String>,
    /// The level preselected on the page (from `acr_values`; substantial otherwise).
    pub level: Level,
    /// A Patient id (`no.p-001`) whose button comes first.
    pub login_hint: Option<String>,
}

/// What a code stands for.
#[derive(Debug)]
pub struct IssuedCode {
    pub request: Arc<AuthorizationRequest>,
    pub person: Person,
    pub level: Level,
    /// Unix time of the login.
    pub auth_time: i64,
    issued: Instant,
}

/// Most waiting logins and codes kept; a dev tool needs few.
const CAPACITY: u64 = 10_000;

pub struct Flows {
    logins: Cache<String, (Instant, Arc<AuthorizationRequest>)>,
    login_lifetime: Duration,
    codes: Cache<String, Arc<IssuedCode>>,
    code_lifetime: Duration,
}

impl Flows {
    pub fn new(login_lifetime: Duration, code_lifetime: Duration) -> Flows {
        Flows {
            logins: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(login_lifetime)
                .build(),
            login_lifetime,
            codes: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(code_lifetime)
                .build(),
            code_lifetime,
        }
    }

    /// Keeps a request while its login page is shown; returns the page's request id.
    pub fn start_login(&self, request: AuthorizationRequest) -> String {
        let id = random_token();
        self.logins
            .insert(id.clone(), (Instant::now(), Arc::new(request)));
        id
    }

    /// The request behind a login page, while it has not expired.
    pub fn login(&self, id: &str) -> Option<Arc<AuthorizationRequest>> {
        self.logins
            .get(id)
            .filter(|(started, _)| started.elapsed() < self.login_lifetime)
            .map(|(_, request)| request)
    }

    /// Ends a login without a code (the user cancelled).
    pub fn cancel_login(&self, login_id: &str) {
        self.logins.invalidate(login_id);
    }

    /// Ends a login with a code for the client. The login page is taken out first, so that
    /// one page gives one code even when submitted twice at once; `None` if it is gone.
    pub fn issue_code(
        &self,
        login_id: &str,
        person: Person,
        level: Level,
        auth_time: i64,
    ) -> Option<(String, Arc<AuthorizationRequest>)> {
        let (started, request) = self.logins.remove(login_id)?;
        if started.elapsed() >= self.login_lifetime {
            return None;
        }
        let code = random_token();
        let issued = IssuedCode {
            request: request.clone(),
            person,
            level,
            auth_time,
            issued: Instant::now(),
        };
        self.codes.insert(code.clone(), Arc::new(issued));
        Some((code, request))
    }

    /// Takes the code out: whatever the outcome of the exchange, it is not usable again.
    pub fn redeem(&self, code: &str) -> Option<Arc<IssuedCode>> {
        self.codes
            .remove(code)
            .filter(|c| c.issued.elapsed() < self.code_lifetime)
    }
}

/// 256 random bits, base64url.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system random generator works");
    URL_SAFE_NO_PAD.encode(bytes)
}
