use std::time::Duration;

use super::response::FailedTry;

/// Retries with exponential backoff and jitter, honouring `Retry-After`.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub max_tries: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_tries: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// How long to wait before try `tries + 1`, or `None` to give up.
    pub(super) fn wait_before_retry(&self, tries: u32, failure: &FailedTry) -> Option<Duration> {
        if tries >= self.max_tries || !failure.is_retryable() {
            return None;
        }
        Some(failure.retry_after().unwrap_or_else(|| self.backoff(tries)))
    }

    /// Between half and all of `base * 2^(tries-1)`, capped: the jitter keeps
    /// many clients that failed together from retrying together.
    pub fn backoff(&self, tries: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1 << tries.saturating_sub(1).min(16));
        let full = exp.min(self.max_delay);
        let half = full / 2;
        half + full.saturating_sub(half).mul_f64(fastrand::f64())
    }
}
