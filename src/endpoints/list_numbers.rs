//! `GET /v1/numbers`: every number of the tenant.

use serde::Deserialize;

use super::{authed, parse_json, Endpoint};
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

/// The documented bare array, or the `{data:[…]}` / `{numbers:[…]}` wrappers some clients expect.
#[derive(Deserialize)]
#[serde(untagged)]
enum ListShape {
    Bare(Vec<Number>),
    Data { data: Vec<Number> },
    Numbers { numbers: Vec<Number> },
}

impl Endpoint for ListNumbers {
    type Output = Vec<Number>;

    fn to_request(&self, config: &Config) -> Result<HttpRequest, Error> {
        authed(config, Method::Get, "/v1/numbers".into())
    }

    fn parse(&self, response: &HttpResponse) -> Result<Vec<Number>, Error> {
        // Try the documented shape first so a decode error names the real JSON path.
        match parse_json::<Vec<Number>>(response) {
            Ok(list) => Ok(list),
            Err(Error::Decode(first)) => {
                match serde_json::from_slice::<ListShape>(&response.body) {
                    Ok(
                        ListShape::Bare(v)
                        | ListShape::Data { data: v }
                        | ListShape::Numbers { numbers: v },
                    ) => Ok(v),
                    Err(_) => Err(Error::Decode(first)),
                }
            }
            Err(e) => Err(e),
        }
    }
}
