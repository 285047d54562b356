//! A number's session: a Durable Object per number and link (named `<number>|<link>`), the one
//! place that talks to Pilot Status about that number.
//!
//! - [`protocol`]: what the worker asks of a session, and the client it asks with;
//! - [`machine`]: the policy, pure (inputs in, effects out; tested natively);
//! - `driver`: the Durable Object that carries the effects out — storage, sockets, alarms,
//!   upstream calls in flight, the clock and randomness, nothing else.

mod driver;
pub mod machine;
pub mod protocol;

pub use driver::NumberSession;
pub use protocol::{EventAck, SessionClient, SessionRequest};
