//! `PUT /v1/branding`: change the tenant's branding, field by field.

use serde::{Deserialize, Serialize};

use super::get_branding::parse_branding;
use super::{authed, json_body, Endpoint};
use crate::config::Config;
use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse, Method};
use crate::model::Branding;
use crate::validate::{self, ValidationError};

/// Longest `companyName` accepted, in characters.
pub const MAX_COMPANY_NAME: usize = 60;
/// Longest `subtitle` accepted, in characters.
pub const MAX_SUBTITLE: usize = 120;

/// Changes the tenant's branding and answers the whole branding as it now is. Needs the tenant
/// key: a number-scoped key gets `403 NUMBER_SCOPE_NOT_ALLOWED`.
///
/// Each field has three states, as on the wire: not mentioned (left as it is: the key is not
/// sent), set (`.company_name("Acme")`), or cleared (`.clear_company_name()`: sent as `null`).
/// The last call for a field wins. At least one change is required. Checked before sending:
/// `logoUrl`, `supportUrl` and `defaultRedirectUrl` are absolute `https://` URLs, the colours
/// `#RRGGBB`, `companyName` at most [`MAX_COMPANY_NAME`] and `subtitle` at most
/// [`MAX_SUBTITLE`] characters (not empty: clear them instead), all trimmed.
///
/// ```
/// use pilot_connect::endpoints::UpdateBranding;
/// let update = UpdateBranding::new()
///     .company_name("Acme")
///     .primary_color("#0A84FF")
///     .clear_logo_url();
/// ```
///
/// It also deserialises from its JSON input (camelCase, strictly: unknown keys are refused; a
/// key set to `null` clears the field, an absent key leaves it), so bindings take it from their
/// callers as they are.
#[must_use = "build it with `to_request` or send it with a client"]
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateBranding {
    /// Logo image URL (https); `null` clears it.
    #[serde(default, deserialize_with = "super::explicit_null::deserialize")]
    logo_url: Option<Option<String>>,
    /// Main colour, `#RRGGBB`; `null` clears it.
    #[serde(default, deserialize_with = "super::explicit_null::deserialize")]
    primary_color: Option<Option<String>>,
    /// Background colour, `#RRGGBB`; `null` clears it.
    #[serde(default, deserialize_with = "super::explicit_null::deserialize")]
    background_color: Option<Option<String>>,
    /// Company name, 1…60 characters; `null` clears it.
    #[serde(default, deserialize_with = "super::explicit_null::deserialize")]
    company_name: Option<Option<String>>,
    /// Line under the company name, 1…120 characters; `null` clears it.
    #[serde(default, deserialize_with = "super::explicit_null::deserialize")]
    subtitle: Option<Option<String>>,
    /// Support page URL (https); `null` clears it.
    #[serde(default, deserialize_with = "super::explicit_null::deserialize")]
    support_url: Option<Option<String>>,
    /// Where the person goes after pairing (https); `null` clears it.
    #[serde(default, deserialize_with = "super::explicit_null::deserialize")]
    default_redirect_url: Option<Option<String>>,
    /// Hide the "Pilot Status" marks on the hosted pages; `null` clears it.
    #[serde(default, deserialize_with = "super::explicit_null::deserialize")]
    hide_pilot_status_branding: Option<Option<bool>>,
}

/// `set` and `clear` methods for one field.
macro_rules! field {
    ($field:ident, $clear:ident, $ty:ty, $what:literal) => {
        #[doc = concat!("Sets ", $what, ".")]
        pub fn $field(mut self, value: impl Into<$ty>) -> Self {
            self.$field = Some(Some(value.into()));
            self
        }

        #[doc = concat!("Clears ", $what, " (sent as `null`).")]
        pub fn $clear(mut self) -> Self {
            self.$field = Some(None);
            self
        }
    };
}

impl UpdateBranding {
    /// No change yet: add some with the other methods (an update without any is refused).
    pub fn new() -> Self {
        Self::default()
    }

    field!(
        logo_url,
        clear_logo_url,
        String,
        "`logoUrl`, the logo image (an absolute `https://` URL)"
    );
    field!(
        primary_color,
        clear_primary_color,
        String,
        "`primaryColor` (`#RRGGBB`)"
    );
    field!(
        background_color,
        clear_background_color,
        String,
        "`backgroundColor` (`#RRGGBB`)"
    );
    field!(
        company_name,
        clear_company_name,
        String,
        "`companyName` (not empty, at most [`MAX_COMPANY_NAME`] characters)"
    );
    field!(
        subtitle,
        clear_subtitle,
        String,
        "`subtitle`, the line under the company name (not empty, at most [`MAX_SUBTITLE`] characters)"
    );
    field!(
        support_url,
        clear_support_url,
        String,
        "`supportUrl`, the page's help link (an absolute `https://` URL)"
    );
    field!(
        default_redirect_url,
        clear_default_redirect_url,
        String,
        "`defaultRedirectUrl`, where the person goes after pairing (an absolute `https://` URL)"
    );
    field!(
        hide_pilot_status_branding,
        clear_hide_pilot_status_branding,
        bool,
        "`hidePilotStatusBranding` (hide the \"Pilot Status\" marks)"
    );
}

/// The rule of each text field of a branding (an update's and a remote-pairing link's snapshot).
pub(super) fn check_text(field: &'static str, raw: &str) -> Result<String, ValidationError> {
    match field {
        "primaryColor" | "backgroundColor" => validate::hex_color(field, raw),
        "companyName" => validate::label(field, raw, MAX_COMPANY_NAME),
        "subtitle" => validate::label(field, raw, MAX_SUBTITLE),
        // logoUrl, supportUrl, defaultRedirectUrl
        _ => validate::https_url(field, raw),
    }
}

/// A branding snapshot as it will be sent: every field set is checked like an update's (and
/// trimmed); fields this version does not know (`extra`) travel as they are.
pub(super) fn checked_snapshot(b: &Branding) -> Result<Branding, ValidationError> {
    let text = |field: &'static str, v: &Option<String>| {
        v.as_deref().map(|s| check_text(field, s)).transpose()
    };
    Ok(Branding {
        logo_url: text("logoUrl", &b.logo_url)?,
        primary_color: text("primaryColor", &b.primary_color)?,
        background_color: text("backgroundColor", &b.background_color)?,
        company_name: text("companyName", &b.company_name)?,
        subtitle: text("subtitle", &b.subtitle)?,
        support_url: text("supportUrl", &b.support_url)?,
        default_redirect_url: text("defaultRedirectUrl", &b.default_redirect_url)?,
        hide_pilot_status_branding: b.hide_pilot_status_branding,
        extra: b.extra.clone(),
    })
}

/// `None`: not sent; `Some(None)`: `null`; `Some(Some(v))`: the value.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    #[serde(skip_serializing_if = "Option::is_none")]
    logo_url: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    primary_color: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    background_color: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    company_name: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subtitle: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    support_url: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_redirect_url: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hide_pilot_status_branding: Option<Option<bool>>,
}

impl Endpoint for UpdateBranding {
    type Output = Branding;

    fn to_request(&self, config: &Config) -> Result<HttpRequest, Error> {
        if *self == Self::default() {
            return Err(ValidationError::Invalid {
                field: "branding",
                reason: "must change at least one field (set it, or clear it with null)",
            }
            .into());
        }
        let text = |field: &'static str, change: &Option<Option<String>>| match change {
            Some(Some(v)) => check_text(field, v).map(|v| Some(Some(v))),
            Some(None) => Ok(Some(None)),
            None => Ok(None),
        };
        let body = Body {
            logo_url: text("logoUrl", &self.logo_url)?,
            primary_color: text("primaryColor", &self.primary_color)?,
            background_color: text("backgroundColor", &self.background_color)?,
            company_name: text("companyName", &self.company_name)?,
            subtitle: text("subtitle", &self.subtitle)?,
            support_url: text("supportUrl", &self.support_url)?,
            default_redirect_url: text("defaultRedirectUrl", &self.default_redirect_url)?,
            hide_pilot_status_branding: self.hide_pilot_status_branding,
        };
        let mut req = authed(config, Method::Put, "/v1/branding".into())?;
        json_body(&mut req, &body)?;
        Ok(req)
    }

    fn parse(&self, response: &HttpResponse) -> Result<Branding, Error> {
        parse_branding(response)
    }
}
