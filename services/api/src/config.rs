//! Configuration, parsed once in `main` from the environment and an optional file, then passed
//! by value.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `DATABASE_URL` | `sqlite://$HANDBOOK_DATA_DIR/handbook.db` | `sqlite://PATH` or `postgres://USER@HOST/DB` |
//! | `HANDBOOK_BIND` | `127.0.0.1:8080` | listen address |
//! | `HANDBOOK_DATA_DIR` | `./data` | where the SQLite file lives |
//! | `HANDBOOK_ADMIN_USERNAME` | `admin` | bootstrap administrator |
//! | `HANDBOOK_ADMIN_PASSWORD` | generated, printed once | bootstrap administrator's password |
//! | `HANDBOOK_ROOT_NAME` | `Đảng Cộng sản Việt Nam` | name of the root unit created on first start |
//! | `HANDBOOK_TOKEN_TTL_HOURS` | `12` | lifetime of a login token |
//! | `HANDBOOK_DB_MAX_CONNECTIONS` | `16` | pool size |
//! | `HANDBOOK_DATABASE_REPLICA_URL` | none | PostgreSQL only: a streaming replica for lag-tolerant reads (leaderboards, search, audit listing, report roll-ups) |
//! | `HANDBOOK_DATABASE_REPLICA_MAX_LAG_SECS` | `10` | the replica serves reads while at most this far behind; beyond it, or down, they go to the primary |
//! | `HANDBOOK_WAL_CHECKPOINT_SECS` | `30` | SQLite only: how often the write-ahead log is checkpointed and truncated |
//! | `HANDBOOK_ATTACHMENTS_DIR` | `$HANDBOOK_DATA_DIR/attachments` | where document attachments are stored |
//! | `HANDBOOK_MAX_ATTACHMENT_MB` | `20` | largest accepted attachment |
//! | `HANDBOOK_REPORTS_DIR` | `$HANDBOOK_DATA_DIR/reports` | where generated report files are (written by `report-generator`, served by the API) |
//! | `HANDBOOK_TRUSTED_PROXIES` | none | comma-separated IPs or CIDR networks of reverse proxies whose client-address header is believed (see [`crate::auth::ClientAddr`]) |
//! | `HANDBOOK_TRUSTED_PROXY_HEADER` | `x-forwarded-for` | the header those proxies set: `x-forwarded-for` or `forwarded` (RFC 7239); the other one is ignored |
//! | `HANDBOOK_PASSWORD_HASH_CONCURRENCY` | number of cores | password hashes computed at once (19 MiB each) |
//! | `HANDBOOK_PASSWORD_HASH_WAIT_MS` | `500` | longest wait for a hashing turn before answering 503 `server_busy` |
//! | `HANDBOOK_LOGIN_WINDOW_SECS` | `900` | how long failed sign-ins are counted, from the first one |
//! | `HANDBOOK_LOGIN_FAILURES_PER_ACCOUNT_ADDRESS` | `5` | failures on one account from one address before that address is refused for it |
//! | `HANDBOOK_LOGIN_FAILURES_PER_ADDRESS` | `30` | failures from one address (any accounts) before it is refused |
//! | `HANDBOOK_LOGIN_SLOW_ACCOUNT_AFTER` | `10` | failures on one account (any addresses) from which attempts on it are delayed (1 s, doubling, at most 8 s) |
//! | `HANDBOOK_NOTIFICATION_STREAM_POLL_MS` | `2000` | how often a notification stream (`GET /api/v1/me/notifications/stream`) looks for new items |
//! | `HANDBOOK_NOTIFICATION_STREAM_IDLE_SECS` | `30` | PostgreSQL, while the process listens for inbox changes: the longest a stream waits without a wake-up before it looks again (a lost notification, the session's end) |
//! | `HANDBOOK_REQUEST_TIMEOUT_SECS` | `30` | longest time a request may take until its response starts; then 504 `request_timeout` (a streamed body — the notification stream, a download — is not cut once it has started; attachment uploads and member imports, which may arrive slowly, are not bounded by it) |
//! | `HANDBOOK_CORS_ORIGINS` | none: no CORS headers | comma-separated origins (`https://sotay.example.vn`) whose browser pages may call the API |
//! | `HANDBOOK_HSTS` | `false` | `true` when the server is reached over TLS (directly or through the proxy): every response carries `Strict-Transport-Security: max-age=31536000` |
//! | `HANDBOOK_METRICS_BIND` | none: `/metrics` on the main listener | serve `GET /metrics` only on this address (e.g. `127.0.0.1:9464`), not on the public one |
//! | `HANDBOOK_LOG_FORMAT` | `text` | `text` or `json` (one object per line); read by `main` through `telemetry` |
//! | `HANDBOOK_CONFIG_FILE` | none | a file of `KEY=VALUE` lines read before the environment (the environment wins) |
//! | `RUST_LOG` | `info` | log filter |

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Why the configuration is unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value does not parse.
    #[error("{key}: {message}")]
    Invalid {
        /// The variable.
        key: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The configuration file cannot be read.
    #[error("cannot read {path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// The header trusted proxies put the client's address in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, …` (nginx's `$proxy_add_x_forwarded_for`, most load
    /// balancers).
    XForwardedFor,
    /// `Forwarded: for=client, for=proxy1` (RFC 7239).
    Forwarded,
}

/// Parses a comma-separated list of IP addresses and CIDR networks (`10.0.0.0/8, ::1`).
pub fn parse_networks(list: &str) -> Result<Vec<ipnet::IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map(|net| net.trunc())
                .map_err(|_| format!("{item}: not an IP address or CIDR network"))
        })
        .collect()
}

/// The `HANDBOOK_*` variables among `vars` that the README's configuration table (the reference
/// for the API, the notifier and the report generator) does not name: most likely misspelt, and
/// ignored. Sorted.
pub fn unknown_variables(vars: &HashMap<String, String>) -> Vec<String> {
    let known: Vec<&str> =
        include_str!("../../../README.md").lines().filter_map(|l| l.strip_prefix("| `")?.split_once('`').map(|(name, _)| name)).collect();
    let mut unknown: Vec<String> = vars
        .keys()
        .filter(|k| k.starts_with("HANDBOOK_") && !known.contains(&k.as_str()) && k.as_str() != "HANDBOOK_TEST_NOW")
        .cloned()
        .collect();
    unknown.sort();
    unknown
}

/// The server's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Database URL.
    pub database_url: String,
    /// A streaming replica for lag-tolerant reads (PostgreSQL only).
    pub replica_url: Option<String>,
    /// The most the replica may lag and still serve reads.
    pub replica_max_lag: std::time::Duration,
    /// Listen address.
    pub bind: SocketAddr,
    /// Data directory.
    pub data_dir: PathBuf,
    /// Bootstrap administrator's username.
    pub admin_username: String,
    /// Bootstrap administrator's password (generated when absent).
    pub admin_password: Option<String>,
    /// Root unit name.
    pub root_name: String,
    /// Token lifetime.
    pub token_ttl: chrono::Duration,
    /// Pool size.
    pub max_connections: u32,
    /// The sign-in throttle's limits.
    pub login: app::accounts::throttle::LoginPolicy,
    /// Password hashes computed at once.
    pub password_hash_concurrency: usize,
    /// Longest wait for a hashing turn.
    pub password_hash_wait: std::time::Duration,
    /// Reverse proxies whose client-address header is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The header they set.
    pub trusted_proxy_header: ForwardedHeader,
    /// Maximum request body (bytes).
    pub max_body_bytes: usize,
    /// Period of `PRAGMA wal_checkpoint(TRUNCATE)` on SQLite.
    pub wal_checkpoint_every: std::time::Duration,
    /// Directory of attachment files.
    pub attachments_dir: PathBuf,
    /// Largest accepted attachment, in bytes.
    pub max_attachment_bytes: usize,
    /// Directory of generated report files (written by the report generator, served by
    /// `GET /api/v1/reports/{id}/file`).
    pub reports_dir: PathBuf,
    /// How often a notification stream (`GET /api/v1/me/notifications/stream`) looks for new items.
    pub notification_stream_poll: std::time::Duration,
    /// PostgreSQL, while the inbox listener is connected: the longest a notification stream waits
    /// for a wake-up before it looks again (streams are woken when their member's inbox changes).
    pub notification_stream_idle: std::time::Duration,
    /// Longest time until a response starts (then 504 `request_timeout`).
    pub request_timeout: std::time::Duration,
    /// Origins allowed to call the API from a browser (CORS); empty: no CORS headers.
    pub cors_origins: Vec<String>,
    /// Whether responses carry `Strict-Transport-Security` (the server is reached over TLS).
    pub hsts: bool,
    /// Where `GET /metrics` is served instead of the main listener.
    pub metrics_bind: Option<SocketAddr>,
}

/// Parses a comma-separated list of origins (`scheme://host[:port]`, no path); a trailing `/` is
/// dropped.
pub fn parse_origins(list: &str) -> Result<Vec<String>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            // Browsers send origins lower-case and without the scheme's default port: so is the
            // list kept, or a differently written origin would never match.
            let origin = item.strip_suffix('/').unwrap_or(item).to_ascii_lowercase();
            let (scheme, default_port) = if origin.starts_with("https://") { ("https://", ":443") } else { ("http://", ":80") };
            let rest = origin.strip_prefix(scheme);
            match rest {
                Some(host) if !host.is_empty() && !host.contains(['/', '?', '#', ' ', '*']) && host.is_ascii() => {
                    let host = host.strip_suffix(default_port).unwrap_or(host);
                    Ok(format!("{scheme}{host}"))
                }
                _ => Err(format!("{item}: not an origin such as https://sotay.example.vn")),
            }
        })
        .collect()
}

impl Config {
    /// Reads `HANDBOOK_CONFIG_FILE` (if set) and then the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_map(&Self::variables()?)
    }

    /// The variables the configuration is read from: `HANDBOOK_CONFIG_FILE`'s lines (if set),
    /// overridden by the environment.
    pub fn variables() -> Result<HashMap<String, String>, ConfigError> {
        let mut vars: HashMap<String, String> = HashMap::new();
        if let Ok(path) = std::env::var("HANDBOOK_CONFIG_FILE") {
            let path = PathBuf::from(path);
            let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::File { path: path.clone(), source })?;
            for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
                if let Some((k, v)) = line.split_once('=') {
                    vars.insert(k.trim().to_string(), v.trim().trim_matches('"').to_string());
                }
            }
        }
        vars.extend(std::env::vars());
        Ok(vars)
    }

    /// Builds a configuration from a key/value map (the environment, or a test's map).
    pub fn from_map(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let get = |k: &str| vars.get(k).map(String::as_str).filter(|v| !v.is_empty());
        let data_dir = PathBuf::from(get("HANDBOOK_DATA_DIR").unwrap_or("./data"));
        let database_url = match get("DATABASE_URL") {
            Some(url) if ["sqlite:", "postgres://", "postgresql://"].iter().any(|scheme| url.starts_with(scheme)) => url.to_string(),
            Some(url) => {
                return Err(ConfigError::Invalid {
                    key: "DATABASE_URL",
                    message: format!("{}: expected sqlite://PATH or postgres://USER@HOST/DB", storage::redacted_url(url)),
                });
            }
            None => format!("sqlite://{}/handbook.db", data_dir.display()),
        };
        let replica_url = match get("HANDBOOK_DATABASE_REPLICA_URL") {
            None => None,
            Some(url) if !database_url.starts_with("postgres") => {
                return Err(ConfigError::Invalid {
                    key: "HANDBOOK_DATABASE_REPLICA_URL",
                    message: format!("{}: a read replica needs DATABASE_URL on PostgreSQL", storage::redacted_url(url)),
                });
            }
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => Some(url.to_string()),
            Some(url) => {
                return Err(ConfigError::Invalid {
                    key: "HANDBOOK_DATABASE_REPLICA_URL",
                    message: format!("{}: expected postgres://USER@HOST/DB", storage::redacted_url(url)),
                });
            }
        };
        let bind = get("HANDBOOK_BIND")
            .unwrap_or("127.0.0.1:8080")
            .parse()
            .map_err(|e| ConfigError::Invalid { key: "HANDBOOK_BIND", message: format!("{e}") })?;
        let number = |key: &'static str, default: u32| -> Result<u32, ConfigError> {
            match get(key) {
                None => Ok(default),
                Some(v) => v.parse().map_err(|e| ConfigError::Invalid { key, message: format!("{e}") }),
            }
        };
        let ttl_hours = number("HANDBOOK_TOKEN_TTL_HOURS", 12)?;
        let defaults = app::accounts::throttle::LoginPolicy::default();
        let login = app::accounts::throttle::LoginPolicy {
            window: std::time::Duration::from_secs(u64::from(
                number("HANDBOOK_LOGIN_WINDOW_SECS", u32::try_from(defaults.window.as_secs()).unwrap_or(900))?.max(1),
            )),
            per_account_address: number("HANDBOOK_LOGIN_FAILURES_PER_ACCOUNT_ADDRESS", defaults.per_account_address)?.max(1),
            per_address: number("HANDBOOK_LOGIN_FAILURES_PER_ADDRESS", defaults.per_address)?.max(1),
            slow_account_after: number("HANDBOOK_LOGIN_SLOW_ACCOUNT_AFTER", defaults.slow_account_after)?.max(1),
            ..defaults
        };
        let cores = u32::try_from(app::accounts::PasswordHashing::cores()).unwrap_or(2);
        let password_hash_concurrency = usize::try_from(number("HANDBOOK_PASSWORD_HASH_CONCURRENCY", cores)?.max(1)).unwrap_or(2);
        let trusted_proxies = match get("HANDBOOK_TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(list) => parse_networks(list).map_err(|message| ConfigError::Invalid { key: "HANDBOOK_TRUSTED_PROXIES", message })?,
        };
        let trusted_proxy_header = match get("HANDBOOK_TRUSTED_PROXY_HEADER").map(str::to_ascii_lowercase).as_deref() {
            None | Some("x-forwarded-for") => ForwardedHeader::XForwardedFor,
            Some("forwarded") => ForwardedHeader::Forwarded,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    key: "HANDBOOK_TRUSTED_PROXY_HEADER",
                    message: format!("{other}: expected x-forwarded-for or forwarded"),
                });
            }
        };
        Ok(Self {
            database_url,
            replica_url,
            replica_max_lag: std::time::Duration::from_secs(u64::from(number("HANDBOOK_DATABASE_REPLICA_MAX_LAG_SECS", 10)?)),
            bind,
            admin_username: get("HANDBOOK_ADMIN_USERNAME").unwrap_or("admin").to_string(),
            admin_password: get("HANDBOOK_ADMIN_PASSWORD").map(str::to_string),
            root_name: get("HANDBOOK_ROOT_NAME").unwrap_or("Đảng Cộng sản Việt Nam").to_string(),
            token_ttl: chrono::Duration::hours(i64::from(ttl_hours.max(1))),
            max_connections: number("HANDBOOK_DB_MAX_CONNECTIONS", 16)?.max(1),
            login,
            password_hash_concurrency,
            password_hash_wait: std::time::Duration::from_millis(u64::from(number("HANDBOOK_PASSWORD_HASH_WAIT_MS", 500)?)),
            trusted_proxies,
            trusted_proxy_header,
            max_body_bytes: 4 * 1024 * 1024,
            wal_checkpoint_every: std::time::Duration::from_secs(u64::from(number("HANDBOOK_WAL_CHECKPOINT_SECS", 30)?.max(1))),
            attachments_dir: get("HANDBOOK_ATTACHMENTS_DIR").map_or_else(|| data_dir.join("attachments"), PathBuf::from),
            max_attachment_bytes: usize::try_from(number("HANDBOOK_MAX_ATTACHMENT_MB", 20)?.max(1)).unwrap_or(20) * 1024 * 1024,
            reports_dir: get("HANDBOOK_REPORTS_DIR").map_or_else(|| data_dir.join("reports"), PathBuf::from),
            notification_stream_poll: std::time::Duration::from_millis(u64::from(
                number("HANDBOOK_NOTIFICATION_STREAM_POLL_MS", 2000)?.max(1),
            )),
            notification_stream_idle: std::time::Duration::from_secs(u64::from(
                number("HANDBOOK_NOTIFICATION_STREAM_IDLE_SECS", 30)?.max(1),
            )),
            request_timeout: std::time::Duration::from_secs(u64::from(number("HANDBOOK_REQUEST_TIMEOUT_SECS", 30)?.max(1))),
            cors_origins: match get("HANDBOOK_CORS_ORIGINS") {
                None => Vec::new(),
                Some(list) => parse_origins(list).map_err(|message| ConfigError::Invalid { key: "HANDBOOK_CORS_ORIGINS", message })?,
            },
            hsts: match get("HANDBOOK_HSTS").map(str::trim).map(str::to_ascii_lowercase).as_deref() {
                None | Some("" | "false" | "0" | "no") => false,
                Some("true" | "1" | "yes") => true,
                Some(other) => {
                    return Err(ConfigError::Invalid { key: "HANDBOOK_HSTS", message: format!("{other}: expected true or false") });
                }
            },
            metrics_bind: match get("HANDBOOK_METRICS_BIND").map(str::trim).filter(|v| !v.is_empty()) {
                None => None,
                Some(v) => {
                    Some(v.parse().map_err(|e| ConfigError::Invalid { key: "HANDBOOK_METRICS_BIND", message: format!("{v}: {e}") })?)
                }
            },
            data_dir,
        })
    }

    /// The effective configuration, one `(variable, value)` per variable of the table above, in
    /// its order, as `api config check` prints it. Secrets are redacted: the administrator's
    /// password and the database URL's password are never shown.
    pub fn effective(&self) -> Vec<(&'static str, String)> {
        let secs = |d: std::time::Duration| d.as_secs().to_string();
        let millis = |d: std::time::Duration| d.as_millis().to_string();
        let proxies = if self.trusted_proxies.is_empty() {
            "none".to_string()
        } else {
            self.trusted_proxies.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        };
        vec![
            ("DATABASE_URL", storage::redacted_url(&self.database_url)),
            ("HANDBOOK_BIND", self.bind.to_string()),
            ("HANDBOOK_DATA_DIR", self.data_dir.display().to_string()),
            ("HANDBOOK_ADMIN_USERNAME", self.admin_username.clone()),
            (
                "HANDBOOK_ADMIN_PASSWORD",
                if self.admin_password.is_some() { "*** (set)" } else { "unset: generated and printed once on first start" }.to_string(),
            ),
            ("HANDBOOK_ROOT_NAME", self.root_name.clone()),
            ("HANDBOOK_TOKEN_TTL_HOURS", self.token_ttl.num_hours().to_string()),
            ("HANDBOOK_DB_MAX_CONNECTIONS", self.max_connections.to_string()),
            ("HANDBOOK_DATABASE_REPLICA_URL", self.replica_url.as_deref().map_or_else(|| "none".to_string(), storage::redacted_url)),
            ("HANDBOOK_DATABASE_REPLICA_MAX_LAG_SECS", secs(self.replica_max_lag)),
            ("HANDBOOK_WAL_CHECKPOINT_SECS", secs(self.wal_checkpoint_every)),
            ("HANDBOOK_ATTACHMENTS_DIR", self.attachments_dir.display().to_string()),
            ("HANDBOOK_MAX_ATTACHMENT_MB", (self.max_attachment_bytes / (1024 * 1024)).to_string()),
            ("HANDBOOK_REPORTS_DIR", self.reports_dir.display().to_string()),
            ("HANDBOOK_TRUSTED_PROXIES", proxies),
            (
                "HANDBOOK_TRUSTED_PROXY_HEADER",
                match self.trusted_proxy_header {
                    ForwardedHeader::XForwardedFor => "x-forwarded-for",
                    ForwardedHeader::Forwarded => "forwarded",
                }
                .to_string(),
            ),
            ("HANDBOOK_PASSWORD_HASH_CONCURRENCY", self.password_hash_concurrency.to_string()),
            ("HANDBOOK_PASSWORD_HASH_WAIT_MS", millis(self.password_hash_wait)),
            ("HANDBOOK_LOGIN_WINDOW_SECS", secs(self.login.window)),
            ("HANDBOOK_LOGIN_FAILURES_PER_ACCOUNT_ADDRESS", self.login.per_account_address.to_string()),
            ("HANDBOOK_LOGIN_FAILURES_PER_ADDRESS", self.login.per_address.to_string()),
            ("HANDBOOK_LOGIN_SLOW_ACCOUNT_AFTER", self.login.slow_account_after.to_string()),
            ("HANDBOOK_NOTIFICATION_STREAM_POLL_MS", millis(self.notification_stream_poll)),
            ("HANDBOOK_NOTIFICATION_STREAM_IDLE_SECS", secs(self.notification_stream_idle)),
            ("HANDBOOK_REQUEST_TIMEOUT_SECS", secs(self.request_timeout)),
            ("HANDBOOK_CORS_ORIGINS", if self.cors_origins.is_empty() { "none".to_string() } else { self.cors_origins.join(", ") }),
            ("HANDBOOK_HSTS", self.hsts.to_string()),
            ("HANDBOOK_METRICS_BIND", self.metrics_bind.map_or_else(|| "none: /metrics on HANDBOOK_BIND".to_string(), |a| a.to_string())),
        ]
    }

    /// A configuration for tests: the given database, an administrator `admin` / `admin-password`.
    pub fn for_test(database_url: &str) -> Self {
        let mut vars = HashMap::new();
        vars.insert("DATABASE_URL".to_string(), database_url.to_string());
        vars.insert("HANDBOOK_ADMIN_PASSWORD".to_string(), "admin-password".to_string());
        vars.insert("HANDBOOK_BIND".to_string(), "127.0.0.1:0".to_string());
        match Self::from_map(&vars) {
            Ok(config) => Self {
                max_connections: 4,
                attachments_dir: std::env::temp_dir().join(format!("handbook-attachments-{}", uuid::Uuid::now_v7().simple())),
                reports_dir: std::env::temp_dir().join(format!("handbook-reports-{}", uuid::Uuid::now_v7().simple())),
                max_attachment_bytes: 1024 * 1024,
                ..config
            },
            Err(e) => unreachable!("test configuration is valid: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_map(&pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    /// Variables named in a Markdown table's first column (`| `NAME` | …`).
    fn table_variables(text: &str, prefix: &str) -> Vec<String> {
        text.lines()
            .filter_map(|l| l.trim_start().strip_prefix(prefix)?.strip_prefix("| `"))
            .filter_map(|rest| rest.split_once('`').map(|(name, _)| name.to_string()))
            .collect()
    }

    #[test]
    fn the_effective_configuration_covers_the_documented_variables_and_hides_secrets() {
        let c = config(&[
            ("DATABASE_URL", "postgres://handbook:s3cret-pw@db.example:5432/handbook"),
            ("HANDBOOK_ADMIN_PASSWORD", "admin-s3cret"),
            ("HANDBOOK_TRUSTED_PROXIES", "10.0.0.0/8"),
        ])
        .unwrap();
        let effective = c.effective();
        let keys: Vec<&str> = effective.iter().map(|(k, _)| *k).collect();
        // The module's table (minus the three read before the configuration is) lists exactly these.
        let documented: Vec<String> = table_variables(include_str!("config.rs"), "//! ")
            .into_iter()
            .filter(|k| k != "HANDBOOK_CONFIG_FILE" && k != "RUST_LOG" && k != "HANDBOOK_LOG_FORMAT")
            .collect();
        assert_eq!(keys, documented, "config.rs's table and Config::effective list the same variables in the same order");
        // The README's table, the single reference, has every one of them.
        let readme = table_variables(include_str!("../../../README.md"), "");
        for key in &keys {
            assert!(readme.iter().any(|r| r == key), "{key} is missing from the README's configuration table");
        }
        let printed = format!("{effective:?}");
        assert!(!printed.contains("s3cret"), "a secret is printed: {printed}");
        assert!(printed.contains("postgres://handbook:***@db.example:5432/handbook"));
        assert!(printed.contains("10.0.0.0/8"));
    }

    #[test]
    fn origins_are_kept_as_browsers_write_them() {
        assert_eq!(
            parse_origins("https://Sotay.Example.vn:443/, http://localhost:5173, http://intra.example:80").unwrap(),
            ["https://sotay.example.vn", "http://localhost:5173", "http://intra.example"]
        );
        assert!(parse_origins("ftp://x").is_err());
        assert!(parse_origins("https://*.example.vn").is_err());
    }

    #[test]
    fn a_misspelt_variable_is_reported_and_a_bad_database_url_refused() {
        let vars: HashMap<String, String> =
            [("HANDBOOK_DB_MAX_CONECTIONS", "8"), ("HANDBOOK_BIND", "0.0.0.0:80"), ("HANDBOOK_SMTP_HOST", "mail"), ("PATH", "/bin")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        assert_eq!(unknown_variables(&vars), ["HANDBOOK_DB_MAX_CONECTIONS"]);
        let documented: HashMap<String, String> = [("HANDBOOK_CONFIG_FILE", "/etc/handbook.env"), ("HANDBOOK_REPORTS_SCHEDULE", "")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert!(unknown_variables(&documented).is_empty(), "{:?}", unknown_variables(&documented));
        let err = config(&[("DATABASE_URL", "mysql://root:pw@localhost/handbook")]).unwrap_err().to_string();
        assert!(err.starts_with("DATABASE_URL: mysql://root:***@localhost/handbook: expected"), "{err}");
        assert!(config(&[("DATABASE_URL", "sqlite:///var/lib/handbook/handbook.db")]).is_ok());
        assert!(config(&[("DATABASE_URL", "postgresql://u@h/db")]).is_ok());
    }

    #[test]
    fn trusted_proxies_and_login_limits() {
        let c = config(&[]).unwrap();
        assert!(c.trusted_proxies.is_empty(), "no proxy is trusted unless configured");
        assert_eq!(c.trusted_proxy_header, ForwardedHeader::XForwardedFor);
        assert_eq!(c.login, app::accounts::throttle::LoginPolicy::default());
        assert!(c.password_hash_concurrency >= 1);
        assert_eq!(c.password_hash_wait, std::time::Duration::from_millis(500));
        assert_eq!((c.request_timeout, c.cors_origins.len(), c.hsts, c.metrics_bind), (std::time::Duration::from_secs(30), 0, false, None));
        let c = config(&[
            ("HANDBOOK_CORS_ORIGINS", "https://sotay.example.vn/, http://localhost:5173"),
            ("HANDBOOK_HSTS", "true"),
            ("HANDBOOK_METRICS_BIND", "127.0.0.1:9464"),
            ("HANDBOOK_REQUEST_TIMEOUT_SECS", "5"),
        ])
        .unwrap();
        assert_eq!(c.cors_origins, ["https://sotay.example.vn", "http://localhost:5173"]);
        assert!(c.hsts);
        assert_eq!(c.metrics_bind, Some("127.0.0.1:9464".parse().unwrap()));
        assert_eq!(c.request_timeout, std::time::Duration::from_secs(5));

        let c = config(&[
            ("HANDBOOK_TRUSTED_PROXIES", " 10.0.0.0/8, 192.168.1.1 ,::1,2001:db8::5/64"),
            ("HANDBOOK_TRUSTED_PROXY_HEADER", "Forwarded"),
            ("HANDBOOK_LOGIN_FAILURES_PER_ADDRESS", "100"),
            ("HANDBOOK_PASSWORD_HASH_CONCURRENCY", "0"),
        ])
        .unwrap();
        let nets: Vec<String> = c.trusted_proxies.iter().map(ToString::to_string).collect();
        assert_eq!(nets, ["10.0.0.0/8", "192.168.1.1/32", "::1/128", "2001:db8::/64"]);
        assert_eq!(c.trusted_proxy_header, ForwardedHeader::Forwarded);
        assert_eq!(c.login.per_address, 100);
        assert_eq!(c.password_hash_concurrency, 1, "at least one turn");

        for (key, value) in [
            ("HANDBOOK_TRUSTED_PROXIES", "10.0.0.0/33"),
            ("HANDBOOK_TRUSTED_PROXIES", "proxy.local"),
            ("HANDBOOK_TRUSTED_PROXY_HEADER", "x-real-ip"),
            ("HANDBOOK_LOGIN_WINDOW_SECS", "soon"),
            ("HANDBOOK_CORS_ORIGINS", "sotay.example.vn"),
            ("HANDBOOK_CORS_ORIGINS", "https://sotay.example.vn/app"),
            ("HANDBOOK_HSTS", "maybe"),
            ("HANDBOOK_METRICS_BIND", "9464"),
            ("HANDBOOK_REQUEST_TIMEOUT_SECS", "-1"),
        ] {
            match config(&[(key, value)]) {
                Err(ConfigError::Invalid { key: k, .. }) => assert_eq!(k, key),
                other => panic!("{key}={value}: {other:?}"),
            }
        }
    }
}
