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
        assert!(
            coffer_core::providers::rules(rig.client.kind())
                .capabilities
                .deletes_saved_cards,
            "core's provider facts (what the app offers) agree with the client"
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
    async fn apm_tokens_are_listed_with_their_method_and_only_the_chargeable_one_takes_an_mit() {
        let rig = Rig::start(12).await;
        let page = rig.client.list_customers(None, 100).await.unwrap();
        let mut apms = Vec::new();
        for c in &page.items {
            for card in rig.client.cards_of(&c.reference).await.unwrap() {
                if card.method != StoredMethod::Card {
                    apms.push((c.reference.clone(), card));
                }
            }
        }
        apms.sort_by_key(|(_, card)| format!("{:?}", card.method));
        let listed: Vec<_> = apms
            .iter()
            .map(|(_, c)| (c.method.clone(), c.merchant_initiated, c.active))
            .collect();
        let apm = |name: &str| StoredMethod::Apm { name: name.into() };
        assert_eq!(
            listed,
            [(apm("Klarna"), true, true), (apm("PayPal"), false, false)],
            "named from the expanded gateway configuration; open to MITs as is_chargeable says"
        );
        assert!(
            apms.iter().all(|(_, c)| c.last4.is_empty()),
            "no card digits"
        );

        let (customer, klarna) = &apms[0];
        let outcome = rig
            .client
            .charge(&mit(customer, klarna, 1250, "k-apm-mit"))
            .await
            .expect("ProcessOut charges the chargeable APM token without the customer");
        assert_eq!(outcome.status, coffer_providers::RemoteStatus::Succeeded);
        let ledger = rig.ledger().await;
        let charged = crate::processout::charges_with_key(&ledger, "k-apm-mit");
        assert_eq!(charged.len(), 1, "one charge reached the sandbox");
        assert_eq!(charged[0]["card_token"], klarna.token.0.as_str());
        assert_eq!(charged[0]["stored_credential"]["initiation_type"], "mit");
        assert_eq!(
            charged[0]["warnings"],
            serde_json::json!([]),
            "an APM token has no card network link to miss"
        );

        let (customer, paypal) = &apms[1];
        let refused = rig
            .client
            .charge(&mit(customer, paypal, 1250, "k-apm-paypal"))
            .await
            .expect_err("the non-chargeable APM token is refused at the wire");
        assert_eq!(
            refused.provider_code.as_deref(),
            Some("request.source.not-chargeable"),
            "{refused:?}"
        );
        assert!(
            matches!(refused.kind, ProviderErrorKind::InvalidRequest { .. }),
            "{refused:?}"
        );
        assert!(
            crate::processout::charges_with_key(&rig.ledger().await, "k-apm-paypal").is_empty(),
            "nothing was charged"
        );
    }
}

mod clover {
    use super::*;
    use crate::clover::{request, unscheduled_mit, Env};

    #[tokio::test]
    async fn an_imported_card_is_found_on_its_customer_and_on_no_other() {
        let env = Env::start().await;
        let client = env.client(0);
        let (customer, token, _) = env.seeded_initial(0).await;
        let seen = client.check_card_on_file(&customer, &token).await.unwrap();
        assert!(
            matches!(&seen, CardOnFile::Found(card) if card.token == token && card.last4.len() == 4),
            "the multi-pay token with its display fields: {seen:?}"
        );
        let (other, _, _) = env.seeded_initial(3).await;
        assert_ne!(other, customer);
        assert_eq!(
            client.check_card_on_file(&other, &token).await.unwrap(),
            CardOnFile::NotFound,
            "not in another customer's cards"
        );
        assert_eq!(
            client
                .check_card_on_file(&customer, &CardToken("clv_1TSTSnosuchtoken".into()))
                .await
                .unwrap(),
            CardOnFile::NotFound
        );
    }

    #[tokio::test]
    async fn a_seeded_initial_is_found_by_its_ref_num_with_its_card() {
        let env = Env::start().await;
        let client = env.client(0);
        let (customer, token, ref_num) = env.seeded_initial(0).await;
        let seen = client
            .check_initial(&initial(&customer, &token, &ref_num))
            .await
            .unwrap();
        let InitialSeen::Succeeded(found) = seen else {
            panic!("the seeded FIRST charge is found: {seen:?}");
        };
        assert_eq!(found.card, Match::Same, "paid with the imported token");
        assert_ne!(
            found.customer,
            Match::NotShown,
            "the charge names its customer"
        );
        assert!(found.card_seen.is_some(), "the source's display fields");
        let (other, other_token, _) = env.seeded_initial(3).await;
        assert_eq!(
            client
                .check_initial(&initial(&other, &other_token, &ref_num))
                .await
                .unwrap(),
            InitialSeen::NotFound,
            "another customer's charges do not hold it"
        );
    }

    /// A declined Clover charge carries no `ref_num` (the sandbox gives one to approvals only,
    /// as Clover's documented answers show it), so an import's `ref_num` can only name a made
    /// charge or none; a failed charge found by `ref_num` is covered by the client's unit test
    /// (`clover::holdings::tests`).
    #[tokio::test]
    async fn an_unknown_ref_num_is_not_found_and_a_declined_charge_has_none() {
        let env = Env::start().await;
        let client = env.client(0);
        let (customer, token) = env.card(0).await;
        let e = client
            .charge(&request(
                &customer,
                &token,
                unscheduled_mit(),
                "HOLD-FAIL",
                2500,
            ))
            .await
            .unwrap_err();
        let id = e.provider_ref.clone().expect("a decline names its charge");
        let charge = env.charge_object(id.as_str()).await;
        assert!(
            charge["ref_num"].is_null(),
            "no ref_num on a decline: {charge}"
        );
        assert_eq!(
            client
                .check_initial(&initial(&customer, &token, "999999999999"))
                .await
                .unwrap(),
            InitialSeen::NotFound
        );
    }

    #[tokio::test]
    async fn a_revoked_card_is_gone_from_the_listing_and_refused_on_charge() {
        let env = Env::start().await;
        let client = env.client(0);
        assert_eq!(
            client.capabilities().card_revocation,
            CardRevocation::AtProvider
        );
        assert!(
            coffer_core::providers::rules(client.kind())
                .capabilities
                .deletes_saved_cards,
            "core's provider facts (what the app offers) agree with the client"
        );
        let (customer, token) = env.card(env.usable(true, 0)).await;
        assert_eq!(
            client.revoke_card(&customer, &token).await.unwrap(),
            Revoked::Deleted
        );
        assert!(
            client
                .cards_of(&customer)
                .await
                .unwrap()
                .iter()
                .all(|c| c.token != token),
            "a revoked card is not listed"
        );
        let e = client
            .charge(&request(
                &customer,
                &token,
                unscheduled_mit(),
                "HOLD-GONE",
                2500,
            ))
            .await
            .unwrap_err();
        assert!(
            matches!(e.kind, ProviderErrorKind::InvalidRequest { .. }),
            "Clover refuses the revoked source: {e}"
        );
        assert_eq!(
            client.revoke_card(&customer, &token).await.unwrap(),
            Revoked::AlreadyGone
        );
    }
}

mod assist_and_svea {
    use super::*;

    #[tokio::test]
    async fn neither_offers_a_card_delete_and_revoking_sends_nothing() {
        let assist = <crate::assist::Fixture as crate::battery::Harness>::start().await;
        let svea = <crate::svea::Setup as crate::battery::Harness>::start().await;
        for client in [
            crate::battery::Harness::client(&assist),
            crate::battery::Harness::client(&svea),
        ] {
            assert_eq!(
                client.capabilities().card_revocation,
                CardRevocation::NotOffered,
                "{}",
                client.kind()
            );
            assert!(
                !coffer_core::providers::rules(client.kind())
                    .capabilities
                    .deletes_saved_cards,
                "{}: core's provider facts (what the app offers) agree with the client",
                client.kind()
            );
            let e = client
                .revoke_card(&CustomerRef("C1".into()), &CardToken("t".into()))
                .await
                .unwrap_err();
            assert_eq!(e.kind, ProviderErrorKind::Unsupported, "{}", client.kind());
        }
    }

    #[tokio::test]
    async fn svea_cannot_look_a_card_up_and_an_unknown_pmt_id_is_not_found() {
        let svea = <crate::svea::Setup as crate::battery::Harness>::start().await;
        let client = crate::battery::Harness::client(&svea);
        let customer = CustomerRef("C1".into());
        let token = CardToken("7b3c9e2a1f4d4c8e9a6b2d5e8f1a0c37".into());
        assert!(matches!(
            client.check_card_on_file(&customer, &token).await.unwrap(),
            CardOnFile::CannotLook { .. }
        ));
        assert_eq!(
            client
                .check_initial(&initial(&customer, &token, "NOSUCHPMT0000001"))
                .await
                .unwrap(),
            InitialSeen::NotFound
        );
    }
}

mod svea {
    use super::*;

    #[tokio::test]
    async fn a_seeded_tokenizing_payment_is_a_succeeded_initial_with_its_card_and_limit() {
        let svea = <crate::svea::Setup as crate::battery::Harness>::start().await;
        let client = crate::battery::Harness::client(&svea);
        let (token, pmt_id, original) = svea.card("approve").await;
        let customer = CustomerRef("C1".into());
        let seen = client
            .check_initial(&initial(&customer, &CardToken(token.clone()), &pmt_id))
            .await
            .unwrap();
        let InitialSeen::Succeeded(found) = seen else {
            panic!("the seeded tokenization is found: {seen:?}");
        };
        assert_eq!(found.amount.shown(), Some(&original), "the original amount");
        assert!(
            !matches!(found.card, Match::Different(_)),
            "the token it made is the imported one"
        );
        assert!(found.card_seen.is_some(), "the status query's card fields");
        assert_eq!(found.customer, Match::NotShown, "Svea has no customers");
        let other = client
            .check_initial(&initial(
                &customer,
                &CardToken("00000000000000000000000000000000".into()),
                &pmt_id,
            ))
            .await
            .unwrap();
        assert!(
            matches!(&other, InitialSeen::Succeeded(f) if matches!(f.card, Match::Different(_))),
            "another token is shown as different: {other:?}"
        );
    }
}

mod assist {
    use super::*;

    #[tokio::test]
    async fn a_one_click_card_is_found_on_its_customer_and_its_initial_order_by_number() {
        let f = crate::assist::fixture().await;
        let client = crate::battery::Harness::client(&f);
        let c = f.good_customer().await;
        let customer = CustomerRef::from(c["customer_number"].as_str().unwrap());
        let token = CardToken(c["cards"][0]["token"].as_str().unwrap().into());
        let seen = client.check_card_on_file(&customer, &token).await.unwrap();
        assert!(
            matches!(&seen, CardOnFile::Found(card) if card.token == token),
            "listed by token.cfm: {seen:?}"
        );
        let other = f.good_customer_after(&c).await;
        let other = CustomerRef::from(other["customer_number"].as_str().unwrap());
        assert_eq!(
            client.check_card_on_file(&other, &token).await.unwrap(),
            CardOnFile::NotFound,
            "not in another customer's listing"
        );
        let order = c["cards"][0]["initial_ordernumber"].as_str().unwrap();
        let billnumber = c["cards"][0]["initial_billnumber"].as_str().unwrap();
        let seen = client
            .check_initial(&initial(&customer, &token, order))
            .await
            .unwrap();
        let InitialSeen::Succeeded(found) = seen else {
            panic!("the seeded initial order is found: {seen:?}");
        };
        assert_eq!(
            found.reference.as_str(),
            billnumber,
            "the billnumber rp.cfm links to"
        );
        assert_eq!(
            found.customer,
            Match::NotShown,
            "orderresult names no customer"
        );
        assert_eq!(
            found.agreement,
            coffer_providers::Seen::NotShown,
            "the Recurring* limits are taken as given"
        );
        let dated = InitialRef {
            date: Some(chrono::Utc::now().date_naive()),
            ..initial(&customer, &token, "NO-SUCH-ORDER")
        };
        assert_eq!(
            client.check_initial(&dated).await.unwrap(),
            InitialSeen::NotFound,
            "an order number Assist does not have in the window"
        );
    }
}
