//! Remote pairing: `POST /v1/numbers/remote-pairing` and the public `/v1/remote-pairing/{token}` routes.

use super::numbers::pairing_answer;
use super::*;

pub(super) async fn remote_pairing(
    AxState(app): AxState<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let (mut st, now, c) = authenticate(&app, &headers)?;
    tenant_only(&c)?;
    let m = if body.is_empty() {
        Map::new()
    } else {
        object(&body)?
    };
    let provider = match m.get("provider") {
        None | Some(Value::Null) => "PILOT_STATUS",
        Some(Value::String(p)) if p == "PILOT_STATUS" => "PILOT_STATUS",
        Some(Value::String(p)) if p == "META" => "META",
        Some(_) => return Err(invalid("provider: must be PILOT_STATUS or META")),
    };
    let token = format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        fastrand::u32(..),
        fastrand::u16(..),
        fastrand::u16(..0xfff),
        fastrand::u16(..0xfff),
        fastrand::u64(..0xffff_ffff_ffff)
    );
    let url = format!("{}/connect/{token}", app.base_url);
    if provider == "META" {
        st.tokens.insert(
            token.clone(),
            crate::state::TokenRec {
                number_id: None,
                created: now,
                provider,
            },
        );
        return Ok(json_response(
            StatusCode::CREATED,
            &json!({ "provider": "META", "remotePairingToken": token, "remotePairingUrl": url, "numberId": null }),
        ));
    }
    let parsed = (|| {
        let name = req_str(&m, "name")?;
        let number = phone(&m, 10)?;
        let send = opt_bool(&m, "sendViaWhatsApp")?.unwrap_or(false);
        if st.active_by_phone(&number).is_some() {
            return Err(error(StatusCode::CONFLICT, "Number already exists", None));
        }
        Ok((name, number, send))
    })();
    let (name, number, send) = parsed?;
    let id = st.create_number(&name, &number, None, now);
    st.tokens.insert(
        token.clone(),
        crate::state::TokenRec {
            number_id: Some(id.clone()),
            created: now,
            provider,
        },
    );
    let Some(n) = st.numbers.get_mut(&id) else {
        return Err(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "lost number",
            None,
        ));
    };
    let mut body = json!({
        "provider": "PILOT_STATUS",
        "remotePairingToken": token,
        "remotePairingUrl": url,
        "numberId": id,
        "instance": n.instance(&app.clock),
        "maskedNumber": masked(&n.phone),
        "messageSent": false,
        "linkedApiKeyId": null,
    });
    if send {
        if let Some(o) = body.as_object_mut() {
            o.insert(
            "messageError".into(),
            json!("The sandbox does not send WhatsApp messages (template pilot_status_remote_pairing)"),
        );
        }
    }
    let data = n.event_data(&app.clock);
    drop(st);
    app.hooks.emit("number.created", data);
    Ok(json_response(StatusCode::CREATED, &body))
}

// ---------- public token endpoints ----------

fn with_token(
    app: &App,
    token: &str,
    f: impl FnOnce(Option<&mut NumberRec>, &App) -> Response,
) -> Reply {
    let mut st = lock(&app.state);
    let now = app.clock.now();
    app.purge_expired(&mut st, now);
    let expired = || error(StatusCode::NOT_FOUND, "Invalid or expired token", None);
    let t = st.tokens.get(token).ok_or_else(expired)?;
    if now - t.created > TOKEN_TTL_SECS {
        st.tokens.remove(token);
        return Err(expired());
    }
    match t.number_id.clone() {
        Some(id) => match st.numbers.get_mut(&id) {
            Some(n) if n.deleted.is_none() => Ok(f(Some(n), app)),
            _ => Err(expired()),
        },
        None => Ok(f(None, app)),
    }
}

pub(super) async fn token_info(AxState(app): AxState<Shared>, Path(token): Path<String>) -> Reply {
    with_token(&app, &token, |n, app| match n {
        Some(n) => {
            let state = n.settle(app.clock.now());
            json_response(
                StatusCode::OK,
                &json!({
                    "valid": true, "name": n.name, "number": n.phone, "maskedNumber": masked(&n.phone),
                    "state": state.as_str(),
                    "primaryLink": n.link_info(LinkId::Primary, &app.clock),
                    "secondaryLink": n.link_info(LinkId::Secondary, &app.clock),
                }),
            )
        }
        None => json_response(
            StatusCode::OK,
            &json!({ "valid": true, "provider": "META" }),
        ),
    })
}

pub(super) async fn token_status(
    AxState(app): AxState<Shared>,
    Path(token): Path<String>,
) -> Reply {
    with_token(&app, &token, |n, app| match n {
        Some(n) => {
            let state = n.settle(app.clock.now());
            json_response(
                StatusCode::OK,
                &json!({
                    "state": state.as_str(), "isFullyConnected": n.fully_connected(app.clock.now()),
                    "primaryLink": n.link_info(LinkId::Primary, &app.clock),
                    "secondaryLink": n.link_info(LinkId::Secondary, &app.clock),
                }),
            )
        }
        None => json_response(
            StatusCode::OK,
            &json!({ "state": "CLOSE", "isFullyConnected": false }),
        ),
    })
}

pub(super) async fn token_connect(
    AxState(app): AxState<Shared>,
    Path(token): Path<String>,
) -> Reply {
    with_token(&app, &token, |n, app| match n {
        // The hosted link pairs the primary link.
        Some(n) => pairing_answer(n, LinkId::Primary, app),
        None => error(
            StatusCode::BAD_REQUEST,
            "Meta links use Embedded Signup, not QR pairing",
            Some("FEATURE_NOT_SUPPORTED"),
        ),
    })
}
