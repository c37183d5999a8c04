//! A customer's search words (migration 22): the tokens the text index holds for its name,
//! e-mail and reference, kept in `customers.words` and, by triggers, in `search_words`, where
//! one word's customers are one index range in name order.
//!
//! The words must be exactly the text index's, or a search paged from `search_words` and one
//! answered by the text index would disagree. Plain ASCII is split here by the tokenizer's rule
//! for it (letters, digits and `@.-_` make words; every other ASCII character separates them;
//! letters are lower-cased); any other text is handed to SQLite's own tokenizer, through a
//! contentless full-text table in the connection's temp schema, since its folding of the rest
//! of Unicode (which diacritics it removes, which characters separate words) is its own.

use std::collections::BTreeSet;

use rusqlite::Connection;

use crate::error::{StoreError, StoreResult};

/// The text index's tokenizer (migration 21), which the temp table below must share.
pub(crate) const TOKENIZE: &str = "unicode61 remove_diacritics 2 tokenchars '@.-_'";

/// Whether the tokenizer keeps this ASCII character inside a word.
fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "@.-_".contains(c)
}

/// The words of plain-ASCII `text`, lower-cased, as the tokenizer makes them; `None` when the
/// text is not plain ASCII.
pub(crate) fn ascii_words(text: &str) -> Option<impl Iterator<Item = String> + '_> {
    text.is_ascii().then(|| {
        text.split(|c: char| !word_char(c))
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
    })
}

/// The words SQLite's tokenizer makes of `text`.
fn tokenized(conn: &Connection, text: &str) -> StoreResult<Vec<String>> {
    let probe = |text: &str| -> rusqlite::Result<Vec<String>> {
        conn.prepare_cached("INSERT INTO temp.word_probe (rowid, text) VALUES (1, ?1)")?
            .execute([text])?;
        let words = conn
            .prepare_cached("SELECT term FROM temp.word_probe_terms")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>();
        conn.prepare_cached("INSERT INTO temp.word_probe (word_probe) VALUES ('delete-all')")?
            .execute([])?;
        words
    };
    if let Ok(words) = probe(text) {
        return Ok(words);
    }
    // First use in this connection, or a rolled-back transaction dropped the tables with the
    // rest of what it created (or a failed probe left its text behind).
    conn.execute_batch(&format!(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.word_probe USING fts5 (
             text, content = '', tokenize = \"{TOKENIZE}\");
         CREATE VIRTUAL TABLE IF NOT EXISTS temp.word_probe_terms
             USING fts5vocab('temp', 'word_probe', 'instance');
         INSERT INTO temp.word_probe (word_probe) VALUES ('delete-all');"
    ))?;
    Ok(probe(text)?)
}

/// The distinct words of a customer's name, e-mail and reference, as the JSON array
/// `customers.words` holds (sorted, so an unchanged customer writes the same text).
pub(crate) fn words_json(conn: &Connection, texts: [Option<&str>; 3]) -> StoreResult<String> {
    let mut words = BTreeSet::new();
    let mut other = Vec::new();
    for text in texts.into_iter().flatten() {
        match ascii_words(text) {
            Some(ascii) => words.extend(ascii),
            None => other.push(text),
        }
    }
    if !other.is_empty() {
        // One pass of the tokenizer for all of them: a line break separates words for it.
        words.extend(tokenized(conn, &other.join("\n"))?);
    }
    serde_json::to_string(&words)
        .map_err(|e| StoreError::Corrupt(format!("search words not written: {e}")))
}

/// The one word a search's text is to the tokenizer, when it reads it as one prefix: one run
/// of word characters, surrounding punctuation aside ("(Virtanen)", "Hämä", "иван"). `None`
/// for several words or none, for a word the tokenizer splits ("o'brien"), and for text that is
/// not plain ASCII when this connection may not write even to its temp tables (`query_only`);
/// the text index answers those.
pub(crate) fn single_word(conn: &Connection, text: &str) -> Option<String> {
    let text = text.trim();
    let words: Vec<String> = match ascii_words(text) {
        Some(ascii) => ascii.collect(),
        None => tokenized(conn, text).ok()?,
    };
    let [word] = <[String; 1]>::try_from(words).ok()?;
    Some(word)
}

/// The first string after every word that starts with `word`: its last byte moved up by one
/// (SQLite compares text bytewise). `None` when that is not text (a last byte of 0xBF).
pub(crate) fn after_prefix(word: &str) -> Option<String> {
    let mut bytes = word.as_bytes().to_vec();
    let last = bytes.pop()?;
    bytes.push(last.checked_add(1)?);
    String::from_utf8(bytes).ok()
}

/// SQLite's NOCASE order: bytes compared with ASCII letters folded, a prefix first.
pub(crate) fn nocase_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.bytes()
        .map(|b| b.to_ascii_lowercase())
        .cmp(b.bytes().map(|b| b.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_is_split_as_the_tokenizer_splits_it() {
        let words: Vec<String> = ascii_words("O'Brien, Anna-Liisa (x_y@Example.COM) #12")
            .unwrap()
            .collect();
        assert_eq!(words, ["o", "brien", "anna-liisa", "x_y@example.com", "12"]);
        assert!(ascii_words("Hämäläinen").is_none());
    }

    #[test]
    fn the_words_of_any_text_are_the_text_indexs_own() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&format!(
            "CREATE VIRTUAL TABLE ft USING fts5 (t, tokenize = \"{TOKENIZE}\");
             CREATE VIRTUAL TABLE ft_terms USING fts5vocab(ft, 'instance');"
        ))
        .unwrap();
        let texts = [
            "Anna-Liisa Hämäläinen",
            "Łukasz Øster ǅemal İstanbul Straße",
            "Иван Петров ivan.petrov@почта.рф",
            "O'Brien\u{a0}Jr – «Zoë» 東京 ①",
            "e\u{301}tienne Ðặng",
            "plain ascii@example.com CUST-0001",
            "\u{301}ó-ó\u{308}",
        ];
        for (i, text) in texts.iter().enumerate() {
            conn.execute(
                "INSERT INTO ft (rowid, t) VALUES (?1, ?2)",
                (i as i64 + 1, text),
            )
            .unwrap();
            let index: BTreeSet<String> = conn
                .prepare("SELECT term FROM ft_terms WHERE doc = ?1")
                .unwrap()
                .query_map([i as i64 + 1], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let ours: BTreeSet<String> =
                serde_json::from_str(&words_json(&conn, [Some(text), None, None]).unwrap())
                    .unwrap();
            assert_eq!(ours, index, "{text}");
            // Read in one pass with two others, the words are the same as read apart.
            let together: BTreeSet<String> = serde_json::from_str(
                &words_json(&conn, [Some(text), Some("Åsa@x.fi"), Some(texts[0])]).unwrap(),
            )
            .unwrap();
            let apart: BTreeSet<String> = [text, "Åsa@x.fi", texts[0]]
                .iter()
                .flat_map(|t| {
                    serde_json::from_str::<Vec<String>>(
                        &words_json(&conn, [Some(t), None, None]).unwrap(),
                    )
                    .unwrap()
                })
                .collect();
            assert_eq!(together, apart, "{text}");
        }
    }

    #[test]
    fn the_text_index_is_built_with_this_tokenizer() {
        let store = crate::Store::open_in_memory().unwrap();
        let sql: String = store
            .conn()
            .query_row(
                "SELECT sql FROM sqlite_master WHERE name = 'customers_fts'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(sql.contains(&format!("tokenize = \"{TOKENIZE}\"")), "{sql}");
    }

    #[test]
    fn the_tokenizer_survives_a_rolled_back_transaction_that_created_it() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("BEGIN").unwrap();
        assert_eq!(
            words_json(&conn, [Some("Zoë"), None, None]).unwrap(),
            r#"["zoe"]"#
        );
        conn.execute_batch("ROLLBACK").unwrap();
        assert_eq!(
            words_json(&conn, [Some("Åsa"), Some("åsa@x.fi"), Some("C1")]).unwrap(),
            r#"["asa","asa@x.fi","c1"]"#
        );
    }

    #[test]
    fn a_read_only_connection_in_a_read_transaction_can_ask_the_tokenizer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("coffer.db");
        drop(crate::Store::open(&path).unwrap());
        let reader = crate::Store::open_reader(&path).unwrap();
        let word = reader.snapshot(|s| single_word(s.conn(), "Hämä")).unwrap();
        assert_eq!(word.as_deref(), Some("hama"));
    }

    #[test]
    fn a_search_is_one_word_only_when_the_tokenizer_reads_one() {
        let conn = Connection::open_in_memory().unwrap();
        let word = |text: &str| single_word(&conn, text);
        assert_eq!(word("  Virtanen ").as_deref(), Some("virtanen"));
        assert_eq!(word("(anna.v)").as_deref(), Some("anna.v"));
        assert_eq!(word("Hämä").as_deref(), Some("hama"));
        assert_eq!(word("Иван").as_deref(), Some("иван"));
        assert_eq!(word("anna virtanen"), None);
        assert_eq!(word("o'brien"), None);
        assert_eq!(word("Łukasz Ø"), None);
        assert_eq!(word("!!"), None);
        conn.pragma_update(None, "query_only", true).unwrap();
        assert_eq!(
            word("Hämä"),
            None,
            "the tokenizer's table cannot be written"
        );
        assert_eq!(word("virta").as_deref(), Some("virta"));
        assert_eq!(after_prefix("ann").as_deref(), Some("ano"));
        assert_eq!(after_prefix("a@").as_deref(), Some("aA"));
        assert_eq!(after_prefix("иван").as_deref(), Some("ивао"));
        assert_eq!(after_prefix("\u{43f}"), None, "п ends in 0xBF");
    }

    #[test]
    fn nocase_is_sqlites() {
        use std::cmp::Ordering::*;
        assert_eq!(nocase_cmp("anna", "ANNA"), Equal);
        assert_eq!(nocase_cmp("Ann", "anna"), Less);
        assert_eq!(nocase_cmp("Zoe", "anna"), Greater);
        assert_eq!(
            nocase_cmp("_x", "ax"),
            Less,
            "'_' sorts before letters folded to lower case"
        );
        assert_eq!(nocase_cmp("Ä", "a"), Greater);
    }
}
