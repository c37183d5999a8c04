//! Finding a charge whose answer was lost: the customer's transactions first, then the project's
//! invoices made since it was sent (an invoice whose capture never happened has no transaction).

use super::*;

impl ProcessOutClient {
    /// Finds the customer's transaction whose invoice carries `order_id`, walking the
    /// customer's transactions newest first (a customer has few) to the end.
    pub(super) async fn search(
        &self,
        lookup: &ChargeLookup,
    ) -> Result<Option<wire::Transaction>, ProviderError> {
        let mut cursor: Option<String> = None;
        for _ in 0..LOOKUP_PAGE_LIMIT {
            let mut call = Call::get(format!(
                "/customers/{}/transactions",
                convert::segment(lookup.customer.as_str())
            ))
            .query("limit", PAGE_SIZE);
            if let Some(c) = &cursor {
                call = call.query("start_after", c);
            }
            let page: wire::TransactionList = match self.call(call).await {
                Ok(page) => page,
                // No such customer: the invoice search still decides.
                Err(e) if e.kind == ProviderErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e),
            };
            let last = page.transactions.last().map(|t| t.id.clone());
            for t in page.transactions {
                let same_amount =
                    convert::amount_from_wire(&t.amount, &t.currency).ok() == Some(lookup.amount);
                let Some(invoice_id) = t.invoice_id.as_deref().filter(|_| same_amount) else {
                    continue;
                };
                let invoice = self.invoice(invoice_id).await?;
                if is_the_charge(&invoice, lookup) {
                    return Ok(Some(t));
                }
            }
            if !page.has_more {
                return Ok(None);
            }
            cursor = Some(next_cursor(&cursor, last, "transaction")?);
        }
        Err(too_many_pages("transactions"))
    }

    /// Finds the invoice of the charge among the project's invoices made since `lookup.sent_at`
    /// (less [`crate::LOOKUP_MARGIN`]), newest first: an invoice whose capture never happened
    /// has no transaction to find, yet a resend under the same keys would reuse it.
    pub(super) async fn search_invoices(
        &self,
        lookup: &ChargeLookup,
    ) -> Result<Option<wire::Invoice>, ProviderError> {
        let since = lookup.sent_at - crate::LOOKUP_MARGIN;
        let mut cursor: Option<String> = None;
        for _ in 0..LOOKUP_PAGE_LIMIT {
            let mut call = Call::get("/invoices".into())
                .query("limit", PAGE_SIZE)
                .query("order", "desc");
            if let Some(c) = &cursor {
                call = call.query("start_after", c);
            }
            let page: wire::InvoiceList = self.call(call).await?;
            let last = page.invoices.last().map(|i| i.id.clone());
            let mut reached_back = false;
            for invoice in page.invoices {
                if let Some(at) = invoice.created_at.as_deref() {
                    reached_back |= convert::time_from_wire(at)? < since;
                }
                if is_the_charge(&invoice, lookup) {
                    return Ok(Some(invoice));
                }
            }
            if !page.has_more || reached_back {
                return Ok(None);
            }
            cursor = Some(next_cursor(&cursor, last, "invoice")?);
        }
        Err(too_many_pages("invoices"))
    }
}

/// The cursor of the next page: the last id of this one, which must move.
fn next_cursor(
    cursor: &Option<String>,
    last: Option<String>,
    what: &str,
) -> Result<String, ProviderError> {
    match last {
        Some(id) if cursor.as_deref() != Some(id.as_str()) => Ok(id),
        _ => Err(ProviderError::malformed(format!(
            "ProcessOut's {what} list says it has more but its cursor does not move"
        ))),
    }
}

fn too_many_pages(what: &str) -> ProviderError {
    ProviderError::new(
        ProviderErrorKind::Unavailable,
        format!(
            "ProcessOut's {what} did not end within {LOOKUP_PAGE_LIMIT} pages; the charge was \
             neither found nor ruled out"
        ),
    )
}
