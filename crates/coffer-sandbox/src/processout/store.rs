//! Where a project's customers, invoices and transactions are found: the seed's, generated on
//! demand (`seeding.rs`) and overlaid by the copies the API changed, then the ones made at run
//! time. Each listing is one sequence of positions in creation order: the seeded customers at
//! `0..seeded`, the seeded initial CITs at their card serials (`0..4 × seeded`, some slots
//! empty), the run-time objects after them. A page reads only the positions it shows.

use std::borrow::Cow;

use super::seeding::card_serial;
use super::state::{Customer, Invoice, Project, Transaction};
use crate::faults::Horizon;

impl Project {
    /// Positions of the customer listing: the seeded ones, then the created ones.
    pub fn customer_slots(&self) -> usize {
        self.seeded_count() + self.customers.len()
    }

    /// How many customers exist.
    pub fn customer_total(&self) -> usize {
        self.seeded_count() - self.deleted_customers.len() + self.customers.len()
    }

    /// The customer at a listing position; `None` for a deleted seeded one.
    pub fn customer_at(&self, position: usize) -> Option<Cow<'_, Customer>> {
        let seeded = self.seeded_count();
        if position >= seeded {
            return self.customers.get(position - seeded).map(Cow::Borrowed);
        }
        if self.deleted_customers.contains(&position) {
            return None;
        }
        match self.changed_customers.get(&position) {
            Some(c) => Some(Cow::Borrowed(c)),
            None => self.seeded_customer(position).map(Cow::Owned),
        }
    }

    /// The listing position of a live customer. A created customer may reuse the id of a
    /// deleted seeded one, so the created ones are looked up first.
    pub fn customer_position(&self, id: &str) -> Option<usize> {
        if let Some(&i) = self.customer_index.get(id) {
            return Some(self.seeded_count() + i);
        }
        self.parse_seeded_customer(id)
            .filter(|i| !self.deleted_customers.contains(i))
    }

    pub fn customer(&self, id: &str) -> Option<Cow<'_, Customer>> {
        self.customer_position(id).and_then(|p| self.customer_at(p))
    }

    /// A customer for changing: a seeded one is copied out of the seed on its first change.
    pub fn customer_mut(&mut self, id: &str) -> Option<&mut Customer> {
        let position = self.customer_position(id)?;
        let seeded = self.seeded_count();
        if position >= seeded {
            return self.customers.get_mut(position - seeded);
        }
        if !self.changed_customers.contains_key(&position) {
            let generated = self.seeded_customer(position)?;
            self.changed_customers.insert(position, generated);
        }
        self.changed_customers.get_mut(&position)
    }

    pub fn push_customer(&mut self, customer: Customer) {
        self.customer_index
            .insert(customer.id.clone(), self.customers.len());
        self.customers.push(customer);
    }

    /// Removes a customer and its tokens for good.
    pub fn remove_customer(&mut self, id: &str) -> bool {
        let Some(position) = self.customer_position(id) else {
            return false;
        };
        let seeded = self.seeded_count();
        if position < seeded {
            self.changed_customers.remove(&position);
            self.deleted_customers.insert(position);
            return true;
        }
        self.customers.remove(position - seeded);
        self.customer_index = self
            .customers
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.clone(), i))
            .collect();
        true
    }

    /// The customer holding token `token_id`: a seeded token names its owner; a token made at
    /// run time sits on a created or a changed seeded customer, the only ones scanned.
    pub fn token_owner(&self, token_id: &str) -> Option<Cow<'_, Customer>> {
        let holds = |c: &Customer| c.tokens.iter().any(|t| t.id == token_id);
        if let Some(c) = self
            .parse_seeded_token(token_id)
            .and_then(|i| self.customer_at(i))
            .filter(|c| holds(c))
        {
            return Some(c);
        }
        self.changed_customers
            .values()
            .chain(&self.customers)
            .find(|c| holds(c))
            .map(Cow::Borrowed)
    }

    /// Positions of the invoice and transaction listings: the seed's card slots, then the
    /// run-time ones.
    pub fn initial_slots(&self) -> usize {
        self.seeded_count() * 4
    }

    pub fn invoice_slots(&self) -> usize {
        self.initial_slots() + self.invoices.len()
    }

    pub fn invoice_at(&self, position: usize) -> Option<Cow<'_, Invoice>> {
        let slots = self.initial_slots();
        if position >= slots {
            return self.invoices.get(position - slots).map(Cow::Borrowed);
        }
        let serial = position as u64;
        match self.changed_invoices.get(&serial) {
            Some(i) => Some(Cow::Borrowed(i)),
            None => self.seeded_initial(serial).map(|(i, _)| Cow::Owned(i)),
        }
    }

    pub fn invoice_position(&self, id: &str) -> Option<usize> {
        if let Some(&i) = self.invoice_index.get(id) {
            return Some(self.initial_slots() + i);
        }
        let serial = self.parse_seeded_invoice(id)?;
        let position = usize::try_from(serial).ok()?;
        self.invoice_at(position).is_some().then_some(position)
    }

    pub fn invoice(&self, id: &str) -> Option<Cow<'_, Invoice>> {
        self.invoice_position(id).and_then(|p| self.invoice_at(p))
    }

    /// An invoice for changing: a seeded one is copied out of the seed on its first change.
    pub fn invoice_mut(&mut self, id: &str) -> Option<&mut Invoice> {
        let position = self.invoice_position(id)?;
        let slots = self.initial_slots();
        if position >= slots {
            return self.invoices.get_mut(position - slots);
        }
        let serial = position as u64;
        if !self.changed_invoices.contains_key(&serial) {
            let (invoice, _) = self.seeded_initial(serial)?;
            self.changed_invoices.insert(serial, invoice);
        }
        self.changed_invoices.get_mut(&serial)
    }

    pub fn push_invoice(&mut self, invoice: Invoice) {
        self.invoice_index
            .insert(invoice.id.clone(), self.invoices.len());
        self.invoices.push(invoice);
    }

    pub fn transaction_slots(&self) -> usize {
        self.initial_slots() + self.transactions.len()
    }

    pub fn transaction_at(&self, position: usize) -> Option<Cow<'_, Transaction>> {
        let slots = self.initial_slots();
        if position >= slots {
            return self.transactions.get(position - slots).map(Cow::Borrowed);
        }
        let serial = position as u64;
        match self.changed_transactions.get(&serial) {
            Some(t) => Some(Cow::Borrowed(t)),
            None => self.seeded_initial(serial).map(|(_, t)| Cow::Owned(t)),
        }
    }

    pub fn transaction_position(&self, id: &str) -> Option<usize> {
        if let Some(&i) = self.transaction_index.get(id) {
            return Some(self.initial_slots() + i);
        }
        let serial = self.parse_seeded_transaction(id)?;
        let position = usize::try_from(serial).ok()?;
        self.transaction_at(position).is_some().then_some(position)
    }

    pub fn transaction(&self, id: &str) -> Option<Cow<'_, Transaction>> {
        self.transaction_position(id)
            .and_then(|p| self.transaction_at(p))
    }

    /// A transaction for changing: a seeded one is copied out of the seed on its first change.
    pub fn transaction_mut(&mut self, id: &str) -> Option<&mut Transaction> {
        let position = self.transaction_position(id)?;
        let slots = self.initial_slots();
        if position >= slots {
            return self.transactions.get_mut(position - slots);
        }
        let serial = position as u64;
        if !self.changed_transactions.contains_key(&serial) {
            let (_, transaction) = self.seeded_initial(serial)?;
            self.changed_transactions.insert(serial, transaction);
        }
        self.changed_transactions.get_mut(&serial)
    }

    pub fn push_transaction(&mut self, transaction: Transaction) {
        let position = self.transactions.len();
        self.transaction_index
            .insert(transaction.id.clone(), position);
        if let Some(customer) = &transaction.customer_id {
            self.customer_transactions
                .entry(customer.clone())
                .or_default()
                .push(position);
        }
        if let Some(scheme) = &transaction.scheme_id {
            self.scheme_ids.insert(scheme.clone());
        }
        self.transactions.push(transaction);
    }

    /// Records what a payment attempt changed on a run-time transaction: its customer (when
    /// the invoice had none) and its new scheme id.
    pub fn note_payment(
        &mut self,
        transaction_id: &str,
        newly_linked_customer: Option<&str>,
        scheme_id: Option<&str>,
    ) {
        if let (Some(customer), Some(&position)) = (
            newly_linked_customer,
            self.transaction_index.get(transaction_id),
        ) {
            self.customer_transactions
                .entry(customer.to_string())
                .or_default()
                .push(position);
        }
        if let Some(scheme) = scheme_id {
            self.scheme_ids.insert(scheme.to_string());
        }
    }

    /// The customer's transactions, oldest first: a seeded customer's initial CITs, then
    /// those made at run time.
    pub fn transactions_of(&self, customer_id: &str) -> Vec<Cow<'_, Transaction>> {
        let mut all = Vec::new();
        if let Some(index) = self
            .customer_position(customer_id)
            .filter(|&p| p < self.seeded_count())
        {
            all.extend((0..3).filter_map(|n| self.transaction_at(card_serial(index, n) as usize)));
        }
        if let Some(positions) = self.customer_transactions.get(customer_id) {
            all.extend(
                positions
                    .iter()
                    .filter_map(|&i| self.transactions.get(i))
                    .map(Cow::Borrowed),
            );
        }
        all
    }

    /// Whether some transaction of the project carries this scheme id (an MIT's link target).
    pub fn knows_scheme_id(&self, scheme_id: &str) -> bool {
        self.scheme_ids.contains(scheme_id) || self.is_seeded_scheme_id(scheme_id)
    }
}

impl Transaction {
    /// [`Transaction::as_seen`] of a transaction found on demand, borrowed or generated.
    pub fn seen(this: Cow<'_, Transaction>, horizon: Horizon) -> Option<Cow<'_, Transaction>> {
        match this {
            Cow::Borrowed(t) => t.as_seen(horizon),
            Cow::Owned(t) => t.as_seen(horizon).map(|t| Cow::Owned(t.into_owned())),
        }
    }
}
