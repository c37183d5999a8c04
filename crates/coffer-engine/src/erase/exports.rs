//! The CSV exports that still hold an erased customer's details. An export is the owner's file
//! (bookkeeping, a spreadsheet), so the erasure does not delete one; it names each that shows
//! the person's e-mail or phone, found by those exact strings, so the report never says "gone"
//! of what a file on this computer still shows.

use std::io::Read;
use std::path::{Path, PathBuf};

use coffer_core::Customer;
use coffer_store::audit_log::AuditFilter;

use crate::error::EngineResult;
use crate::Engine;

/// What the erasure looks for in the exports.
pub(super) struct Traces {
    /// Exact strings to find.
    pub strings: Vec<String>,
    /// Only the name was there to look for: a file with it may show another customer of that
    /// name, and the report says so.
    pub by_name: bool,
}

/// Names shorter than this are not searched: "Li Na" would be found inside other people's rows
/// and prove nothing.
const SHORTEST_NAME: usize = 6;

/// The e-mail and phone identify the person in a file; a name does not (one in a few thousand
/// customers shares it), so it is looked for only when the customer has neither.
pub(super) fn traces_of(customer: &Customer) -> Traces {
    let strings: Vec<String> = [customer.email.clone(), customer.phone.clone()]
        .into_iter()
        .flatten()
        .filter(|t| !t.trim().is_empty())
        .collect();
    if !strings.is_empty() {
        return Traces {
            strings,
            by_name: false,
        };
    }
    let name = customer.name.trim();
    Traces {
        strings: if name.chars().count() >= SHORTEST_NAME {
            vec![name.to_string()]
        } else {
            Vec::new()
        },
        by_name: true,
    }
}

impl Engine {
    /// The exports that hold any of `traces`: every file an `export` audit event names that is
    /// still there, and every CSV file in the exports folder.
    pub(super) async fn exports_holding(&self, traces: Vec<String>) -> EngineResult<Vec<PathBuf>> {
        if traces.is_empty() {
            return Ok(Vec::new());
        }
        let recorded: Vec<PathBuf> = self
            .read_store(|store| {
                Ok(store
                    .audit_events(&AuditFilter {
                        merchant_id: None,
                        action: Some("export".into()),
                        after_seq: None,
                        limit: None,
                    })?
                    .into_iter()
                    .filter_map(|e| {
                        let details: serde_json::Value = serde_json::from_str(&e.details).ok()?;
                        details["path"].as_str().map(PathBuf::from)
                    })
                    .collect())
            })
            .await?;
        let folder = self.exports_dir();
        Self::blocking(move || {
            let mut files = recorded;
            if let Ok(entries) = std::fs::read_dir(&folder) {
                files.extend(
                    entries
                        .filter_map(|e| e.ok())
                        .map(|e| e.path())
                        .filter(|p| p.extension().is_some_and(|x| x == "csv")),
                );
            }
            let mut seen = std::collections::HashSet::new();
            let needles: Vec<memchr::memmem::Finder<'_>> = traces
                .iter()
                .map(|t| memchr::memmem::Finder::new(t.as_bytes()))
                .collect();
            Ok(files
                .into_iter()
                .filter(|f| seen.insert(std::fs::canonicalize(f).unwrap_or_else(|_| f.clone())))
                .filter(|f| holds_any(f, &needles))
                .collect())
        })
        .await
    }
}

/// Whether the file at `path` contains one of `needles`, read in pieces (an export of 1,000,000
/// customers is some 150 MB). A file that cannot be read is not named: nothing was found in it.
fn holds_any(path: &Path, needles: &[memchr::memmem::Finder<'_>]) -> bool {
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let longest = needles.iter().map(|n| n.needle().len()).max().unwrap_or(0);
    let mut window: Vec<u8> = Vec::with_capacity(1 << 20);
    let mut piece = vec![0u8; 1 << 20];
    loop {
        let read = match file.read(&mut piece) {
            Ok(0) | Err(_) => return false,
            Ok(n) => n,
        };
        window.extend_from_slice(&piece[..read]);
        if needles.iter().any(|n| n.find(&window).is_some()) {
            return true;
        }
        // Keep the tail a needle could start in, so one split across two pieces is found.
        let keep = longest.saturating_sub(1).min(window.len());
        window.drain(..window.len() - keep);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer(name: &str, email: Option<&str>, phone: Option<&str>) -> Customer {
        Customer {
            id: coffer_core::CustomerId(7),
            merchant_id: coffer_core::MerchantId(1),
            reference: coffer_core::CustomerRef("C7".into()),
            name: name.into(),
            email: email.map(Into::into),
            phone: phone.map(Into::into),
            address: None,
        }
    }

    #[test]
    fn the_e_mail_and_phone_are_looked_for_and_the_name_only_without_them() {
        let both = traces_of(&customer(
            "Anna Virtanen",
            Some("anna@example.fi"),
            Some("+358 40 1"),
        ));
        assert_eq!(both.strings, vec!["anna@example.fi", "+358 40 1"]);
        assert!(!both.by_name);
        let named = traces_of(&customer(" Anna Virtanen ", None, Some(" ")));
        assert_eq!(
            (named.strings, named.by_name),
            (vec!["Anna Virtanen".to_string()], true)
        );
        assert!(traces_of(&customer("Li Na", None, None)).strings.is_empty());
    }

    #[test]
    fn a_trace_split_across_two_pieces_is_found_and_an_absent_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("customers.csv");
        let mut text = vec![b'x'; (1 << 20) - 5];
        text.extend_from_slice(b"anna.virtanen@example.com,+358 40 123\n");
        std::fs::write(&path, &text).unwrap();
        let finder = |t: &'static str| memchr::memmem::Finder::new(t.as_bytes());
        assert!(holds_any(&path, &[finder("anna.virtanen@example.com")]));
        assert!(!holds_any(&path, &[finder("bertil@example.com")]));
        assert!(!holds_any(&dir.path().join("gone.csv"), &[finder("x")]));
    }
}
