//! The customer search and its exact count. A listing walks the name (or reference) index in
//! order. A text search starts from its matches: the full-text index's (name words, e-mail,
//! reference) and a card term's (`card_terms`, migration 19: last4, BIN or brand, kept in name
//! order), and pages them in the order asked for, so the page is always the true first page
//! however many customers match, and the count is exact. A search of one word in name order
//! reads the same customers from `search_words` (migration 22: the text index's words, in
//! location and name order) and merges the first rows of a few index ranges instead; the two
//! paths are tested to agree.

use coffer_core::{CardBrand, CardExpiry};
use rusqlite::{params, OptionalExtension};

use super::words::{after_prefix, nocase_cmp, single_word};
use super::{merchants_json, CustomerCount, CustomerQuery, CustomerRow, CustomerSort};
use crate::error::{StoreError, StoreResult};
use crate::Store;

/// Up to this many matches are paged by sorting them in SQL; more are paged by the customers'
/// places in name order ([`super::name_order`]), which reads no customer row.
const SORTED_MATCHES: usize = 2000;

/// A one-word search is paged from `search_words` when at most this many words start with it;
/// a shorter prefix that starts more (every e-mail beginning with a first name) is left to the
/// text index.
const MAX_WORDS: usize = 8;

/// A one-word search reads at most this many ranges (a word at a location) of `search_words`;
/// more (a group of many locations) are left to the text index.
const MAX_RANGES: usize = 32;

/// Pages deeper than this are left to the text index: each word's range would be read up to
/// the page's end.
const MAX_WORDS_PAGE_END: u32 = 2000;

/// The letters of a word `search_prefixes` keys it by (migration 24).
const PREFIX_LETTERS: usize = 3;

/// A search longer than its prefix reads at most this many rows of a prefix's range that do
/// not start with the whole text, per location, before leaving the page to the text index.
const MAX_PREFIX_MISSES: usize = 2000;

/// Quotes each word for FTS5 and makes it a prefix match, so user text can never be read as
/// FTS syntax. A word that could match a location's token is confined to the customer's own
/// columns; the others are not, since a column filter makes FTS5 read every match's positions
/// (a third of a name search's time at 1,000,000 cards).
fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            let phrase = format!("\"{}\"*", w.replace('"', "\"\""));
            if may_match_location(w) {
                format!("{{name email reference}} : {phrase}")
            } else {
                phrase
            }
        })
        .collect();
    if words.is_empty() {
        None
    } else {
        Some(words.join(" "))
    }
}

/// Whether `word`, as a prefix phrase, could match a location token (`m` and a merchant id,
/// migration 21): only a word that is one token, `m` followed by digits or nothing. Words with
/// any non-ASCII character are assumed to (the tokenizer folds diacritics and splits on
/// characters this check does not model).
fn may_match_location(word: &str) -> bool {
    if !word.is_ascii() {
        return true;
    }
    let token_char = |c: char| c.is_ascii_alphanumeric() || "@.-_".contains(c);
    let mut tokens = word.split(|c| !token_char(c)).filter(|t| !t.is_empty());
    match (tokens.next(), tokens.next()) {
        (Some(token), None) => {
            let mut chars = token.chars();
            chars.next().is_some_and(|c| c.eq_ignore_ascii_case(&'m'))
                && chars.all(|c| c.is_ascii_digit())
        }
        _ => false,
    }
}

/// What a search's text asks for.
struct Text<'a> {
    /// The FTS5 query for name words, e-mail and reference.
    fts: Option<String>,
    /// Four digits: a card's last four.
    last4: Option<&'a str>,
    /// Six to eight digits: a BIN.
    bin: Option<&'a str>,
    /// The `card_terms` key the text is: `l` last4, `b` BIN, or `r` brand.
    term: String,
    /// The one word the text is, when the text index reads it as one prefix.
    word: Option<String>,
}

impl<'a> Text<'a> {
    fn of(store: &Store, query: &'a CustomerQuery) -> Option<Self> {
        let text = query
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())?;
        let digits = Some(text).filter(|t| t.bytes().all(|b| b.is_ascii_digit()));
        let last4 = digits.filter(|d| d.len() == 4);
        let bin = digits.filter(|d| (6..=8).contains(&d.len()));
        let term = match (last4, bin) {
            (Some(d), _) => format!("l{d}"),
            (_, Some(d)) => format!("b{d}"),
            _ => format!("r{}", CardBrand::from_name(text).name()),
        };
        Some(Text {
            fts: fts_query(text),
            last4,
            bin,
            term,
            word: single_word(store.conn(), text),
        })
    }
}

/// The live merchants a query covers, and whether that is every merchant there is (then the
/// text index need not be asked for the locations).
struct Scope {
    json: String,
    live: Vec<i64>,
    everything: bool,
}

impl Scope {
    fn of(store: &Store, query: &CustomerQuery) -> StoreResult<Scope> {
        let mut stmt = store.conn().prepare_cached(
            "SELECT id FROM merchants WHERE archived_at IS NULL
               AND (?1 IS NULL OR id IN (SELECT value FROM json_each(?1))) ORDER BY id",
        )?;
        let live = stmt
            .query_map(params![merchants_json(&query.merchants)], |r| r.get(0))?
            .collect::<Result<Vec<i64>, _>>()?;
        let all: i64 = store
            .conn()
            .prepare_cached("SELECT count(*) FROM merchants")?
            .query_row([], |r| r.get(0))?;
        let json = format!(
            "[{}]",
            live.iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",")
        );
        Ok(Scope {
            json,
            everything: usize::try_from(all).is_ok_and(|all| all == live.len()),
            live,
        })
    }

    /// `fts` within these locations (migration 21: each customer's `location` token), so the
    /// text index itself leaves out the customers of other merchants and archived ones.
    fn fts(&self, fts: &str) -> String {
        if self.everything {
            return fts.to_string();
        }
        let locations: Vec<String> = self.live.iter().map(|m| format!("\"m{m}\"")).collect();
        format!("{fts} AND location : ({})", locations.join(" OR "))
    }
}

/// The customers the full-text query matches, ascending by id; `fts` is already scoped
/// ([`Scope::fts`]). SQLite joins the ids into one text that is split here: handing over tens
/// of thousands of rows one at a time costs several times what the index takes to find them.
fn fts_matches(store: &Store, fts: &str) -> StoreResult<Vec<i64>> {
    let joined: Option<String> = store
        .conn()
        .prepare_cached(
            "SELECT group_concat(rowid) FROM customers_fts WHERE customers_fts MATCH ?1",
        )?
        .query_row(params![fts], |r| r.get(0))?;
    let mut ids = joined
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter(|id| !id.is_empty())
        .map(|id| {
            id.parse::<i64>()
                .map_err(|_| StoreError::Corrupt(format!("customer id {id:?} in a search")))
        })
        .collect::<StoreResult<Vec<i64>>>()?;
    // Already ascending as the index yields them; sorting a sorted list is one pass.
    ids.sort_unstable();
    Ok(ids)
}

/// The customers in scope with a card that has `term`, ascending by id.
fn term_matches(store: &Store, term: &str, scope: &Scope) -> StoreResult<Vec<i64>> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT DISTINCT customer_id FROM card_terms
          WHERE term = ?1 AND merchant_id IN (SELECT value FROM json_each(?2))",
    )?;
    let mut ids = stmt
        .query_map(params![term, scope.json], |r| r.get(0))?
        .collect::<Result<Vec<i64>, _>>()?;
    ids.sort_unstable();
    Ok(ids)
}

/// One page of a card term's customers in name order, with their names: the first rows of its
/// index range.
fn term_page(
    store: &Store,
    term: &str,
    scope: &Scope,
    limit: u32,
    offset: u32,
) -> StoreResult<Vec<(String, i64)>> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT name, customer_id FROM card_terms
          WHERE term = ?1 AND merchant_id IN (SELECT value FROM json_each(?2))
          GROUP BY name, customer_id ORDER BY name, customer_id LIMIT ?3 OFFSET ?4",
    )?;
    let rows = stmt
        .query_map(params![term, scope.json, limit, offset], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<Result<Vec<(String, i64)>, _>>()?;
    Ok(rows)
}

/// The words in `search_words` that start with `word`, or `None` when more than [`MAX_WORDS`]
/// do: each step jumps to the next word in the index.
fn words_starting(store: &Store, word: &str) -> StoreResult<Option<Vec<String>>> {
    let Some(end) = after_prefix(word) else {
        return Ok(None);
    };
    let mut first = store.conn().prepare_cached(
        "SELECT word FROM search_words WHERE word >= ?1 AND word < ?2 ORDER BY word LIMIT 1",
    )?;
    let mut next = store.conn().prepare_cached(
        "SELECT word FROM search_words WHERE word > ?1 AND word < ?2 ORDER BY word LIMIT 1",
    )?;
    let mut words: Vec<String> = Vec::new();
    loop {
        let found: Option<String> = match words.last() {
            None => first
                .query_row(params![word, end], |r| r.get(0))
                .optional()?,
            Some(last) => next
                .query_row(params![last, end], |r| r.get(0))
                .optional()?,
        };
        match found {
            None => return Ok(Some(words)),
            Some(_) if words.len() == MAX_WORDS => return Ok(None),
            Some(found) => words.push(found),
        }
    }
}

/// The words a one-word search covers in `search_words`, when its page or count can come from
/// there: at most [`MAX_WORDS`] words, and at most [`MAX_RANGES`] ranges of a word at a location.
fn covered_words(store: &Store, text: &Text, scope: &Scope) -> StoreResult<Option<Vec<String>>> {
    let Some(word) = &text.word else {
        return Ok(None);
    };
    Ok(words_starting(store, word)?
        .filter(|words| words.len().saturating_mul(scope.live.len()) <= MAX_RANGES))
}

/// One page in name order of a one-word search: the first rows of each word's range at each
/// location in `search_words` and of the card term's in `card_terms`, all in name order in
/// their index, merged. `None` when the text is not one word, covers too many ranges or the
/// page is deep; the text index answers those.
fn words_page(
    store: &Store,
    text: &Text,
    scope: &Scope,
    limit: u32,
    offset: u32,
) -> StoreResult<Option<Vec<i64>>> {
    let end = offset.saturating_add(limit);
    if end > MAX_WORDS_PAGE_END {
        return Ok(None);
    }
    let Some(words) = covered_words(store, text, scope)? else {
        return prefix_page(store, text, scope, limit, offset);
    };
    let mut of_range = store.conn().prepare_cached(
        "SELECT name, customer_id FROM search_words WHERE word = ?1 AND merchant_id = ?2
          ORDER BY name, customer_id LIMIT ?3",
    )?;
    let mut found: Vec<(String, i64)> = Vec::new();
    for word in &words {
        for merchant in &scope.live {
            let rows =
                of_range.query_map(params![word, merchant, end], |r| Ok((r.get(0)?, r.get(1)?)))?;
            for row in rows {
                found.push(row?);
            }
        }
    }
    merged_page(store, text, scope, found, limit, offset).map(Some)
}

/// One page in name order of a one-word search that starts too many words to read them one by
/// one (a first name's letters start every e-mail beginning with it): the first rows of its
/// prefix's range at each location in `search_prefixes`, of the customers one of whose words
/// starts with the whole word, and of the card term's range, merged. `None` when the word is
/// shorter than a prefix, the scope has too many locations, or a range holds too many customers
/// that do not match; the text index answers those.
fn prefix_page(
    store: &Store,
    text: &Text,
    scope: &Scope,
    limit: u32,
    offset: u32,
) -> StoreResult<Option<Vec<i64>>> {
    let Some(word) = &text.word else {
        return Ok(None);
    };
    let prefix: String = word.chars().take(PREFIX_LETTERS).collect();
    if prefix.chars().count() < PREFIX_LETTERS || scope.live.len() > MAX_RANGES {
        return Ok(None);
    }
    let end = offset.saturating_add(limit) as usize;
    let mut found: Vec<(String, i64)> = Vec::new();
    if prefix == *word {
        // Every customer in the range has a word starting with the text.
        let mut of_range = store.conn().prepare_cached(
            "SELECT name, customer_id FROM search_prefixes WHERE prefix = ?1 AND merchant_id = ?2
              ORDER BY name, customer_id LIMIT ?3",
        )?;
        for merchant in &scope.live {
            let rows = of_range.query_map(params![prefix, merchant, end], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
            for row in rows {
                found.push(row?);
            }
        }
    } else {
        // The words are JSON strings of tokens, which hold no quote: a word starting with the
        // text is the text after a quote.
        let starts = format!("\"{word}");
        let mut of_range = store.conn().prepare_cached(
            "SELECT p.name, p.customer_id, c.words
               FROM search_prefixes p JOIN customers c ON c.id = p.customer_id
              WHERE p.prefix = ?1 AND p.merchant_id = ?2
              ORDER BY p.name, p.customer_id",
        )?;
        for merchant in &scope.live {
            let (mut kept, mut missed) = (0, 0);
            let mut rows = of_range.query(params![prefix, merchant])?;
            while kept < end {
                let Some(row) = rows.next()? else {
                    break;
                };
                let words = row.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
                if words.contains(&starts) {
                    found.push((row.get(0)?, row.get(1)?));
                    kept += 1;
                } else {
                    missed += 1;
                    if missed > MAX_PREFIX_MISSES {
                        return Ok(None);
                    }
                }
            }
        }
    }
    merged_page(store, text, scope, found, limit, offset).map(Some)
}

/// The page of `found` (name and id, the first of each range read) with the card term's range
/// added, in name order, each customer once.
fn merged_page(
    store: &Store,
    text: &Text,
    scope: &Scope,
    mut found: Vec<(String, i64)>,
    limit: u32,
    offset: u32,
) -> StoreResult<Vec<i64>> {
    let end = offset.saturating_add(limit);
    found.extend(term_page(store, &text.term, scope, end, 0)?);
    found.sort_by(|a, b| nocase_cmp(&a.0, &b.0).then(a.1.cmp(&b.1)));
    // A customer found by several words (a name and an e-mail) is adjacent to itself now.
    found.dedup_by_key(|(_, id)| *id);
    Ok(found
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .map(|(_, id)| id)
        .collect())
}

/// How many customers a one-word search finds, when one word covers it and no card term
/// matches in scope: the lengths of that word's ranges at the locations (a customer has each
/// of its words once). `None` otherwise; the text index counts those.
fn words_count(store: &Store, text: &Text, scope: &Scope, terms: i64) -> StoreResult<Option<u64>> {
    if terms > 0 {
        return Ok(None);
    }
    let Some(words) = covered_words(store, text, scope)? else {
        return Ok(None);
    };
    let [word] = words.as_slice() else {
        return Ok(None);
    };
    let mut of_range = store
        .conn()
        .prepare_cached("SELECT count(*) FROM search_words WHERE word = ?1 AND merchant_id = ?2")?;
    let mut n: u64 = 0;
    for merchant in &scope.live {
        let at: i64 = of_range.query_row(params![word, merchant], |r| r.get(0))?;
        n += u64::try_from(at).unwrap_or(0);
    }
    Ok(Some(n))
}

/// The text index's matches in scope, ascending.
fn text_matches(store: &Store, text: &Text, scope: &Scope) -> StoreResult<Vec<i64>> {
    match &text.fts {
        Some(fts) => fts_matches(store, &scope.fts(fts)),
        None => Ok(Vec::new()),
    }
}

/// `ids` (ascending) with the card term's matches in scope added, ascending and once each.
fn with_term_matches(
    store: &Store,
    text: &Text,
    scope: &Scope,
    mut ids: Vec<i64>,
) -> StoreResult<Vec<i64>> {
    let terms = term_matches(store, &text.term, scope)?;
    if !terms.is_empty() {
        ids.extend(terms);
        ids.sort_unstable();
        ids.dedup();
    }
    Ok(ids)
}

/// Both kinds of matches in scope, ascending and once each.
fn all_matches(store: &Store, text: &Text, scope: &Scope) -> StoreResult<Vec<i64>> {
    let ids = text_matches(store, text, scope)?;
    with_term_matches(store, text, scope, ids)
}

/// The page of `matches` (ascending ids, all in scope) in `sort`'s order.
fn page_of(
    store: &Store,
    matches: &[i64],
    sort: CustomerSort,
    offset: usize,
    limit: usize,
) -> StoreResult<Vec<i64>> {
    let mut page = Vec::with_capacity(limit);
    let mut skipped = 0;
    let mut keep = |id: i64, page: &mut Vec<i64>| -> StoreResult<bool> {
        if skipped < offset {
            skipped += 1;
        } else {
            page.push(id);
        }
        Ok(page.len() >= limit)
    };
    match sort {
        // The ids are already in order, newest last.
        CustomerSort::Newest => {
            for &id in matches.iter().rev() {
                if keep(id, &mut page)? {
                    break;
                }
            }
        }
        CustomerSort::Name if matches.len() > SORTED_MATCHES => {
            if let Some(page) = store
                .name_order()?
                .and_then(|order| order.page(matches, offset, limit))
            {
                return Ok(page);
            }
            // No places (ids too sparse): one bit per id up to the largest match, and a walk
            // of the name index that tests every row it passes.
            let top = matches.last().copied().unwrap_or(0);
            let mut bits = vec![0u64; usize::try_from(top / 64 + 1).unwrap_or(0)];
            for &id in matches {
                if let Ok(at) = usize::try_from(id) {
                    bits[at / 64] |= 1 << (at % 64);
                }
            }
            let matched = |id: i64| {
                usize::try_from(id)
                    .ok()
                    .and_then(|at| bits.get(at / 64).map(|word| (word >> (at % 64)) & 1 == 1))
                    .unwrap_or(false)
            };
            let mut stmt = store
                .conn()
                .prepare_cached("SELECT id FROM customers ORDER BY name COLLATE NOCASE, id")?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let id: i64 = row.get(0)?;
                if matched(id) && keep(id, &mut page)? {
                    break;
                }
            }
        }
        CustomerSort::Name | CustomerSort::Reference => {
            let order = match sort {
                CustomerSort::Reference => "c.reference, c.id",
                _ => "c.name COLLATE NOCASE, c.id",
            };
            let ids = format!(
                "[{}]",
                matches
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            );
            let mut stmt = store.conn().prepare_cached(&format!(
                "SELECT c.id FROM customers c
                  WHERE c.id IN (SELECT value FROM json_each(?1))
                  ORDER BY {order} LIMIT ?2 OFFSET ?3"
            ))?;
            page = stmt
                .query_map(params![ids, limit, offset], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
        }
    }
    Ok(page)
}

/// The rows of a page of customers, in `sort`'s order.
fn rows(
    store: &Store,
    ids: &[i64],
    text: Option<&Text>,
    sort: CustomerSort,
    today: CardExpiry,
) -> StoreResult<Vec<CustomerRow>> {
    let ids = format!(
        "[{}]",
        ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
    );
    let order = order_of(sort);
    let mut stmt = store.conn().prepare_cached(&format!(
        "SELECT c.id, c.merchant_id, m.name, c.reference, c.name, c.email, c.phone,
                (SELECT count(*) FROM cards k WHERE k.customer_id = c.id),
                (SELECT count(*) FROM cards k WHERE k.customer_id = c.id AND k.active = 1 AND k.use_state = 'in_use' AND k.exp_key >= ?4),
                (SELECT k.brand || ' •••• ' || k.last4 FROM cards k
                  WHERE k.customer_id = c.id AND ((k.last4 = ?2 AND k.apm_name IS NULL) OR k.bin = ?3) ORDER BY k.id LIMIT 1),
                c.erased_at
           FROM customers c JOIN merchants m ON m.id = c.merchant_id
          WHERE c.id IN (SELECT value FROM json_each(?1))
          ORDER BY {order}"
    ))?;
    let rows = stmt.query_map(
        params![
            ids,
            text.and_then(|t| t.last4),
            text.and_then(|t| t.bin),
            today.year * 100 + today.month as i32,
        ],
        read_row,
    )?;
    finish(rows)
}

fn order_of(sort: CustomerSort) -> &'static str {
    match sort {
        CustomerSort::Name => "c.name COLLATE NOCASE, c.id",
        CustomerSort::Reference => "c.reference, c.id",
        CustomerSort::Newest => "c.id DESC",
    }
}

fn read_row(r: &rusqlite::Row) -> rusqlite::Result<(CustomerRow, Option<i64>)> {
    let row = CustomerRow {
        id: r.get(0)?,
        merchant_id: r.get(1)?,
        merchant_name: r.get(2)?,
        reference: r.get(3)?,
        name: r.get(4)?,
        email: r.get(5)?,
        phone: r.get(6)?,
        cards: r.get(7)?,
        usable_cards: r.get(8)?,
        matched_card: r.get(9)?,
        erased_at: None,
    };
    Ok((row, r.get(10)?))
}

fn finish(
    rows: impl Iterator<Item = rusqlite::Result<(CustomerRow, Option<i64>)>>,
) -> StoreResult<Vec<CustomerRow>> {
    let mut out = Vec::new();
    for row in rows {
        let (mut row, erased_at) = row?;
        row.erased_at = erased_at.map(crate::instant).transpose()?;
        out.push(row);
    }
    Ok(out)
}

/// Customers matching `query`, one page.
pub(super) fn search(
    store: &Store,
    query: &CustomerQuery,
    today: CardExpiry,
) -> StoreResult<Vec<CustomerRow>> {
    let limit = query.limit.unwrap_or(50).clamp(1, 1000);
    let offset = query.offset.unwrap_or(0);
    let Some(text) = Text::of(store, query) else {
        // Without text the order's index walks the table in order and stops at the page.
        let order = order_of(query.sort);
        let mut stmt = store.conn().prepare_cached(&format!(
            "SELECT c.id, c.merchant_id, m.name, c.reference, c.name, c.email, c.phone,
                    (SELECT count(*) FROM cards k WHERE k.customer_id = c.id),
                    (SELECT count(*) FROM cards k WHERE k.customer_id = c.id AND k.active = 1 AND k.use_state = 'in_use' AND k.exp_key >= ?2),
                    NULL, c.erased_at
               FROM customers c JOIN merchants m ON m.id = c.merchant_id AND m.archived_at IS NULL
              WHERE (?1 IS NULL OR c.merchant_id IN (SELECT value FROM json_each(?1)))
              ORDER BY {order} LIMIT ?3 OFFSET ?4"
        ))?;
        let rows = stmt.query_map(
            params![
                merchants_json(&query.merchants),
                today.year * 100 + today.month as i32,
                limit,
                offset
            ],
            read_row,
        )?;
        return finish(rows);
    };
    let scope = Scope::of(store, query)?;
    if scope.live.is_empty() {
        return Ok(Vec::new());
    }
    let words = match query.sort {
        CustomerSort::Name => words_page(store, &text, &scope, limit, offset)?,
        _ => None,
    };
    let ids = match words {
        Some(ids) => ids,
        None => matches_page(store, &text, &scope, query.sort, limit, offset)?,
    };
    rows(store, &ids, Some(&text), query.sort, today)
}

/// One page of a text search from all its matches: the text index's and the card term's.
fn matches_page(
    store: &Store,
    text: &Text,
    scope: &Scope,
    sort: CustomerSort,
    limit: u32,
    offset: u32,
) -> StoreResult<Vec<i64>> {
    let fts = text_matches(store, text, scope)?;
    if fts.is_empty() && sort == CustomerSort::Name {
        // Only a card term can match: its rows are in name order already, so the page is the
        // first rows of one index range.
        let rows = term_page(store, &text.term, scope, limit, offset)?;
        return Ok(rows.into_iter().map(|(_, id)| id).collect());
    }
    let matches = with_term_matches(store, text, scope, fts)?;
    page_of(store, &matches, sort, offset as usize, limit as usize)
}

/// A count from SQL (`i64`) or of ids (`usize`); neither is ever negative.
fn total(n: impl TryInto<u64>) -> CustomerCount {
    CustomerCount {
        total: n.try_into().unwrap_or(0),
    }
}

/// How many customers `query` finds, exactly.
pub(super) fn count(store: &Store, query: &CustomerQuery) -> StoreResult<CustomerCount> {
    let Some(text) = Text::of(store, query) else {
        let n: i64 = store
            .conn()
            .prepare_cached(
                // A counter per location (migration 19), not a scan of every customer.
                "SELECT coalesce(sum(customers), 0) FROM customer_counts WHERE merchant_id IN (
                     SELECT id FROM merchants WHERE archived_at IS NULL
                        AND (?1 IS NULL OR id IN (SELECT value FROM json_each(?1))))",
            )?
            .query_row(params![merchants_json(&query.merchants)], |r| r.get(0))?;
        return Ok(total(n));
    };
    let scope = Scope::of(store, query)?;
    if scope.live.is_empty() {
        return Ok(total(0));
    }
    // A card term's customers are counted from its index range alone; they are adjacent there.
    let terms: i64 = store
        .conn()
        .prepare_cached(
            "SELECT count(*) FROM (SELECT 1 FROM card_terms
              WHERE term = ?1 AND merchant_id IN (SELECT value FROM json_each(?2))
              GROUP BY name, customer_id)",
        )?
        .query_row(params![text.term, scope.json], |r| r.get(0))?;
    let Some(fts) = &text.fts else {
        return Ok(total(terms));
    };
    if let Some(n) = words_count(store, &text, &scope, terms)? {
        return Ok(total(n));
    }
    if terms > 0 {
        // Both kinds match: a customer may be found by both, so count the union.
        let n = all_matches(store, &text, &scope)?.len();
        return Ok(total(n));
    }
    Ok(total(fts_count(store, &scope.fts(fts))?))
}

/// The full-text index counts its own matches, locations included, without reading a
/// customer; `fts` is already scoped ([`Scope::fts`]).
fn fts_count(store: &Store, fts: &str) -> StoreResult<i64> {
    Ok(store
        .conn()
        .prepare_cached("SELECT count(*) FROM customers_fts WHERE customers_fts MATCH ?1")?
        .query_row(params![fts], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cards::CardFields;
    use crate::customers::{CustomerFields, CustomerOrigin};
    use crate::merchants::NewMerchant;
    use crate::repo::prelude::*;
    use coffer_core::{
        Bin, CardToken, CloverAccount, Currency, CustomerId, CustomerRef, Environment, Last4,
        MerchantId, ProviderAccount,
    };

    fn merchant(store: &Store, uuid: &str) -> MerchantId {
        let new = NewMerchant {
            name: format!("Store {uuid}"),
            account: ProviderAccount::Clover(CloverAccount {
                merchant_uuid: uuid.into(),
                pakms_key: None,
            }),
            environment: Environment::Sandbox,
            base_url: "http://127.0.0.1:9/clover".into(),
            time_zone: chrono_tz::Europe::Helsinki,
            currency: Currency::EUR,
            notice_lead_days: 3,
            group: None,
            endpoint: Default::default(),
        };
        store.insert_merchant(&new, chrono::Utc::now()).unwrap().id
    }

    /// Customer `i`: names with and without diacritics, other scripts, punctuation, case-only
    /// differences and shared first names; e-mails that start like the names or not at all.
    fn fields(i: usize, renamed: bool) -> CustomerFields {
        const FIRST: [&str; 9] = [
            "Anna",
            "anna",
            "Ánna-Liisa",
            "Annika",
            "Иван",
            "O'Brien",
            "Zoë",
            "Łukasz",
            "_x",
        ];
        const LAST: [&str; 8] = [
            "Virtanen",
            "Hämäläinen",
            "Hamalainen",
            "virta",
            "Petrov",
            "Straße",
            "Ånnberg",
            "",
        ];
        let name = format!(
            "{} {}{}",
            FIRST[i % FIRST.len()],
            LAST[(i / 3) % LAST.len()],
            if renamed { " Annala" } else { "" }
        );
        let email = match i % 4 {
            0 => None,
            1 => Some(format!("anna.{i}@example.com")),
            2 => Some(format!("x{i}+ann@почта.рф")),
            _ => Some(format!("virt{i}@example.com")),
        };
        CustomerFields {
            reference: CustomerRef(format!("CUST-{i:04}")),
            name,
            email,
            phone: None,
            address: None,
        }
    }

    #[test]
    fn a_one_word_page_from_the_search_words_is_the_text_indexs_page() {
        let mut store = Store::open_in_memory().unwrap();
        let merchants = [
            merchant(&store, "MA"),
            merchant(&store, "MB"),
            merchant(&store, "MC"),
        ];
        let now = chrono::Utc::now();
        let batch: Vec<CustomerFields> = (0..300).map(|i| fields(i, false)).collect();
        let mut ids = Vec::new();
        for (m, chunk) in batch.chunks(100).enumerate() {
            ids.extend(store.sync_customers(merchants[m], chunk, now).unwrap());
        }
        for i in 300..340 {
            let (id, _) = store
                .upsert_customer(
                    merchants[i % 3],
                    &fields(i, false),
                    CustomerOrigin::Sync,
                    now,
                )
                .unwrap();
            ids.push((id, true));
        }
        store
            .insert_register_customers(merchants[1], &[fields(340, false)], now)
            .unwrap();
        // Renamed by a sync, erased, deleted: every way a customer's words change.
        for i in (0..300).step_by(7) {
            store
                .upsert_customer(
                    merchants[i / 100],
                    &fields(i, true),
                    CustomerOrigin::Sync,
                    now,
                )
                .unwrap();
        }
        for i in (1..300).step_by(11) {
            store.erase_customer_records(ids[i].0, now).unwrap();
        }
        for i in (2..300).step_by(13) {
            // (Customers deleted here get no card below.)
            store
                .conn()
                .execute("DELETE FROM customers WHERE id = ?1", [ids[i].0 .0])
                .unwrap();
        }
        let deleted = |i: usize| i % 13 == 2;
        for (n, i) in (3..300).step_by(5).filter(|&i| !deleted(i)).enumerate() {
            let card = CardFields {
                token: CardToken(format!("tok_{i}")),
                brand: coffer_core::CardBrand::Visa,
                last4: Last4::new(if n % 2 == 0 { "4242" } else { "1881" }).unwrap(),
                bin: Bin::new("424242").ok(),
                bank: None,
                expiry: coffer_core::CardExpiry::new(2030, 1).unwrap(),
                active: true,
                needs_cvc: false,
                art_url: None,
            };
            store
                .upsert_card(merchants[i / 100], CustomerId(ids[i].0 .0), &card, now)
                .unwrap();
        }
        let scopes: [Vec<MerchantId>; 3] =
            [vec![], vec![merchants[0]], vec![merchants[1], merchants[2]]];
        let mut left_to_the_text_index = std::collections::BTreeSet::new();
        let mut counted_from_words = 0;
        for text in [
            "a",
            "an",
            "ann",
            "anna",
            "ANNA",
            "anna-",
            "anna.1",
            "annala",
            "ham",
            "hamalainen",
            "virta",
            "virt",
            "v",
            "o",
            "brien",
            "zoe",
            "lukasz",
            "ivan",
            "x",
            "_x",
            "cust",
            "cust-0012",
            "4242",
            "1881",
            "424242",
            "visa",
            "strasse",
            "strae",
            "example.com",
            "m1",
            "m2",
            "m",
            "nobody",
            "o'brien",
            "hämä",
            "Hämäläinen",
            "ÅNN",
            "иван",
            "Ив",
            "zoë",
            "anna !!",
            "(virta)",
        ] {
            for scope_of in &scopes {
                for (offset, limit) in [(0, 50), (0, 5), (5, 5), (40, 20)] {
                    let query = CustomerQuery {
                        merchants: scope_of.clone(),
                        text: Some(text.into()),
                        ..CustomerQuery::default()
                    };
                    let found = Text::of(&store, &query).unwrap();
                    let scope = Scope::of(&store, &query).unwrap();
                    let expected =
                        matches_page(&store, &found, &scope, CustomerSort::Name, limit, offset)
                            .unwrap();
                    if let Some(page) = words_page(&store, &found, &scope, limit, offset).unwrap() {
                        assert_eq!(
                            page, expected,
                            "{text:?} in {scope_of:?} at {offset}+{limit}"
                        );
                    } else {
                        left_to_the_text_index.insert(text);
                    }
                }
                let query = CustomerQuery {
                    merchants: scope_of.clone(),
                    text: Some(text.into()),
                    ..CustomerQuery::default()
                };
                let (found, scope) = (
                    Text::of(&store, &query).unwrap(),
                    Scope::of(&store, &query).unwrap(),
                );
                if let Some(n) = words_count(&store, &found, &scope, 0).unwrap() {
                    counted_from_words += 1;
                    let fts = scope.fts(found.fts.as_deref().unwrap());
                    let by_index = fts_count(&store, &fts).unwrap();
                    assert_eq!(n, by_index as u64, "count of {text:?} in {scope_of:?}");
                }
            }
        }
        // Left to the text index: prefixes of more than eight words (each e-mail and reference
        // is a word of its own) shorter than a prefix of `search_prefixes`, and words the
        // tokenizer splits.
        assert_eq!(
            left_to_the_text_index.into_iter().collect::<Vec<_>>(),
            ["a", "an", "o'brien", "v", "x"]
        );
        assert!(counted_from_words > 20, "{counted_from_words}");
    }

    #[test]
    fn user_text_is_quoted_for_fts() {
        assert_eq!(fts_query("anna vir").as_deref(), Some("\"anna\"* \"vir\"*"));
        assert_eq!(fts_query("a\"b OR").as_deref(), Some("\"a\"\"b\"* \"OR\"*"));
        assert_eq!(fts_query("   "), None);
    }

    #[test]
    fn only_words_that_could_be_a_location_are_kept_to_the_customers_columns() {
        assert_eq!(
            fts_query("anna M1").as_deref(),
            Some("\"anna\"* {name email reference} : \"M1\"*")
        );
        for word in ["m", "m12", "(m3)", "Mä", "ḿ1", "é"] {
            assert!(may_match_location(word), "{word}");
        }
        for word in [
            "mikko", "m1x", "m-1", "m1@x.fi", "m1 2", "12", "am1", "(m1)(m2)",
        ] {
            assert!(!may_match_location(word), "{word}");
        }
    }
}
