//! Where requests go and how they authenticate.

use crate::secret::ApiKey;
use crate::validate::ValidationError;

/// The public Pilot Status base URL.
pub const DEFAULT_BASE_URL: &str = "https://pilotstatus.com.br";

/// How requests authenticate. There is no Bearer auth in this API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// `x-api-key: ps_…`
    ApiKey(ApiKey),
    /// `x-api-key-id: <id>`: the server resolves the key from its id.
    ApiKeyId(String),
}

/// Base URL, credentials and optional `x-whatsapp-number-id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    base_url: String,
    auth: Option<Auth>,
    whatsapp_number_id: Option<String>,
    user_agent: Option<String>,
}

impl Config {
    /// A config for the public service with the given credentials.
    #[must_use]
    pub fn new(auth: Auth) -> Self {
        Self {
            auth: Some(auth),
            ..Self::anonymous()
        }
    }

    /// A config without credentials, for the public remote-pairing token endpoints only.
    /// Authenticated endpoints refuse to build with it ([`ValidationError::MissingCredentials`]).
    #[must_use]
    pub fn anonymous() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            auth: None,
            whatsapp_number_id: None,
            user_agent: None,
        }
    }

    /// Points requests at another server (the sandbox, a mock, a proxy).
    ///
    /// # Errors
    /// [`ValidationError::BaseUrl`] unless it is an absolute `http://` or `https://` URL without
    /// query or fragment. A trailing `/` is dropped.
    pub fn with_base_url(mut self, base_url: &str) -> Result<Self, ValidationError> {
        self.base_url = normalize_base_url(base_url)?;
        Ok(self)
    }

    /// Sends `x-whatsapp-number-id` so a tenant key acts on one number.
    #[must_use]
    pub fn with_whatsapp_number_id(mut self, id: impl Into<String>) -> Self {
        self.whatsapp_number_id = Some(id.into());
        self
    }

    /// Sends a `user-agent` header.
    #[must_use]
    pub fn with_user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = Some(ua.into());
        self
    }

    /// The base URL, without a trailing slash.
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The credentials, if any.
    #[must_use]
    pub fn auth(&self) -> Option<&Auth> {
        self.auth.as_ref()
    }

    pub(crate) fn whatsapp_number_id(&self) -> Option<&str> {
        self.whatsapp_number_id.as_deref()
    }

    pub(crate) fn user_agent(&self) -> Option<&str> {
        self.user_agent.as_deref()
    }
}

/// Validates and normalises a base URL (used by [`Config`] and the edge worker's settings).
///
/// # Errors
/// [`ValidationError::BaseUrl`] unless it is an absolute `http(s)://host…` URL with no query,
/// fragment or whitespace.
pub fn normalize_base_url(base_url: &str) -> Result<String, ValidationError> {
    let trimmed = base_url.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    let ok = match rest {
        Some(rest) => {
            !rest.is_empty()
                && !rest.starts_with('/')
                && !rest.contains(['?', '#', ' ', '\t', '\n', '\r', '\\'])
        }
        None => false,
    };
    if ok {
        Ok(trimmed.to_owned())
    } else {
        Err(ValidationError::BaseUrl(base_url.to_owned()))
    }
}
