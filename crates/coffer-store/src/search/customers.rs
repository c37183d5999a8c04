//! The customer search and its exact count. A listing walks the name (or reference) index in
//! order. A text search starts from its matches: the full-text index's (name words, e-mail,
//! reference) and a card term's (`card_terms`, migration 19: last4, BIN or brand, kept in name
//! order), and pages them in the order asked for, so the page is always the true first page
//! however many customers match, and the count is exact.

use coffer_core::{CardBrand, CardExpiry};
use rusqlite::params;

use super::{merchants_json, CustomerCount, CustomerQuery, CustomerRow, CustomerSort};
use crate::error::{StoreError, StoreResult};
use crate::Store;

/// Up to this many matches are paged by sorting them in SQL; more are paged by the customers'
/// places in name order ([`super::name_order`]), which reads no customer row.
const SORTED_MATCHES: usize = 2000;

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
}

impl<'a> Text<'a> {
    fn of(query: &'a CustomerQuery) -> Option<Self> {
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

/// One page of a card term's customers in name order: the first rows of its index range.
fn term_page(
    store: &Store,
    term: &str,
    scope: &Scope,
    limit: u32,
    offset: u32,
) -> StoreResult<Vec<i64>> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT customer_id FROM card_terms
          WHERE term = ?1 AND merchant_id IN (SELECT value FROM json_each(?2))
          GROUP BY name, customer_id ORDER BY name, customer_id LIMIT ?3 OFFSET ?4",
    )?;
    let ids = stmt
        .query_map(params![term, scope.json, limit, offset], |r| r.get(0))?
        .collect::<Result<Vec<i64>, _>>()?;
    Ok(ids)
}

/// Both kinds of matches in scope, ascending and once each.
fn all_matches(store: &Store, text: &Text, scope: &Scope) -> StoreResult<Vec<i64>> {
    let mut ids = match &text.fts {
        Some(fts) => fts_matches(store, &scope.fts(fts))?,
        None => Vec::new(),
    };
    let terms = term_matches(store, &text.term, scope)?;
    if !terms.is_empty() {
        ids.extend(terms);
        ids.sort_unstable();
        ids.dedup();
    }
    Ok(ids)
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
    let Some(text) = Text::of(query) else {
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
    let fts = match &text.fts {
        Some(fts) => fts_matches(store, &scope.fts(fts))?,
        None => Vec::new(),
    };
    let ids = if fts.is_empty() && query.sort == CustomerSort::Name {
        // Only a card term can match: its rows are in name order already, so the page is the
        // first rows of one index range.
        term_page(store, &text.term, &scope, limit, offset)?
    } else {
        let mut matches = fts;
        let terms = term_matches(store, &text.term, &scope)?;
        if !terms.is_empty() {
            matches.extend(terms);
            matches.sort_unstable();
            matches.dedup();
        }
        page_of(store, &matches, query.sort, offset as usize, limit as usize)?
    };
    rows(store, &ids, Some(&text), query.sort, today)
}

/// A count from SQL (`i64`) or of ids (`usize`); neither is ever negative.
fn total(n: impl TryInto<u64>) -> CustomerCount {
    CustomerCount {
        total: n.try_into().unwrap_or(0),
    }
}

/// How many customers `query` finds, exactly.
pub(super) fn count(store: &Store, query: &CustomerQuery) -> StoreResult<CustomerCount> {
    let Some(text) = Text::of(query) else {
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
    if terms > 0 {
        // Both kinds match: a customer may be found by both, so count the union.
        let n = all_matches(store, &text, &scope)?.len();
        return Ok(total(n));
    }
    // The full-text index counts its own matches, locations included, without reading a
    // customer.
    let n: i64 = store
        .conn()
        .prepare_cached("SELECT count(*) FROM customers_fts WHERE customers_fts MATCH ?1")?
        .query_row(params![scope.fts(fts)], |r| r.get(0))?;
    Ok(total(n))
}

#[cfg(test)]
mod tests {
    use super::*;

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
