//! A merchant account: one account at one provider. A multi-location owner has several (one
//! Clover merchant UUID per location), and every charge goes out under exactly one of them.

use std::fmt;
use std::str::FromStr;

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::InvalidInput;
use crate::ids::MerchantId;
use crate::money::Currency;

pub use crate::providers::{ProviderAccount, ProviderKind};

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProviderKind {
    type Err = InvalidInput;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProviderKind::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                let names: Vec<&str> = ProviderKind::ALL.map(ProviderKind::as_str).to_vec();
                InvalidInput::new(
                    "provider",
                    format!("'{s}' is not one of {}", names.join(", ")),
                )
            })
    }
}

/// Whether a merchant talks to a local sandbox or to the provider's own servers.
///
/// Two values only, on purpose: `Live` is every endpoint the provider runs itself, its production
/// servers and its own test environment alike ([`Stage`] says which), because both get a
/// credential the provider issued and both must receive it only on the provider's own hosts.
/// `Sandbox` is Coffer's emulator (the app's banner says so); a merchant pointed at a provider's
/// test host is never "sandbox". (Choice: keeping the stored value two-valued also leaves the
/// released `merchants.environment` CHECK constraint untouched.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    /// Coffer's local emulator of the provider; no real money moves.
    Sandbox,
    /// The provider's own servers (production, or the provider's test environment) with a
    /// credential the provider issued.
    Live,
}

impl Environment {
    /// "sandbox" or "live".
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Sandbox => "sandbox",
            Environment::Live => "live",
        }
    }
}

impl FromStr for Environment {
    type Err = InvalidInput;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sandbox" => Ok(Environment::Sandbox),
            "live" => Ok(Environment::Live),
            _ => Err(InvalidInput::new(
                "environment",
                format!("'{s}' is not sandbox or live"),
            )),
        }
    }
}

impl ProviderAccount {
    /// The provider's main account id, for display.
    pub fn account_id(&self) -> &str {
        self.ids().account_id()
    }

    /// Checks the ids are present and shaped as the provider documents them.
    pub fn validate(&self) -> Result<(), InvalidInput> {
        self.ids().validate()
    }
}

/// Which of the provider's own environments a live merchant talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The provider's production servers: real money.
    #[default]
    Production,
    /// The provider's own test environment (test credentials from the provider, test cards).
    Test,
}

impl Stage {
    /// "production" or "test".
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Production => "production",
            Stage::Test => "test",
        }
    }
}

impl FromStr for Stage {
    type Err = InvalidInput;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "production" => Ok(Stage::Production),
            "test" => Ok(Stage::Test),
            _ => Err(InvalidInput::new(
                "stage",
                format!("'{s}' is not production or test"),
            )),
        }
    }
}

/// Clover's production markets; each has its own Platform REST API host (docs.clover.com
/// "Use Clover REST API"). Only Clover has regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum CloverRegion {
    /// United States and Canada.
    #[default]
    NorthAmerica,
    /// Europe.
    Europe,
    /// Latin America.
    LatinAmerica,
}

impl CloverRegion {
    /// Every region, in a stable order.
    pub const ALL: [CloverRegion; 3] = [
        CloverRegion::NorthAmerica,
        CloverRegion::Europe,
        CloverRegion::LatinAmerica,
    ];

    /// "north_america", "europe" or "latin_america".
    pub fn as_str(self) -> &'static str {
        match self {
            CloverRegion::NorthAmerica => "north_america",
            CloverRegion::Europe => "europe",
            CloverRegion::LatinAmerica => "latin_america",
        }
    }
}

impl FromStr for CloverRegion {
    type Err = InvalidInput;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        CloverRegion::ALL
            .into_iter()
            .find(|r| r.as_str() == wanted)
            .ok_or_else(|| {
                InvalidInput::new(
                    "region",
                    format!("'{s}' is not one of north_america, europe, latin_america"),
                )
            })
    }
}

/// The owner's explicit permission to send a live merchant's secret to a host that is not the
/// provider's own (or over plain http). Granted for one host only, with a reason, and audited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct HostOverride {
    /// The host (and port, when not the default) the override was granted for.
    pub host: String,
    /// Why the owner allowed it, in their words.
    pub reason: String,
}

/// Where a merchant's calls go, beyond its base URL: the provider region and any override.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Endpoint {
    /// Clover's market (it picks the Platform API host); `None` for other providers.
    #[serde(default)]
    pub region: Option<CloverRegion>,
    /// Present when the owner allowed a host that is not the provider's own.
    #[serde(default)]
    pub host_override: Option<HostOverride>,
}

/// Where the merchant's secret lives in the OS keyring: an address, not the secret.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SecretRef {
    /// Keyring service name; carries the app identifier so dev builds never see live secrets.
    pub service: String,
    /// Keyring account name; unique per merchant.
    pub account: String,
}

/// A merchant account as Coffer keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Merchant {
    /// Coffer's id.
    pub id: MerchantId,
    /// What the owner calls this account ("Downtown store").
    pub name: String,
    /// The provider's ids of the account.
    pub account: ProviderAccount,
    /// Sandbox or live.
    pub environment: Environment,
    /// The provider's base URL (a sandbox on loopback, or the real host).
    pub base_url: String,
    /// The merchant's time zone: due dates and calendar months are counted in it.
    pub time_zone: Tz,
    /// The currency charges are made in.
    pub currency: Currency,
    /// How many days before a scheduled charge the cardholder must be told.
    pub notice_lead_days: u32,
    /// A group of merchants viewed together ("all locations of this owner").
    pub group: Option<String>,
    /// Region and host override. The keyring address of the secret is not stored anywhere: the
    /// engine derives it from the provider, the account id and the environment at use time.
    pub endpoint: Endpoint,
}

impl Merchant {
    /// The provider of this account.
    pub fn provider(&self) -> ProviderKind {
        self.account.kind()
    }
}

/// Parses an IANA time zone name, naming the field when it is unknown.
pub fn parse_time_zone(name: &str) -> Result<Tz, InvalidInput> {
    name.trim().parse::<Tz>().map_err(|_| {
        InvalidInput::new(
            "time_zone",
            format!("'{name}' is not an IANA time zone such as Europe/Helsinki"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::accounts::*;

    #[test]
    fn provider_names_round_trip() {
        for kind in ProviderKind::ALL {
            assert_eq!(kind.as_str().parse::<ProviderKind>().unwrap(), kind);
        }
        assert!("paypal"
            .parse::<ProviderKind>()
            .unwrap_err()
            .to_string()
            .starts_with("provider:"));
    }

    #[test]
    fn account_ids_are_validated_per_provider() {
        let svea = ProviderAccount::Svea(SveaAccount {
            seller_id: "SELLER1".into(),
            key_generation: "1".into(),
        });
        assert_eq!(svea.validate().unwrap_err().field, "key_generation");
        let assist = ProviderAccount::Assist(AssistAccount {
            merchant_id: "abc".into(),
            login: "shop_login".into(),
        });
        assert_eq!(assist.validate().unwrap_err().field, "merchant_id");
        let clover = ProviderAccount::Clover(CloverAccount {
            merchant_uuid: "MID0000000001".into(),
            pakms_key: None,
        });
        assert!(clover.validate().is_ok());
    }

    #[test]
    fn an_account_is_one_object_tagged_with_its_provider() {
        let clover = ProviderAccount::Clover(CloverAccount {
            merchant_uuid: "MID0000000001".into(),
            pakms_key: None,
        });
        let json = serde_json::to_string(&clover).unwrap();
        assert_eq!(
            json,
            r#"{"provider":"clover","merchant_uuid":"MID0000000001","pakms_key":null}"#
        );
        let read: ProviderAccount =
            serde_json::from_str(r#"{"provider":"clover","merchant_uuid":"MID0000000001"}"#)
                .unwrap();
        assert_eq!(read, clover, "pakms_key may be absent");
        let po: ProviderAccount =
            serde_json::from_str(r#"{"provider":"process_out","project_id":"proj_1"}"#).unwrap();
        assert_eq!(po.kind(), ProviderKind::ProcessOut);
        assert_eq!(po.account_id(), "proj_1");
        assert_eq!(
            "paypal".parse::<ProviderKind>().unwrap_err().rule,
            "'paypal' is not one of clover, processout, assist, svea"
        );
    }

    #[test]
    fn time_zone_errors_name_the_field() {
        assert_eq!(
            parse_time_zone("Europe/Minsk").unwrap(),
            chrono_tz::Europe::Minsk
        );
        assert_eq!(parse_time_zone("Mars/Base").unwrap_err().field, "time_zone");
    }
}
