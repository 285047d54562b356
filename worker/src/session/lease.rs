//! A push stream's lease: the socket lives no longer than its connect token (its `exp` plus the
//! verifier's leeway), unless the widget renews it over the socket with a fresh token for the
//! same number and link (`{"renew":"<token>"}`, [`pilot_connect::public::renew`]). Pure: the
//! driver keeps a lease on each socket (its attachment) and asks this module what to do.

use pilot_connect::connect_token::{
    self, ConnectClaims, TokenError, VerifyOptions, DEFAULT_LEEWAY_SECS,
};
use pilot_connect::ConnectTokenSecret;
use serde::{Deserialize, Serialize};

use super::protocol::Subject;

/// What a socket was authorised with, kept on the socket (it survives hibernation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// The token's `exp` (Unix seconds).
    pub exp: u64,
    /// The audience the token was verified against (a renewal is verified against it too).
    pub aud: String,
    /// The page's `Origin`, when the handshake had one (a renewal's `origin` claim must match).
    pub origin: Option<String>,
}

/// Why a renewal was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenewError {
    /// The token does not verify (signature, audience, origin, lifetime).
    Token(TokenError),
    /// It verifies, for another number or link.
    OtherSession,
}

impl Lease {
    /// The socket's token lapsed at `now_ms`: no frame may reach it any more.
    #[must_use]
    pub fn lapsed(&self, now_ms: f64) -> bool {
        now_ms / 1000.0 > (self.exp.saturating_add(DEFAULT_LEEWAY_SECS)) as f64
    }

    /// Verifies a renewal `token` for the session of `subject` (a number's link, or a pairing
    /// link) with `secrets`; on success the lease runs to the new token's `exp` (never shorter
    /// than it was).
    ///
    /// # Errors
    /// [`RenewError`]: the lease is unchanged.
    pub fn renew(
        &mut self,
        secrets: &[ConnectTokenSecret],
        token: &str,
        subject: &Subject,
        now_ms: f64,
    ) -> Result<(), RenewError> {
        let now = (now_ms / 1000.0) as u64;
        let claims: ConnectClaims = connect_token::verify_with_any(
            secrets,
            token,
            &VerifyOptions::new(&self.aud, now, self.origin.as_deref()),
        )
        .map_err(RenewError::Token)?;
        // The same object: a ref-named link's session renews with any token of that ref's
        // link (its name), a number's with its number and link.
        if Subject::of(&claims).object_name() != subject.object_name() {
            return Err(RenewError::OtherSession);
        }
        self.exp = self.exp.max(claims.exp);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pilot_connect::connect_token::{RemotePairingClaim, LINK_LIFETIME_SECS};
    use pilot_connect::Link;

    fn wa_1() -> Subject {
        Subject::Number {
            number: "wa_1".into(),
            link: Link::Primary,
        }
    }

    const NOW: u64 = 1_800_000_000;

    fn secret() -> ConnectTokenSecret {
        ConnectTokenSecret::new("lease-tests-connect-token-secret-0123456789")
            .unwrap_or_else(|_| unreachable!())
    }

    fn token(sub: &str, iat: u64, exp: u64, link: Option<Link>) -> String {
        let mut c = ConnectClaims::new(sub, "https://edge.example/pilot", iat, exp - iat)
            .with_origin("https://app.example");
        if let Some(l) = link {
            c = c.with_link(l);
        }
        connect_token::mint(&secret(), &c).unwrap_or_else(|_| unreachable!())
    }

    fn lease(exp: u64) -> Lease {
        Lease {
            exp,
            aud: "https://edge.example/pilot".into(),
            origin: Some("https://app.example".into()),
        }
    }

    const MS: f64 = 1000.0;

    #[test]
    fn a_lease_lapses_after_exp_and_the_leeway() {
        let l = lease(NOW);
        assert!(!l.lapsed(NOW as f64 * MS));
        assert!(!l.lapsed((NOW + DEFAULT_LEEWAY_SECS) as f64 * MS));
        assert!(l.lapsed((NOW + DEFAULT_LEEWAY_SECS + 1) as f64 * MS));
    }

    #[test]
    fn a_fresh_token_for_the_same_session_extends_it() {
        let mut l = lease(NOW + 10);
        let now = NOW as f64 * MS;
        l.renew(
            &[secret()],
            &token("wa_1", NOW, NOW + 600, None),
            &wa_1(),
            now,
        )
        .unwrap_or_else(|e| unreachable!("{e:?}"));
        assert_eq!(l.exp, NOW + 600);
        assert!(!l.lapsed((NOW + 300) as f64 * MS));
        // An older token never shortens it.
        l.renew(
            &[secret()],
            &token("wa_1", NOW, NOW + 60, None),
            &wa_1(),
            now,
        )
        .unwrap_or_else(|e| unreachable!("{e:?}"));
        assert_eq!(l.exp, NOW + 600);
    }

    #[test]
    fn other_sessions_and_bad_tokens_change_nothing() {
        let now = NOW as f64 * MS;
        let mut l = lease(NOW + 10);
        let other = token("wa_2", NOW, NOW + 600, None);
        assert_eq!(
            l.renew(&[secret()], &other, &wa_1(), now),
            Err(RenewError::OtherSession)
        );
        let secondary = token("wa_1", NOW, NOW + 600, Some(Link::Secondary));
        assert_eq!(
            l.renew(&[secret()], &secondary, &wa_1(), now),
            Err(RenewError::OtherSession)
        );
        let expired = token("wa_1", NOW - 700, NOW - 100, None);
        assert_eq!(
            l.renew(&[secret()], &expired, &wa_1(), now),
            Err(RenewError::Token(TokenError::Expired))
        );
        let wrong_secret = ConnectTokenSecret::new("another-secret-another-secret-0123456789")
            .unwrap_or_else(|_| unreachable!());
        assert_eq!(
            l.renew(
                &[wrong_secret],
                &token("wa_1", NOW, NOW + 600, None),
                &wa_1(),
                now
            ),
            Err(RenewError::Token(TokenError::BadSignature))
        );
        let mut elsewhere = lease(NOW + 10);
        elsewhere.origin = Some("https://evil.example".into());
        assert_eq!(
            elsewhere.renew(
                &[secret()],
                &token("wa_1", NOW, NOW + 600, None),
                &wa_1(),
                now
            ),
            Err(RenewError::Token(TokenError::OriginMismatch))
        );
        assert_eq!(l.exp, NOW + 10);
    }

    #[test]
    fn a_pairing_links_socket_renews_with_that_links_token_only() {
        let now = NOW as f64 * MS;
        let link_token = |url: &str| {
            let rp = RemotePairingClaim::meta(url, NOW + LINK_LIFETIME_SECS)
                .unwrap_or_else(|e| unreachable!("{e:?}"));
            let c = ConnectClaims::remote_pairing(rp, "https://edge.example/pilot", NOW, 600)
                .with_origin("https://app.example");
            connect_token::mint(&secret(), &c).unwrap_or_else(|_| unreachable!())
        };
        let subject = Subject::PairingLink {
            token: "rp_1".into(),
            external_ref: None,
        };
        let mut l = lease(NOW + 10);
        assert_eq!(
            l.renew(&[secret()], &link_token("rp_2"), &subject, now),
            Err(RenewError::OtherSession)
        );
        // A number token whose `sub` happens to be the link's token is another session.
        assert_eq!(
            l.renew(
                &[secret()],
                &token("rp_1", NOW, NOW + 600, None),
                &subject,
                now
            ),
            Err(RenewError::OtherSession)
        );
        l.renew(
            &[secret()],
            &link_token("https://connect.example/connect/rp_1"),
            &subject,
            now,
        )
        .unwrap_or_else(|e| unreachable!("{e:?}"));
        assert_eq!(l.exp, NOW + 600);
    }
}
