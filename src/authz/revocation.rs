//! Feeding the resource server's revocation set (`auth::revocation`) from the store.
//!
//! After every revocation this instance makes, `sync` reads the new rows at once, so this
//! instance refuses the tokens from then on (R10). A poller does the same every
//! `revocation_poll_seconds` for revocations made by other instances, and purges what has
//! expired. Reads overlap by `OVERLAP_MS` so that rows committed with a slightly older
//! clock on another instance are not missed; inserting twice is harmless.

use std::sync::Weak;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use crate::authz::AuthServer;
use crate::authz::flow::now_ms;

const OVERLAP_MS: i64 = 60_000;

/// The time up to which revocations have been read.
#[derive(Debug, Default)]
pub struct Watermark(AtomicI64);

/// Reads revocations recorded since the watermark into the in-memory set. A store error is
/// logged; the next poll tries again.
pub async fn sync(server: &AuthServer) {
    let now = now_ms();
    let since = server.revocation_watermark.0.load(Ordering::SeqCst) - OVERLAP_MS;
    match server.store.revoked_since(since, now).await {
        Ok(rows) => {
            for row in rows {
                server.revoked.insert(&row.jti, row.expires_ms / 1000);
            }
            server
                .revocation_watermark
                .0
                .fetch_max(now, Ordering::SeqCst);
        }
        Err(error) => tracing::warn!(%error, "could not read token revocations"),
    }
}

/// Polls while the server exists; ends when the application is dropped.
pub fn spawn_poller(server: Weak<AuthServer>, every: Duration) {
    actix_web::rt::spawn(async move {
        let mut ticks: u64 = 0;
        loop {
            let Some(strong) = server.upgrade() else {
                return;
            };
            sync(&strong).await;
            ticks += 1;
            // About once a minute, drop what no longer matters.
            if ticks.is_multiple_of((60 / every.as_secs().max(1)).max(1)) {
                let now = now_ms();
                strong.revoked.purge(now / 1000);
                if let Err(error) = strong.store.purge_expired(now).await {
                    tracing::warn!(%error, "could not purge expired authorization state");
                }
            }
            drop(strong);
            tokio::time::sleep(every).await;
        }
    });
}
