//! Free text the owner types (names, consent terms, reasons, notes) lands in the database, the
//! audit log, exports and notices. A card number pasted there by mistake would be stored in
//! clear where Coffer promises none is: such text is refused before it is kept.

use crate::error::InvalidInput;

/// Card numbers are 13 to 19 digits (ISO/IEC 7812) and pass the Luhn check.
const PAN_DIGITS: std::ops::RangeInclusive<usize> = 13..=19;

/// Refuses `text` for `field` when it holds what looks like a card number: a run of 13–19
/// digits, written together or in groups of four split by single spaces or dashes, that passes
/// the Luhn check. The number itself is never repeated in the error.
pub fn refuse_card_number(field: &str, text: &str) -> Result<(), InvalidInput> {
    if holds_card_number(text) {
        return Err(InvalidInput::new(
            field,
            "looks like it holds a card number (13–19 digits passing the Luhn check); Coffer \
             never keeps card numbers — write the card as its last 4 digits instead",
        ));
    }
    Ok(())
}

/// Whether `text` holds a Luhn-valid run of 13–19 digits (see [`refuse_card_number`]). The
/// whole run is the candidate, never a part of a longer one: a 20-digit reference would hold
/// some Luhn-valid window by chance.
pub fn holds_card_number(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let mut run: Vec<u32> = Vec::new();
    let mut i = 0;
    while i <= chars.len() {
        let c = chars.get(i).copied();
        match c.and_then(|c| c.to_digit(10)) {
            Some(d) => run.push(d),
            // A single space or dash between two digits keeps the run going.
            None if matches!(c, Some(' ' | '-'))
                && !run.is_empty()
                && chars.get(i + 1).is_some_and(char::is_ascii_digit) => {}
            None => {
                if PAN_DIGITS.contains(&run.len()) && luhn(&run) {
                    return true;
                }
                run.clear();
            }
        }
        i += 1;
    }
    false
}

/// The Luhn check over a number's digits, most significant first. The sandboxes check typed
/// card numbers with it too.
pub fn luhn(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(n, &d)| {
            if n % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The network's well-known Visa test number, assembled here so no card number stands
    /// whole in the source.
    fn visa(separator: &str) -> String {
        ["4111", "1111", "1111", "1111"].join(separator)
    }

    #[test]
    fn card_numbers_are_found_however_they_are_typed() {
        let amex = ["3782", "822463", "10005"].concat();
        let mastercard = ["5555", "5555", "5555", "4444"].concat();
        for text in [
            visa(""),
            format!("card {} exp 12/29", visa(" ")),
            visa("-"),
            format!("Amex {amex}"),
            format!("x{mastercard}y"),
        ] {
            assert!(holds_card_number(&text), "{text}");
        }
    }

    #[test]
    fn ordinary_text_and_numbers_pass() {
        let luhn_off_by_one = format!("{}2", &visa(" ")[..18]);
        for text in [
            "Anna Virtanen",
            "I agree to monthly charges of 9.90 EUR until 2027-12-31",
            "+358 40 123 4567",
            luhn_off_by_one.as_str(),
            "order 123456789012",
            "",
            "4242",
        ] {
            assert!(!holds_card_number(text), "{text}");
        }
    }

    #[test]
    fn the_refusal_names_the_field_and_not_the_number() {
        let error = refuse_card_number("terms", &format!("pay with {}", visa(""))).unwrap_err();
        assert_eq!(error.field, "terms");
        assert!(!error.rule.contains("4111"), "{}", error.rule);
        assert!(refuse_card_number("terms", "pay monthly").is_ok());
    }
}
