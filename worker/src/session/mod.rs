//! A number's session: a Durable Object per number and link (named `<number>|<link>`), the one
//! place that talks to Pilot Status about that number.
//!
//! - [`protocol`]: what the worker asks of a session, and the client it asks with;
//! - [`machine`]: the policy, pure (inputs in, effects out; tested natively in `machine_tests.rs`);
//! - [`lease`]: how long a push stream may live (its token's), and its renewal, pure;
//! - `driver`: the Durable Object that carries the effects out — storage, sockets, alarms,
//!   upstream calls in flight, the clock and randomness, nothing else.

mod driver;
pub mod lease;
pub mod machine;
pub mod protocol;

// Natively (`cargo test -p pilot-connect-worker`), as unit tests: the crate stays a plain cdylib
// (an rlib beside it would cost the wasm its LTO: +14 % upload measured).
#[cfg(all(test, not(target_arch = "wasm32")))]
mod machine_tests;

pub use driver::NumberSession;
pub use protocol::{EventAck, SessionClient, SessionRequest};
