//! The operations the npm package offers, by name: JSON arguments in, the core's builder and
//! parser in between, JSON out. Generic over the transport, so it runs natively in tests.

use pilot_connect::endpoints::{
    Connect, ConnectOutcome, CreateMetaNumber, CreateNumber, CreateRemotePairing, CreateWebhook,
    DeleteNumber, DeleteWebhook, GetNumber, GetStatus, GetWebhook, ListNumbers, ListWebhooks,
    NumberSettings, PurgeNumber, RemotePairingConnect, RemotePairingInfo, RemotePairingStatus,
    RestoreNumber, UpdateWebhook, WebhookLogs,
};
use pilot_connect::model::Number;
use pilot_connect::{Client, Error, ErrorKind, Link, MetaAccessToken, MetaAppSecret, Transport};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::error::{ErrorRecord, Kind, Reason};
use crate::options::parse_args;

/// Every operation name `call` accepts (the JS wrapper maps its methods onto these).
pub const OPERATIONS: [&str; 20] = [
    "numbers.create",
    "numbers.createMeta",
    "numbers.connect",
    "numbers.status",
    "numbers.list",
    "numbers.get",
    "numbers.delete",
    "numbers.restore",
    "numbers.purge",
    "remotePairing.create",
    "remotePairing.info",
    "remotePairing.status",
    "remotePairing.connect",
    "webhooks.list",
    "webhooks.create",
    "webhooks.get",
    "webhooks.update",
    "webhooks.delete",
    "webhooks.logs",
    "webhooks.provisionEdge",
];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateArgs {
    name: String,
    number: String,
    link_to_api_key: Option<bool>,
    settings: Option<NumberSettings>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateMetaArgs {
    name: String,
    number: String,
    meta_phone_id: String,
    meta_waba_id: String,
    meta_access_token: String,
    meta_app_secret: String,
    meta_app_id: String,
    link_to_api_key: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct IdArgs {
    id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkArgs {
    id: String,
    link: Option<Link>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GetArgs {
    id: String,
    refresh: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoArgs {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenArgs {
    token: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RemotePairingArgs {
    provider: Option<String>,
    name: Option<String>,
    number: Option<String>,
    #[serde(rename = "sendViaWhatsApp")]
    send_via_whatsapp: Option<bool>,
    link_to_api_key: Option<bool>,
    branding: Option<Value>,
    meta_flow: Option<String>,
    redirect_url: Option<String>,
    external_ref: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateWebhookArgs {
    url: String,
    events: Vec<String>,
    whatsapp_number_id: Option<String>,
    active: Option<bool>,
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateWebhookArgs {
    id: String,
    url: Option<String>,
    events: Option<Vec<String>>,
    active: Option<bool>,
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogsArgs {
    id: String,
    limit: Option<u32>,
    event: Option<String>,
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, ErrorRecord> {
    serde_json::to_value(value).map_err(|e| ErrorRecord::new(Kind::Internal, e.to_string()))
}

/// Adds computed fields next to the server's (the server's own win if it sent them).
fn with_fields(mut value: Value, fields: &[(&str, Value)]) -> Value {
    if let Value::Object(map) = &mut value {
        for (k, v) in fields {
            map.entry((*k).to_owned()).or_insert_with(|| v.clone());
        }
    }
    value
}

/// A number of list/get with `ready` beside the server's fields: the whole number's answer to
/// "is it connected?" (`isFullyConnected` when present, else `state == OPEN`).
fn number_json(n: &Number) -> Result<Value, ErrorRecord> {
    Ok(with_fields(to_json(n)?, &[("ready", n.is_ready().into())]))
}

/// `{state:"pairing", qr, pairingCode, …}` or `{state:"connected"}`.
fn connect_json(outcome: ConnectOutcome) -> Result<Value, ErrorRecord> {
    match outcome {
        ConnectOutcome::Pairing(p) => {
            let mut out = Map::new();
            out.insert("state".into(), "pairing".into());
            out.insert(
                "qr".into(),
                p.qrcode_base64
                    .as_ref()
                    .map_or(Value::Null, |q| q.as_data_url().into()),
            );
            out.insert(
                "pairingCode".into(),
                p.pairing_code
                    .as_ref()
                    .map_or(Value::Null, |c| c.as_str().into()),
            );
            if let Some(second) = &p.secondary_link {
                out.insert("secondaryLink".into(), to_json(second)?);
            }
            for (k, v) in p.extra {
                out.entry(k).or_insert(v);
            }
            Ok(Value::Object(out))
        }
        ConnectOutcome::AlreadyConnected => Ok(json!({ "state": "connected" })),
        _ => Err(ErrorRecord::new(Kind::Internal, "unknown connect outcome")),
    }
}

fn remote_pairing(a: RemotePairingArgs) -> Result<CreateRemotePairing, ErrorRecord> {
    let provider = a.provider.as_deref().unwrap_or("PILOT_STATUS");
    let mut ep = match provider {
        "PILOT_STATUS" => CreateRemotePairing::pilot_status(
            a.name.unwrap_or_default(),
            a.number.unwrap_or_default(),
        ),
        "META" => CreateRemotePairing::meta(),
        _ => {
            return Err(ErrorRecord::invalid_argument(
                "provider".into(),
                "provider must be PILOT_STATUS or META",
            ))
        }
    };
    if let Some(v) = a.send_via_whatsapp {
        ep = ep.send_via_whatsapp(v);
    }
    if let Some(v) = a.link_to_api_key {
        ep = ep.link_to_api_key(v);
    }
    if let Some(v) = a.branding {
        ep = ep.branding(v);
    }
    if let Some(v) = a.meta_flow {
        ep = ep.meta_flow(v);
    }
    if let Some(v) = a.redirect_url {
        ep = ep.redirect_url(v);
    }
    if let Some(v) = a.external_ref {
        ep = ep.external_ref(v);
    }
    Ok(ep)
}

fn secret_arg<T>(field: &str, made: Result<T, impl ToString>) -> Result<T, ErrorRecord> {
    made.map_err(|e| ErrorRecord::invalid_argument(field.into(), e.to_string()))
}

/// Runs operation `op` with JSON arguments `args` and answers JSON text.
///
/// # Errors
/// An [`ErrorRecord`]: `validation` for bad arguments (nothing is sent), otherwise what the
/// core reports for the call.
pub async fn call<T: Transport>(
    client: &Client<T>,
    op: &str,
    args: &str,
) -> Result<String, ErrorRecord> {
    let out = run(client, op, args).await?;
    serde_json::to_string(&out).map_err(|e| ErrorRecord::new(Kind::Internal, e.to_string()))
}

async fn run<T: Transport>(client: &Client<T>, op: &str, args: &str) -> Result<Value, ErrorRecord> {
    let err = |e: Error| ErrorRecord::from(&e);
    let id_args = || parse_args::<IdArgs>(args);
    match op {
        "numbers.create" => {
            let a: CreateArgs = parse_args(args)?;
            let mut ep = CreateNumber::new(a.name, a.number);
            if let Some(v) = a.link_to_api_key {
                ep = ep.link_to_api_key(v);
            }
            if let Some(s) = a.settings {
                ep = ep.settings(s);
            }
            let created = client.send(&ep).await.map_err(err)?;
            let id = Value::from(created.id());
            Ok(with_fields(to_json(&created)?, &[("id", id)]))
        }
        "numbers.createMeta" => {
            let a: CreateMetaArgs = parse_args(args)?;
            let token = secret_arg("metaAccessToken", MetaAccessToken::new(a.meta_access_token))?;
            let secret = secret_arg("metaAppSecret", MetaAppSecret::new(a.meta_app_secret))?;
            let mut ep = CreateMetaNumber::new(
                a.name,
                a.number,
                a.meta_phone_id,
                a.meta_waba_id,
                token,
                secret,
                a.meta_app_id,
            );
            if let Some(v) = a.link_to_api_key {
                ep = ep.link_to_api_key(v);
            }
            let created = client.send(&ep).await.map_err(err)?;
            let mut out = Map::new();
            out.insert("number".into(), to_json(&created.number)?);
            if let Some(hook) = &created.webhook {
                let mut h = hook.extra.clone();
                h.insert("url".into(), hook.url.clone().into());
                // The JS side wraps it in a redacting `Secret` before the caller sees it.
                h.insert(
                    "verifyToken".into(),
                    hook.verify_token.as_ref().map(|t| t.expose()).into(),
                );
                out.insert("webhook".into(), Value::Object(h));
            }
            if let Some(id) = &created.linked_api_key_id {
                out.insert("linkedApiKeyId".into(), id.clone().into());
            }
            for (k, v) in created.extra {
                out.entry(k).or_insert(v);
            }
            Ok(Value::Object(out))
        }
        "numbers.connect" => {
            let a: LinkArgs = parse_args(args)?;
            let ep = Connect::new(a.id).link(a.link.unwrap_or(Link::Primary));
            connect_json(client.send(&ep).await.map_err(err)?)
        }
        "numbers.status" => {
            let a: LinkArgs = parse_args(args)?;
            let ep = GetStatus::new(a.id).link(a.link.unwrap_or(Link::Primary));
            let status = client.send(&ep).await.map_err(err)?;
            // THE answer to "is it connected?", for the link asked about (the dual-link rule).
            let ready = status.is_link_connected();
            Ok(with_fields(to_json(&status)?, &[("ready", ready.into())]))
        }
        "numbers.list" => {
            let NoArgs {} = parse_args(args)?;
            let list = client.send(&ListNumbers::new()).await.map_err(err)?;
            let items: Result<Vec<Value>, ErrorRecord> = list.iter().map(number_json).collect();
            items.map(Value::Array)
        }
        "numbers.get" => {
            let a: GetArgs = parse_args(args)?;
            let ep = GetNumber::new(a.id).refresh(a.refresh.unwrap_or(false));
            number_json(&client.send(&ep).await.map_err(err)?)
        }
        "numbers.delete" => to_json(
            &client
                .send(&DeleteNumber::new(id_args()?.id))
                .await
                .map_err(err)?,
        ),
        "numbers.restore" => to_json(
            &client
                .send(&RestoreNumber::new(id_args()?.id))
                .await
                .map_err(err)?,
        ),
        "numbers.purge" => to_json(
            &client
                .send(&PurgeNumber::new(id_args()?.id))
                .await
                .map_err(err)?,
        ),
        "remotePairing.create" => {
            let ep = remote_pairing(parse_args(args)?)?;
            let link = client.send(&ep).await.map_err(err)?;
            let token = link.token().map_or(Value::Null, Value::from);
            let number_id = link.number_id().map_or(Value::Null, Value::from);
            Ok(with_fields(
                to_json(&link)?,
                &[("token", token), ("numberId", number_id)],
            ))
        }
        "remotePairing.info" => {
            let a: TokenArgs = parse_args(args)?;
            to_json(
                &client
                    .send(&RemotePairingInfo::new(a.token))
                    .await
                    .map_err(err)?,
            )
        }
        "remotePairing.status" => {
            let a: TokenArgs = parse_args(args)?;
            let status = client
                .send(&RemotePairingStatus::new(a.token))
                .await
                .map_err(err)?;
            let ready = status.is_link_connected();
            Ok(with_fields(to_json(&status)?, &[("ready", ready.into())]))
        }
        "remotePairing.connect" => {
            let a: TokenArgs = parse_args(args)?;
            connect_json(
                client
                    .send(&RemotePairingConnect::new(a.token))
                    .await
                    .map_err(err)?,
            )
        }
        "webhooks.list" => {
            let NoArgs {} = parse_args(args)?;
            to_json(&client.send(&ListWebhooks::new()).await.map_err(err)?)
        }
        "webhooks.create" => {
            let a: CreateWebhookArgs = parse_args(args)?;
            let mut ep = CreateWebhook::new(a.url, a.events);
            if let Some(id) = a.whatsapp_number_id {
                ep = ep.whatsapp_number_id(id);
            }
            if let Some(active) = a.active {
                ep = ep.active(active);
            }
            if let Some(name) = a.name {
                ep = ep.name(name);
            }
            // A 409 here means the number already has a webhook: most likely the customer's own.
            let created = client.send(&ep).await.map_err(|e| match e.kind() {
                ErrorKind::Conflict => ErrorRecord::from(&e).webhook_exists(),
                _ => ErrorRecord::from(&e),
            })?;
            to_json(&created)
        }
        "webhooks.get" => to_json(
            &client
                .send(&GetWebhook::new(id_args()?.id))
                .await
                .map_err(err)?,
        ),
        "webhooks.update" => {
            let a: UpdateWebhookArgs = parse_args(args)?;
            let mut ep = UpdateWebhook::new(a.id);
            if let Some(url) = a.url {
                ep = ep.url(url);
            }
            if let Some(events) = a.events {
                ep = ep.events(events);
            }
            if let Some(active) = a.active {
                ep = ep.active(active);
            }
            if let Some(name) = a.name {
                ep = ep.name(name);
            }
            to_json(&client.send(&ep).await.map_err(err)?)
        }
        "webhooks.delete" => to_json(
            &client
                .send(&DeleteWebhook::new(id_args()?.id))
                .await
                .map_err(err)?,
        ),
        "webhooks.logs" => {
            let a: LogsArgs = parse_args(args)?;
            let mut ep = WebhookLogs::new(a.id);
            if let Some(limit) = a.limit {
                ep = ep.limit(limit);
            }
            if let Some(event) = a.event {
                ep = ep.event(event);
            }
            to_json(&client.send(&ep).await.map_err(err)?)
        }
        "webhooks.provisionEdge" => crate::edge::provision(client, args).await,
        other => Err(
            ErrorRecord::new(Kind::Validation, format!("unknown operation {other:?}"))
                .with_reason(Reason::UnknownArgument),
        ),
    }
}
