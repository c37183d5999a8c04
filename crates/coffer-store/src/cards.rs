//! The stored-card cache. Sync owns the display columns (brand, last4, BIN, bank, expiry, active);
//! Coffer owns consent, the initial transaction and flags, which a re-sync never touches.

use chrono::{DateTime, Utc};
use coffer_core::{
    Bin, Card, CardBrand, CardExpiry, CardId, CardToken, CardUse, Consent, Currency, CustomerId,
    InitialKind, InitialTransaction, Last4, MerchantId, Money, PaymentMethod, ProviderRef,
};
use std::collections::HashSet;

use rusqlite::{params, params_from_iter, OptionalExtension, Row, ToSql};

use crate::error::{StoreError, StoreResult};
use crate::{instant, millis, Store};

/// The provider's view of a card, as sync writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardFields {
    /// Token.
    pub token: CardToken,
    /// Brand.
    pub brand: CardBrand,
    /// Last four.
    pub last4: Last4,
    /// BIN.
    pub bin: Option<Bin>,
    /// Bank.
    pub bank: Option<String>,
    /// Expiry.
    pub expiry: CardExpiry,
    /// Usable at the provider.
    pub active: bool,
    /// Needs a CVC.
    pub needs_cvc: bool,
    /// The provider's card art (an image address), display only.
    pub art_url: Option<String>,
}

/// A card as a sync writes it: the provider's display fields, the kind of stored credential,
/// and the initial transaction the provider reports for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncedCard {
    /// The display fields.
    pub fields: CardFields,
    /// A card, or an APM token (its method's name, open to merchant-initiated charges or not).
    pub method: PaymentMethod,
    /// The initial transaction the provider links merchant-initiated charges to, when it tells;
    /// Coffer's own record, once made, wins.
    pub initial_ref: Option<ProviderRef>,
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    /// A new row.
    Inserted,
    /// An existing row whose fields changed.
    Updated,
    /// Nothing changed.
    Unchanged,
}

pub(crate) const CARD_COLUMNS: &str = "k.id, k.merchant_id, k.customer_id, k.token, k.brand, k.last4, k.bin, k.bank, k.exp_year, k.exp_month, \
     k.active, k.needs_cvc, k.consent_at, k.consent_terms, k.initial_ref, k.initial_amount_minor, k.initial_currency, k.initial_at, \
     k.initial_kind, k.art_url, k.use_state, k.use_changed_at, k.apm_name, k.apm_merchant_initiated, k.initial_registered_json";

/// What the last4 column holds for an APM token, which has none (migration 15-card-use).
pub const APM_LAST4: &str = "0000";
/// The expiry stored for an APM token, which has none: the end of the range an expiry may take
/// (migration 15-card-use). Nothing shows or judges it for an APM.
pub const APM_EXPIRY: CardExpiry = CardExpiry {
    year: 2199,
    month: 12,
};

/// The registered series as its column holds it.
fn registered_json(initial: &InitialTransaction) -> StoreResult<Option<String>> {
    initial
        .registered
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("initial_registered_json: {e}")))
}

pub(crate) fn read_card(row: &Row<'_>) -> rusqlite::Result<Result<Card, StoreError>> {
    let id: i64 = row.get(0)?;
    let brand: String = row.get(4)?;
    let last4: String = row.get(5)?;
    let bin: Option<String> = row.get(6)?;
    let exp_year: i32 = row.get(8)?;
    let exp_month: u32 = row.get(9)?;
    let consent_at: Option<i64> = row.get(12)?;
    let consent_terms: Option<String> = row.get(13)?;
    let initial_ref: Option<String> = row.get(14)?;
    let initial_amount: Option<i64> = row.get(15)?;
    let initial_currency: Option<String> = row.get(16)?;
    let initial_at: Option<i64> = row.get(17)?;
    let initial_kind: Option<String> = row.get(18)?;
    let art_url: Option<String> = row.get(19)?;
    let use_state: String = row.get(20)?;
    let use_changed_at: Option<i64> = row.get(21)?;
    let apm_name: Option<String> = row.get(22)?;
    let apm_merchant_initiated: bool = row.get(23)?;
    let initial_registered: Option<String> = row.get(24)?;
    let merchant_id = MerchantId(row.get(1)?);
    let customer_id = CustomerId(row.get(2)?);
    let token = CardToken(row.get(3)?);
    let bank: Option<String> = row.get(7)?;
    let active: bool = row.get(10)?;
    let needs_cvc: bool = row.get(11)?;
    let corrupt = |e: coffer_core::InvalidInput| StoreError::Corrupt(format!("card {id}: {e}"));
    Ok((|| {
        let consent = match (consent_at, consent_terms) {
            (Some(at), Some(terms)) => Some(Consent {
                given_at: instant(at)?,
                terms,
            }),
            _ => None,
        };
        let initial = match (initial_ref, initial_at) {
            (Some(reference), Some(at)) => Some(InitialTransaction {
                reference: ProviderRef(reference),
                amount: match (initial_amount, initial_currency) {
                    (Some(minor), Some(code)) => Some(Money::from_minor(
                        minor,
                        Currency::from_code(&code)
                            .map_err(|e| corrupt(e.in_field("initial_currency")))?,
                    )),
                    _ => None,
                },
                at: instant(at)?,
                // Every initial written since schema 8 names its kind, and the migration named
                // the older ones; NULL is read as the meaning initials had before.
                kind: initial_kind
                    .as_deref()
                    .map(InitialKind::parse)
                    .transpose()
                    .map_err(corrupt)?
                    .unwrap_or_default(),
                registered: initial_registered
                    .as_deref()
                    .map(serde_json::from_str)
                    .transpose()
                    .map_err(|e| {
                        StoreError::Corrupt(format!("card {id}: initial_registered_json: {e}"))
                    })?,
            }),
            _ => None,
        };
        Ok(Card {
            id: CardId(id),
            merchant_id,
            customer_id,
            token,
            brand: CardBrand::from_name(&brand),
            last4: Last4::new(&last4).map_err(corrupt)?,
            bin: bin.as_deref().map(Bin::new).transpose().map_err(corrupt)?,
            bank,
            expiry: CardExpiry::new(exp_year, exp_month).map_err(corrupt)?,
            active,
            needs_cvc,
            consent,
            initial,
            art_url,
            method: match apm_name {
                None => PaymentMethod::Card,
                Some(name) => PaymentMethod::Apm {
                    name,
                    merchant_initiated: apm_merchant_initiated,
                },
            },
            usage: CardUse::parse(&use_state, use_changed_at.map(instant).transpose()?)
                .map_err(corrupt)?,
        })
    })())
}

/// The cached cards.
pub trait CardReads {
    /// One card.
    fn card(&self, id: CardId) -> StoreResult<Card>;

    /// The cards of one customer.
    fn cards_of_customer(&self, customer: CustomerId) -> StoreResult<Vec<Card>>;
}

/// Cards: the sync's display columns and Coffer's consent, initial and flags.
pub trait CardWrites: CardReads {
    /// Inserts or updates a card by `(merchant, token)`, leaving Coffer's own columns alone.
    fn upsert_card(
        &self,
        merchant: MerchantId,
        customer: CustomerId,
        card: &CardFields,
        now: DateTime<Utc>,
    ) -> StoreResult<(CardId, Upsert)>;

    /// Writes one card a sync read, comparing first so an unchanged card costs one indexed read
    /// and no write. Never touches Coffer's own columns (consent, use, flags); an existing
    /// initial wins over the provider's.
    fn sync_card(
        &self,
        merchant: MerchantId,
        customer: CustomerId,
        card: &SyncedCard,
        now: DateTime<Utc>,
    ) -> StoreResult<(CardId, Upsert)>;

    /// Writes the cards of a page of synced customers, each as [`CardWrites::sync_card`] does,
    /// in order, and makes the new ones searchable in one statement. One result per card.
    fn sync_cards(
        &self,
        merchant: MerchantId,
        cards: &[(CustomerId, &[SyncedCard])],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<(CardId, Upsert)>>;

    /// Marks inactive every active card of `merchant` (or of one customer) that is not among
    /// `listed` and was not written since `sync_started` (a card enrolled while the sync ran
    /// stays active). Nothing is deleted. Returns how many were deactivated.
    fn deactivate_unlisted_cards(
        &self,
        merchant: MerchantId,
        customer: Option<CustomerId>,
        listed: &HashSet<CardId>,
        sync_started: DateTime<Utc>,
    ) -> StoreResult<usize>;

    /// Marks inactive every active card of `merchant` (or of one customer) that the sync which
    /// started at `sync_started` did not see. Nothing is deleted: contracts and the ledger
    /// still point at these rows. Returns how many were deactivated.
    fn deactivate_unseen_cards(
        &self,
        merchant: MerchantId,
        customer: Option<CustomerId>,
        sync_started: DateTime<Utc>,
    ) -> StoreResult<usize>;

    /// Records the cardholder's consent to merchant-initiated charges.
    fn set_card_consent(&self, card: CardId, consent: &Consent) -> StoreResult<()>;

    /// Records the initial cardholder-initiated transaction later MITs link to.
    fn set_card_initial(&self, card: CardId, initial: &InitialTransaction) -> StoreResult<()>;

    /// Records an initial transaction on the card with this token, unless it has one; `Ok(false)`
    /// when no such card is cached. A card whose recorded initial is this very reference takes
    /// its kind (a demo re-run corrects what an older schema guessed).
    fn set_initial_by_token(
        &self,
        merchant: MerchantId,
        token: &CardToken,
        initial: &InitialTransaction,
    ) -> StoreResult<bool>;

    /// Records the initial transaction the provider reports, unless Coffer already has one: one
    /// the provider links merchant-initiated charges to (`recurring`).
    fn set_card_initial_if_missing(
        &self,
        card: CardId,
        reference: &ProviderRef,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Records `consent` on every card of `merchant` that has an initial transaction and no
    /// consent yet; returns how many. Used for demo data only.
    fn record_consent_where_initial(
        &self,
        merchant: MerchantId,
        consent: &Consent,
    ) -> StoreResult<usize>;

    /// Marks one card inactive (its token is gone at the provider); 1 when it was active.
    fn deactivate_card(&self, card: CardId) -> StoreResult<usize>;

    /// Flags a card so no charge is retried on it (after a hard decline), and deactivates it.
    fn flag_card(&self, card: CardId, reason: &str) -> StoreResult<()>;

    /// Records whether Coffer still charges the card. A removed card stays removed: the schema
    /// refuses any way back (`Conflict`).
    fn set_card_use(&self, card: CardId, usage: CardUse) -> StoreResult<()>;

    /// Records what kind of stored credential the card is (sync: a ProcessOut APM token).
    fn set_card_method(&self, card: CardId, method: &PaymentMethod) -> StoreResult<()>;
}

/// Adds the terms of the inserted cards with ids `first..=last` to `card_terms` in one
/// statement, in key order (migration 23: no trigger does it). A card's terms already there
/// (the card was edited before this ran, and its update trigger wrote them) are kept.
fn index_cards(conn: &rusqlite::Connection, first: i64, last: i64) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO card_terms (term, name, customer_id, card_id, merchant_id)
         SELECT t.term, c.name, k.customer_id, k.id, k.merchant_id
           FROM (SELECT id, 'l' || last4 AS term FROM cards
                  WHERE id BETWEEN ?1 AND ?2 AND apm_name IS NULL
                 UNION ALL SELECT id, 'b' || bin FROM cards
                  WHERE id BETWEEN ?1 AND ?2 AND bin IS NOT NULL
                 UNION ALL SELECT id, 'r' || brand FROM cards WHERE id BETWEEN ?1 AND ?2) t
           JOIN cards k ON k.id = t.id
           JOIN customers c ON c.id = k.customer_id
          ORDER BY 1, 2 COLLATE NOCASE, 3, 4",
    )?
    .execute([first, last])?;
    Ok(())
}

impl CardReads for Store {
    fn card(&self, id: CardId) -> StoreResult<Card> {
        self.conn()
            .prepare_cached(&format!(
                "SELECT {CARD_COLUMNS} FROM cards k WHERE k.id = ?1"
            ))?
            .query_row([id.0], read_card)
            .optional()?
            .ok_or_else(|| StoreError::NotFound {
                what: format!("card {id}"),
            })?
    }

    fn cards_of_customer(&self, customer: CustomerId) -> StoreResult<Vec<Card>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {CARD_COLUMNS} FROM cards k WHERE k.customer_id = ?1 ORDER BY k.id"
        ))?;
        let rows = stmt.query_map([customer.0], read_card)?;
        rows.map(|r| r.map_err(StoreError::from)?).collect()
    }
}

impl CardWrites for Store {
    fn upsert_card(
        &self,
        merchant: MerchantId,
        customer: CustomerId,
        card: &CardFields,
        now: DateTime<Utc>,
    ) -> StoreResult<(CardId, Upsert)> {
        let written = self.write_card(merchant, customer, card, None, None, now, Touch::Always)?;
        if written.1 == Upsert::Inserted {
            index_cards(self.conn(), written.0 .0, written.0 .0)?;
        }
        Ok(written)
    }

    fn sync_card(
        &self,
        merchant: MerchantId,
        customer: CustomerId,
        card: &SyncedCard,
        now: DateTime<Utc>,
    ) -> StoreResult<(CardId, Upsert)> {
        let written = self.sync_cards(merchant, &[(customer, std::slice::from_ref(card))], now)?;
        written
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::Corrupt("a synced card was written without a result".into()))
    }

    fn sync_cards(
        &self,
        merchant: MerchantId,
        cards: &[(CustomerId, &[SyncedCard])],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<(CardId, Upsert)>> {
        if self.conn().is_autocommit() {
            return self.batch(|store| store.sync_cards(merchant, cards, now));
        }
        // Within one transaction, the cards it inserts are exactly those with an id above the
        // largest before it.
        let before: i64 = self
            .conn()
            .prepare_cached("SELECT coalesce(max(id), 0) FROM cards")?
            .query_row([], |r| r.get(0))?;
        let mut written = Vec::with_capacity(cards.iter().map(|(_, c)| c.len()).sum());
        for (customer, of_customer) in cards {
            for card in *of_customer {
                written.push(self.write_card(
                    merchant,
                    *customer,
                    &card.fields,
                    Some(&card.method),
                    card.initial_ref.as_ref(),
                    now,
                    Touch::WhenChanged,
                )?);
            }
        }
        if written
            .iter()
            .any(|(_, upsert)| *upsert == Upsert::Inserted)
        {
            index_cards(self.conn(), before + 1, i64::MAX)?;
        }
        Ok(written)
    }

    fn deactivate_unlisted_cards(
        &self,
        merchant: MerchantId,
        customer: Option<CustomerId>,
        listed: &HashSet<CardId>,
        sync_started: DateTime<Utc>,
    ) -> StoreResult<usize> {
        let active: Vec<CardId> = self
            .conn()
            .prepare_cached(
                "SELECT id FROM cards WHERE merchant_id = ?1 AND active = 1 AND (?2 IS NULL OR customer_id = ?2)
                   AND (synced_at IS NULL OR synced_at < ?3)",
            )?
            .query_map(
                params![merchant.0, customer.map(|c| c.0), millis(sync_started)],
                |r| r.get(0).map(CardId),
            )?
            .collect::<Result<_, _>>()?;
        let mut deactivated = 0;
        for id in active.into_iter().filter(|id| !listed.contains(id)) {
            deactivated += self.deactivate_card(id)?;
        }
        Ok(deactivated)
    }

    fn deactivate_unseen_cards(
        &self,
        merchant: MerchantId,
        customer: Option<CustomerId>,
        sync_started: DateTime<Utc>,
    ) -> StoreResult<usize> {
        Ok(self.conn().execute(
            "UPDATE cards SET active = 0 WHERE merchant_id = ?1 AND active = 1 AND (?2 IS NULL OR customer_id = ?2)
               AND (synced_at IS NULL OR synced_at < ?3)",
            params![merchant.0, customer.map(|c| c.0), millis(sync_started)],
        )?)
    }

    fn set_card_consent(&self, card: CardId, consent: &Consent) -> StoreResult<()> {
        let changed = self.conn().execute(
            "UPDATE cards SET consent_at = ?2, consent_terms = ?3 WHERE id = ?1",
            params![card.0, millis(consent.given_at), consent.terms],
        )?;
        found(changed, card)
    }

    fn set_card_initial(&self, card: CardId, initial: &InitialTransaction) -> StoreResult<()> {
        let changed = self.conn().execute(
            "UPDATE cards SET initial_ref = ?2, initial_amount_minor = ?3, initial_currency = ?4, initial_at = ?5, initial_kind = ?6, initial_registered_json = ?7 WHERE id = ?1",
            params![
                card.0,
                initial.reference.0,
                initial.amount.map(|m| m.minor),
                initial.amount.map(|m| m.currency.code()),
                millis(initial.at),
                initial.kind.as_str(),
                registered_json(initial)?
            ],
        )?;
        found(changed, card)
    }

    fn set_initial_by_token(
        &self,
        merchant: MerchantId,
        token: &CardToken,
        initial: &InitialTransaction,
    ) -> StoreResult<bool> {
        let changed = self.conn().execute(
            "UPDATE cards SET initial_ref = ?3, initial_amount_minor = ?4, initial_currency = ?5, initial_at = ?6, initial_kind = ?7,
             initial_registered_json = ?8
             WHERE merchant_id = ?1 AND token = ?2 AND initial_ref IS NULL",
            params![
                merchant.0,
                token.0,
                initial.reference.0,
                initial.amount.map(|m| m.minor),
                initial.amount.map(|m| m.currency.code()),
                millis(initial.at),
                initial.kind.as_str(),
                registered_json(initial)?
            ],
        )?;
        if changed == 0 {
            self.conn().execute(
                "UPDATE cards SET initial_kind = ?4 WHERE merchant_id = ?1 AND token = ?2 AND initial_ref = ?3",
                params![merchant.0, token.0, initial.reference.0, initial.kind.as_str()],
            )?;
        }
        Ok(changed == 1)
    }

    fn set_card_initial_if_missing(
        &self,
        card: CardId,
        reference: &ProviderRef,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.conn()
            .prepare_cached(
                "UPDATE cards SET initial_ref = ?2, initial_at = ?3, initial_kind = 'recurring' WHERE id = ?1 AND initial_ref IS NULL",
            )?
            .execute(params![card.0, reference.0, millis(at)])?;
        Ok(())
    }

    fn record_consent_where_initial(
        &self,
        merchant: MerchantId,
        consent: &Consent,
    ) -> StoreResult<usize> {
        Ok(self.conn().execute(
            "UPDATE cards SET consent_at = ?2, consent_terms = ?3 WHERE merchant_id = ?1 AND initial_ref IS NOT NULL AND consent_at IS NULL",
            params![merchant.0, millis(consent.given_at), consent.terms],
        )?)
    }

    fn deactivate_card(&self, card: CardId) -> StoreResult<usize> {
        Ok(self
            .conn()
            .prepare_cached("UPDATE cards SET active = 0 WHERE id = ?1 AND active = 1")?
            .execute([card.0])?)
    }

    fn flag_card(&self, card: CardId, reason: &str) -> StoreResult<()> {
        let changed = self.conn().execute(
            "UPDATE cards SET flagged_reason = ?2, active = 0 WHERE id = ?1",
            params![card.0, reason],
        )?;
        found(changed, card)
    }

    fn set_card_use(&self, card: CardId, usage: CardUse) -> StoreResult<()> {
        self.write_card_use(card, usage)
    }

    fn set_card_method(&self, card: CardId, method: &PaymentMethod) -> StoreResult<()> {
        let (name, mit) = apm_columns(method);
        let changed = self
            .conn()
            .prepare_cached(
                "UPDATE cards SET apm_name = ?2, apm_merchant_initiated = ?3 WHERE id = ?1",
            )?
            .execute(params![card.0, name, mit])?;
        found(changed, card)
    }
}

impl Store {
    /// Writes a card's display fields (and, from a sync, its method and the provider's initial),
    /// comparing first: an unchanged card costs one indexed read, plus its `synced_at` when
    /// `touch` asks for it. Coffer's own columns (consent, use, flags) are never touched; a
    /// flagged card stays inactive.
    #[allow(clippy::too_many_arguments)]
    fn write_card(
        &self,
        merchant: MerchantId,
        customer: CustomerId,
        fields: &CardFields,
        method: Option<&PaymentMethod>,
        initial_ref: Option<&ProviderRef>,
        now: DateTime<Utc>,
        touch: Touch,
    ) -> StoreResult<(CardId, Upsert)> {
        let bin = fields.bin.as_ref().map(Bin::as_str);
        let (apm_name, apm_mit) = method.map_or((None, false), apm_columns);
        let (brand, last4) = (fields.brand.name(), fields.last4.as_str());
        // The display fields are ?1..=?10 in each statement below, bound from this one list.
        let display: [&dyn ToSql; 10] = [
            &customer.0,
            &brand,
            &last4,
            &bin,
            &fields.bank,
            &fields.expiry.year,
            &fields.expiry.month,
            &fields.active,
            &fields.needs_cvc,
            &fields.art_url,
        ];
        // The card's key and method: ?11..=?14 of the read and the insert.
        let key: [&dyn ToSql; 4] = [&merchant.0, &fields.token.0, &apm_name, &apm_mit];
        let existing = self
            .conn()
            .prepare_cached(
                "SELECT id, customer_id = ?1 AND brand = ?2 AND last4 = ?3 AND bin IS ?4 AND bank IS ?5
                        AND exp_year = ?6 AND exp_month = ?7 AND active = (?8 AND flagged_reason IS NULL)
                        AND needs_cvc = ?9 AND art_url IS ?10,
                        (?13 IS NULL OR (apm_name IS ?13 AND apm_merchant_initiated = ?14)),
                        initial_ref IS NULL
                 FROM cards WHERE merchant_id = ?11 AND token = ?12",
            )?
            .query_row(
                params_from_iter(display.iter().chain(&key)),
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, bool>(1)?, r.get::<_, bool>(2)?, r.get::<_, bool>(3)?)),
            )
            .optional()?;
        let synced_at = millis(now);
        let Some((id, same, same_method, no_initial)) = existing else {
            let initial: [&dyn ToSql; 2] = [&synced_at, &initial_ref.map(|r| r.0.as_str())];
            self.conn()
                .prepare_cached(
                    "INSERT INTO cards (customer_id, brand, last4, bin, bank, exp_year, exp_month, active,
                         needs_cvc, art_url, merchant_id, token, apm_name, apm_merchant_initiated,
                         synced_at, initial_ref, initial_at, initial_kind)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                         ?16, CASE WHEN ?16 IS NULL THEN NULL ELSE ?15 END,
                         CASE WHEN ?16 IS NULL THEN NULL ELSE 'recurring' END)",
                )?
                .execute(params_from_iter(display.iter().chain(&key).chain(&initial)))?;
            return Ok((CardId(self.conn().last_insert_rowid()), Upsert::Inserted));
        };
        let id = CardId(id);
        if !same {
            let row: [&dyn ToSql; 2] = [&synced_at, &id.0];
            self.conn()
                .prepare_cached(
                    "UPDATE cards SET customer_id = ?1, brand = ?2, last4 = ?3, bin = ?4, bank = ?5,
                         exp_year = ?6, exp_month = ?7, active = (?8 AND flagged_reason IS NULL),
                         needs_cvc = ?9, art_url = ?10, synced_at = ?11
                     WHERE id = ?12",
                )?
                .execute(params_from_iter(display.iter().chain(&row)))?;
        } else if touch == Touch::Always {
            self.conn()
                .prepare_cached("UPDATE cards SET synced_at = ?2 WHERE id = ?1")?
                .execute(params![id.0, synced_at])?;
        }
        if let (Some(method), false) = (method, same_method) {
            self.set_card_method(id, method)?;
        }
        if let (Some(reference), true) = (initial_ref, no_initial) {
            self.set_card_initial_if_missing(id, reference, now)?;
        }
        // Counted by the display fields, as a summary shows them.
        Ok((
            id,
            if same {
                Upsert::Unchanged
            } else {
                Upsert::Updated
            },
        ))
    }

    fn write_card_use(&self, card: CardId, usage: CardUse) -> StoreResult<()> {
        let changed = self
            .conn()
            .execute(
                "UPDATE cards SET use_state = ?2, use_changed_at = ?3 WHERE id = ?1",
                params![card.0, usage.as_str(), usage.since().map(millis)],
            )
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, Some(message))
                    if f.code == rusqlite::ErrorCode::ConstraintViolation
                        && message.contains("cannot be used again") =>
                {
                    StoreError::Conflict(message)
                }
                other => StoreError::from(other),
            })?;
        found(changed, card)
    }
}

fn found(changed: usize, card: CardId) -> StoreResult<()> {
    if changed == 0 {
        Err(StoreError::NotFound {
            what: format!("card {card}"),
        })
    } else {
        Ok(())
    }
}

/// Whether writing an unchanged card still records that it was seen (`synced_at`): an upsert
/// does (a later `deactivate_unseen_cards` reads it), a sync does not (it deactivates by the
/// cards it listed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Touch {
    Always,
    WhenChanged,
}

/// A payment method's columns: the APM's name (none for a card) and whether it takes
/// merchant-initiated charges.
fn apm_columns(method: &PaymentMethod) -> (Option<&str>, bool) {
    match method {
        PaymentMethod::Card => (None, false),
        PaymentMethod::Apm {
            name,
            merchant_initiated,
        } => (Some(name.as_str()), *merchant_initiated),
    }
}
