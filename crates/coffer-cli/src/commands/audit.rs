//! `coffer audit list|verify`.

use std::path::PathBuf;

use clap::Subcommand;
use coffer_engine::audit::AuditQuery;
use coffer_engine::{EngineError, ErrorKind};

use crate::output::Output;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// List events, oldest first.
    List {
        /// Only this merchant's events.
        #[arg(long)]
        merchant: Option<i64>,
        /// Only this action (e.g. charge_sent).
        #[arg(long)]
        action: Option<String>,
        /// At most this many.
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Check the hash chain; exits 1 and names the first broken event when it does not hold.
    Verify,
}

pub async fn run(cmd: AuditCommand, data_dir: Option<PathBuf>, out: Output) -> anyhow::Result<u8> {
    let engine = super::engine(data_dir)?;
    match cmd {
        AuditCommand::List {
            merchant,
            action,
            limit,
        } => {
            let events = engine
                .list_audit(AuditQuery {
                    merchant_id: merchant,
                    action,
                    after_seq: None,
                    limit,
                })
                .await?;
            out.show(&events, |events| {
                for e in events {
                    outln!(
                        "{:>6}  {}  {:<12} {:<20} {}  {}",
                        e.seq,
                        e.at.format("%Y-%m-%d %H:%M:%S"),
                        e.actor,
                        e.action,
                        e.subject,
                        e.details
                    );
                }
            })?;
            Ok(0)
        }
        AuditCommand::Verify => {
            let verification = engine.verify_audit().await?;
            if verification.intact {
                out.show(&verification, |v| {
                    outln!("audit chain intact: {} events verified", v.verified)
                })?;
                Ok(0)
            } else {
                let reason = verification.reason.clone().unwrap_or_default();
                let message = match verification.broken_at {
                    Some(seq) => format!("audit chain broken at event {seq}: {reason}"),
                    None => format!(
                        "audit log unprotected ({} events verify): {reason}",
                        verification.verified
                    ),
                };
                if out.json {
                    out.show(&verification, |_| {})?;
                    Ok(1)
                } else {
                    Err(EngineError::new(ErrorKind::AuditBroken, message).into())
                }
            }
        }
    }
}
