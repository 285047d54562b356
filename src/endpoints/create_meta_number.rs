//! `POST /v1/numbers/meta`: create a Meta Cloud API number with your own WABA credentials.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{authed, json_body, parse_json, Endpoint};
use crate::config::Config;
use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse, Method};
use crate::model::Number;
use crate::secret::{MetaAccessToken, MetaAppSecret, MetaVerifyToken};
use crate::validate;

/// Creates a Meta number. All seven fields are required by the API.
#[must_use = "build it with `to_request` or send it with a client"]
#[derive(Debug, Clone, PartialEq)]
pub struct CreateMetaNumber {
    name: String,
    number: String,
    meta_phone_id: String,
    meta_waba_id: String,
    meta_access_token: MetaAccessToken,
    meta_app_secret: MetaAppSecret,
    meta_app_id: String,
    link_to_api_key: Option<bool>,
}

impl CreateMetaNumber {
    /// `number`: at least 8 digits, optional `+`.
    pub fn new(
        name: impl Into<String>,
        number: impl Into<String>,
        meta_phone_id: impl Into<String>,
        meta_waba_id: impl Into<String>,
        meta_access_token: MetaAccessToken,
        meta_app_secret: MetaAppSecret,
        meta_app_id: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            number: number.into(),
            meta_phone_id: meta_phone_id.into(),
            meta_waba_id: meta_waba_id.into(),
            meta_access_token,
            meta_app_secret,
            meta_app_id: meta_app_id.into(),
            link_to_api_key: None,
        }
    }

    /// Link the number to the calling key (server default `true`).
    pub fn link_to_api_key(mut self, link: bool) -> Self {
        self.link_to_api_key = Some(link);
        self
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    name: &'a str,
    number: &'a str,
    meta_phone_id: &'a str,
    meta_waba_id: &'a str,
    meta_access_token: &'a str,
    meta_app_secret: &'a str,
    meta_app_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    link_to_api_key: Option<bool>,
}

/// Where to point your Meta app's webhook.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetaNumberWebhook {
    /// Callback URL to configure in the Meta app.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Verify token to configure in the Meta app.
    #[serde(default, deserialize_with = "verify_token")]
    pub verify_token: Option<MetaVerifyToken>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn verify_token<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<MetaVerifyToken>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(MetaVerifyToken::from_response))
}

/// The created Meta number and its webhook set-up.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedMetaNumber {
    /// The number (`provider: META`).
    pub number: Number,
    /// Webhook URL + verify token for the Meta app.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook: Option<MetaNumberWebhook>,
    /// The key linked to this number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linked_api_key_id: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Endpoint for CreateMetaNumber {
    type Output = CreatedMetaNumber;

    fn to_request(&self, config: &Config) -> Result<HttpRequest, Error> {
        let name = validate::text("name", &self.name)?;
        let number = validate::meta_phone("number", &self.number)?;
        let meta_phone_id = validate::text("metaPhoneId", &self.meta_phone_id)?;
        let meta_waba_id = validate::text("metaWabaId", &self.meta_waba_id)?;
        let meta_app_id = validate::text("metaAppId", &self.meta_app_id)?;
        let mut req = authed(config, Method::Post, "/v1/numbers/meta".into())?;
        json_body(
            &mut req,
            &Body {
                name: &name,
                number: &number,
                meta_phone_id: &meta_phone_id,
                meta_waba_id: &meta_waba_id,
                meta_access_token: self.meta_access_token.expose(),
                meta_app_secret: self.meta_app_secret.expose(),
                meta_app_id: &meta_app_id,
                link_to_api_key: self.link_to_api_key,
            },
        )?;
        Ok(req)
    }

    fn parse(&self, response: &HttpResponse) -> Result<CreatedMetaNumber, Error> {
        parse_json(response)
    }
}
