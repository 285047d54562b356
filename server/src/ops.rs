//! The operations the npm package offers, by name: JSON arguments in, the core's builder and
//! parser in between, JSON out. Generic over the transport, so it runs natively in tests.

use pilot_connect::endpoints::{
    Connect, ConnectOutcome, CreateMetaNumber, CreateNumber, CreateRemotePairing, CreateWebhook,
    DeleteNumber, DeleteWebhook, GetBranding, GetNumber, GetStatus, GetWebhook, ListNumbers,
    ListWebhooks, PurgeNumber, RemotePairingConnect, RemotePairingInfo, RemotePairingStatus,
    RestoreNumber, UpdateBranding, UpdateWebhook, WebhookLogs,
};
use pilot_connect::model::{Branding, Number};
use pilot_connect::{Client, Error, ErrorKind, Link, MetaAccessToken, MetaAppSecret, Transport};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::error::{ErrorRecord, Kind, Reason};
use crate::options::parse_args;

/// How a JS method's arguments become an operation's JSON arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Args {
    /// `(input)`: the object as it is.
    Input,
    /// `()`: none (`{}`).
    None,
    /// `(key)`: the string as field `key`.
    Key(&'static str),
    /// `(key, options?)`: the string as field `key`, beside the options' fields.
    KeyOptions(&'static str),
}

/// Defines [`Op`] from one table: each operation's group and method (the JS names), how its
/// arguments travel ([`Args`]), its TypeScript member and doc. The dispatch ([`call`]),
/// `index.js`'s method map ([`js_block`]) and `index.d.ts`'s `Numbers`, `RemotePairing`,
/// `Webhooks` and `TenantBranding` interfaces ([`dts_block`]) come from it; a test fails when
/// the files differ. A new group also needs its `readonly` property on `PilotStatus` in
/// `index.d.ts` (hand-written) and, when its capitalised name is taken, an entry in
/// [`GROUP_INTERFACES`].
macro_rules! operations {
    ($($(#[doc = $doc:literal])* $variant:ident = $group:ident . $method:ident ($args:expr) $ts:literal;)*) => {
        /// An operation the package offers.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Op {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Op {
            /// Every operation, in table order.
            pub const ALL: &'static [Op] = &[$(Op::$variant),*];

            /// The group (`numbers`): a property of `PilotStatus`.
            #[must_use]
            pub const fn group(self) -> &'static str {
                match self { $(Op::$variant => stringify!($group),)* }
            }

            /// The method (`create`).
            #[must_use]
            pub const fn method(self) -> &'static str {
                match self { $(Op::$variant => stringify!($method),)* }
            }

            /// How its arguments travel.
            #[must_use]
            pub const fn args(self) -> Args {
                match self { $(Op::$variant => $args,)* }
            }

            /// Its TypeScript member(s) in the group's interface.
            #[must_use]
            pub const fn ts(self) -> &'static str {
                match self { $(Op::$variant => $ts,)* }
            }

            /// Its doc lines (each with rustdoc's leading space).
            #[must_use]
            pub const fn doc(self) -> &'static [&'static str] {
                match self { $(Op::$variant => &[$($doc),*],)* }
            }
        }
    };
}

operations! {
    /// `POST /v1/numbers`: a QR-paired number, with its first QR and pairing code.
    NumbersCreate = numbers.create(Args::Input) "create(input: CreateNumberInput): Promise<CreatedNumber>;";
    /// `POST /v1/numbers/meta`: a Meta Cloud API number with your WABA credentials.
    NumbersCreateMeta = numbers.createMeta(Args::Input) "createMeta(input: CreateMetaNumberInput): Promise<CreatedMetaNumber>;";
    /// `GET /v1/numbers/{id}/connect`: a fresh QR + pairing code, or `connected` (the 409).
    NumbersConnect = numbers.connect(Args::KeyOptions("id")) "connect(id: string, options?: { link?: Link }): Promise<ConnectResult>;";
    /// `GET /v1/numbers/{id}/status`: live state (retried on 5xx/network).
    NumbersStatus = numbers.status(Args::KeyOptions("id")) "status(id: string, options?: { link?: Link }): Promise<NumberStatus>;";
    /// `GET /v1/numbers`.
    NumbersList = numbers.list(Args::None) "list(): Promise<PilotNumber[]>;";
    /// `GET /v1/numbers/{id}`; `refresh` asks the provider instead of the cache.
    NumbersGet = numbers.get(Args::KeyOptions("id")) "get(id: string, options?: { refresh?: boolean }): Promise<PilotNumber>;";
    /// `DELETE /v1/numbers/{id}` (never retried).
    NumbersDelete = numbers.delete(Args::Key("id")) "delete(id: string): Promise<Deleted>;";
    /// `POST /v1/numbers/{id}/restore` within the soft-delete window.
    NumbersRestore = numbers.restore(Args::Key("id")) "restore(id: string): Promise<Restored>;";
    /// `DELETE /v1/numbers/{id}/purge`: immediate and irreversible.
    NumbersPurge = numbers.purge(Args::Key("id")) "purge(id: string): Promise<OkResult>;";
    /// `POST /v1/numbers/remote-pairing`: a 24 h single-use link for your customer.
    RemotePairingCreate = remotePairing.create(Args::Input) "create(input: Extract<CreateRemotePairingInput, { name: string }>): Promise<PilotStatusRemotePairingLink>;\n  create(input: CreateRemotePairingInput): Promise<RemotePairingLink>;";
    /// `GET /v1/remote-pairing/{token}` (public: no key needed).
    RemotePairingInfo = remotePairing.info(Args::Key("token")) "info(token: string): Promise<RemotePairingInfo>;";
    /// `GET /v1/remote-pairing/{token}/status` (public).
    RemotePairingStatus = remotePairing.status(Args::Key("token")) "status(token: string): Promise<RemotePairingStatus>;";
    /// `POST /v1/remote-pairing/{token}/connect` (public).
    RemotePairingConnect = remotePairing.connect(Args::Key("token")) "connect(token: string): Promise<ConnectResult>;";
    WebhooksList = webhooks.list(Args::None) "list(): Promise<Webhook[]>;";
    WebhooksCreate = webhooks.create(Args::Input) "create(input: CreateWebhookInput): Promise<Webhook>;";
    WebhooksGet = webhooks.get(Args::Key("id")) "get(id: string): Promise<Webhook>;";
    WebhooksUpdate = webhooks.update(Args::KeyOptions("id")) "update(id: string, changes: UpdateWebhookInput): Promise<Webhook>;";
    WebhooksDelete = webhooks.delete(Args::Key("id")) "delete(id: string): Promise<OkResult>;";
    /// Recent delivery attempts; `limit` 1…50.
    WebhooksLogs = webhooks.logs(Args::KeyOptions("id")) "logs(id: string, options?: { limit?: number; event?: string }): Promise<WebhookLog[]>;";
    /// Sets up the edge worker's webhook for a number without taking your traffic: side by side
    /// (its own webhook, the four lifecycle events, never `"*"`), relay (one webhook per number and
    /// it is yours: left as it is), or edge in front (asked for with `mode: "edge_in_front"`).
    /// Never changes a webhook whose URL is not the edge's, except the one at `forwardTo` in
    /// `edge_in_front` mode. Safe to call again: it converges.
    /// @throws {PilotStatusError} `validation` / `configuration` (nothing sent); `conflict` in
    /// `edge_in_front` mode when the number's one webhook points elsewhere than `forwardTo`.
    WebhooksProvisionEdge = webhooks.provisionEdge(Args::Input) "provisionEdge(input: ProvisionEdgeInput): Promise<ProvisionEdgeResult>;";
    /// `GET /v1/branding`: the tenant's branding (`{}` when nothing is set).
    BrandingGet = branding.get(Args::None) "get(): Promise<Branding>;";
    /// `PUT /v1/branding`: changes the fields given (`null` clears one; a field left out is left
    /// as it is) and answers the whole branding. At least one change.
    BrandingUpdate = branding.update(Args::Input) "update(changes: UpdateBrandingInput): Promise<Branding>;";
}

impl Op {
    /// The operation's wire name (`numbers.create`), as `call` takes it.
    #[must_use]
    pub fn name(self) -> String {
        format!("{}.{}", self.group(), self.method())
    }

    /// The operation named `name`.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        let (group, method) = name.split_once('.')?;
        Self::ALL
            .iter()
            .copied()
            .find(|op| op.group() == group && op.method() == method)
    }
}

/// Marks the generated method map in `index.js` and the interfaces in `index.d.ts`.
pub const OPS_BEGIN: &str =
    "// <operations> generated from server/src/ops.rs: edit the table there";
/// Ends it.
pub const OPS_END: &str = "// </operations>";

/// The doc of a group's interface, where it has one.
const GROUP_DOCS: &[(&str, &[&str])] = &[
    (
        "webhooks",
        &[
            "`/v1/webhooks`: one webhook per number. The signing secret is never returned by the API: it",
            "comes from the dashboard (pass it to `verifyWebhook`).",
        ],
    ),
    (
        "branding",
        &[
            "`/v1/branding`: the tenant's branding, what the hosted connect page shows unless a link's own",
            "snapshot (`remotePairing.create({ branding })`) says otherwise. Tenant key only: a number key",
            "gets `forbidden` (`number_key_not_allowed`).",
        ],
    ),
];

/// A group's interface name when it is not the group's name capitalised (`branding` would be
/// `Branding`, which is the model of its answers).
pub const GROUP_INTERFACES: &[(&str, &str)] = &[("branding", "TenantBranding")];

/// The name of a group's interface in `index.d.ts`.
#[must_use]
pub fn group_interface(group: &str) -> String {
    if let Some((_, name)) = GROUP_INTERFACES.iter().find(|(g, _)| *g == group) {
        return (*name).to_owned();
    }
    let mut name = group.to_owned();
    if let Some(first) = name.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    name
}

/// The groups in table order.
fn groups() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for op in Op::ALL {
        if !out.contains(&op.group()) {
            out.push(op.group());
        }
    }
    out
}

/// The `index.js` block: `const OPERATIONS = { group: { method: [name, args, key?] } }`.
#[must_use]
pub fn js_block() -> String {
    let mut out = format!("{OPS_BEGIN}\nconst OPERATIONS = {{\n");
    for g in groups() {
        out.push_str(&format!("  {g}: {{\n"));
        for op in Op::ALL.iter().filter(|op| op.group() == g) {
            let args = match op.args() {
                Args::Input => "\"input\"".to_owned(),
                Args::None => "\"none\"".to_owned(),
                Args::Key(k) => format!("\"key\", \"{k}\""),
                Args::KeyOptions(k) => format!("\"keyOptions\", \"{k}\""),
            };
            out.push_str(&format!(
                "    {}: [\"{}\", {args}],\n",
                op.method(),
                op.name()
            ));
        }
        out.push_str("  },\n");
    }
    out.push_str(&format!("}};\n{OPS_END}"));
    out
}

/// The `index.d.ts` block: one interface per group (`Numbers`, …), each member with its doc.
#[must_use]
pub fn dts_block() -> String {
    let mut out = format!("{OPS_BEGIN}\n");
    for (i, g) in groups().into_iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if let Some((_, lines)) = GROUP_DOCS.iter().find(|(group, _)| *group == g) {
            out.push_str("/**\n");
            for l in *lines {
                out.push_str(&format!(" * {l}\n"));
            }
            out.push_str(" */\n");
        }
        let name = group_interface(g);
        out.push_str(&format!("export interface {name} {{\n"));
        for op in Op::ALL.iter().filter(|op| op.group() == g) {
            let doc: Vec<&str> = op
                .doc()
                .iter()
                .map(|l| l.strip_prefix(' ').unwrap_or(l))
                .skip_while(|l| l.is_empty())
                .collect();
            match doc.as_slice() {
                [] => {}
                [one] => out.push_str(&format!("  /** {one} */\n")),
                lines => {
                    out.push_str("  /**\n");
                    for l in lines {
                        out.push_str(&format!("   * {l}\n"));
                    }
                    out.push_str("   */\n");
                }
            }
            out.push_str(&format!("  {}\n", op.ts()));
        }
        out.push_str("}\n");
    }
    out.push_str(OPS_END);
    out
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateMetaArgs {
    /// Display name.
    name: String,
    /// At least 8 digits, optional `+`.
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
    /// The per-link snapshot, under either documented name (both at once: a duplicate field).
    #[serde(alias = "brandingOverride")]
    branding: Option<BrandingArg>,
    meta_flow: Option<String>,
    redirect_url: Option<String>,
    external_ref: Option<String>,
}

/// A branding snapshot as the caller gives it: each known field of its JSON type or `null`
/// (strictly, unlike the lenient [`Branding`] of answers, so `companyName: 42` is refused with
/// its path rather than dropped); fields this version does not know travel as they are.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BrandingArg {
    logo_url: Option<String>,
    primary_color: Option<String>,
    background_color: Option<String>,
    company_name: Option<String>,
    subtitle: Option<String>,
    support_url: Option<String>,
    default_redirect_url: Option<String>,
    hide_pilot_status_branding: Option<bool>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

impl From<BrandingArg> for Branding {
    fn from(a: BrandingArg) -> Self {
        Branding {
            logo_url: a.logo_url,
            primary_color: a.primary_color,
            background_color: a.background_color,
            company_name: a.company_name,
            subtitle: a.subtitle,
            support_url: a.support_url,
            default_redirect_url: a.default_redirect_url,
            hide_pilot_status_branding: a.hide_pilot_status_branding,
            extra: a.extra,
        }
    }
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
        ep = ep.branding(v.into());
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
    match Op::parse(op) {
        Some(Op::NumbersCreate) => {
            // The input is the core's builder itself (it deserialises strictly).
            let ep: CreateNumber = parse_args(args)?;
            let created = client.send(&ep).await.map_err(err)?;
            let id = Value::from(created.id());
            Ok(with_fields(to_json(&created)?, &[("id", id)]))
        }
        Some(Op::NumbersCreateMeta) => {
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
        Some(Op::NumbersConnect) => {
            let a: LinkArgs = parse_args(args)?;
            let ep = Connect::new(a.id).link(a.link.unwrap_or(Link::Primary));
            connect_json(client.send(&ep).await.map_err(err)?)
        }
        Some(Op::NumbersStatus) => {
            let a: LinkArgs = parse_args(args)?;
            let ep = GetStatus::new(a.id).link(a.link.unwrap_or(Link::Primary));
            let status = client.send(&ep).await.map_err(err)?;
            // THE answer to "is it connected?", for the link asked about (the dual-link rule).
            let ready = status.is_link_connected();
            Ok(with_fields(to_json(&status)?, &[("ready", ready.into())]))
        }
        Some(Op::NumbersList) => {
            let NoArgs {} = parse_args(args)?;
            let list = client.send(&ListNumbers::new()).await.map_err(err)?;
            let items: Result<Vec<Value>, ErrorRecord> = list.iter().map(number_json).collect();
            items.map(Value::Array)
        }
        Some(Op::NumbersGet) => {
            let a: GetArgs = parse_args(args)?;
            let ep = GetNumber::new(a.id).refresh(a.refresh.unwrap_or(false));
            number_json(&client.send(&ep).await.map_err(err)?)
        }
        Some(Op::NumbersDelete) => to_json(
            &client
                .send(&DeleteNumber::new(id_args()?.id))
                .await
                .map_err(err)?,
        ),
        Some(Op::NumbersRestore) => to_json(
            &client
                .send(&RestoreNumber::new(id_args()?.id))
                .await
                .map_err(err)?,
        ),
        Some(Op::NumbersPurge) => to_json(
            &client
                .send(&PurgeNumber::new(id_args()?.id))
                .await
                .map_err(err)?,
        ),
        Some(Op::RemotePairingCreate) => {
            let ep = remote_pairing(parse_args(args)?)?;
            let link = client.send(&ep).await.map_err(err)?;
            let token = link.token().map_or(Value::Null, Value::from);
            let number_id = link.number_id().map_or(Value::Null, Value::from);
            Ok(with_fields(
                to_json(&link)?,
                &[("token", token), ("numberId", number_id)],
            ))
        }
        Some(Op::RemotePairingInfo) => {
            let a: TokenArgs = parse_args(args)?;
            to_json(
                &client
                    .send(&RemotePairingInfo::new(a.token))
                    .await
                    .map_err(err)?,
            )
        }
        Some(Op::RemotePairingStatus) => {
            let a: TokenArgs = parse_args(args)?;
            let status = client
                .send(&RemotePairingStatus::new(a.token))
                .await
                .map_err(err)?;
            let ready = status.is_link_connected();
            Ok(with_fields(to_json(&status)?, &[("ready", ready.into())]))
        }
        Some(Op::RemotePairingConnect) => {
            let a: TokenArgs = parse_args(args)?;
            connect_json(
                client
                    .send(&RemotePairingConnect::new(a.token))
                    .await
                    .map_err(err)?,
            )
        }
        Some(Op::WebhooksList) => {
            let NoArgs {} = parse_args(args)?;
            to_json(&client.send(&ListWebhooks::new()).await.map_err(err)?)
        }
        Some(Op::WebhooksCreate) => {
            let ep: CreateWebhook = parse_args(args)?;
            // A 409 here means the number already has a webhook: most likely the customer's own.
            let created = client.send(&ep).await.map_err(|e| match e.kind() {
                ErrorKind::Conflict => ErrorRecord::from(&e).webhook_exists(),
                _ => ErrorRecord::from(&e),
            })?;
            to_json(&created)
        }
        Some(Op::WebhooksGet) => to_json(
            &client
                .send(&GetWebhook::new(id_args()?.id))
                .await
                .map_err(err)?,
        ),
        Some(Op::WebhooksUpdate) => {
            let ep: UpdateWebhook = parse_args(args)?;
            to_json(&client.send(&ep).await.map_err(err)?)
        }
        Some(Op::WebhooksDelete) => to_json(
            &client
                .send(&DeleteWebhook::new(id_args()?.id))
                .await
                .map_err(err)?,
        ),
        Some(Op::WebhooksLogs) => {
            let ep: WebhookLogs = parse_args(args)?;
            to_json(&client.send(&ep).await.map_err(err)?)
        }
        Some(Op::WebhooksProvisionEdge) => crate::edge::provision(client, args).await,
        Some(Op::BrandingGet) => {
            let NoArgs {} = parse_args(args)?;
            to_json(&client.send(&GetBranding::new()).await.map_err(err)?)
        }
        Some(Op::BrandingUpdate) => {
            // The input is the core's builder itself (strict; `null` clears a field).
            let ep: UpdateBranding = parse_args(args)?;
            to_json(&client.send(&ep).await.map_err(err)?)
        }
        None => Err(
            ErrorRecord::new(Kind::Validation, format!("unknown operation {op:?}"))
                .with_reason(Reason::UnknownArgument),
        ),
    }
}
