//! Virtual time: the sandbox's clock runs `time_scale` times faster than the wall clock, so a
//! 160-second pairing attempt takes 1.6 s at `--time-scale 100`.

use std::time::{Duration, Instant, SystemTime};

/// A scaled clock anchored at start-up.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    start: Instant,
    start_wall: SystemTime,
    scale: f64,
}

impl Clock {
    /// `scale` > 0; 1.0 is real time.
    pub fn new(scale: f64) -> Self {
        Self {
            start: Instant::now(),
            start_wall: SystemTime::now(),
            scale,
        }
    }

    /// Virtual seconds since start-up.
    pub fn now(&self) -> f64 {
        self.start.elapsed().as_secs_f64() * self.scale
    }

    /// Virtual wall-clock time as ISO-8601 with milliseconds.
    pub fn iso_at(&self, virtual_secs: f64) -> String {
        let t = self.start_wall + Duration::from_secs_f64(virtual_secs.max(0.0));
        humantime::format_rfc3339_millis(t).to_string()
    }

    /// Now, as ISO-8601.
    pub fn iso_now(&self) -> String {
        self.iso_at(self.now())
    }

    /// How long (real time) a virtual duration lasts.
    pub fn real(&self, virtual_secs: f64) -> Duration {
        Duration::from_secs_f64((virtual_secs / self.scale).max(0.0))
    }

    /// The speed-up factor.
    pub fn scale(&self) -> f64 {
        self.scale
    }
}
