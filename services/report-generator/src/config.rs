//! The generator's configuration, from the environment (the README's table is the reference).

use std::path::PathBuf;
use std::time::Duration;

use reports::schedule::Rule;

/// The generator's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// The database (as for the API).
    pub database_url: String,
    /// `HANDBOOK_DATABASE_REPLICA_URL` (PostgreSQL): a streaming replica the report figures are
    /// read from while it lags at most `replica_max_lag` (as for the API).
    pub replica_url: Option<String>,
    /// `HANDBOOK_DATABASE_REPLICA_MAX_LAG_SECS` (default 10).
    pub replica_max_lag: Duration,
    /// Where report files are written (shared with the API, which serves them).
    pub reports_dir: PathBuf,
    /// How often `serve` looks for requested reports.
    pub poll: Duration,
    /// How long a claim lasts without progress before another generator may take it over.
    pub lease: chrono::Duration,
    /// Attempts before a report is marked failed.
    pub max_attempts: i32,
    /// This instance's name in leases.
    pub instance: String,
    /// The schedule.
    pub schedule: Vec<Rule>,
    /// `HANDBOOK_REPORTS_METRICS_BIND`: where `serve` answers `GET /metrics` (default: nowhere).
    pub metrics_bind: Option<std::net::SocketAddr>,
}

/// A bad configuration value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}: {message}")]
pub struct ConfigError {
    /// The variable.
    pub var: &'static str,
    /// What is wrong.
    pub message: String,
}

fn number(lookup: &impl Fn(&str) -> Option<String>, var: &'static str, default: u64, min: u64, max: u64) -> Result<u64, ConfigError> {
    match lookup(var) {
        None => Ok(default),
        Some(text) => match text.trim().parse::<u64>() {
            Ok(v) if (min..=max).contains(&v) => Ok(v),
            _ => Err(ConfigError { var, message: format!("`{text}` is not a number from {min} to {max}") }),
        },
    }
}

impl Config {
    /// Reads the configuration through `lookup` (the environment in the binary).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let data_dir = PathBuf::from(lookup("HANDBOOK_DATA_DIR").unwrap_or_else(|| "./data".to_string()));
        let database_url = lookup("DATABASE_URL").unwrap_or_else(|| format!("sqlite://{}/handbook.db", data_dir.display()));
        let replica_url = lookup("HANDBOOK_DATABASE_REPLICA_URL").filter(|u| !u.trim().is_empty());
        if let Some(url) = &replica_url
            && !(database_url.starts_with("postgres") && (url.starts_with("postgres://") || url.starts_with("postgresql://")))
        {
            return Err(ConfigError {
                var: "HANDBOOK_DATABASE_REPLICA_URL",
                message: "a read replica is a postgres:// standby of DATABASE_URL on PostgreSQL".into(),
            });
        }
        let replica_max_lag = Duration::from_secs(number(&lookup, "HANDBOOK_DATABASE_REPLICA_MAX_LAG_SECS", 10, 0, 86_400)?);
        let reports_dir = lookup("HANDBOOK_REPORTS_DIR").map_or_else(|| data_dir.join("reports"), PathBuf::from);
        let poll_ms = number(&lookup, "HANDBOOK_REPORTS_POLL_MS", 2000, 50, 3_600_000)?;
        let lease_s = number(&lookup, "HANDBOOK_REPORTS_LEASE_SECONDS", 120, 10, 86_400)?;
        let max_attempts = number(&lookup, "HANDBOOK_REPORTS_MAX_ATTEMPTS", 3, 1, 20)?;
        let schedule = match lookup("HANDBOOK_REPORTS_SCHEDULE") {
            None => Rule::default_rules(),
            Some(text) => Rule::parse_list(&text).map_err(|e| ConfigError { var: "HANDBOOK_REPORTS_SCHEDULE", message: e.to_string() })?,
        };
        // Unique per process, also in containers where every process id is 1: the host name and
        // a random suffix.
        let instance = lookup("HANDBOOK_REPORTS_INSTANCE").map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).unwrap_or_else(|| {
            let host = lookup("HOSTNAME")
                .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
                .map(|h| h.trim().chars().take(60).collect::<String>())
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| "report-generator".to_string());
            format!("{host}-{}", &uuid::Uuid::now_v7().simple().to_string()[20..])
        });
        if instance.chars().count() > 100 {
            return Err(ConfigError { var: "HANDBOOK_REPORTS_INSTANCE", message: "at most 100 characters".into() });
        }
        let metrics_bind = telemetry::metrics_bind("HANDBOOK_REPORTS_METRICS_BIND", lookup("HANDBOOK_REPORTS_METRICS_BIND").as_deref())
            .map_err(|e| ConfigError { var: "HANDBOOK_REPORTS_METRICS_BIND", message: e.to_string() })?;
        Ok(Self {
            metrics_bind,
            database_url,
            replica_url,
            replica_max_lag,
            reports_dir,
            poll: Duration::from_millis(poll_ms),
            lease: chrono::Duration::seconds(i64::try_from(lease_s).unwrap_or(120)),
            max_attempts: i32::try_from(max_attempts).unwrap_or(3),
            instance,
            schedule,
        })
    }

    /// The application layer's generator settings.
    pub fn generator(&self) -> app::reports::Generator {
        app::reports::Generator {
            dir: self.reports_dir.clone(),
            holder: self.instance.clone(),
            lease: self.lease,
            max_attempts: self.max_attempts,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_and_bad_values() {
        let c = config(&[("HANDBOOK_DATA_DIR", "/srv/h")]).unwrap();
        assert_eq!(c.database_url, "sqlite:///srv/h/handbook.db");
        assert_eq!(c.reports_dir, PathBuf::from("/srv/h/reports"));
        assert_eq!((c.poll, c.lease, c.max_attempts), (Duration::from_secs(2), chrono::Duration::seconds(120), 3));
        assert_eq!(c.schedule, Rule::default_rules());
        let c =
            config(&[("HANDBOOK_REPORTS_SCHEDULE", "membership:csv:10:18:30:province"), ("HANDBOOK_REPORTS_INSTANCE", "gen-a")]).unwrap();
        assert_eq!((c.schedule.len(), c.instance.as_str()), (1, "gen-a"));
        assert_eq!(config(&[("HANDBOOK_REPORTS_POLL_MS", "0")]).unwrap_err().var, "HANDBOOK_REPORTS_POLL_MS");
        assert_eq!(config(&[("HANDBOOK_REPORTS_METRICS_BIND", "9466")]).unwrap_err().var, "HANDBOOK_REPORTS_METRICS_BIND");
        assert_eq!(
            config(&[("HANDBOOK_REPORTS_METRICS_BIND", "0.0.0.0:9466")]).unwrap().metrics_bind,
            Some("0.0.0.0:9466".parse().unwrap())
        );
        assert_eq!(config(&[("HANDBOOK_REPORTS_SCHEDULE", "activity:pdf:6:07:00:province")]).unwrap_err().var, "HANDBOOK_REPORTS_SCHEDULE");
    }

    #[test]
    fn a_replica_is_a_postgres_standby_of_a_postgres_primary() {
        let pg = ("DATABASE_URL", "postgres://postgres@10.0.0.1/handbook");
        let c = config(&[pg, ("HANDBOOK_DATABASE_REPLICA_URL", "postgres://postgres@10.0.0.2/handbook")]).unwrap();
        assert_eq!((c.replica_url.as_deref(), c.replica_max_lag), (Some("postgres://postgres@10.0.0.2/handbook"), Duration::from_secs(10)));
        assert_eq!(config(&[pg]).unwrap().replica_url, None);
        let on_sqlite = config(&[("HANDBOOK_DATABASE_REPLICA_URL", "postgres://postgres@10.0.0.2/handbook")]).unwrap_err();
        assert_eq!(on_sqlite.var, "HANDBOOK_DATABASE_REPLICA_URL");
        assert_eq!(config(&[pg, ("HANDBOOK_DATABASE_REPLICA_URL", "mysql://x")]).unwrap_err().var, "HANDBOOK_DATABASE_REPLICA_URL");
        assert_eq!(
            config(&[pg, ("HANDBOOK_DATABASE_REPLICA_MAX_LAG_SECS", "soon")]).unwrap_err().var,
            "HANDBOOK_DATABASE_REPLICA_MAX_LAG_SECS"
        );
    }
}
