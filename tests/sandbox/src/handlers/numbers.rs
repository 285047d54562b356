//! `/v1/numbers`: create (QR and Meta), list, get, connect, status, delete, restore, purge.

use super::*;

// ---------- /v1/numbers ----------

/// A phone can back one number: 409 while another is active, `NUMBER_SOFT_DELETED` while a
/// deleted one is still restorable.
fn phone_free(st: &State, number: &str) -> Result<(), Response> {
    if st.active_by_phone(number).is_some() {
        return Err(error(StatusCode::CONFLICT, "Number already exists", None));
    }
    if st.deleted_by_phone(number).is_some() {
        return Err(error(
            StatusCode::CONFLICT,
            "This number was deleted and is still restorable; restore or purge it first",
            Some("NUMBER_SOFT_DELETED"),
        ));
    }
    Ok(())
}

pub(super) async fn create(
    AxState(app): AxState<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let (resp, event) = {
        let (mut st, now, c) = authenticate(&app, &headers)?;
        let result = (|| {
            let m = object(&body)?;
            let name = req_str(&m, "name")?;
            let number = phone(&m, 10)?;
            let link = opt_bool(&m, "linkToApiKey")?.unwrap_or(true);
            if let Some(s) = m.get("settings") {
                if !(s.is_object() || s.is_null()) {
                    return Err(invalid("settings: must be an object"));
                }
            }
            phone_free(&st, &number)?;
            Ok((name, number, link))
        })();
        let (name, number, link) = result?;
        let id = st.create_number(&name, &number, None, now);
        let linked = match (&c.scope, link) {
            (Scope::Number(_), true) => {
                if let Some(k) = st.keys.get_mut(&c.key) {
                    k.scope = Scope::Number(Some(id.clone()));
                }
                Value::String(c.key_id.clone())
            }
            _ => Value::Null,
        };
        let Some(n) = st.numbers.get_mut(&id) else {
            return Err(error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "lost number",
                None,
            ));
        };
        let internal = |e: String| error(StatusCode::INTERNAL_SERVER_ERROR, &e, None);
        let (idx, _ref, code) = n.ensure_attempt(now).map_err(internal)?;
        let qr = n.qr_data_url(idx).map_err(internal)?;
        let body = json!({
            "instance": n.instance(&app.clock),
            "qrcodeBase64": qr,
            "pairingCode": code,
            "linkedApiKeyId": linked,
            "primaryLink": { "qrcodeBase64": qr, "pairingCode": code },
            "secondaryLink": null,
        });
        (
            json_response(StatusCode::CREATED, &body),
            n.event_data(&app.clock),
        )
    };
    app.hooks.emit("number.created", event);
    Ok(resp)
}

pub(super) async fn create_meta(
    AxState(app): AxState<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let (resp, event) = {
        let (mut st, now, c) = authenticate(&app, &headers)?;
        let parsed = (|| {
            let m = object(&body)?;
            let name = req_str(&m, "name")?;
            let number = phone(&m, 8)?;
            let phone_id = req_str(&m, "metaPhoneId")?;
            let waba_id = req_str(&m, "metaWabaId")?;
            req_str(&m, "metaAccessToken")?;
            req_str(&m, "metaAppSecret")?;
            let app_id = req_str(&m, "metaAppId")?;
            let link = opt_bool(&m, "linkToApiKey")?.unwrap_or(true);
            phone_free(&st, &number)?;
            Ok((name, number, phone_id, waba_id, app_id, link))
        })();
        let (name, number, phone_id, waba_id, app_id, link) = parsed?;
        let verify_token = format!("ps_meta_verify_{:016x}", fastrand::u64(..));
        let meta = MetaRec {
            phone_id: phone_id.clone(),
            waba_id: waba_id.clone(),
            app_id,
            verify_token: verify_token.clone(),
        };
        let id = st.create_number(&name, &number, Some(meta), now);
        // The seed's example links the calling key (default true).
        let linked = if link {
            if let (Scope::Number(_), Some(k)) = (&c.scope, st.keys.get_mut(&c.key)) {
                k.scope = Scope::Number(Some(id.clone()));
            }
            Value::String(c.key_id.clone())
        } else {
            Value::Null
        };
        let Some(n) = st.numbers.get_mut(&id) else {
            return Err(error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "lost number",
                None,
            ));
        };
        let body = json!({
            "number": {
                "id": n.id, "number": n.phone, "name": n.name, "provider": "META",
                "metaPhoneId": phone_id, "metaWabaId": waba_id,
                "isFullyConnected": true, "createdAt": app.clock.iso_at(n.created),
            },
            "webhook": { "url": format!("{}/webhooks/meta", app.base_url), "verifyToken": verify_token },
            "linkedApiKeyId": linked,
        });
        (
            json_response(StatusCode::CREATED, &body),
            n.event_data(&app.clock),
        )
    };
    app.hooks.emit("number.created", event);
    Ok(resp)
}

pub(super) async fn list(AxState(app): AxState<Shared>, headers: HeaderMap) -> Reply {
    let (mut st, _now, c) = authenticate(&app, &headers)?;
    let items: Vec<Value> = st
        .numbers
        .values_mut()
        .filter(|n| n.deleted.is_none())
        .filter(|n| match &c.scope {
            Scope::Tenant => true,
            Scope::Number(id) => id.as_deref() == Some(n.id.as_str()),
        })
        .map(|n| n.summary(&app.clock))
        .collect();
    Ok(json_response(StatusCode::OK, &Value::Array(items)))
}

/// Runs `f` on a live (not deleted) number the caller may use.
fn with_number(
    app: &App,
    headers: &HeaderMap,
    id: &str,
    f: impl FnOnce(&mut NumberRec, &App) -> Response,
) -> Reply {
    let (mut st, _now, c) = authenticate(app, headers)?;
    may_use(&c, id)?;
    match st.numbers.get_mut(id) {
        Some(n) if n.deleted.is_none() => Ok(f(n, app)),
        _ => Err(not_found_number()),
    }
}

pub(super) async fn get_number(
    AxState(app): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Reply {
    with_number(&app, &headers, &id, |n, app| {
        json_response(StatusCode::OK, &n.detail(&app.clock))
    })
}

#[derive(Deserialize)]
pub(super) struct LinkQuery {
    link: Option<String>,
}

fn check_link(q: &LinkQuery) -> Result<(), Response> {
    match q.link.as_deref() {
        None | Some("primary") => Ok(()),
        Some("secondary") => Err(error(
            StatusCode::BAD_REQUEST,
            "This number has no secondary link (upgrade it to dual first)",
            Some("FEATURE_NOT_SUPPORTED"),
        )),
        Some(_) => Err(invalid("link: must be primary or secondary")),
    }
}

pub(super) async fn connect(
    AxState(app): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: Result<Query<LinkQuery>, axum::extract::rejection::QueryRejection>,
) -> Reply {
    let Ok(Query(q)) = q else {
        return Err(invalid("invalid query string"));
    };
    check_link(&q)?;
    with_number(&app, &headers, &id, pairing_answer)
}

/// The connect answer for a number: a QR + code, or 409 when it is `OPEN`.
pub(super) fn pairing_answer(n: &mut NumberRec, app: &App) -> Response {
    if n.meta.is_some() {
        return error(
            StatusCode::BAD_REQUEST,
            "Meta numbers do not use QR pairing",
            Some("FEATURE_NOT_SUPPORTED"),
        );
    }
    let now = app.clock.now();
    if n.settle(now) == Conn::Open {
        return error(StatusCode::CONFLICT, "Number is already connected", None);
    }
    let result = n
        .ensure_attempt(now)
        .and_then(|(idx, _, code)| Ok((n.qr_data_url(idx)?, code)));
    match result {
        Ok((qr, code)) => json_response(
            StatusCode::OK,
            &json!({ "qrcodeBase64": qr, "pairingCode": code }),
        ),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e, None),
    }
}

pub(super) async fn status(
    AxState(app): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: Result<Query<LinkQuery>, axum::extract::rejection::QueryRejection>,
) -> Reply {
    let Ok(Query(q)) = q else {
        return Err(invalid("invalid query string"));
    };
    check_link(&q)?;
    let shape = app.opts.status_shape;
    with_number(&app, &headers, &id, |n, app| {
        let state = n.settle(app.clock.now());
        let open = state == Conn::Open;
        let body = match shape {
            StatusShape::Md => json!({ "id": n.id, "state": state.as_str() }),
            StatusShape::Rendered => {
                json!({ "state": state.as_str(), "isFullyConnected": open })
            }
            StatusShape::Sdk if n.meta.is_some() => {
                json!({ "id": n.id, "state": state.as_str(), "stale": false })
            }
            StatusShape::Sdk => json!({
                "id": n.id, "state": state.as_str(), "stale": false, "checkedAt": app.clock.iso_now(),
            }),
            StatusShape::Full => json!({
                "id": n.id, "state": state.as_str(), "isFullyConnected": open,
                "stale": false, "checkedAt": app.clock.iso_now(),
            }),
        };
        json_response(StatusCode::OK, &body)
    })
}

pub(super) async fn delete_number(
    AxState(app): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Reply {
    let mut event = None;
    let resp = with_number(&app, &headers, &id, |n, app| {
        let now = app.clock.now();
        n.attempt = None;
        n.open_since = None;
        n.deleted = Some(now);
        n.updated = now;
        event = Some(n.event_data(&app.clock));
        json_response(
            StatusCode::OK,
            &json!({ "ok": true, "restorableUntil": app.clock.iso_at(now + RESTORE_WINDOW_SECS) }),
        )
    })?;
    if let Some(data) = event {
        lock(&app.state)
            .tokens
            .retain(|_, t| t.number_id.as_deref() != Some(id.as_str()));
        app.hooks.emit("number.removed", data);
    }
    Ok(resp)
}

pub(super) async fn restore(
    AxState(app): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Reply {
    let event = {
        let (mut st, now, c) = authenticate(&app, &headers)?;
        tenant_only(&c)?;
        let phone = match st.numbers.get(&id) {
            Some(n) if n.deleted.is_some() => n.phone.clone(),
            _ => {
                return Err(error(
                    StatusCode::NOT_FOUND,
                    "No restorable number with this id",
                    None,
                ));
            }
        };
        if st.active_by_phone(&phone).is_some() {
            return Err(error(
                StatusCode::CONFLICT,
                "The same phone was connected again in the meantime",
                Some("NUMBER_ALREADY_ACTIVE"),
            ));
        }
        let Some(n) = st.numbers.get_mut(&id) else {
            return Err(not_found_number());
        };
        n.deleted = None;
        n.updated = now;
        n.event_data(&app.clock)
    };
    app.hooks.emit("number.restored", event);
    Ok(json_response(
        StatusCode::OK,
        &json!({ "ok": true, "requiresReconnect": true }),
    ))
}

pub(super) async fn purge(
    AxState(app): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Reply {
    let event = {
        let (mut st, _now, c) = authenticate(&app, &headers)?;
        tenant_only(&c)?;
        match st.remove_for_good(&id) {
            // Purging a live number removes it; a soft-deleted one already fired number.removed.
            Some(n) if n.deleted.is_none() => Some(n.event_data(&app.clock)),
            Some(_) => None,
            None => return Err(not_found_number()),
        }
    };
    if let Some(data) = event {
        app.hooks.emit("number.removed", data);
    }
    // Its webhooks go with it (queued deliveries, number.removed included, still go out).
    app.hooks.forget_number(&id);
    Ok(json_response(StatusCode::OK, &json!({ "ok": true })))
}
