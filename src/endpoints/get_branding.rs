//! `GET /v1/branding`: the tenant's branding (what the hosted connect page shows when neither
//! its URL nor the link's snapshot says otherwise).

use serde_json::Value;

use super::{authed, parse_json, Endpoint};
use crate::config::Config;
use crate::error::{DecodeError, Error};
use crate::http::{HttpRequest, HttpResponse, Method};
use crate::model::Branding;

/// Reads the tenant's branding. Needs the tenant key: a number-scoped key gets `403
/// NUMBER_SCOPE_NOT_ALLOWED` ([`ForbiddenScope::NumberKeyNotAllowed`](crate::ForbiddenScope)).
#[must_use = "build it with `to_request` or send it with a client"]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GetBranding;

impl GetBranding {
    /// The request.
    pub fn new() -> Self {
        Self
    }
}

impl Endpoint for GetBranding {
    type Output = Branding;

    fn to_request(&self, config: &Config) -> Result<HttpRequest, Error> {
        authed(config, Method::Get, "/v1/branding".into())
    }

    fn parse(&self, response: &HttpResponse) -> Result<Branding, Error> {
        parse_branding(response)
    }
}

/// The answer of `GET` and `PUT /v1/branding`. Documented: `{ "branding": { … } }` (D:/api/branding),
/// with `null` or `{}` for a tenant that set nothing. A plausible variant, not documented: the
/// branding object bare, as other routes of this API answer bare or wrapped; a body without a
/// `branding` key is read as the branding itself. Anything but an object is a decode error
/// (at `branding` when the wrapper holds it).
pub(super) fn parse_branding(response: &HttpResponse) -> Result<Branding, Error> {
    let decode = |value: Value, under: Option<&str>| {
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let err = DecodeError::from_json(response.status, &path, &e.into_inner());
            Error::Decode(match under {
                Some(key) => err.under(key),
                None => err,
            })
        })
    };
    match parse_json::<Value>(response)? {
        Value::Object(mut map) => match map.remove("branding") {
            Some(Value::Null) => Ok(Branding::default()),
            Some(inner) => decode(inner, Some("branding")),
            None => decode(Value::Object(map), None),
        },
        other => decode(other, None),
    }
}
