//! The provider contract suite: each client against its own sandbox over real HTTP.
//!
//! `battery/` holds the behaviours every provider shares, written once and run per provider
//! through the `Harness` each provider's file implements (`battery::<provider>::<behaviour>`);
//! `<provider>.rs` (or `<provider>/`) holds what only that provider does; `malformed.rs` the
//! byte-level faults no sandbox models; `published.rs` the published-examples corpus.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test binary: a failed unwrap is a failed test

mod assist;
mod assist_enrollment;
mod battery;
mod browser;
mod clover;
mod clover_enrollment;
mod holdings;
mod malformed;
mod processout;
mod processout_apm_enrollment;
mod processout_enrollment;
mod published;
mod svea;
mod svea_enrollment;

/// Reads one HTTP/1.1 request off `stream`: its head (request line and headers) and the body
/// its content-length announces; `None` when the peer closes first. For the suite's stand-in
/// providers, which answer byte-level shapes the sandboxes do not model.
pub async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<(String, String)> {
    use tokio::io::AsyncReadExt;
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await.unwrap_or(0);
        if n == 0 {
            return None;
        }
        bytes.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&bytes).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.trim()
                        .eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if bytes.len() >= end + 4 + length {
                return Some((text[..end].to_string(), text[end + 4..].to_string()));
            }
        }
    }
}
