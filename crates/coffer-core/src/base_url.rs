//! Where a merchant's provider answers: the sandboxes embedded in the app, or a URL. The saved
//! form of the first is `embedded:<provider>` (merchants rows and `--base-url` keep that text);
//! this module is the only place that reads or writes it.

use crate::error::InvalidInput;
use crate::merchant::{Merchant, ProviderKind};

const EMBEDDED_PREFIX: &str = "embedded:";

/// A merchant's base URL, read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseUrl<'a> {
    /// The provider's emulator inside the host app (the CLI or the desktop shell starts it); its
    /// real address is only known once started.
    Embedded(ProviderKind),
    /// An http(s) URL: an external sandbox, the provider's test stage or its live host.
    Url(&'a str),
}

impl<'a> BaseUrl<'a> {
    /// Reads a saved or typed base URL. `embedded:` names a provider or is refused.
    pub fn parse(text: &'a str) -> Result<BaseUrl<'a>, InvalidInput> {
        match text.strip_prefix(EMBEDDED_PREFIX) {
            Some(name) => name.parse::<ProviderKind>().map(BaseUrl::Embedded).map_err(|_| {
                InvalidInput::new(
                    "base_url",
                    format!("'{text}' names no provider: embedded:clover, embedded:processout, embedded:assist or embedded:svea"),
                )
            }),
            None => Ok(BaseUrl::Url(text)),
        }
    }

    /// The saved form of the embedded sandbox of `provider`.
    pub fn embedded(provider: ProviderKind) -> String {
        format!("{EMBEDDED_PREFIX}{provider}")
    }
}

impl Merchant {
    /// This merchant's base URL, read; an unreadable `embedded:` text counts as a URL (and is
    /// then refused by the URL checks, never sent anything).
    pub fn base(&self) -> BaseUrl<'_> {
        BaseUrl::parse(&self.base_url).unwrap_or(BaseUrl::Url(&self.base_url))
    }

    /// `true` when the merchant talks to a sandbox embedded in the app.
    pub fn is_embedded(&self) -> bool {
        matches!(self.base(), BaseUrl::Embedded(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_saved_form_reads_back_and_an_unknown_provider_is_refused() {
        for kind in ProviderKind::ALL {
            let saved = BaseUrl::embedded(kind);
            assert_eq!(BaseUrl::parse(&saved).unwrap(), BaseUrl::Embedded(kind));
        }
        assert_eq!(
            BaseUrl::parse("http://127.0.0.1:1").unwrap(),
            BaseUrl::Url("http://127.0.0.1:1")
        );
        let refused = BaseUrl::parse("embedded:stripe").unwrap_err();
        assert_eq!(refused.field, "base_url");
        assert!(refused.to_string().contains("embedded:stripe"), "{refused}");
    }
}
