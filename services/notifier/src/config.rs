//! The notifier's configuration, from the environment (like the API's; the README's table is the
//! reference).

use std::time::Duration;

use app::notify::Settings;

/// What the notifier runs with (besides the channels, see [`crate::smtp`] and [`crate::webhook`]).
#[derive(Debug, Clone)]
pub struct Config {
    /// `DATABASE_URL`, default `sqlite://$HANDBOOK_DATA_DIR/handbook.db` (the API's default).
    pub database_url: String,
    /// `HANDBOOK_NOTIFIER_POLL_MS`: the pause between passes (default 1000).
    pub poll: Duration,
    /// The passes' settings: `HANDBOOK_NOTIFIER_RETENTION_DAYS` (35, at least 32: a reminder's occurrence key must outlive the month its scan looks back on),
    /// `HANDBOOK_NOTIFIER_MAX_ATTEMPTS` (8), `HANDBOOK_NOTIFIER_BATCH` (200),
    /// `HANDBOOK_NOTIFIER_FANOUT_CHUNK` (2000), `HANDBOOK_NOTIFIER_INSTANCE` (a name for this
    /// instance; default a generated one).
    pub settings: Settings,
    /// `HANDBOOK_NOTIFIER_METRICS_BIND`: where `GET /metrics` is served (default: nowhere).
    pub metrics_bind: Option<std::net::SocketAddr>,
}

/// A bad value, naming the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}: {message}")]
pub struct ConfigError {
    /// The variable.
    pub var: &'static str,
    /// What is wrong.
    pub message: String,
}

fn number<T>(lookup: &impl Fn(&str) -> Option<String>, var: &'static str, default: T, min: T, max: T) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    match lookup(var) {
        None => Ok(default),
        Some(text) => match text.trim().parse::<T>() {
            Ok(v) if v >= min && v <= max => Ok(v),
            _ => Err(ConfigError { var, message: format!("`{text}` is not a number from {min} to {max}") }),
        },
    }
}

impl Config {
    /// Reads the configuration through `lookup` (the environment in the binary).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let data_dir = lookup("HANDBOOK_DATA_DIR").unwrap_or_else(|| "./data".to_string());
        let database_url = lookup("DATABASE_URL").unwrap_or_else(|| format!("sqlite://{data_dir}/handbook.db"));
        let poll_ms: u64 = number(&lookup, "HANDBOOK_NOTIFIER_POLL_MS", 1000, 50, 3_600_000)?;
        let retention_days: i64 = number(&lookup, "HANDBOOK_NOTIFIER_RETENTION_DAYS", 35, 32, 3650)?;
        let max_attempts: u32 = number(&lookup, "HANDBOOK_NOTIFIER_MAX_ATTEMPTS", 8, 1, 50)?;
        let batch: u64 = number(&lookup, "HANDBOOK_NOTIFIER_BATCH", 200, 1, 10_000)?;
        let fanout_chunk: u64 = number(&lookup, "HANDBOOK_NOTIFIER_FANOUT_CHUNK", 2000, 1, 50_000)?;
        let mut settings =
            Settings { retention: chrono::Duration::days(retention_days), max_attempts, batch, fanout_chunk, ..Settings::default() };
        if let Some(name) = lookup("HANDBOOK_NOTIFIER_INSTANCE").filter(|n| !n.trim().is_empty()) {
            settings.holder = name.trim().to_string();
        }
        let metrics_bind = telemetry::metrics_bind("HANDBOOK_NOTIFIER_METRICS_BIND", lookup("HANDBOOK_NOTIFIER_METRICS_BIND").as_deref())
            .map_err(|e| ConfigError { var: "HANDBOOK_NOTIFIER_METRICS_BIND", message: e.to_string() })?;
        Ok(Self { database_url, poll: Duration::from_millis(poll_ms), settings, metrics_bind })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect();
        Config::from_lookup(|k| vars.get(k).cloned())
    }

    #[test]
    fn defaults_and_bad_values() {
        let c = config(&[]).unwrap();
        assert_eq!(c.database_url, "sqlite://./data/handbook.db");
        assert_eq!(c.poll, Duration::from_secs(1));
        assert_eq!(c.settings.max_attempts, 8);
        assert_eq!(c.settings.retention, chrono::Duration::days(35));
        let c = config(&[("HANDBOOK_NOTIFIER_POLL_MS", "250"), ("HANDBOOK_NOTIFIER_INSTANCE", "n1")]).unwrap();
        assert_eq!(c.poll, Duration::from_millis(250));
        assert_eq!(c.settings.holder, "n1");
        let e = config(&[("HANDBOOK_NOTIFIER_MAX_ATTEMPTS", "0")]).unwrap_err();
        assert_eq!(e.var, "HANDBOOK_NOTIFIER_MAX_ATTEMPTS");
        assert!(config(&[("HANDBOOK_NOTIFIER_POLL_MS", "soon")]).is_err());
        assert_eq!(c.metrics_bind, None);
        let c = config(&[("HANDBOOK_NOTIFIER_METRICS_BIND", "127.0.0.1:9465")]).unwrap();
        assert_eq!(c.metrics_bind, Some("127.0.0.1:9465".parse().unwrap()));
        assert_eq!(config(&[("HANDBOOK_NOTIFIER_METRICS_BIND", "metrics")]).unwrap_err().var, "HANDBOOK_NOTIFIER_METRICS_BIND");
    }
}
