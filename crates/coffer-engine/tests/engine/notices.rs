//! Notices as real e-mails: the .eml outbox by default, SMTP when the merchant has settings.

use std::sync::{Arc, Mutex};

use coffer_engine::notices::SmtpInput;
use coffer_store::repo::prelude::*;
use mail_parser::MessageParser;
use secrecy::SecretString;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::*;

fn parse(bytes: &[u8]) -> (String, String, String) {
    let message = MessageParser::default()
        .parse(bytes)
        .expect("the notice is a parseable e-mail");
    assert_eq!(message.text_body.len(), 1, "one text part");
    assert_eq!(message.html_body.len(), 1, "one HTML part");
    let text = message.body_text(0).expect("a text body").to_string();
    let html = message.body_html(0).expect("an HTML body").to_string();
    assert!(
        !message.attachments.iter().any(|_| true),
        "no attachments, only the two alternatives"
    );
    (
        message.subject().unwrap_or_default().to_string(),
        text,
        html,
    )
}

#[tokio::test]
async fn confirmation_and_pre_charge_notices_carry_what_the_seed_requires() {
    let world = World::new().await;
    let card = &world.cards("Svea Demo Helsinki", None, 1).await[0];
    let due = due_soon();
    let view = monthly(&world.engine, card.id, "7.50", due).await;
    assert_eq!(view.notices_sent.len(), 1, "{view:?}");
    let path = &view.notices_sent[0].location;
    assert!(path.ends_with(".eml"), "{path}");
    assert!(
        path.starts_with(&world.engine.outbox_dir().display().to_string()),
        "written to the outbox in the data dir: {path}"
    );
    let (subject, text, html) = parse(&std::fs::read(path).unwrap());
    assert!(subject.contains("recurring charging of card"), "{subject}");
    for needed in [
        "recurring charging of card",
        "7.50 EUR",
        "every month on day",
        "Contract valid: from",
        "the amount is fixed",
    ] {
        assert!(
            text.contains(needed),
            "the text part says '{needed}':\n{text}"
        );
        assert!(
            html.contains(needed),
            "the HTML part says '{needed}':\n{html}"
        );
    }
    let run = run_on(&world, today()).await;
    let pre = run
        .notices
        .iter()
        .find_map(|n| n.sent.as_ref())
        .expect("the pre-charge notice went out");
    assert_eq!(pre.occurrence, Some(1));
    let (subject, text, html) = parse(&std::fs::read(&pre.location).unwrap());
    assert!(subject.contains("7.50 EUR"), "{subject}");
    assert!(subject.contains(&due.to_string()), "{subject}");
    for needed in ["7.50 EUR", &due.to_string(), "recurring charging of card"] {
        assert!(text.contains(needed), "the text says '{needed}':\n{text}");
        assert!(html.contains(needed), "the HTML says '{needed}'");
    }
    let occurrence = world
        .store()
        .occurrence(view.contract.id, 1)
        .unwrap()
        .unwrap();
    assert!(
        occurrence.notice_sent_at.is_some(),
        "recorded on its occurrence"
    );
    let record = world
        .store()
        .notice_record(view.contract.id, 1)
        .unwrap()
        .unwrap();
    assert_eq!(record.due, due);
    assert_eq!(record.amount.to_string(), "7.50 EUR");
    // A second run does not notify again.
    let again = run_on(&world, today()).await;
    assert!(again.notices.is_empty(), "{:?}", again.notices);
}

/// A tiny SMTP server: accepts every message and keeps its DATA.
async fn smtp_server() -> (u16, Arc<Mutex<Vec<String>>>, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let messages = Arc::new(Mutex::new(Vec::new()));
    let commands = Arc::new(Mutex::new(Vec::new()));
    let (kept, seen) = (messages.clone(), commands.clone());
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let (kept, seen) = (kept.clone(), seen.clone());
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write
                    .write_all(b"220 localhost ESMTP test\r\n")
                    .await
                    .unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    seen.lock().unwrap().push(line.clone());
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") {
                        b"250-localhost\r\n250 AUTH PLAIN LOGIN\r\n"
                    } else if upper.starts_with("AUTH") {
                        b"235 2.7.0 Authentication successful\r\n"
                    } else if upper.starts_with("DATA") {
                        write.write_all(b"354 go ahead\r\n").await.unwrap();
                        let mut data = String::new();
                        while let Ok(Some(line)) = lines.next_line().await {
                            if line == "." {
                                break;
                            }
                            data.push_str(&line);
                            data.push_str("\r\n");
                        }
                        kept.lock().unwrap().push(data);
                        b"250 2.0.0 queued\r\n"
                    } else if upper.starts_with("QUIT") {
                        write.write_all(b"221 bye\r\n").await.unwrap();
                        return;
                    } else {
                        b"250 ok\r\n"
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, messages, commands)
}

fn smtp_input(port: u16, security: &str, username: Option<&str>) -> SmtpInput {
    SmtpInput {
        host: "127.0.0.1".into(),
        port,
        security: security.into(),
        username: username.map(str::to_string),
        from_address: "shop@example.com".into(),
    }
}

#[tokio::test]
async fn the_smtp_password_lives_in_the_keyring_and_survives_a_change_of_server() {
    let world = World::new().await;
    let merchant = coffer_core::MerchantId(world.merchant_id("Svea Demo Helsinki").await);
    let view = world
        .engine
        .set_smtp(
            merchant,
            smtp_input(587, "starttls", Some("shop")),
            Some(SecretString::from("s3cret-pw".to_string())),
        )
        .await
        .unwrap();
    assert_eq!(view.channel, "smtp");
    let secret = view
        .smtp
        .as_ref()
        .unwrap()
        .secret
        .clone()
        .expect("a keyring address");
    assert_eq!(
        coffer_engine::secrets::SecretStore::get(world.secrets.as_ref(), &secret)
            .map(|s| secrecy::ExposeSecret::expose_secret(&s).to_string())
            .unwrap(),
        "s3cret-pw",
        "the password is in the keyring"
    );
    let db = std::fs::read(coffer_engine::config::database_path(world.dir.path())).unwrap();
    assert!(
        !db.windows(9).any(|w| w == b"s3cret-pw"),
        "and never in the database"
    );
    // Changing the server without typing the password again keeps the stored one.
    let again = world
        .engine
        .set_smtp(merchant, smtp_input(465, "tls", Some("shop")), None)
        .await
        .unwrap();
    assert_eq!(
        again.smtp.as_ref().and_then(|s| s.secret.clone()),
        Some(secret.clone()),
        "the same keyring entry stays in use"
    );
    assert!(
        secret.account.starts_with("smtp:") && secret.account.contains('@'),
        "keyed by the merchant's provider account and endpoint, not by a row id: {}",
        secret.account
    );
}

#[tokio::test]
async fn notices_go_out_by_smtp_when_the_merchant_has_smtp_settings() {
    let world = World::new().await;
    let (port, messages, commands) = smtp_server().await;
    let merchant = coffer_core::MerchantId(world.merchant_id("Svea Demo Helsinki").await);
    // A relay that takes mail without a login (a shop's own server on its network).
    world
        .engine
        .set_smtp(merchant, smtp_input(port, "none", None), None)
        .await
        .unwrap();
    let card = &world.cards("Svea Demo Helsinki", None, 1).await[0];
    let contract = monthly(&world.engine, card.id, "3.00", due_soon()).await;
    assert_eq!(contract.notices_sent.len(), 1, "{contract:?}");
    assert_eq!(contract.notices_sent[0].channel, "smtp");
    let received = messages.lock().unwrap().clone();
    assert_eq!(received.len(), 1, "one message reached the server");
    let (subject, text, _) = parse(received[0].as_bytes());
    assert!(subject.contains("recurring charging of card"), "{subject}");
    assert!(text.contains("3.00 EUR"), "{text}");
    let commands = commands.lock().unwrap().clone();
    assert!(
        commands
            .iter()
            .any(|c| c.contains("RCPT TO") && c.contains("@example.com")),
        "sent to the cardholder: {commands:?}"
    );
    assert!(
        !world.engine.outbox_dir().exists()
            || std::fs::read_dir(world.engine.outbox_dir())
                .unwrap()
                .count()
                == 0,
        "nothing went to the outbox"
    );
}

#[tokio::test]
async fn an_smtp_password_is_never_sent_without_tls() {
    let world = World::new().await;
    let (port, messages, commands) = smtp_server().await;
    let merchant = coffer_core::MerchantId(world.merchant_id("Svea Demo Helsinki").await);
    let refused = world
        .engine
        .set_smtp(
            merchant,
            smtp_input(port, "none", Some("shop")),
            Some(SecretString::from("s3cret-pw".to_string())),
        )
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), coffer_engine::ErrorKind::InvalidInput);
    assert!(
        refused.to_string().contains("security") && refused.to_string().contains("unencrypted"),
        "names the field and why: {refused}"
    );
    assert_eq!(
        world.engine.smtp(merchant).await.unwrap().channel,
        "outbox",
        "nothing was saved"
    );
    // Saved over TLS, then turned to `none` without a new password: the kept one would go out.
    world
        .engine
        .set_smtp(
            merchant,
            smtp_input(port, "starttls", Some("shop")),
            Some(SecretString::from("s3cret-pw".to_string())),
        )
        .await
        .unwrap();
    let refused = world
        .engine
        .set_smtp(merchant, smtp_input(port, "none", Some("shop")), None)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("unencrypted"), "{refused}");
    // A database edited by hand to `none` still never sends the password in clear.
    let db =
        rusqlite::Connection::open(coffer_engine::config::database_path(world.dir.path())).unwrap();
    db.execute("UPDATE merchant_smtp SET security = 'none'", [])
        .unwrap();
    drop(db);
    let card = &world.cards("Svea Demo Helsinki", None, 1).await[0];
    let created = monthly(&world.engine, card.id, "3.00", due_soon()).await;
    assert!(
        created.notices_sent.is_empty(),
        "the notice did not go out: {created:?}"
    );
    let commands = commands.lock().unwrap().clone();
    assert!(
        !commands
            .iter()
            .any(|c| c.to_ascii_uppercase().starts_with("AUTH")),
        "no login was attempted in clear: {commands:?}"
    );
    assert!(messages.lock().unwrap().is_empty());
}
