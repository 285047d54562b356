//! `GET /v1/numbers`: every number of the tenant.

use super::{authed, parse_wrapped, Endpoint};
use crate::config::Config;
use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse, Method};
use crate::model::Number;

/// Lists the tenant's numbers (PILOT_STATUS and META).
#[must_use = "build it with `to_request` or send it with a client"]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListNumbers;

impl ListNumbers {
    /// The request.
    pub fn new() -> Self {
        Self
    }
}

impl Endpoint for ListNumbers {
    type Output = Vec<Number>;

    fn to_request(&self, config: &Config) -> Result<HttpRequest, Error> {
        authed(config, Method::Get, "/v1/numbers".into())
    }

    fn parse(&self, response: &HttpResponse) -> Result<Vec<Number>, Error> {
        // The documented bare array, or the `{data:[…]}` / `{numbers:[…]}` wrappers some
        // clients expect; a decode error names the real JSON path (`[0].id`, `data[0].id`).
        parse_wrapped(response, ["data", "numbers"])
    }
}
