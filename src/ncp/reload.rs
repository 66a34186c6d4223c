//! Reloading the NCP listener's certificate, key, trust store and CRLs while it runs: on
//! SIGHUP, and when one of the files changes (checked every `ncp.reload_check_seconds` by
//! modification time and size, so that no file-notification machinery is needed and a file
//! replaced by a rename is seen too). Open connections are untouched; the next handshake
//! uses the new material. A reload that fails (a half-written file, a key that does not fit)
//! changes nothing and is logged; the next change or SIGHUP tries again.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::tls::NcpTls;

/// What the files looked like at the last load: modification time and size of each.
type Snapshot = Vec<Option<(SystemTime, u64)>>;

fn snapshot(tls: &NcpTls) -> Snapshot {
    tls.files()
        .all()
        .into_iter()
        .map(|path: &Path| {
            std::fs::metadata(path)
                .ok()
                .and_then(|m| Some((m.modified().ok()?, m.len())))
        })
        .collect()
}

/// Runs until the process ends: reloads on SIGHUP and on a change of the files.
pub async fn watch(tls: Arc<NcpTls>, check_every: Option<Duration>) {
    let mut seen = snapshot(&tls);
    let mut hangup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(signal) => Some(signal),
        Err(error) => {
            tracing::warn!(%error, "SIGHUP cannot be watched; the NCP certificates reload on file changes only");
            None
        }
    };
    loop {
        let by_signal = tokio::select! {
            Some(()) = async { match hangup.as_mut() { Some(h) => h.recv().await, None => None } } => true,
            () = async { match check_every {
                Some(every) => tokio::time::sleep(every).await,
                None => std::future::pending().await,
            } } => false,
        };
        let now = snapshot(&tls);
        if !by_signal && now == seen {
            continue;
        }
        seen = now;
        // Counted, so that an operator (and a test) sees a reload that did not take.
        match tls.reload() {
            Ok(()) => {
                metrics::counter!("ehds_ncp_tls_reloads_total", "outcome" => "reloaded")
                    .increment(1);
                tracing::info!(
                    trigger = if by_signal { "SIGHUP" } else { "file change" },
                    "NCP listener certificates reloaded"
                )
            }
            Err(error) => {
                metrics::counter!("ehds_ncp_tls_reloads_total", "outcome" => "failed").increment(1);
                tracing::error!(
                    %error,
                    "NCP listener certificates not reloaded; the previous ones stay in use"
                )
            }
        }
    }
}
