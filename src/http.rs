//! Transport-neutral HTTP values: every builder produces an [`HttpRequest`], every transport
//! returns an [`HttpResponse`], and every parser reads one. Nothing here does I/O.

use core::fmt;

/// The HTTP methods the Pilot Status API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `DELETE`
    Delete,
    /// `PATCH`
    Patch,
    /// `PUT`
    Put,
}

impl Method {
    /// The method's name on the wire.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Delete => "DELETE",
            Self::Patch => "PATCH",
            Self::Put => "PUT",
        }
    }
}

/// One request header. Sensitive values (the API key) print as `[redacted]` in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Header {
    /// Lower-case header name.
    pub name: &'static str,
    /// Header value.
    pub value: String,
    /// Whether `Debug` must hide the value.
    pub sensitive: bool,
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.sensitive {
            write!(f, "{}: [redacted]", self.name)
        } else {
            write!(f, "{}: {:?}", self.name, self.value)
        }
    }
}

/// A fully built request: method, absolute URL (base + path + query), headers and body bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// HTTP method.
    pub method: Method,
    base_url: String,
    path_and_query: String,
    /// Request headers (lower-case names).
    pub headers: Vec<Header>,
    /// Body bytes (empty when there is no body).
    pub body: Vec<u8>,
}

impl HttpRequest {
    pub(crate) fn new(method: Method, base_url: &str, path_and_query: String) -> Self {
        Self {
            method,
            base_url: base_url.to_owned(),
            path_and_query,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Path and query, e.g. `/v1/numbers/wa_abc/connect?link=secondary`.
    #[must_use]
    pub fn path_and_query(&self) -> &str {
        &self.path_and_query
    }

    /// The absolute URL.
    #[must_use]
    pub fn url(&self) -> String {
        let mut url = String::with_capacity(self.base_url.len() + self.path_and_query.len());
        url.push_str(&self.base_url);
        url.push_str(&self.path_and_query);
        url
    }

    /// The value of a header, by lower-case name.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }

    pub(crate) fn push_header(&mut self, name: &'static str, value: String, sensitive: bool) {
        self.headers.push(Header {
            name,
            value,
            sensitive,
        });
    }

    pub(crate) fn json_body(&mut self, body: Vec<u8>) {
        self.push_header("content-type", "application/json".into(), false);
        self.body = body;
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The body may carry Meta credentials, so only its size is shown.
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url())
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// A response as a transport received it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers with lower-case names.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// Builds a response from its parts; header names are lower-cased.
    #[must_use]
    pub fn new(status: u16, headers: Vec<(String, String)>, body: Vec<u8>) -> Self {
        let headers = headers
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect();
        Self {
            status,
            headers,
            body,
        }
    }

    /// A header value by case-insensitive name.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `true` for 2xx.
    #[must_use]
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}
