use coffer_core::{
    CardBrand, CardExpiry, CardToken, Currency, CustomerRef, EnrollmentMode, EnrollmentState,
    IdempotencyKey, Last4, Money, NewCustomer, Reason,
};
use coffer_store::cards::CardFields;
use coffer_store::customers::{CustomerFields, CustomerOrigin};
use coffer_store::enrollments::{NewEnrollment, Settled};
use coffer_store::repo::prelude::*;
use coffer_store::Store;

use crate::{at, clover_merchant};

fn new_enrollment(
    merchant: coffer_core::MerchantId,
    customer: Option<coffer_core::CustomerId>,
    order: &str,
) -> NewEnrollment {
    NewEnrollment {
        merchant_id: merchant,
        customer_id: customer,
        new_customer: customer.is_none().then(|| NewCustomer {
            name: "Anna".into(),
            email: Some("anna@example.com".into()),
            phone: None,
        }),
        mode: EnrollmentMode::Counter,
        order_id: order.into(),
        idempotency_key: IdempotencyKey(format!("key-{order}")),
        amount: Money::from_minor(100, Currency::EUR),
        reason: Reason::Recurring,
        terms: "Monthly 9.90 EUR until cancelled".into(),
        registered: None,
        contract: None,
        replaces_for: None,
        return_url: format!("https://coffer.invalid/enroll/{order}/return"),
        created_at: at(0),
        expires_at: at(1_800_000),
    }
}

fn a_card(
    store: &Store,
    merchant: coffer_core::MerchantId,
    customer: coffer_core::CustomerId,
) -> coffer_core::CardId {
    let fields = CardFields {
        token: CardToken("tok-enrolled".into()),
        brand: CardBrand::Visa,
        last4: Last4::new("4242").unwrap(),
        bin: None,
        bank: None,
        expiry: CardExpiry::new(2030, 12).unwrap(),
        active: true,
        needs_cvc: false,
        art_url: None,
    };
    store
        .upsert_card(merchant, customer, &fields, at(0))
        .unwrap()
        .0
}

#[test]
fn an_enrollment_round_trips_and_settles_exactly_once() {
    let store = Store::open_in_memory().unwrap();
    let m = store
        .insert_merchant(&clover_merchant("MIDENROLL0001"), at(0))
        .unwrap();
    let id = store
        .insert_enrollment(&new_enrollment(m.id, None, "CF1"))
        .unwrap();
    store
        .set_enrollment_page(id, Some("pending-1"), None, Some("<html></html>"))
        .unwrap();
    store
        .set_enrollment_returned(id, &[("token".into(), "clv_x".into())])
        .unwrap();
    let row = store.enrollment(id).unwrap();
    assert_eq!(row.state, EnrollmentState::Pending);
    assert_eq!(row.customer_id, None);
    assert_eq!(row.new_customer.as_ref().unwrap().name, "Anna");
    assert_eq!(row.pending_ref.as_deref(), Some("pending-1"));
    assert_eq!(row.page_html.as_deref(), Some("<html></html>"));
    assert_eq!(row.returned, Some(vec![("token".into(), "clv_x".into())]));
    assert_eq!(row.amount, Money::from_minor(100, Currency::EUR));
    assert_eq!(row.reason, Reason::Recurring);
    assert!(row.is_open(at(1)));
    assert!(!row.is_open(at(1_800_000)));

    let (customer, _) = store
        .upsert_customer(
            m.id,
            &CustomerFields {
                reference: CustomerRef("CUST-NEW".into()),
                name: "Anna".into(),
                email: None,
                phone: None,
                address: None,
            },
            CustomerOrigin::Sync,
            at(5),
        )
        .unwrap();
    let card = a_card(&store, m.id, customer);
    let confirmed = Settled::Confirmed {
        card,
        customer,
        contract: None,
        note: None,
    };
    assert!(store.settle_enrollment(id, &confirmed, at(10)).unwrap());
    // A second check racing the first finds it settled and changes nothing.
    assert!(!store.settle_enrollment(id, &confirmed, at(11)).unwrap());
    let ended = Settled::Ended {
        state: EnrollmentState::Cancelled,
        why: "late cancel".into(),
    };
    assert!(!store.settle_enrollment(id, &ended, at(12)).unwrap());
    let row = store.enrollment(id).unwrap();
    assert_eq!(row.state, EnrollmentState::Confirmed);
    assert_eq!(row.card_id, Some(card));
    assert_eq!(row.customer_id, Some(customer));
    assert_eq!(row.settled_at, Some(at(10)));
    assert_eq!(row.failure, None);
    // Only pending ones are listed unless settled ones are asked for.
    assert!(store.enrollments(&[], false, 10).unwrap().is_empty());
    assert_eq!(store.enrollments(&[m.id], true, 10).unwrap().len(), 1);
}

#[test]
fn an_order_id_is_used_once_per_merchant_and_an_ending_cannot_claim_a_card() {
    let store = Store::open_in_memory().unwrap();
    let m = store
        .insert_merchant(&clover_merchant("MIDENROLL0002"), at(0))
        .unwrap();
    let first = store
        .insert_enrollment(&new_enrollment(m.id, None, "CF2"))
        .unwrap();
    assert!(store
        .insert_enrollment(&new_enrollment(m.id, None, "CF2"))
        .is_err());
    let pending = Settled::Ended {
        state: EnrollmentState::Pending,
        why: "no".into(),
    };
    assert!(store.settle_enrollment(first, &pending, at(1)).is_err());
    let failed = Settled::Ended {
        state: EnrollmentState::Failed,
        why: "declined by the issuer".into(),
    };
    assert!(store.settle_enrollment(first, &failed, at(2)).unwrap());
    let row = store.enrollment(first).unwrap();
    assert_eq!(row.state, EnrollmentState::Failed);
    assert_eq!(row.failure.as_deref(), Some("declined by the issuer"));
}

#[test]
fn the_link_return_page_is_set_replaced_and_cleared() {
    let store = Store::open_in_memory().unwrap();
    let m = store
        .insert_merchant(&clover_merchant("MIDENROLL0003"), at(0))
        .unwrap();
    assert_eq!(store.link_return_page(m.id).unwrap(), None);
    store
        .set_link_return_page(m.id, Some("https://shop.example/thanks"))
        .unwrap();
    store
        .set_link_return_page(m.id, Some("https://shop.example/done"))
        .unwrap();
    assert_eq!(
        store.link_return_page(m.id).unwrap().as_deref(),
        Some("https://shop.example/done")
    );
    store.set_link_return_page(m.id, None).unwrap();
    assert_eq!(store.link_return_page(m.id).unwrap(), None);
}
