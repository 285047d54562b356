//! `/v1/numbers`: create (QR and Meta), list, get, connect, status, upgrade-to-dual, delete,
//! restore, purge.

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
        let (qr, code) = n
            .pairing(LinkId::Primary, now)
            .map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, &e, None))?;
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
        if app.opts.meta_numbers == MetaNumbers::Pending {
            // Not connected yet: waiting on Meta until `POST /_sandbox/numbers/{id}/meta`.
            n.primary.open_since = None;
        }
        let body = json!({
            "number": {
                "id": n.id, "number": n.phone, "name": n.name, "provider": "META",
                "metaPhoneId": phone_id, "metaWabaId": waba_id,
                "isFullyConnected": n.fully_connected(now), "createdAt": app.clock.iso_at(n.created),
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

pub(super) async fn connect(
    AxState(app): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: Result<Query<LinkQuery>, axum::extract::rejection::QueryRejection>,
) -> Reply {
    let which = query_link(q)?;
    with_number(&app, &headers, &id, |n, app| pairing_answer(n, which, app))
}

/// The connect answer for link `which` of a number: a QR + code, or 409 when that link is
/// `OPEN` (400 when the number has no such link).
pub(super) fn pairing_answer(n: &mut NumberRec, which: LinkId, app: &App) -> Response {
    let now = app.clock.now();
    let Some(state) = n.settle_link(which, now) else {
        return no_secondary_link();
    };
    if n.meta.is_some() {
        return error(
            StatusCode::BAD_REQUEST,
            "Meta numbers do not use QR pairing",
            Some("FEATURE_NOT_SUPPORTED"),
        );
    }
    if state == Conn::Open {
        let msg = match which {
            LinkId::Primary => "Number is already connected",
            LinkId::Secondary => "The secondary link is already connected",
        };
        return error(StatusCode::CONFLICT, msg, None);
    }
    match n.pairing(which, now) {
        Ok((qr, code)) => json_response(
            StatusCode::OK,
            &json!({ "qrcodeBase64": qr, "pairingCode": code }),
        ),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e, None),
    }
}

/// `POST /v1/numbers/{id}/upgrade-to-dual`: the number gets a secondary link whose first
/// pairing attempt starts now → `201 {secondaryLink: {qrcodeBase64, pairingCode}}`. Same
/// auth and scope rules as connect; a number that is already dual → 409; a Meta number →
/// 400 `FEATURE_NOT_SUPPORTED`. No webhook (none is documented for it).
pub(super) async fn upgrade_to_dual(
    AxState(app): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Reply {
    with_number(&app, &headers, &id, |n, app| {
        if n.meta.is_some() {
            return error(
                StatusCode::BAD_REQUEST,
                "Meta numbers do not use QR pairing and cannot be upgraded to dual",
                Some("FEATURE_NOT_SUPPORTED"),
            );
        }
        let now = app.clock.now();
        if !n.upgrade_to_dual(now) {
            return error(
                StatusCode::CONFLICT,
                "This number is already dual (it has a secondary link); use connect?link=secondary for a new QR",
                None,
            );
        }
        match n.pairing(LinkId::Secondary, now) {
            Ok((qr, code)) => json_response(
                StatusCode::CREATED,
                &json!({ "secondaryLink": { "qrcodeBase64": qr, "pairingCode": code } }),
            ),
            Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e, None),
        }
    })
}

pub(super) async fn status(
    AxState(app): AxState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: Result<Query<LinkQuery>, axum::extract::rejection::QueryRejection>,
) -> Reply {
    let which = query_link(q)?;
    let shape = app.opts.status_shape;
    with_number(&app, &headers, &id, |n, app| {
        let now = app.clock.now();
        // `state` is the state of the link asked about (the primary one by default).
        let Some(state) = n.settle_link(which, now) else {
            return no_secondary_link();
        };
        let fully = n.fully_connected(now);
        let body = match shape {
            StatusShape::Md => json!({ "id": n.id, "state": state.as_str() }),
            StatusShape::Rendered => {
                json!({ "state": state.as_str(), "isFullyConnected": fully })
            }
            StatusShape::Sdk if n.meta.is_some() => {
                json!({ "id": n.id, "state": state.as_str(), "stale": false })
            }
            StatusShape::Sdk => json!({
                "id": n.id, "state": state.as_str(), "stale": false, "checkedAt": app.clock.iso_now(),
            }),
            StatusShape::Full => json!({
                "id": n.id, "state": state.as_str(), "isFullyConnected": fully,
                "stale": false, "checkedAt": app.clock.iso_now(),
                "primaryLink": n.link_info(LinkId::Primary, &app.clock),
                "secondaryLink": n.link_info(LinkId::Secondary, &app.clock),
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
        n.log_out_all(now);
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
