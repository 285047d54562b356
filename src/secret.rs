//! Secret newtypes: the `ps_` API key, Meta credentials, the connect-token signing secret and
//! the webhook signing secret.
//!
//! They share one shape (after oauth2-rs' `new_secret_type!`): `Debug` prints the type name and
//! `[redacted]`, there is no `Display` and no `Serialize`, and the value is read only through an
//! explicit [`expose`](ApiKey::expose) call so every use of a secret is greppable.

macro_rules! secret_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            /// The raw secret. Only pass it to a header, a MAC or a request body.
            #[must_use]
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }
    };
}

secret_type!(
    /// A Pilot Status API key (`ps_…`), sent as `x-api-key`. Never let it reach a browser.
    ApiKey
);
secret_type!(
    /// A Meta system-user access token (`EAAG…`), sent once when creating a Meta number.
    MetaAccessToken
);
secret_type!(
    /// A Meta app secret, sent once when creating a Meta number.
    MetaAppSecret
);
secret_type!(
    /// The verify token Pilot Status returns for the Meta webhook set-up.
    MetaVerifyToken
);
secret_type!(
    /// The HS256 secret shared by the customer's backend (which mints connect tokens) and the
    /// edge worker (which verifies them).
    ConnectTokenSecret
);
secret_type!(
    /// The signing secret of a Pilot Status webhook (`x-pilot-status-signature`).
    WebhookSecret
);

/// Why a secret was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// Empty or whitespace only.
    #[error("{0} is empty")]
    Empty(&'static str),
    /// An API key that does not start with `ps_`.
    #[error("API key must start with `ps_`")]
    NotAnApiKey,
    /// Contains whitespace or control characters (usually a copy-paste accident).
    #[error("{0} contains whitespace or control characters")]
    BadCharacters(&'static str),
    /// Too short to be a real secret.
    #[error("{0} must be at least {1} bytes long")]
    TooShort(&'static str, usize),
}

fn clean(what: &'static str, value: &str) -> Result<String, SecretError> {
    if value.trim().is_empty() {
        return Err(SecretError::Empty(what));
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(SecretError::BadCharacters(what));
    }
    Ok(value.to_owned())
}

impl ApiKey {
    /// Wraps a `ps_…` key.
    ///
    /// # Errors
    /// [`SecretError`] when it is empty, lacks the `ps_` prefix or holds whitespace.
    pub fn new(value: impl AsRef<str>) -> Result<Self, SecretError> {
        let v = clean("API key", value.as_ref())?;
        if !v.starts_with("ps_") || v.len() < 4 {
            return Err(SecretError::NotAnApiKey);
        }
        Ok(Self(v))
    }
}

impl MetaAccessToken {
    /// Wraps a Meta access token.
    ///
    /// # Errors
    /// [`SecretError`] when it is empty or holds whitespace.
    pub fn new(value: impl AsRef<str>) -> Result<Self, SecretError> {
        clean("metaAccessToken", value.as_ref()).map(Self)
    }
}

impl MetaAppSecret {
    /// Wraps a Meta app secret.
    ///
    /// # Errors
    /// [`SecretError`] when it is empty or holds whitespace.
    pub fn new(value: impl AsRef<str>) -> Result<Self, SecretError> {
        clean("metaAppSecret", value.as_ref()).map(Self)
    }
}

impl MetaVerifyToken {
    pub(crate) fn from_response(value: String) -> Self {
        Self(value)
    }
}

impl ConnectTokenSecret {
    /// Minimum length: HS256 keys shorter than the hash output weaken the MAC (RFC 7518 §3.2).
    pub const MIN_LEN: usize = 32;

    /// Wraps the connect-token signing secret.
    ///
    /// # Errors
    /// [`SecretError`] when it is empty, holds whitespace or is shorter than 32 bytes.
    pub fn new(value: impl AsRef<str>) -> Result<Self, SecretError> {
        let v = clean("connect token secret", value.as_ref())?;
        if v.len() < Self::MIN_LEN {
            return Err(SecretError::TooShort("connect token secret", Self::MIN_LEN));
        }
        Ok(Self(v))
    }
}

impl WebhookSecret {
    /// Wraps a webhook signing secret.
    ///
    /// # Errors
    /// [`SecretError`] when it is empty or holds whitespace.
    pub fn new(value: impl AsRef<str>) -> Result<Self, SecretError> {
        clean("webhook secret", value.as_ref()).map(Self)
    }
}
