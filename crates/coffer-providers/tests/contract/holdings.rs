//! Issue 24 against the sandboxes: checking an imported card and its initial
//! (`check_card_on_file`, `check_initial`), deleting a saved card (`revoke_card`), and
//! ProcessOut's APM tokens in `cards_of`. Per provider, since what each can confirm differs
//! (`coffer_providers::holdings` and each client's `holdings.rs` say what and from where).

use coffer_core::{CardToken, CustomerRef, ProviderRef};
use coffer_providers::{
    CardOnFile, CardRevocation, InitialRef, InitialSeen, Match, ProviderErrorKind, Revoked,
    StoredMethod,
};

fn initial(customer: &CustomerRef, token: &CardToken, reference: &str) -> InitialRef {
    InitialRef {
        customer: customer.clone(),
        card_token: token.clone(),
        reference: ProviderRef(reference.into()),
        date: None,
        amount: None,
    }
}

mod processout {
    use super::*;
    use crate::processout::{mit, Rig};

    #[tokio::test]
    async fn an_imported_card_is_found_on_its_customer_and_on_no_other() {
        let rig = Rig::start(12).await;
        let (customer, card) = rig.approving(true).await;
        let seen = rig
            .client
            .check_card_on_file(&customer, &card.token)
            .await
            .unwrap();
        assert_eq!(
            seen,
            CardOnFile::Found(card.clone()),
            "the token with its display fields"
        );
        let (other, _) = rig.special("Soft-Decline").await;
        assert_eq!(
            rig.client
                .check_card_on_file(&other, &card.token)
                .await
                .unwrap(),
            CardOnFile::NotFound,
            "ProcessOut answers a foreign token as not found"
        );
        assert_eq!(
            rig.client
                .check_card_on_file(&customer, &CardToken("tok_nope".into()))
                .await
                .unwrap(),
            CardOnFile::NotFound,
            "an unknown token"
        );
        assert_eq!(
            rig.client
                .check_card_on_file(&CustomerRef("cust_nope".into()), &card.token)
                .await
                .unwrap(),
            CardOnFile::NoSuchCustomer,
            "an unknown customer"
        );
    }

    #[tokio::test]
    async fn an_initial_is_found_by_its_scheme_id_with_its_card_and_customer() {
        let rig = Rig::start(12).await;
        let (customer, card) = rig.approving(true).await;
        let scheme = card.initial_ref.clone().unwrap();
        let seen = rig
            .client
            .check_initial(&initial(&customer, &card.token, scheme.as_str()))
            .await
            .unwrap();
        let InitialSeen::Succeeded(found) = seen else {
            panic!("the seeded initial CIT is found: {seen:?}");
        };
        assert_eq!(found.card, Match::Same, "it used the imported token");
        assert_eq!(found.customer, Match::Same, "of the imported customer");
        assert!(found.amount.shown().is_some(), "its amount is shown");
        let (other, other_card) = rig.approving_other().await;
        let seen = rig
            .client
            .check_initial(&initial(&other, &other_card.token, scheme.as_str()))
            .await
            .unwrap();
        assert!(
            matches!(seen, InitialSeen::CannotLook { .. }),
            "a scheme id not among the customer's transactions is the network's: taken as given, never found or not found: {seen:?}"
        );
        let seen = rig
            .client
            .check_initial(&initial(&customer, &card.token, "tr_nope"))
            .await
            .unwrap();
        assert_eq!(seen, InitialSeen::NotFound, "an unknown tr_ is not found");
    }

    #[tokio::test]
    async fn a_declined_initial_is_failed() {
        let rig = Rig::start(12).await;
        let (customer, card) = rig.special("Soft-Decline").await;
        let e = rig
            .client
            .charge(&mit(&customer, &card, 1000, "HOLD-FAIL"))
            .await
            .unwrap_err();
        let reference = e
            .provider_ref
            .clone()
            .expect("a decline names its transaction");
        let seen = rig
            .client
            .check_initial(&initial(&customer, &card.token, reference.as_str()))
            .await
            .unwrap();
        assert!(
            matches!(seen, InitialSeen::Failed { .. }),
            "the declined transaction is a failed initial: {seen:?}"
        );
    }

    #[tokio::test]
    async fn a_deleted_token_is_gone_from_the_listing_and_refused_on_charge() {
        let rig = Rig::start(12).await;
        assert_eq!(
            rig.client.capabilities().card_revocation,
            CardRevocation::AtProvider
        );
        let (customer, card) = rig.approving(true).await;
        assert_eq!(
            rig.client
                .revoke_card(&customer, &card.token)
                .await
                .unwrap(),
            Revoked::Deleted
        );
        let cards = rig.client.cards_of(&customer).await.unwrap();
        assert!(
            cards.iter().all(|c| c.token != card.token),
            "a deleted token is not listed"
        );
        let e = rig
            .client
            .charge(&mit(&customer, &card, 1000, "HOLD-GONE"))
            .await
            .unwrap_err();
        assert_eq!(
            e.provider_code.as_deref(),
            Some("resource.token.not-found"),
            "ProcessOut's own refusal: {e}"
        );
        assert_eq!(
            rig.client
                .revoke_card(&customer, &card.token)
                .await
                .unwrap(),
            Revoked::AlreadyGone,
            "deleting again deletes nothing"
        );
        assert_eq!(
            rig.client
                .check_card_on_file(&customer, &card.token)
                .await
                .unwrap(),
            CardOnFile::NotFound
        );
    }

    #[tokio::test]
    async fn an_apm_token_is_listed_with_its_method_and_not_open_to_mits() {
        let rig = Rig::start(12).await;
        let page = rig.client.list_customers(None, 100).await.unwrap();
        let mut apms = Vec::new();
        for c in &page.items {
            for card in rig.client.cards_of(&c.reference).await.unwrap() {
                if card.method != StoredMethod::Card {
                    apms.push(card);
                }
            }
        }
        assert_eq!(apms.len(), 1, "the seed has one APM token");
        let apm = &apms[0];
        assert_eq!(
            apm.method,
            StoredMethod::Apm {
                name: "PayPal".into()
            },
            "named from the expanded gateway configuration"
        );
        assert!(apm.last4.is_empty(), "no card digits");
        assert!(
            !apm.merchant_initiated && !apm.active,
            "the sandbox's APM token is not chargeable (is_chargeable false)"
        );
    }
}
