//! Svea's XML answers, with the element names of its V4 docs (`shared/providers/svea.md` §3).
//! Every field is optional here: what must be present is checked where it is used, so a missing
//! element is a clear "malformed response", never a panic.

use quick_xml::events::Event;
use quick_xml::Reader;
use serde::Deserialize;

use crate::error::ProviderError;

/// `<chargeWithTokenResponse>`: the answer of `NewChargeWithTokenActionExtended.pmt`, an OK
/// payment or a `pmt_errorcode`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ChargeWithTokenResponse {
    pub pmt_action: Option<String>,
    pub pmt_version: Option<String>,
    pub pmt_id: Option<String>,
    pub pmt_reference: Option<String>,
    pub pmt_amount: Option<String>,
    pub pmt_currency: Option<String>,
    pub pmt_sellercosts: Option<String>,
    pub pmt_paymentmethod: Option<String>,
    pub pmt_escrow: Option<String>,
    pub pmt_token: Option<String>,
    pub pmt_hash: Option<String>,
    pub pmt_errorcode: Option<String>,
    pub pmt_errortext: Option<String>,
}

/// `<pmt>`: the server-to-server answer of `NewPaymentExtended.pmt` / `TokenizeExtended.pmt`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Pmt {
    pub pmt_id: Option<String>,
    pub pmt_paymenturl: Option<String>,
}

/// `<pmtq>`: the Payment Status Query answer (§3.4).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Pmtq {
    pub pmtq_action: Option<String>,
    pub pmtq_version: Option<String>,
    pub pmtq_sellerid: Option<String>,
    pub pmtq_id: Option<String>,
    pub pmtq_amount: Option<String>,
    pub pmtq_returncode: Option<String>,
    pub pmtq_returntext: Option<String>,
    pub pmtq_sellercosts: Option<String>,
    pub pmtq_paymentmethod: Option<String>,
    pub pmtq_escrow: Option<String>,
    pub pmtq_certification: Option<String>,
    pub pmtq_paymentdate: Option<String>,
    pub pmtq_externaltext: Option<String>,
    pub pmtq_token: Option<String>,
    pub pmtq_token_debit_limit: Option<String>,
    pub pmtq_token_expiration_month: Option<String>,
    pub pmtq_token_expiration_year: Option<String>,
    pub pmtq_card_number_masked: Option<String>,
    pub pmtq_card_scheme: Option<String>,
    pub pmtq_hash: Option<String>,
    /// Why a token payment is unpaid (placement Inferred, see errors.rs).
    pub pmt_errorcode: Option<String>,
}

/// `<pmtc>`: the Payment Cancel answer (§3.5).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Pmtc {
    pub pmtc_action: Option<String>,
    pub pmtc_version: Option<String>,
    pub pmtc_sellerid: Option<String>,
    pub pmtc_id: Option<String>,
    pub pmtc_returncode: Option<String>,
    pub pmtc_returntext: Option<String>,
    pub pmtc_hash: Option<String>,
    /// REFUND_AFTER_SETTLEMENT's answer: what the merchant pays Svea (read by Svea's modules,
    /// class-wc-svea-refund-handler.php and PaymentCancelHandler.php).
    pub pmtc_pay_with_recipientname: Option<String>,
    pub pmtc_pay_with_iban: Option<String>,
    pub pmtc_pay_with_reference: Option<String>,
    pub pmtc_pay_with_amount: Option<String>,
    #[serde(default, rename = "error")]
    pub errors: Vec<Error>,
}

/// `<errors>`: a refused request.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Errors {
    #[serde(default, rename = "error")]
    pub errors: Vec<Error>,
}

/// `<error name="pmt_userlocale" type="field">pmt_userlocale is invalid</error>`.
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct Error {
    #[serde(rename = "@name", default)]
    pub name: String,
    #[serde(rename = "@type", default)]
    pub kind: String,
    #[serde(rename = "$text", default)]
    pub text: String,
}

/// The name of the document's root element.
pub(crate) fn root_of(xml: &str) -> Result<String, ProviderError> {
    let mut reader = Reader::from_str(xml);
    loop {
        match reader.read_event() {
            Ok(Event::Start(start)) | Ok(Event::Empty(start)) => {
                return Ok(String::from_utf8_lossy(start.name().as_ref()).into_owned());
            }
            Ok(Event::Eof) => return Err(ProviderError::malformed("empty XML document")),
            Ok(_) => {}
            Err(e) => return Err(ProviderError::malformed(format!("not XML: {e}"))),
        }
    }
}

/// Reads a document into `T`.
pub(crate) fn parse<T: for<'de> Deserialize<'de>>(xml: &str) -> Result<T, ProviderError> {
    quick_xml::de::from_str(xml).map_err(|e| ProviderError::malformed(format!("XML: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_token_charge_answer() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<chargeWithTokenResponse>
  <pmt_action>NEW_PAYMENT_EXTENDED</pmt_action>
  <pmt_version>4204</pmt_version>
  <pmt_id>MIT202601000001</pmt_id>
  <pmt_reference>00000000000010000427</pmt_reference>
  <pmt_amount>568,10</pmt_amount>
  <pmt_currency>EUR</pmt_currency>
  <pmt_sellercosts>0,00</pmt_sellercosts>
  <pmt_paymentmethod>FI50</pmt_paymentmethod>
  <pmt_escrow>N</pmt_escrow>
  <pmt_token>7b3c9e2a1f4d4c8e9a6b2d5e8f1a0c37</pmt_token>
  <pmt_hash>6A0C0F76E51D709704853592D32CDAFE7D92D235A24487BEC1CE5E1CAF2FCEE7</pmt_hash>
</chargeWithTokenResponse>"#;
        assert_eq!(root_of(xml).unwrap(), "chargeWithTokenResponse");
        let answer: ChargeWithTokenResponse = parse(xml).unwrap();
        assert_eq!(
            answer.pmt_reference.as_deref(),
            Some("00000000000010000427")
        );
        assert_eq!(answer.pmt_amount.as_deref(), Some("568,10"));
        assert!(answer.pmt_errorcode.is_none());
    }

    #[test]
    fn reads_the_documented_field_error() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<errors><error name="pmt_userlocale" type="field">pmt_userlocale is invalid</error></errors>"#;
        assert_eq!(root_of(xml).unwrap(), "errors");
        let errors: Errors = parse(xml).unwrap();
        assert_eq!(errors.errors.len(), 1);
        assert_eq!(errors.errors[0].name, "pmt_userlocale");
        assert_eq!(errors.errors[0].kind, "field");
        assert_eq!(errors.errors[0].text, "pmt_userlocale is invalid");
    }

    #[test]
    fn reads_the_seed_status_query_example() {
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<pmtq>\n<pmtq_action>PAYMENT_STATUS_QUERY</pmtq_action>\n\
            <pmtq_amount>568,10</pmtq_amount>\n<pmtq_card_number_masked>0024</pmtq_card_number_masked>\n\
            <pmtq_card_scheme>VISA</pmtq_card_scheme>\n<pmtq_paymentdate>11.05.2016</pmtq_paymentdate>\n\
            <pmtq_returncode>40</pmtq_returncode>\n<pmtq_token>57c48209-****-****-****-************</pmtq_token>\n\
            <pmtq_token_expiration_month>11</pmtq_token_expiration_month>\n\
            <pmtq_token_expiration_year>2017</pmtq_token_expiration_year>\n<pmtq_version>0005</pmtq_version>\n</pmtq>";
        let answer: Pmtq = parse(xml).unwrap();
        assert_eq!(answer.pmtq_returncode.as_deref(), Some("40"));
        assert_eq!(answer.pmtq_card_number_masked.as_deref(), Some("0024"));
        assert_eq!(answer.pmtq_token_expiration_year.as_deref(), Some("2017"));
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        assert!(root_of("").is_err());
        assert!(root_of("<<<").is_err() || parse::<Pmtq>("<<<").is_err());
    }
}
