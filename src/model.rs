//! Response and shared value types. Every struct is lenient: unknown fields are kept in
//! `extra`, fields missing from any documented shape are `Option`, and enums are open.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::open_enum::open_enum;

open_enum! {
    /// Connection state of a number (or of one link of a dual number).
    pub enum NumberState {
        /// Connected to WhatsApp.
        Open = "OPEN" | "open",
        /// A QR or pairing code was issued; waiting for the phone.
        Connecting = "CONNECTING" | "connecting",
        /// Disconnected; call connect for a new QR. One doc page spells it `CLOSED`.
        Close = "CLOSE" | "CLOSED" | "close" | "closed",
    }
}

open_enum! {
    /// Who runs the number.
    pub enum Provider {
        /// Unofficial, QR-paired.
        PilotStatus = "PILOT_STATUS",
        /// Official Meta Cloud API.
        Meta = "META",
    }
}

open_enum! {
    /// The `code` of an error body. The documented set; the server may add more.
    pub enum ErrorCode {
        /// A tenant key on a per-number endpoint.
        TenantScopeNotAllowed = "TENANT_SCOPE_NOT_ALLOWED",
        /// A number key on a tenant-only endpoint.
        NumberScopeNotAllowed = "NUMBER_SCOPE_NOT_ALLOWED",
        /// The key lacks a permission.
        PermissionDenied = "PERMISSION_DENIED",
        /// The id is not in the caller's tenant.
        NumberNotFound = "NUMBER_NOT_FOUND",
        /// The same phone is soft-deleted: purge it first.
        NumberSoftDeleted = "NUMBER_SOFT_DELETED",
        /// Restore refused: the phone was reconnected meanwhile.
        NumberAlreadyActive = "NUMBER_ALREADY_ACTIVE",
        /// Empty PATCH body.
        EmptyPatch = "EMPTY_PATCH",
        /// The provider cannot do this.
        FeatureNotSupported = "FEATURE_NOT_SUPPORTED",
        /// Rate limited.
        RateLimited = "RATE_LIMITED",
        /// Permanent: the provider is not configured. Stop polling.
        ProviderNotConfigured = "PROVIDER_NOT_CONFIGURED",
        /// Transient: the provider timed out.
        UpstreamTimeout = "UPSTREAM_TIMEOUT",
        /// Transient: the provider failed.
        UpstreamError = "UPSTREAM_ERROR",
        /// Webhooks with a tenant key: no `whatsappNumberId` given.
        NumberRequired = "NUMBER_REQUIRED",
        /// Webhooks with a number key: the body names another number.
        NumberMismatch = "NUMBER_MISMATCH",
        /// The webhook id is not in the caller's scope.
        WebhookNotFound = "WEBHOOK_NOT_FOUND",
    }
}

open_enum! {
    /// Which link of a (possibly dual) number a connect/status call acts on.
    pub enum Link {
        /// The first link (the default; the query parameter is omitted).
        Primary = "primary",
        /// The second link of a dual number (`?link=secondary`).
        Secondary = "secondary",
    }
}

use pilot_connect_wire::PNG_DATA_URL_PREFIX;
pub use pilot_connect_wire::{check_png_base64, group_pairing_code, is_png_data_url, QrError};

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

/// A validated QR image: a PNG, held as a `data:image/png;base64,` URL. The only form a page
/// may put into `<img src>`, so `javascript:` or SVG payloads never get there.
#[derive(Clone, PartialEq, Eq)]
pub struct QrImage {
    data_url: String,
}

impl QrImage {
    /// Accepts a `data:image/png;base64,…` URL or bare base64 of a PNG.
    ///
    /// # Errors
    /// [`QrError`] when it is another data type, not base64, or not a PNG.
    pub fn parse(raw: &str) -> Result<Self, QrError> {
        let raw = raw.trim();
        let b64 = if let Some(rest) = raw.strip_prefix(PNG_DATA_URL_PREFIX) {
            rest
        } else if raw.starts_with("data:") || raw.contains(':') {
            return Err(QrError::NotPngDataUrl);
        } else {
            raw
        };
        check_png_base64(b64)?;
        let mut data_url = String::with_capacity(PNG_DATA_URL_PREFIX.len() + b64.len());
        data_url.push_str(PNG_DATA_URL_PREFIX);
        data_url.push_str(b64);
        Ok(Self { data_url })
    }

    /// Builds one from PNG bytes (used by the sandbox).
    ///
    /// # Errors
    /// [`QrError::NotPng`] when the bytes lack the PNG signature.
    pub fn from_png(png: &[u8]) -> Result<Self, QrError> {
        if !png.starts_with(&PNG_SIGNATURE) {
            return Err(QrError::NotPng);
        }
        let b64 = base64::engine::general_purpose::STANDARD.encode(png);
        Ok(Self {
            data_url: format!("{PNG_DATA_URL_PREFIX}{b64}"),
        })
    }

    /// The `data:image/png;base64,…` URL.
    #[must_use]
    pub fn as_data_url(&self) -> &str {
        &self.data_url
    }

    /// The PNG bytes.
    #[must_use]
    pub fn png_bytes(&self) -> Vec<u8> {
        // Checked in the constructors, so decoding cannot fail here.
        base64::engine::general_purpose::STANDARD
            .decode(&self.data_url[PNG_DATA_URL_PREFIX.len()..])
            .unwrap_or_default()
    }
}

impl core::fmt::Debug for QrImage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "QrImage({} base64 bytes)",
            self.data_url.len() - PNG_DATA_URL_PREFIX.len()
        )
    }
}

impl Serialize for QrImage {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.data_url)
    }
}

impl<'de> Deserialize<'de> for QrImage {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// WhatsApp's "link with phone number" code. Opaque (the docs say not to validate it); shown
/// grouped as `XXXX-XXXX` when it has 8 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PairingCode(String);

impl PairingCode {
    /// Wraps a code as received.
    #[must_use]
    pub fn new(code: impl Into<String>) -> Self {
        Self(code.into())
    }

    /// The code as received.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `ABCD1234` or `abcd-1234` → `ABCD-1234`; anything that is not 8 letters/digits is
    /// returned unchanged.
    #[must_use]
    pub fn grouped(&self) -> String {
        group_pairing_code(&self.0)
    }
}

/// State of one link of a number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct LinkInfo {
    /// Link state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<NumberState>,
    /// When it connected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connected_at: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// QR + pairing code of one link, as returned by create/connect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct LinkCredentials {
    /// The QR image: `data:image/png;base64,…`, checked to be a PNG.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qrcode_base64: Option<QrImage>,
    /// The pairing code (`null` when the provider gives none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pairing_code: Option<PairingCode>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A number as returned inside create and remote-pairing results. Its `id` is always there
/// (the SDK's `WhatsAppNumberInstance.id` is required, and every documented example has it): an
/// answer without it is a [`DecodeError`](crate::DecodeError) at `instance.id`. Everything else
/// is optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NumberInstance {
    /// Number id (as used in `/v1/numbers/{id}`). Always there (a missing one is a decode
    /// error at `instance.id`).
    pub id: String,
    /// Provider-side instance name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_name: Option<String>,
    /// Phone, digits only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<Provider>,
    /// Connection state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<NumberState>,
    /// First link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_link: Option<LinkInfo>,
    /// Second link (dual numbers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secondary_link: Option<LinkInfo>,
    /// Ready to send.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_fully_connected: Option<bool>,
    /// ISO-8601.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// ISO-8601.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Metadata of an API key as listed with a number (never the key itself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ApiKeyInfo {
    /// Key name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// First characters, e.g. `ps_abcd`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_prefix: Option<String>,
    /// Last four characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_last4: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One number of `GET /v1/numbers`, or the detail of `GET /v1/numbers/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Number {
    /// Number id: always there (the list example, the SDK's `NumberDetail.id` is required); an
    /// item without it is a decode error at `[i].id` / `id`.
    pub id: String,
    /// Provider-side instance name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_name: Option<String>,
    /// Phone, digits only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<Provider>,
    /// Key metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_keys: Option<Vec<ApiKeyInfo>>,
    /// Connection state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<NumberState>,
    /// Ready to send.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_fully_connected: Option<bool>,
    /// First link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_link: Option<LinkInfo>,
    /// Second link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secondary_link: Option<LinkInfo>,
    /// Health block (get-one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<Value>,
    /// Meta block (get-one; `null` for QR numbers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Value>,
    /// Meta phone id (Meta numbers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta_phone_id: Option<String>,
    /// Meta WABA id (Meta numbers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta_waba_id: Option<String>,
    /// ISO-8601.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// ISO-8601.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Number {
    /// Ready to send: `isFullyConnected` when present, else `state == OPEN`.
    #[must_use]
    pub fn is_ready(&self) -> bool {
        ready(self.is_fully_connected, self.state.as_ref())
    }
}

pub(crate) fn ready(fully: Option<bool>, state: Option<&NumberState>) -> bool {
    fully.unwrap_or(matches!(state, Some(NumberState::Open)))
}

/// `{ ok, … }` answers (purge, and the base of delete/restore).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OkResult {
    /// `true` on success.
    #[serde(default = "yes")]
    pub ok: bool,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

pub(crate) fn yes() -> bool {
    true
}

/// A webhook of one number, as `/v1/webhooks` returns it. The contract documents no response
/// example, so everything but `id` is optional and unknown fields are kept. The `id` is
/// required: every other webhook route takes it (`/v1/webhooks/{id}`), so an answer without
/// one is useless and a decode error at `id`. The signing secret is never returned by the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    /// Webhook id (as used in `/v1/webhooks/{id}`).
    pub id: String,
    /// Optional label (e.g. `"pilot-connect edge"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Where deliveries go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Subscribed events; `"*"` means all, an empty list dispatches nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<String>>,
    /// `false` pauses deliveries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// The number it belongs to (fixed at creation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whatsapp_number_id: Option<String>,
    /// Created at (ISO-8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Updated at (ISO-8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One delivery attempt of a webhook (`GET /v1/webhooks/{id}/logs`). Undocumented shape:
/// every field is optional and unknown fields are kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct WebhookLog {
    /// Log entry id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Event name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// HTTP status the target answered, when it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    /// Whether the delivery succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
    /// Transport or target error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When (ISO-8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A tenant's branding (`GET`/`PUT /v1/branding`), also the per-link snapshot of a
/// remote-pairing link (`branding` / `brandingOverride`). What the hosted connect page shows:
/// URL query parameters win over the link's snapshot, which wins over the tenant's branding.
///
/// Every field is optional, and a field of the wrong JSON type (a number where a string is
/// expected, …) reads as `None` instead of failing the whole answer; unknown fields are kept in
/// `extra` and serialised back. The API's rules for what may be set (https URLs, `#RRGGBB`
/// colours, lengths) are checked when a request is built
/// ([`UpdateBranding`](crate::endpoints::UpdateBranding),
/// [`CreateRemotePairing::branding`](crate::endpoints::CreateRemotePairing::branding)), not when an
/// answer is read.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Branding {
    /// Logo image URL (https).
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub logo_url: Option<String>,
    /// Main colour, `#RRGGBB`.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub primary_color: Option<String>,
    /// Background colour, `#RRGGBB`.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub background_color: Option<String>,
    /// Company name shown on the page (at most 60 characters).
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub company_name: Option<String>,
    /// Line under the company name (at most 120 characters).
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub subtitle: Option<String>,
    /// Where the page's "help" link goes (https).
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub support_url: Option<String>,
    /// Where the person goes after pairing, unless the link says otherwise (https).
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub default_redirect_url: Option<String>,
    /// Hide the "Pilot Status" marks on the hosted pages.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub hide_pilot_status_branding: Option<bool>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An optional field that reads as `None` when its value does not fit `T` (a number where a
/// string is expected, …), instead of failing the whole answer. `null` is `None` too.
pub(crate) fn lenient<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let value = Value::deserialize(d)?;
    Ok(serde_json::from_value(value).ok())
}
