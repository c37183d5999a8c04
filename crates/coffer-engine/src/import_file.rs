//! Reading a register file as spreadsheets write it, within bounds: a CSV import must neither
//! take the app's memory with a wrong file nor store mangled names.

use std::io::Read;
use std::path::Path;

use coffer_core::InvalidInput;

/// The largest file read. Choice: a register of 200,000 customers with long names and
/// addresses is under 32 MiB.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;
/// The most lines read.
pub const MAX_LINES: usize = 200_000;
/// The longest line, in bytes: a register row is a few hundred; more is not a register file.
pub const MAX_LINE_BYTES: usize = 8 * 1024;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The file's text, UTF-8 with or without the byte order mark Excel writes. Anything else
/// is refused naming the first line that is not UTF-8: Windows-1252 (Excel's "CSV (Comma
/// delimited)" in western Europe) and Windows-1251 (the same in Russia and Belarus) use the same
/// bytes for different letters, so guessing would store wrong names without a word.
pub fn read_text(path: &Path) -> Result<String, InvalidInput> {
    let field = format!("file {}", path.display());
    let file = std::fs::File::open(path).map_err(|e| InvalidInput::new(&field, e))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| InvalidInput::new(&field, e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(&field));
    }
    let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(&bytes);
    if body.starts_with(b"\xFF\xFE") || body.starts_with(b"\xFE\xFF") {
        return Err(InvalidInput::new(&field, UTF16));
    }
    let text = std::str::from_utf8(body).map_err(|e| {
        let line = line_of(&body[..e.valid_up_to()]);
        InvalidInput::new(format!("line {line}"), NOT_UTF8)
    })?;
    check_lines(&field, text)?;
    Ok(text.to_string())
}

/// A file's text as the desktop window read it (the window has no file-system access; it
/// reads the chosen file as UTF-8, as a browser does: the byte order mark dropped and every
/// byte that is not UTF-8 turned into U+FFFD), under the same bounds as [`read_text`]: the
/// same size and lines, and a file that was not UTF-8 refused at its first such line rather
/// than stored with the replacement characters in its names. `name` is the file's name, for
/// the messages.
pub fn check_text(name: &str, text: String) -> Result<String, InvalidInput> {
    let field = format!("file {name}");
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(&field));
    }
    let body = text.strip_prefix('\u{FEFF}').unwrap_or(&text);
    if let Some(at) = body.find('\u{FFFD}') {
        // UTF-16's byte order mark, read as UTF-8, is two replacement characters.
        if at == 0 && body.starts_with("\u{FFFD}\u{FFFD}") {
            return Err(InvalidInput::new(&field, UTF16));
        }
        let line = line_of(&body.as_bytes()[..at]);
        return Err(InvalidInput::new(format!("line {line}"), NOT_UTF8));
    }
    check_lines(&field, body)?;
    if body.len() == text.len() {
        Ok(text)
    } else {
        Ok(body.to_string())
    }
}

const UTF16: &str =
    "is UTF-16 (Excel's \"Unicode text\"); save it as \"CSV UTF-8\" and import that";

const NOT_UTF8: &str = "is not UTF-8 text (a spreadsheet's \"CSV\" in Windows-1252 or -1251?); \
                        save the file as \"CSV UTF-8\" and import that";

fn too_large(field: &str) -> InvalidInput {
    InvalidInput::new(
        field,
        format!(
            "is larger than {} MiB; split it into several files",
            MAX_FILE_BYTES / (1024 * 1024)
        ),
    )
}

/// The line count and every line's length within bounds.
fn check_lines(field: &str, text: &str) -> Result<(), InvalidInput> {
    for (index, line) in text.split('\n').enumerate() {
        if index >= MAX_LINES {
            return Err(InvalidInput::new(
                field,
                format!("has more than {MAX_LINES} lines; split it into several files"),
            ));
        }
        if line.len() > MAX_LINE_BYTES {
            return Err(InvalidInput::new(
                format!("line {}", index + 1),
                format!("is longer than {MAX_LINE_BYTES} bytes: not a register row"),
            ));
        }
    }
    Ok(())
}

/// The 1-based line at the end of `before`.
fn line_of(before: &[u8]) -> usize {
    before.iter().filter(|&&b| b == b'\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("register.csv");
        std::fs::write(&path, bytes).unwrap();
        (dir, path)
    }

    #[test]
    fn utf8_with_or_without_a_byte_order_mark_is_read() {
        let (_d, path) = file(b"\xEF\xBB\xBFcustomer_number,name\n1,M\xC3\xA4kinen\n");
        assert_eq!(
            read_text(&path).unwrap(),
            "customer_number,name\n1,Mäkinen\n"
        );
        let (_d, path) = file("customer_number,name\n1,Мельник\n".as_bytes());
        assert!(read_text(&path).unwrap().contains("Мельник"));
    }

    #[test]
    fn a_legacy_code_page_is_refused_at_its_first_line() {
        // "Mäkinen" in Windows-1252 on line 3.
        let (_d, path) = file(b"customer_number,name\n1,Virtanen\n2,M\xE4kinen\n");
        let error = read_text(&path).unwrap_err();
        assert_eq!(error.field, "line 3");
        assert!(error.rule.contains("CSV UTF-8"), "{}", error.rule);
        let (_d, path) = file(b"\xFF\xFEc\0u\0");
        assert!(read_text(&path).unwrap_err().rule.contains("UTF-16"));
    }

    #[test]
    fn size_lines_and_line_length_are_bounded() {
        let (_d, path) = file(&vec![b'a'; MAX_FILE_BYTES as usize + 1]);
        assert!(read_text(&path)
            .unwrap_err()
            .rule
            .contains("larger than 32 MiB"));
        let (_d, path) = file("1,x\n".repeat(MAX_LINES + 1).as_bytes());
        assert!(read_text(&path)
            .unwrap_err()
            .rule
            .contains("more than 200000 lines"));
        let long = format!("customer_number,name\n1,{}\n", "x".repeat(MAX_LINE_BYTES));
        let (_d, path) = file(long.as_bytes());
        assert_eq!(read_text(&path).unwrap_err().field, "line 2");
    }

    #[test]
    fn text_the_window_read_has_the_same_bounds() {
        // A byte order mark the reader kept is dropped; the names are kept as they are.
        assert_eq!(
            check_text("r.csv", "\u{FEFF}customer_number,name\n1,Мельник\n".into()).unwrap(),
            "customer_number,name\n1,Мельник\n"
        );
        // "Mäkinen" in Windows-1252, as a browser decodes it.
        let error = check_text("r.csv", "a,b\n1,Virtanen\n2,M\u{FFFD}kinen\n".into()).unwrap_err();
        assert_eq!(error.field, "line 3");
        assert!(error.rule.contains("CSV UTF-8"), "{}", error.rule);
        assert!(check_text("r.csv", "\u{FFFD}\u{FFFD}c\0u\0".into())
            .unwrap_err()
            .rule
            .contains("UTF-16"));
        let error = check_text("r.csv", "a".repeat(MAX_FILE_BYTES as usize + 1)).unwrap_err();
        assert_eq!(error.field, "file r.csv");
        assert!(error.rule.contains("larger than 32 MiB"));
        assert!(check_text("r.csv", "1,x\n".repeat(MAX_LINES + 1))
            .unwrap_err()
            .rule
            .contains("more than 200000 lines"));
        let long = format!("a,b\n1,{}\n", "x".repeat(MAX_LINE_BYTES));
        assert_eq!(check_text("r.csv", long).unwrap_err().field, "line 2");
    }
}
