//! Each customer's place in name order (`name COLLATE NOCASE, id`), kept in memory per
//! connection. A text search that matches thousands of customers pages them by these places:
//! picking the first page of 20,000 matches is then a partial sort of 20,000 integers, where
//! walking the name index until the page is full passed every earlier name (a common first name
//! late in the alphabet: 160,000 rows at 1,000,000 cards).
//!
//! The places are rebuilt when `name_order.version` (migration 21: moved by every customer
//! added or renamed) is not the one they were built at, which costs one walk of the name index
//! (the first search after a sync or a rename pays it).

use std::sync::{Arc, Mutex};

use crate::error::StoreResult;
use crate::Store;

/// No place: a customer added after the places were built (never seen while they are current).
const NONE: u32 = u32::MAX;

/// Customer ids above this are not given places (the table would be mostly empty); searches
/// then walk the name index as before.
const MAX_ID: i64 = 50_000_000;

/// The places at one version of the customers' names.
pub(crate) struct NameOrder {
    version: i64,
    /// Indexed by customer id.
    places: Vec<u32>,
}

impl NameOrder {
    fn place(&self, customer: i64) -> Option<u32> {
        let at = usize::try_from(customer).ok()?;
        self.places.get(at).copied().filter(|&p| p != NONE)
    }

    /// The page `offset..offset + limit` of `matches` in name order, or `None` when one of them
    /// has no place.
    pub(crate) fn page(&self, matches: &[i64], offset: usize, limit: usize) -> Option<Vec<i64>> {
        let mut placed = Vec::with_capacity(matches.len());
        for &id in matches {
            placed.push((self.place(id)?, id));
        }
        let wanted = offset.saturating_add(limit);
        if placed.len() > wanted {
            placed.select_nth_unstable(wanted);
            placed.truncate(wanted);
        }
        placed.sort_unstable();
        Some(placed.into_iter().skip(offset).map(|(_, id)| id).collect())
    }
}

// A million places are not worth printing with the store they belong to.
impl std::fmt::Debug for NameOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NameOrder")
            .field("version", &self.version)
            .field("places", &self.places.len())
            .finish()
    }
}

/// A connection's places, built on first use.
#[derive(Debug, Default)]
pub(crate) struct NameOrderCache(Mutex<Option<Arc<NameOrder>>>);

impl NameOrderCache {
    /// The places at the names' current version, rebuilt if they moved; `None` when the ids are
    /// too sparse to place.
    pub(crate) fn current(&self, store: &Store) -> StoreResult<Option<Arc<NameOrder>>> {
        let version: i64 = store
            .conn()
            .prepare_cached("SELECT version FROM name_order")?
            .query_row([], |r| r.get(0))?;
        // A poisoned lock held only a finished or abandoned build; the version check decides.
        let mut cached = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(order) = cached.as_ref().filter(|o| o.version == version) {
            return Ok(Some(order.clone()));
        }
        let top: Option<i64> = store
            .conn()
            .prepare_cached("SELECT max(id) FROM customers")?
            .query_row([], |r| r.get(0))?;
        let Some(len) = top
            .filter(|&top| top <= MAX_ID)
            .and_then(|top| usize::try_from(top + 1).ok())
        else {
            *cached = None;
            return Ok(None);
        };
        let mut places = vec![NONE; len];
        let mut stmt = store
            .conn()
            .prepare_cached("SELECT id FROM customers ORDER BY name COLLATE NOCASE, id")?;
        let mut rows = stmt.query([])?;
        let mut next: u32 = 0;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            if let Some(slot) = usize::try_from(id).ok().and_then(|at| places.get_mut(at)) {
                *slot = next;
                next = next.saturating_add(1);
            }
        }
        let order = Arc::new(NameOrder { version, places });
        *cached = Some(order.clone());
        Ok(Some(order))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_the_matches_in_place_order() {
        // Places: id 3 first, then 1, then 4, then 2.
        let order = NameOrder {
            version: 0,
            places: vec![NONE, 1, 3, 0, 2],
        };
        assert_eq!(order.page(&[1, 2, 3, 4], 0, 2), Some(vec![3, 1]));
        assert_eq!(order.page(&[1, 2, 3, 4], 2, 2), Some(vec![4, 2]));
        assert_eq!(order.page(&[1, 2, 4], 0, 10), Some(vec![1, 4, 2]));
        assert_eq!(order.page(&[1, 2], 5, 10), Some(vec![]));
        assert_eq!(order.page(&[1, 5], 0, 10), None, "id 5 has no place");
        assert_eq!(order.page(&[0, 1], 0, 10), None, "id 0 has no place");
    }
}
