//! The gate every request passes: body limit, request counts, rate limit, injected faults.

use super::*;

// ---------- gate: body limit, faults, rate limit, logging ----------

pub(super) async fn gate(
    AxState(app): AxState<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    if app.opts.verbose {
        eprintln!("{} {}", parts.method, path);
    }
    let Ok(bytes) = axum::body::to_bytes(body, app.opts.max_body_bytes).await else {
        return invalid(&format!(
            "request body exceeds {} bytes",
            app.opts.max_body_bytes
        ));
    };
    let route = route_name(parts.method.as_str(), &path);
    if let Some(route) = route {
        *lock(&app.hits).entry(route).or_insert(0) += 1;
        let who = parts
            .headers
            .get("x-api-key")
            .or_else(|| parts.headers.get("x-api-key-id"))
            .and_then(|v| v.to_str().ok())
            .map_or_else(|| format!("ip:{}", peer.ip()), |k| format!("key:{k}"));
        if let Err(wait) = lock(&app.limiter).check(&who) {
            let mut r = error(StatusCode::TOO_MANY_REQUESTS, "Too many requests", None);
            r.headers_mut()
                .insert("retry-after", HeaderValue::from(wait));
            return r;
        }
        let fault = faults::take(&mut lock(&app.faults), route);
        if let Some(f) = fault {
            match f.kind {
                FaultKind::Latency => {
                    tokio::time::sleep(Duration::from_millis(f.latency_ms.unwrap_or(1000))).await;
                }
                FaultKind::Status => {
                    let status = f
                        .status
                        .and_then(|s| StatusCode::from_u16(s).ok())
                        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                    let body = f.body.unwrap_or_else(|| match status.as_u16() {
                        503 => json!({"error": "Upstream timeout", "code": "UPSTREAM_TIMEOUT"}),
                        s => json!({"error": status.canonical_reason().unwrap_or("Error"), "status": s}),
                    });
                    return json_response(status, &body);
                }
                FaultKind::RateLimit => {
                    let mut r = error(StatusCode::TOO_MANY_REQUESTS, "Too many requests", None);
                    r.headers_mut()
                        .insert("retry-after", HeaderValue::from(f.retry_after.unwrap_or(1)));
                    return r;
                }
                FaultKind::Malformed => {
                    return Response::builder()
                        .status(StatusCode::OK)
                        .header("content-type", "application/json")
                        .body(Body::from(
                            r#"{"qrcodeBase64": "data:image/png;base64,iVBOR"#,
                        ))
                        .unwrap_or_default();
                }
                FaultKind::Drop => {
                    let stream = futures_util::stream::once(async {
                        Err::<Bytes, std::io::Error>(std::io::Error::other(
                            "sandbox: dropped connection",
                        ))
                    });
                    return Response::builder()
                        .status(StatusCode::OK)
                        .header("content-type", "application/json")
                        .body(Body::from_stream(stream))
                        .unwrap_or_default();
                }
            }
        }
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
