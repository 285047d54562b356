//! Signed webhook delivery: a queue, a bounded pool of senders, retries with exponential
//! backoff, and a readable log that records every attempt.
//!
//! [`Dispatcher::emit`] never blocks and never drops an event: it logs one delivery per
//! target (`pending`) and queues it. One scheduler task (started with the first event) keeps
//! the queue, sends at most [`MAX_IN_FLIGHT`] requests at a time and puts failed ones back with
//! their backoff, so a burst of a thousand events costs a thousand queued jobs, not a thousand
//! tasks. Deliveries are not ordered (as with the real service): compare by `data.id`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use pilot_connect::webhook::{sign, SIGNATURE_HEADER};
use pilot_connect::WebhookSecret;
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::clock::Clock;
use crate::WebhooksPerNumber;

/// Requests in flight at once, whatever the number of queued deliveries.
pub const MAX_IN_FLIGHT: usize = 8;

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

/// A webhook registered through `POST /v1/webhooks`. Its signing secret (the "dashboard"
/// secret: the API never returns it) is `--webhook-secret`, or its own under
/// `--webhook-secrets per-webhook`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Registered {
    /// `wh_…`
    pub id: String,
    /// Optional label (`null` when unset).
    pub name: Option<String>,
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
    /// Signs its deliveries; never serialized.
    #[serde(skip)]
    pub secret: WebhookSecret,
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
    /// Sequence number (never reused, even after the log is cleared).
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
    /// Tries so far, each with its status or error.
    pub attempts: Vec<Try>,
    /// `pending`, `delivered` or `failed`.
    pub status: &'static str,
}

#[derive(Debug, Default)]
struct Log {
    entries: Vec<Delivery>,
    next_id: u64,
}

impl Log {
    /// Entries are pushed in id order, so a binary search finds one.
    fn get_mut(&mut self, id: u64) -> Option<&mut Delivery> {
        let i = self.entries.binary_search_by_key(&id, |d| d.id).ok()?;
        self.entries.get_mut(i)
    }
}

/// What the scheduler's senders need (no queue handle: the queue ends with the dispatcher).
#[derive(Debug)]
struct Sender {
    http: reqwest::Client,
    clock: Clock,
    max_tries: u32,
    log: Arc<Mutex<Log>>,
}

/// One delivery waiting for its next try.
#[derive(Debug)]
struct Job {
    delivery: u64,
    url: String,
    raw: Arc<str>,
    signature: String,
    tries: u32,
    due: Instant,
}

/// A queued job, ordered by (due time, arrival).
#[derive(Debug)]
struct Queued(Instant, u64, Job);

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        (self.0, self.1) == (other.0, other.1)
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.0, self.1).cmp(&(other.0, other.1))
    }
}

/// Sends events to every target, retrying with exponential backoff (virtual seconds
/// 1, 2, 4, … scaled by the clock).
#[derive(Debug, Clone)]
pub struct Dispatcher {
    targets: Arc<Mutex<Vec<Target>>>,
    registered: Arc<Mutex<Vec<Registered>>>,
    per_number: WebhooksPerNumber,
    log: Arc<Mutex<Log>>,
    sender: Arc<Sender>,
    queue: Arc<OnceLock<mpsc::UnboundedSender<Job>>>,
}

impl Dispatcher {
    /// With start-up targets; registered webhooks carry their own secrets.
    pub fn new(
        targets: Vec<Target>,
        clock: Clock,
        max_tries: u32,
        per_number: WebhooksPerNumber,
    ) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        let log = Arc::new(Mutex::new(Log::default()));
        Self {
            targets: Arc::new(Mutex::new(targets)),
            registered: Arc::new(Mutex::new(Vec::new())),
            per_number,
            log: Arc::clone(&log),
            sender: Arc::new(Sender {
                http,
                clock,
                max_tries: max_tries.max(1),
                log,
            }),
            queue: Arc::new(OnceLock::new()),
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
        self.log
            .lock()
            .map(|l| l.entries.clone())
            .unwrap_or_default()
    }

    /// Clears the log (deliveries still queued keep retrying, unlogged).
    pub fn clear_log(&self) {
        if let Ok(mut l) = self.log.lock() {
            l.entries.clear();
        }
    }

    /// Registers a webhook; with [`WebhooksPerNumber::One`], unless its number has one already.
    ///
    /// # Errors
    /// The id of the number's existing webhook.
    pub fn register(&self, hook: Registered) -> Result<Registered, String> {
        let Ok(mut all) = self.registered.lock() else {
            return Err(String::new());
        };
        if self.per_number == WebhooksPerNumber::One {
            if let Some(existing) = all
                .iter()
                .find(|h| h.whatsapp_number_id == hook.whatsapp_number_id)
            {
                return Err(existing.id.clone());
            }
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

    /// Removes every webhook of a number (it was purged); returns how many.
    pub fn forget_number(&self, number_id: &str) -> usize {
        let Ok(mut all) = self.registered.lock() else {
            return 0;
        };
        let before = all.len();
        all.retain(|h| h.whatsapp_number_id != number_id);
        before - all.len()
    }

    /// Queues `{event, data}` for every control-API target and for each registered webhook of
    /// `data.numberId` that is active and subscribed (the event or `"*"`); returns at once,
    /// with the ids of those registered webhooks.
    pub fn emit(&self, event: &str, data: Value) -> Vec<String> {
        let body = json!({ "event": event, "data": data });
        let raw: Arc<str> = Arc::from(body.to_string());
        let mut targets: Vec<(Option<String>, Target)> = self
            .targets
            .lock()
            .map(|t| t.iter().map(|t| (None, t.clone())).collect())
            .unwrap_or_default();
        let mut hooks = Vec::new();
        if let Some(number_id) = body["data"]["numberId"].as_str() {
            if let Ok(all) = self.registered.lock() {
                for hook in all.iter().filter(|h| h.wants(number_id, event)) {
                    let target = Target {
                        url: hook.url.clone(),
                        secret: hook.secret.clone(),
                    };
                    hooks.push(hook.id.clone());
                    targets.push((Some(hook.id.clone()), target));
                }
            }
        }
        for (webhook_id, target) in targets {
            let signature = sign(&target.secret, raw.as_bytes());
            let id = {
                let Ok(mut log) = self.log.lock() else {
                    return hooks;
                };
                log.next_id += 1;
                let id = log.next_id;
                log.entries.push(Delivery {
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
            self.enqueue(Job {
                delivery: id,
                url: target.url,
                raw: Arc::clone(&raw),
                signature,
                tries: 0,
                due: Instant::now(),
            });
        }
        hooks
    }

    fn enqueue(&self, job: Job) {
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            // Handlers run inside the runtime; without one, the send below fails and says so.
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(schedule(rx, Arc::clone(&self.sender)));
            }
            tx
        });
        if let Err(mpsc::error::SendError(job)) = queue.send(job) {
            if let Ok(mut log) = self.log.lock() {
                if let Some(d) = log.get_mut(job.delivery) {
                    d.status = "failed";
                    d.attempts.push(Try {
                        at: self.sender.clock.iso_now(),
                        status: None,
                        error: Some("sandbox: the delivery queue is not running".into()),
                    });
                }
            }
        }
    }
}

/// The scheduler: takes new jobs, sends the due ones (at most [`MAX_IN_FLIGHT`] at once) and
/// requeues failed ones at their backoff. Ends once the dispatcher is gone and nothing is left.
async fn schedule(mut rx: mpsc::UnboundedReceiver<Job>, sender: Arc<Sender>) {
    let mut queue: BinaryHeap<Reverse<Queued>> = BinaryHeap::new();
    let mut in_flight: JoinSet<Option<Job>> = JoinSet::new();
    let mut arrivals = 0u64;
    let mut closed = false;
    let mut push = |queue: &mut BinaryHeap<Reverse<Queued>>, job: Job| {
        arrivals += 1;
        queue.push(Reverse(Queued(job.due, arrivals, job)));
    };
    loop {
        let now = Instant::now();
        while in_flight.len() < MAX_IN_FLIGHT && queue.peek().is_some_and(|q| q.0 .0 <= now) {
            if let Some(Reverse(Queued(_, _, job))) = queue.pop() {
                in_flight.spawn(attempt(Arc::clone(&sender), job));
            }
        }
        if closed && queue.is_empty() && in_flight.is_empty() {
            return;
        }
        let wake = queue
            .peek()
            .map(|q| q.0 .0)
            .filter(|_| in_flight.len() < MAX_IN_FLIGHT);
        tokio::select! {
            job = rx.recv(), if !closed => match job {
                Some(job) => push(&mut queue, job),
                None => closed = true,
            },
            Some(done) = in_flight.join_next(), if !in_flight.is_empty() => {
                if let Ok(Some(retry)) = done {
                    push(&mut queue, retry);
                }
            },
            () = tokio::time::sleep_until(wake.unwrap_or(now)), if wake.is_some() => {},
            else => return,
        }
    }
}

/// One try of one job: logs it, and hands the job back when it is to be retried.
async fn attempt(sender: Arc<Sender>, mut job: Job) -> Option<Job> {
    let result = sender
        .http
        .post(&job.url)
        .header("content-type", "application/json")
        .header(SIGNATURE_HEADER, &job.signature)
        .header("user-agent", "pilot-sandbox-webhooks")
        .body(job.raw.to_string())
        .send()
        .await;
    let (status, error) = match result {
        Ok(r) => {
            let status = r.status().as_u16();
            // Read the answer so the connection can be reused.
            let _ = r.bytes().await;
            (Some(status), None)
        }
        Err(e) => (None, Some(e.to_string())),
    };
    job.tries += 1;
    let ok = status.is_some_and(|s| (200..300).contains(&s));
    let last = job.tries >= sender.max_tries;
    if let Ok(mut log) = sender.log.lock() {
        if let Some(d) = log.get_mut(job.delivery) {
            d.attempts.push(Try {
                at: sender.clock.iso_now(),
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
        return None;
    }
    let backoff = f64::from(1u32 << (job.tries - 1).min(10));
    job.due = Instant::now() + sender.clock.real(backoff);
    Some(job)
}
