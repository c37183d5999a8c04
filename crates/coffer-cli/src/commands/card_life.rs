//! `coffer card stop-using ID` and `coffer card delete ID --yes`: two different acts, said
//! plainly (see `coffer_engine::card_life`).

use coffer_core::CardId;
use coffer_engine::card_life::CardLifeResult;
use coffer_engine::{Engine, EngineError, ErrorKind};

use crate::output::Output;

/// Stops using a card in Coffer; it stays saved at the provider.
pub async fn stop_using(engine: &Engine, card: CardId, out: Output) -> anyhow::Result<u8> {
    let result = engine.stop_using_card(card).await?;
    out.show(&result, print)?;
    Ok(0)
}

/// Deletes a card at the provider; refused without `--yes`, since it cannot be undone.
pub async fn delete(engine: &Engine, card: CardId, yes: bool, out: Output) -> anyhow::Result<u8> {
    if !yes {
        return Err(EngineError::new(
            ErrorKind::InvalidInput,
            format!(
                "yes: deleting card {card} at the provider cannot be undone (neither Coffer nor \
                 the merchant's web shop could charge it again); add --yes to delete it, or use \
                 `coffer card stop-using {card}` to stop charging it and keep it at the provider"
            ),
        )
        .into());
    }
    let result = engine.delete_card(card).await?;
    out.show(&result, print)?;
    Ok(0)
}

fn print(result: &CardLifeResult) {
    for line in &result.done {
        outln!("{line}");
    }
    outln!(
        "card {}: {} ({})",
        result.card.id,
        result.card.status.label,
        result.card.status.next_step
    );
}
