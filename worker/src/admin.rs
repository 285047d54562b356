//! `/v1/admin/dead-letters` (GET: list) and `/v1/admin/dead-letters/replay` (POST `{ids?}`:
//! put them on the forward queue again): the operator's view of forwards that ran out of
//! retries. Behind `Authorization: Bearer <ADMIN_SECRET>`; not offered without the secret.

use pilot_connect::public::PublicErrorCode;
use serde::Deserialize;
use serde_json::json;
use worker::{console_error, Env, Request, Response};

use crate::forward::{self, DeadLetter, DeadLetterClient, DeadLetterRequest};
use crate::reply::Reply;
use crate::settings::Settings;

#[derive(Deserialize, Default)]
struct ReplayBody {
    #[serde(default)]
    ids: Option<Vec<i64>>,
}

pub async fn dead_letters(mut req: Request, env: &Env, s: &Settings, replay: bool) -> Response {
    let reply = Reply::BARE;
    let Some(secret) = &s.admin_secret else {
        return reply.error(PublicErrorCode::RouteNotFound);
    };
    let given = req
        .headers()
        .get("authorization")
        .ok()
        .flatten()
        .and_then(|v| v.strip_prefix("Bearer ").map(str::to_owned));
    if !given.is_some_and(|g| secret.matches(g.trim())) {
        return reply.unauthorized(PublicErrorCode::InvalidToken);
    }
    let result = if replay {
        let body: ReplayBody = match req.text().await {
            Ok(t) if t.trim().is_empty() => ReplayBody::default(),
            Ok(t) => match serde_json::from_str(&t) {
                Ok(b) => b,
                Err(_) => return reply.error(PublicErrorCode::BadRequest),
            },
            Err(_) => return reply.error(PublicErrorCode::BadRequest),
        };
        forward::replay(env, body.ids.as_deref())
            .await
            .map(|ids| json!({ "replayed": ids }))
    } else {
        list(env)
            .await
            .map(|letters| json!({ "deadLetters": letters }))
    };
    match result {
        Ok(body) => reply.json(200, &body),
        Err(e) => {
            console_error!("dead letters: {e}");
            reply.error(PublicErrorCode::Unavailable)
        }
    }
}

async fn list(env: &Env) -> worker::Result<Vec<DeadLetter>> {
    let store = DeadLetterClient::new(&env.durable_object(forward::DEAD_LETTERS)?)?;
    let mut resp = store.call(&DeadLetterRequest::List { limit: 1000 }).await?;
    resp.json().await
}
