//! Signed webhook delivery with retries and a readable log.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use pilot_connect::webhook::{sign, SIGNATURE_HEADER};
use pilot_connect::WebhookSecret;
use serde::Serialize;
use serde_json::{json, Value};

use crate::clock::Clock;

/// A delivery target.
#[derive(Debug, Clone)]
pub struct Target {
    /// Where to POST.
    pub url: String,
    /// Signing secret.
    pub secret: WebhookSecret,
}

/// One try.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Try {
    /// ISO time (virtual).
    pub at: String,
    /// HTTP status, if one came back.
    pub status: Option<u16>,
    /// Transport error, if any.
    pub error: Option<String>,
}

/// A webhook registered through `POST /v1/webhooks` (one per number), signed with the
/// sandbox's `--webhook-secret` (the "dashboard" secret: the API never returns it).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Registered {
    /// `wh_…`
    pub id: String,
    /// Target.
    pub url: String,
    /// Subscribed events (`*` = all).
    pub events: Vec<String>,
    /// `false` pauses deliveries.
    pub active: bool,
    /// The number it belongs to.
    pub whatsapp_number_id: String,
    /// ISO time (virtual).
    pub created_at: String,
    /// ISO time (virtual).
    pub updated_at: String,
}

impl Registered {
    fn wants(&self, number_id: &str, event: &str) -> bool {
        self.active
            && self.whatsapp_number_id == number_id
            && self.events.iter().any(|e| e == "*" || e == event)
    }
}

/// One delivery of one event to one target.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// Sequence number.
    pub id: u64,
    /// The registered webhook it went to (`None`: a control-API target).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_id: Option<String>,
    /// Event name.
    pub event: String,
    /// Target URL.
    pub url: String,
    /// The exact body sent.
    pub body: Value,
    /// The signature header sent.
    pub signature: String,
    /// Tries so far.
    pub attempts: Vec<Try>,
    /// `pending`, `delivered` or `failed`.
    pub status: &'static str,
}

/// Sends events to every target, retrying with exponential backoff (virtual seconds
/// 1, 2, 4, … scaled by the clock).
#[derive(Debug, Clone)]
pub struct Dispatcher {
    targets: Arc<Mutex<Vec<Target>>>,
    registered: Arc<Mutex<Vec<Registered>>>,
    secret: WebhookSecret,
    log: Arc<Mutex<Vec<Delivery>>>,
    http: reqwest::Client,
    clock: Clock,
    max_tries: u32,
}

impl Dispatcher {
    /// With start-up targets; `secret` signs deliveries to registered webhooks.
    pub fn new(targets: Vec<Target>, secret: WebhookSecret, clock: Clock, max_tries: u32) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self {
            targets: Arc::new(Mutex::new(targets)),
            registered: Arc::new(Mutex::new(Vec::new())),
            secret,
            log: Arc::new(Mutex::new(Vec::new())),
            http,
            clock,
            max_tries: max_tries.max(1),
        }
    }

    /// Adds a target.
    pub fn add_target(&self, t: Target) {
        if let Ok(mut ts) = self.targets.lock() {
            ts.push(t);
        }
    }

    /// Target URLs (never the secrets).
    pub fn target_urls(&self) -> Vec<String> {
        self.targets
            .lock()
            .map(|t| t.iter().map(|t| t.url.clone()).collect())
            .unwrap_or_default()
    }

    /// The delivery log.
    pub fn log(&self) -> Vec<Delivery> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Clears the log.
    pub fn clear_log(&self) {
        if let Ok(mut l) = self.log.lock() {
            l.clear();
        }
    }

    /// Registers a webhook, unless its number has one already.
    ///
    /// # Errors
    /// The id of the number's existing webhook.
    pub fn register(&self, hook: Registered) -> Result<Registered, String> {
        let Ok(mut all) = self.registered.lock() else {
            return Err(String::new());
        };
        if let Some(existing) = all
            .iter()
            .find(|h| h.whatsapp_number_id == hook.whatsapp_number_id)
        {
            return Err(existing.id.clone());
        }
        all.push(hook.clone());
        Ok(hook)
    }

    /// Every registered webhook.
    pub fn registered(&self) -> Vec<Registered> {
        self.registered
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// Changes a registered webhook; `None` when there is none with that id.
    pub fn update_registered(
        &self,
        id: &str,
        change: impl FnOnce(&mut Registered),
    ) -> Option<Registered> {
        let mut all = self.registered.lock().ok()?;
        let hook = all.iter_mut().find(|h| h.id == id)?;
        change(hook);
        Some(hook.clone())
    }

    /// Removes a registered webhook; `false` when there was none.
    pub fn unregister(&self, id: &str) -> bool {
        let Ok(mut all) = self.registered.lock() else {
            return false;
        };
        let before = all.len();
        all.retain(|h| h.id != id);
        all.len() != before
    }

    /// Queues `{event, data}` for every control-API target and for the registered webhook of
    /// `data.numberId` when it is active and subscribed; returns at once.
    pub fn emit(&self, event: &str, data: Value) {
        let body = json!({ "event": event, "data": data });
        let raw = body.to_string();
        let mut targets: Vec<(Option<String>, Target)> = self
            .targets
            .lock()
            .map(|t| t.iter().map(|t| (None, t.clone())).collect())
            .unwrap_or_default();
        if let Some(number_id) = body["data"]["numberId"].as_str() {
            for hook in self.registered() {
                if hook.wants(number_id, event) {
                    let target = Target {
                        url: hook.url.clone(),
                        secret: self.secret.clone(),
                    };
                    targets.push((Some(hook.id), target));
                }
            }
        }
        for (webhook_id, target) in targets {
            let signature = sign(&target.secret, raw.as_bytes());
            let id = {
                let Ok(mut log) = self.log.lock() else { return };
                let id = log.len() as u64 + 1;
                log.push(Delivery {
                    id,
                    webhook_id,
                    event: event.to_owned(),
                    url: target.url.clone(),
                    body: body.clone(),
                    signature: signature.clone(),
                    attempts: Vec::new(),
                    status: "pending",
                });
                id
            };
            let this = self.clone();
            let raw = raw.clone();
            tokio::spawn(async move { this.deliver(id, target.url, raw, signature).await });
        }
    }

    async fn deliver(self, id: u64, url: String, raw: String, signature: String) {
        for n in 0..self.max_tries {
            let result = self
                .http
                .post(&url)
                .header("content-type", "application/json")
                .header(SIGNATURE_HEADER, &signature)
                .header("user-agent", "pilot-sandbox-webhooks")
                .body(raw.clone())
                .send()
                .await;
            let (status, error) = match &result {
                Ok(r) => (Some(r.status().as_u16()), None),
                Err(e) => (None, Some(e.to_string())),
            };
            let ok = status.is_some_and(|s| (200..300).contains(&s));
            let last = n + 1 == self.max_tries;
            if let Ok(mut log) = self.log.lock() {
                if let Some(d) = log.iter_mut().find(|d| d.id == id) {
                    d.attempts.push(Try {
                        at: self.clock.iso_now(),
                        status,
                        error,
                    });
                    d.status = if ok {
                        "delivered"
                    } else if last {
                        "failed"
                    } else {
                        "pending"
                    };
                }
            }
            if ok || last {
                return;
            }
            tokio::time::sleep(self.clock.real(f64::from(1u32 << n.min(10)))).await;
        }
    }
}
