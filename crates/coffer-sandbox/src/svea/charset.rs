//! The charsets Svea names in `pmt_charset` / `pmt_charsethttp` (svea.md §3.2): how a form is
//! decoded and how its values are encoded for the hash. The form reader (`wire.rs`) and the
//! hash rules (`rules.rs`) both need it, so it lives below both.

/// The charsets Svea names in `pmt_charset` / `pmt_charsethttp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Charset {
    Latin1,
    Latin9,
    Utf8,
}

/// The eight code points where ISO-8859-15 differs from ISO-8859-1.
const LATIN9_DIFF: [(u8, char); 8] = [
    (0xA4, '€'),
    (0xA6, 'Š'),
    (0xA8, 'š'),
    (0xB4, 'Ž'),
    (0xB8, 'ž'),
    (0xBC, 'Œ'),
    (0xBD, 'œ'),
    (0xBE, 'Ÿ'),
];

impl Charset {
    pub(crate) fn parse(name: &str) -> Option<Charset> {
        match name.to_ascii_uppercase().as_str() {
            "ISO-8859-1" => Some(Charset::Latin1),
            "ISO-8859-15" => Some(Charset::Latin9),
            "UTF-8" => Some(Charset::Utf8),
            _ => None,
        }
    }

    /// Decodes bytes received in this charset; `None` for invalid UTF-8.
    pub(crate) fn decode(self, bytes: &[u8]) -> Option<String> {
        match self {
            Charset::Utf8 => String::from_utf8(bytes.to_vec()).ok(),
            Charset::Latin1 => Some(bytes.iter().map(|&b| char::from(b)).collect()),
            Charset::Latin9 => Some(
                bytes
                    .iter()
                    .map(|&b| {
                        LATIN9_DIFF
                            .iter()
                            .find(|(code, _)| *code == b)
                            .map_or(char::from(b), |(_, c)| *c)
                    })
                    .collect(),
            ),
        }
    }

    /// Encodes text for hashing; `None` when a character has no code in this charset.
    pub(crate) fn encode(self, text: &str) -> Option<Vec<u8>> {
        match self {
            Charset::Utf8 => Some(text.as_bytes().to_vec()),
            Charset::Latin1 => text
                .chars()
                .map(|c| u8::try_from(u32::from(c)).ok())
                .collect(),
            Charset::Latin9 => text
                .chars()
                .map(|c| {
                    if let Some((code, _)) = LATIN9_DIFF.iter().find(|(_, d)| *d == c) {
                        return Some(*code);
                    }
                    let code = u8::try_from(u32::from(c)).ok()?;
                    // A Latin-1 character whose slot Latin-9 reassigned cannot be written.
                    (!LATIN9_DIFF.iter().any(|(slot, _)| *slot == code)).then_some(code)
                })
                .collect(),
        }
    }
}
