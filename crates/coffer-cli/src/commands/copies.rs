//! `coffer copies list|delete`: the copies of the database kept before upgrades.

use std::path::PathBuf;

use clap::Subcommand;
use coffer_engine::copies::UpgradeCopyView;
use coffer_engine::{EngineError, ErrorKind};
use coffer_store::error::megabytes;

use crate::output::Output;

#[derive(Subcommand)]
pub enum CopiesCommand {
    /// List them, oldest first, with their size.
    List,
    /// Delete copies by file name (as `list` shows it), or all of them; recorded in the audit log.
    Delete {
        /// File names, such as coffer.db.before-v26-1796656624119.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        files: Vec<String>,
        /// Every copy.
        #[arg(long)]
        all: bool,
        /// A deleted copy cannot be brought back: say so to go on.
        #[arg(long)]
        yes: bool,
    },
}

pub async fn run(cmd: CopiesCommand, data_dir: Option<PathBuf>, out: Output) -> anyhow::Result<u8> {
    let engine = super::engine(data_dir)?;
    let mut copies = engine.upgrade_copies().await?;
    if let CopiesCommand::Delete { files, all, yes } = cmd {
        let files = if all {
            copies.iter().map(|c| c.file.clone()).collect()
        } else {
            files
        };
        if !yes {
            return Err(EngineError::new(
                ErrorKind::InvalidInput,
                format!(
                    "yes: deleting {} cannot be undone, and each copy is the only way back to \
                     the version before its upgrade; add --yes to go on",
                    files.join(", ")
                ),
            )
            .into());
        }
        for file in &files {
            copies = engine.delete_upgrade_copy(file).await?;
            if !out.json {
                outln!("deleted {file}");
            }
        }
    }
    out.show(&copies, |copies| show(copies))?;
    Ok(0)
}

fn show(copies: &[UpgradeCopyView]) {
    if copies.is_empty() {
        outln!("no copies kept before upgrades");
        return;
    }
    let total: u64 = copies.iter().map(|c| c.bytes).sum();
    outln!(
        "{} kept before upgrades, {} in all; each holds the database as it was then, erased \
         customers' details included:",
        if copies.len() == 1 {
            "1 copy".to_string()
        } else {
            format!("{} copies", copies.len())
        },
        megabytes(total)
    );
    for copy in copies {
        outln!(
            "  {}  before schema {}  made {}  {}",
            copy.file,
            copy.upgraded_to,
            copy.made_at.format("%Y-%m-%d %H:%M"),
            megabytes(copy.bytes)
        );
    }
}
