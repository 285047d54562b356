//! Edge in front: the worker is the number's only webhook, so it hands **every** verified
//! delivery on to the customer's own receiver (`FORWARD_WEBHOOK_URL`), durably.
//!
//! The receiver puts each delivery on a Cloudflare Queue (`WEBHOOK_FORWARD`) before it answers
//! Pilot Status: the original bytes, the original `x-pilot-status-signature` (so the customer's
//! own verifier keeps working), and the core's dedup key. The queue's consumer (this worker)
//! POSTs it to the target; anything but a 2xx is retried with backoff (each wait as long as the
//! message has already waited, from `FORWARD_RETRY_BASE_SECS` up to five minutes), up to the
//! consumer's `max_retries`, then it goes to the dead-letter queue, whose consumer (this worker
//! too) keeps it in the [`DeadLetters`] object: listed and replayed through
//! `/v1/admin/dead-letters`, never left to expire unseen.

use serde::{Deserialize, Serialize};
use worker::{
    console_error, console_log, durable_object, DurableObject, Env, Fetch, Headers, Method,
    ObjectNamespace, QueueRetryOptionsBuilder, Request, RequestInit, Response, Result,
    SqlStorageValue, State,
};

use crate::settings::Settings;
use pilot_connect::webhook::SIGNATURE_HEADER;

/// The producer binding of the forward queue.
pub const QUEUE: &str = "WEBHOOK_FORWARD";
/// The dead-letter queue's name: its batches go to [`keep_dead`] (as in wrangler.toml; the
/// worker tests check that the two agree).
pub const DEAD_LETTER_QUEUE: &str = "pilot-connect-forward-dlq";
/// The Durable Object namespace of the dead letters (one object).
pub const DEAD_LETTERS: &str = "DEAD_LETTERS";
/// The header the forward carries the dedup key in (`data.id`, or `event|numberId|createdAt`).
pub const DEDUP_HEADER: &str = "x-pilot-connect-dedup-key";

/// Longest wait between two forward attempts.
const MAX_RETRY_DELAY_SECS: u32 = 300;

/// One delivery to hand on: what Pilot Status sent, as it sent it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForwardJob {
    /// The raw body (JSON, so valid UTF-8: the string is the bytes).
    pub body: String,
    /// `x-pilot-status-signature` as received.
    pub signature: String,
    /// The core's dedup key, when the delivery has one.
    pub dedup_key: Option<String>,
    /// The event name (for logs and the dead-letter list).
    pub event: String,
    /// When (ms) the edge received it.
    pub received_at: f64,
}

/// Puts a verified delivery on the forward queue. An error means it is not queued: the caller
/// answers non-2xx so Pilot Status retries it.
pub async fn enqueue(env: &Env, job: &ForwardJob) -> Result<()> {
    env.queue(QUEUE)?.send(job).await
}

/// One attempt to deliver `job` to the customer's receiver: `Ok(true)` on a 2xx.
async fn deliver(target: &str, job: &ForwardJob) -> Result<bool> {
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    headers.set(SIGNATURE_HEADER, &job.signature)?;
    if let Some(k) = &job.dedup_key {
        headers.set(DEDUP_HEADER, k)?;
    }
    headers.set(
        "user-agent",
        concat!(
            "pilot-connect-edge/",
            env!("CARGO_PKG_VERSION"),
            " (forward)"
        ),
    )?;
    let init = RequestInit {
        method: Method::Post,
        headers,
        body: Some(job.body.clone().into()),
        ..RequestInit::default()
    };
    let resp = Fetch::Request(Request::new_with_init(target, &init)?)
        .send()
        .await?;
    Ok((200..300).contains(&resp.status_code()))
}

/// The consumer of the forward queue: delivers each message, retrying what fails.
pub async fn consume(batch: worker::MessageBatch<ForwardJob>, s: &Settings) {
    use worker::MessageExt as _;
    let Some(target) = s.forward_url.as_deref() else {
        // Forwarding was switched off while messages waited: keep them, do not drop them.
        console_error!(
            "forward: FORWARD_WEBHOOK_URL is not set; {} message(s) retried later",
            batch.messages().map_or(0, |m| m.len())
        );
        batch.retry_all_with_options(
            &QueueRetryOptionsBuilder::new()
                .with_delay_seconds(MAX_RETRY_DELAY_SECS)
                .build(),
        );
        return;
    };
    let messages = match batch.messages() {
        Ok(m) => m,
        Err(e) => {
            console_error!("forward: unreadable batch, retried: {e}");
            batch.retry_all();
            return;
        }
    };
    // The batch's deliveries go out together: one slow receiver answer must not hold the rest.
    let outcomes =
        futures_util::future::join_all(messages.iter().map(|m| deliver(target, m.body()))).await;
    for (m, outcome) in messages.iter().zip(outcomes) {
        let job = m.body();
        match outcome {
            Ok(true) => m.ack(),
            outcome => {
                // Each wait as long as the message has already waited: 2x per attempt, from the
                // base up to five minutes.
                let age = ((js_sys::Date::now() - job.received_at) / 1000.0).max(0.0) as u32;
                let delay = age.max(s.forward_retry_base_secs).min(MAX_RETRY_DELAY_SECS);
                console_log!(
                    "forward: {} {} not delivered ({}), retry in {delay} s",
                    job.event,
                    job.dedup_key.as_deref().unwrap_or("-"),
                    match outcome {
                        Ok(_) => "non-2xx".to_owned(),
                        Err(e) => e.to_string(),
                    }
                );
                m.retry_with_options(
                    &QueueRetryOptionsBuilder::new()
                        .with_delay_seconds(delay)
                        .build(),
                );
            }
        }
    }
}

/// The consumer of the dead-letter queue: every message is kept in [`DeadLetters`].
pub async fn keep_dead(batch: worker::MessageBatch<ForwardJob>, env: &Env) {
    use worker::MessageExt as _;
    let Ok(messages) = batch.messages() else {
        console_error!("dead letters: unreadable batch, retried");
        batch.retry_all();
        return;
    };
    let client = match env
        .durable_object(DEAD_LETTERS)
        .and_then(|ns| DeadLetterClient::new(&ns))
    {
        Ok(c) => c,
        Err(e) => {
            console_error!("dead letters: no store ({e}), retried");
            batch.retry_all();
            return;
        }
    };
    for m in messages {
        match client
            .call(&DeadLetterRequest::Keep {
                job: m.body().clone(),
            })
            .await
        {
            Ok(r) if r.status_code() == 200 => {
                console_error!(
                    "forward: {} {} gave up after max_retries: kept in dead letters",
                    m.body().event,
                    m.body().dedup_key.as_deref().unwrap_or("-")
                );
                m.ack();
            }
            _ => m.retry(),
        }
    }
}

/// What the worker asks of the dead-letter store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum DeadLetterRequest {
    /// Keep a delivery that ran out of retries.
    Keep {
        /// The delivery.
        job: ForwardJob,
    },
    /// The kept deliveries, oldest first.
    List {
        /// At most this many.
        limit: u32,
    },
    /// Drop these from the store (they are on the queue again).
    Remove {
        /// Which.
        ids: Vec<i64>,
    },
}

/// A kept delivery, as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    /// Its id in the store.
    pub id: i64,
    /// When (ms) it was given up on.
    pub dead_at: f64,
    /// The delivery.
    pub job: ForwardJob,
}

/// The worker's side: the one dead-letter store.
pub struct DeadLetterClient {
    stub: worker::Stub,
}

impl DeadLetterClient {
    pub fn new(ns: &ObjectNamespace) -> Result<Self> {
        Ok(Self {
            stub: ns.id_from_name("dead-letters")?.get_stub()?,
        })
    }

    pub async fn call(&self, request: &DeadLetterRequest) -> Result<Response> {
        crate::object::call(&self.stub, request).await
    }
}

/// Deliveries that ran out of retries, in the object's SQLite storage.
#[durable_object]
pub struct DeadLetters {
    state: State,
}

#[derive(Deserialize)]
struct Row {
    id: i64,
    dead_at: f64,
    job: String,
}

impl DeadLetters {
    fn sql(&self) -> worker::SqlStorage {
        self.state.storage().sql()
    }

    fn ensure(&self) -> Result<()> {
        self.sql().exec(
            "CREATE TABLE IF NOT EXISTS dead (id INTEGER PRIMARY KEY AUTOINCREMENT, dead_at REAL NOT NULL, job TEXT NOT NULL)",
            None,
        )?;
        Ok(())
    }

    fn rows(&self, limit: u32) -> Result<Vec<DeadLetter>> {
        let rows: Vec<Row> = self
            .sql()
            .exec(
                "SELECT id, dead_at, job FROM dead ORDER BY id LIMIT ?",
                vec![SqlStorageValue::Integer(i64::from(limit))],
            )?
            .to_array()?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                serde_json::from_str(&r.job).ok().map(|job| DeadLetter {
                    id: r.id,
                    dead_at: r.dead_at,
                    job,
                })
            })
            .collect())
    }
}

impl DurableObject for DeadLetters {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        self.ensure()?;
        let Ok(request) = req.json::<DeadLetterRequest>().await else {
            return Response::error("bad request", 400);
        };
        match request {
            DeadLetterRequest::Keep { job } => {
                self.sql().exec(
                    "INSERT INTO dead (dead_at, job) VALUES (?, ?)",
                    vec![
                        SqlStorageValue::Float(js_sys::Date::now()),
                        SqlStorageValue::String(serde_json::to_string(&job)?),
                    ],
                )?;
                Response::from_json(&serde_json::json!({ "ok": true }))
            }
            DeadLetterRequest::List { limit } => {
                let rows = self.rows(limit.clamp(1, 1000))?;
                Response::from_json(&rows)
            }
            DeadLetterRequest::Remove { ids } => {
                for id in &ids {
                    self.sql().exec(
                        "DELETE FROM dead WHERE id = ?",
                        vec![SqlStorageValue::Integer(*id)],
                    )?;
                }
                Response::from_json(&serde_json::json!({ "removed": ids.len() }))
            }
        }
    }
}

/// Puts kept deliveries (`ids`, or all when `None`) on the forward queue again, then drops
/// them from the store: one that cannot be queued stays kept.
pub async fn replay(env: &Env, ids: Option<&[i64]>) -> Result<Vec<i64>> {
    let store = DeadLetterClient::new(&env.durable_object(DEAD_LETTERS)?)?;
    let mut listed = store.call(&DeadLetterRequest::List { limit: 1000 }).await?;
    let letters: Vec<DeadLetter> = listed.json().await?;
    let mut sent = Vec::new();
    for l in letters
        .into_iter()
        .filter(|l| ids.is_none_or(|ids| ids.contains(&l.id)))
    {
        // A replay starts its backoff afresh.
        let job = ForwardJob {
            received_at: js_sys::Date::now(),
            ..l.job
        };
        if enqueue(env, &job).await.is_ok() {
            sent.push(l.id);
        }
    }
    store
        .call(&DeadLetterRequest::Remove { ids: sent.clone() })
        .await?;
    Ok(sent)
}
