//! Backup and restore of an installation: the database, the attachment files its rows name and
//! the generated report files, with a manifest of checksums.
//!
//! [`backup`] takes an online snapshot of a running installation into an empty directory:
//!
//! ```text
//! DIR/handbook.db            SQLite: VACUUM INTO (a consistent copy; the server keeps writing)
//! DIR/handbook.pgdump        PostgreSQL: pg_dump --format=custom --snapshot=<exported snapshot>
//! DIR/attachments/<key>      every attachment file the snapshot's rows name
//! DIR/reports/<file>         the generated report files the snapshot's rows name, when still there
//! DIR/manifest.json          format, created_at, backend, schema version, rows per table,
//!                            every file with its size and SHA-256
//! ```
//!
//! The file names are read from the snapshot itself, so files and rows agree: an attachment
//! written after the snapshot is not copied, and every one it names must be present with the
//! size and SHA-256 its row records (attachment files are written once under a new key and never
//! changed). Report files are regenerable: one replaced by a newer generation since the snapshot
//! is listed in `reports_skipped` instead (the restored row then names a missing file until the
//! report is asked for again). On PostgreSQL the row counts and file names are read in the
//! `REPEATABLE READ` transaction whose exported snapshot `pg_dump` dumps: the same instant.
//!
//! [`restore`] first verifies every file of the manifest (a damaged backup is refused before
//! anything is written), then restores into an empty place only (SQLite: no database file yet;
//! PostgreSQL: a database without tables), copies the files into the configured directories and
//! checks the restored rows per table against the manifest (and SQLite's `integrity_check`).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use storage::Database;
use storage::backup::{FileRef, PgTarget, Snapshot};

use crate::clock::Clock;

/// The manifest's format version.
pub const FORMAT: u32 = 1;
/// The manifest's file name in a backup directory.
pub const MANIFEST: &str = "manifest.json";
/// The SQLite database file in a backup directory.
pub const SQLITE_FILE: &str = "handbook.db";
/// The PostgreSQL dump in a backup directory.
pub const PG_DUMP_FILE: &str = "handbook.pgdump";

/// Where an installation keeps its files.
#[derive(Debug, Clone)]
pub struct Places {
    /// `HANDBOOK_ATTACHMENTS_DIR`.
    pub attachments_dir: PathBuf,
    /// `HANDBOOK_REPORTS_DIR`.
    pub reports_dir: PathBuf,
}

/// A file of a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Relative to the backup directory, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Hex SHA-256.
    pub sha256: String,
}

/// `manifest.json`: what a backup holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: u32,
    /// When the backup was taken (the injected clock).
    pub created_at: DateTime<Utc>,
    /// `"sqlite"` or `"postgres"`.
    pub backend: String,
    /// The newest applied migration.
    pub schema_version: Option<String>,
    /// The database file ([`SQLITE_FILE`] or [`PG_DUMP_FILE`]).
    pub database_file: String,
    /// Rows per table at the snapshot.
    pub tables: BTreeMap<String, u64>,
    /// Every file with its size and SHA-256 (the database file first).
    pub files: Vec<FileEntry>,
    /// Report files named by the snapshot but replaced or gone since (regenerable).
    #[serde(default)]
    pub reports_skipped: Vec<String>,
}

impl Manifest {
    /// Total bytes of the backup's files.
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }

    /// Total rows over every table.
    pub fn total_rows(&self) -> u64 {
        self.tables.values().sum()
    }

    /// One line for the command line.
    pub fn summary(&self) -> String {
        format!(
            "{} backup at {}: schema {}, {} rows in {} tables, {} files ({} bytes){}",
            self.backend,
            crate::clock::format_instant(self.created_at),
            self.schema_version.as_deref().unwrap_or("(none)"),
            self.total_rows(),
            self.tables.len(),
            self.files.len(),
            self.total_bytes(),
            if self.reports_skipped.is_empty() {
                String::new()
            } else {
                format!(", {} report files skipped (regenerable)", self.reports_skipped.len())
            }
        )
    }
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// The backup's manifest.
    pub manifest: Manifest,
    /// Files copied into the attachment and report directories.
    pub files_copied: usize,
    /// SQLite's `integrity_check` of the restored database (`None` on PostgreSQL).
    pub integrity: Option<String>,
}

impl std::fmt::Display for Restored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "restored the {} backup of {} (schema {}): {} rows in {} tables match the manifest, {} files copied",
            self.manifest.backend,
            crate::clock::format_instant(self.manifest.created_at),
            self.manifest.schema_version.as_deref().unwrap_or("(none)"),
            self.manifest.total_rows(),
            self.manifest.tables.len(),
            self.files_copied,
        )?;
        if let Some(check) = &self.integrity {
            write!(f, ", integrity_check {check}")?;
        }
        Ok(())
    }
}

/// Why a backup or a restore failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The backup directory exists and is not empty.
    #[error("{0} is not empty: back up into a new or empty directory")]
    OutNotEmpty(PathBuf),
    /// There is no SQLite database file to back up.
    #[error("no database file at {0}: check DATABASE_URL / HANDBOOK_DATA_DIR")]
    NoDatabase(PathBuf),
    /// A file could not be read or written.
    #[error("{what}: {source}")]
    Io {
        /// What was being done, with the path.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The database, the snapshot or the PostgreSQL tools failed.
    #[error(transparent)]
    Store(#[from] storage::backup::BackupError),
    /// The database could not be opened.
    #[error(transparent)]
    Connect(#[from] storage::ConnectError),
    /// The SQLite snapshot is not sound.
    #[error("the snapshot failed PRAGMA integrity_check: {0}")]
    Integrity(String),
    /// An attachment the snapshot names is missing or differs from its row.
    #[error("attachment {key}: {reason}")]
    Attachment {
        /// The storage key.
        key: String,
        /// Missing, or which recorded value differs.
        reason: String,
    },
    /// A name in the database or the manifest is not a plain relative path.
    #[error("unsafe file name {0:?}")]
    UnsafeName(String),
    /// The manifest is missing, unreadable or of another format.
    #[error("manifest: {0}")]
    Manifest(String),
    /// A file of the backup is missing or does not match its checksum.
    #[error("the backup is damaged, nothing was restored: {path}: {reason}")]
    Damaged {
        /// The file, relative to the backup directory.
        path: String,
        /// What differs.
        reason: String,
    },
    /// The backup was taken on the other backend.
    #[error("the backup is a {backup} backup but DATABASE_URL selects {target}")]
    BackendMismatch {
        /// The backup's backend.
        backup: String,
        /// The target's backend.
        target: &'static str,
    },
    /// The backup's schema is one this release does not know (a backup of a newer release).
    #[error(
        "the backup's schema is at migration {backup}, which this release does not have (its latest is {latest}): restore it with the release that made it; nothing was restored"
    )]
    NewerSchema {
        /// The backup's latest migration.
        backup: String,
        /// This release's latest migration.
        latest: String,
    },
    /// The restore target already holds data.
    #[error("the target is not empty, nothing was restored: {0}")]
    TargetNotEmpty(String),
    /// After restoring, the rows differ from the manifest.
    #[error("the restored database does not match the manifest: {0}")]
    Mismatch(String),
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> BackupError {
    let what = what.into();
    move |source| BackupError::Io { what, source }
}

/// A name from the database or the manifest as a relative path of plain components.
fn safe_relative(name: &str) -> Result<PathBuf, BackupError> {
    let path = PathBuf::from(name);
    if name.is_empty() || name.contains('\\') || !path.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(BackupError::UnsafeName(name.to_string()));
    }
    Ok(path)
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Streams `src` through SHA-256, into `dst` when given; returns the size and the hex digest.
fn stream(src: &Path, mut dst: Option<&mut std::fs::File>) -> std::io::Result<(u64, String)> {
    let mut file = std::fs::File::open(src)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        if let Some(out) = dst.as_deref_mut() {
            out.write_all(&buf[..n])?;
        }
        size += n as u64;
    }
    Ok((size, hex(&hasher.finalize())))
}

/// Copies `src` to `dst` (its directory created; written under a temporary name, synced, then
/// renamed), returning the size and SHA-256 of what was copied.
fn copy_file(src: &Path, dst: &Path) -> Result<(u64, String), BackupError> {
    if let Some(dir) = dst.parent() {
        std::fs::create_dir_all(dir).map_err(io(format!("cannot create {}", dir.display())))?;
    }
    let tmp = dst.with_extension("part");
    let done = (|| {
        let mut out = std::fs::File::create(&tmp)?;
        let got = stream(src, Some(&mut out))?;
        out.sync_all()?;
        std::fs::rename(&tmp, dst)?;
        Ok(got)
    })();
    if done.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    done.map_err(io(format!("cannot copy {} to {}", src.display(), dst.display())))
}

fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    stream(path, None)
}

fn to_slash(path: &Path) -> String {
    path.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// Copies what the snapshot names into the backup (blocking); returns the file entries and the
/// skipped report files.
fn copy_named_files(
    attachments: &[FileRef],
    reports: &[FileRef],
    places: &Places,
    out: &Path,
) -> Result<(Vec<FileEntry>, Vec<String>), BackupError> {
    let mut files = Vec::new();
    for a in attachments {
        let rel = safe_relative(&a.name)?;
        let src = places.attachments_dir.join(&rel);
        if !src.is_file() {
            return Err(BackupError::Attachment { key: a.name.clone(), reason: format!("missing file {}", src.display()) });
        }
        let dst = out.join("attachments").join(&rel);
        let (size, sha256) = copy_file(&src, &dst)?;
        let size_differs = a.size.is_some_and(|s| u64::try_from(s).ok() != Some(size));
        let sha_differs = a.sha256.as_ref().is_some_and(|s| !s.eq_ignore_ascii_case(&sha256));
        if size_differs || sha_differs {
            return Err(BackupError::Attachment {
                key: a.name.clone(),
                reason: format!("the file ({size} bytes, sha256 {sha256}) differs from its row ({:?} bytes, {:?})", a.size, a.sha256),
            });
        }
        files.push(FileEntry { path: format!("attachments/{}", to_slash(&rel)), size, sha256 });
    }
    let mut skipped = Vec::new();
    for r in reports {
        let rel = safe_relative(&r.name)?;
        let src = places.reports_dir.join(&rel);
        let current = match hash_file(&src) {
            Ok((size, sha256)) => {
                r.sha256.as_ref().is_none_or(|s| s.eq_ignore_ascii_case(&sha256))
                    && r.size.is_none_or(|s| u64::try_from(s).ok() == Some(size))
            }
            Err(_) => false,
        };
        if !current {
            skipped.push(r.name.clone());
            continue;
        }
        let (size, sha256) = copy_file(&src, &out.join("reports").join(&rel))?;
        files.push(FileEntry { path: format!("reports/{}", to_slash(&rel)), size, sha256 });
    }
    Ok((files, skipped))
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, BackupError> + Send + 'static) -> Result<T, BackupError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| BackupError::Io { what: "background task".into(), source: std::io::Error::other(e) })?
}

/// Opens the database of an installation to back up. Unlike [`Database::connect`], a SQLite file
/// that does not exist is refused rather than created (a wrong `HANDBOOK_DATA_DIR` would
/// otherwise back up a new, empty database).
pub async fn open_source(database_url: &str) -> Result<Database, BackupError> {
    if let Some(path) = storage::backup::sqlite_path(database_url)
        && !path.is_file()
    {
        return Err(BackupError::NoDatabase(path));
    }
    Ok(Database::connect(database_url, 2).await?)
}

/// Takes an online backup of the installation whose database is `db` (reached at
/// `database_url`) and whose files are at `places` into `out`, which must be empty or absent.
/// Returns the manifest written to `out/manifest.json`. A backup that fails leaves `out` as it
/// found it (empty or absent).
pub async fn backup(db: &Database, database_url: &str, places: &Places, clock: &dyn Clock, out: &Path) -> Result<Manifest, BackupError> {
    let created_at = clock.now();
    if let Ok(mut entries) = std::fs::read_dir(out)
        && entries.next().is_some()
    {
        return Err(BackupError::OutNotEmpty(out.to_path_buf()));
    }
    let existed = out.exists();
    std::fs::create_dir_all(out).map_err(io(format!("cannot create {}", out.display())))?;
    let taken = take(db, database_url, places, created_at, out).await;
    if taken.is_err() {
        // A failed backup leaves nothing behind: the directory was empty or absent.
        let _ = std::fs::remove_dir_all(out);
        if existed {
            let _ = std::fs::create_dir(out);
        }
    }
    taken
}

async fn take(db: &Database, database_url: &str, places: &Places, created_at: DateTime<Utc>, out: &Path) -> Result<Manifest, BackupError> {
    let backend = db.backend_name();
    let (database_file, contents) = if backend == "postgres" {
        let target = PgTarget::parse(database_url)?;
        let snapshot = db.export_snapshot().await?;
        let contents = snapshot.contents().await?;
        let id = snapshot.exported_id().map(str::to_string);
        let dump = out.join(PG_DUMP_FILE);
        let dumped = blocking(move || storage::backup::pg_dump(&target, id.as_deref(), &dump).map_err(BackupError::from)).await;
        snapshot.close().await?;
        dumped?;
        (PG_DUMP_FILE, contents)
    } else {
        let file = out.join(SQLITE_FILE);
        db.snapshot_into(&file).await?;
        let snapshot = Snapshot::open_sqlite(&file).await?;
        let check = snapshot.integrity_check().await?;
        let contents = snapshot.contents().await?;
        snapshot.close().await?;
        if let Some(check) = check.filter(|c| c != "ok") {
            return Err(BackupError::Integrity(check));
        }
        (SQLITE_FILE, contents)
    };
    let places = places.clone();
    let dir = out.to_path_buf();
    let (attachments, reports) = (contents.attachments.clone(), contents.reports.clone());
    let (db_entry, (mut named, reports_skipped)) = blocking(move || {
        let (size, sha256) =
            hash_file(&dir.join(database_file)).map_err(io(format!("cannot read {}", dir.join(database_file).display())))?;
        let entry = FileEntry { path: database_file.to_string(), size, sha256 };
        Ok((entry, copy_named_files(&attachments, &reports, &places, &dir)?))
    })
    .await?;
    let mut files = vec![db_entry];
    files.append(&mut named);
    let manifest = Manifest {
        format: FORMAT,
        created_at,
        backend: backend.to_string(),
        schema_version: contents.schema_version,
        database_file: database_file.to_string(),
        tables: contents.tables,
        files,
        reports_skipped,
    };
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| BackupError::Manifest(e.to_string()))?;
    let path = out.join(MANIFEST);
    let tmp = out.join(format!("{MANIFEST}.part"));
    std::fs::write(&tmp, json).map_err(io(format!("cannot write {}", tmp.display())))?;
    std::fs::rename(&tmp, &path).map_err(io(format!("cannot write {}", path.display())))?;
    Ok(manifest)
}

/// Reads `from/manifest.json` and checks every file it lists (present, size, SHA-256) and that
/// the database file is among them. Writes nothing.
pub fn verify(from: &Path) -> Result<Manifest, BackupError> {
    let path = from.join(MANIFEST);
    let text = std::fs::read(&path).map_err(|e| BackupError::Manifest(format!("cannot read {}: {e}", path.display())))?;
    let manifest: Manifest = serde_json::from_slice(&text).map_err(|e| BackupError::Manifest(format!("{}: {e}", path.display())))?;
    if manifest.format != FORMAT {
        return Err(BackupError::Manifest(format!("format {} (this program reads format {FORMAT})", manifest.format)));
    }
    if !manifest.files.iter().any(|f| f.path == manifest.database_file) {
        return Err(BackupError::Manifest(format!("the database file {} is not listed", manifest.database_file)));
    }
    for f in &manifest.files {
        let file = from.join(safe_relative(&f.path)?);
        let (size, sha256) =
            hash_file(&file).map_err(|e| BackupError::Damaged { path: f.path.clone(), reason: format!("cannot read it: {e}") })?;
        if size != f.size || !sha256.eq_ignore_ascii_case(&f.sha256) {
            return Err(BackupError::Damaged {
                path: f.path.clone(),
                reason: format!("{size} bytes with SHA-256 {sha256}, the manifest says {} bytes with {}", f.size, f.sha256),
            });
        }
    }
    Ok(manifest)
}

/// Where the manifest's other files go, and whether a different file is already there.
fn file_targets(manifest: &Manifest, places: &Places) -> Result<Vec<(String, PathBuf)>, BackupError> {
    let mut targets = Vec::new();
    for f in manifest.files.iter().filter(|f| f.path != manifest.database_file) {
        let rel = safe_relative(&f.path)?;
        let mut parts = rel.components();
        let dir = match parts.next().map(|c| c.as_os_str().to_string_lossy().into_owned()).as_deref() {
            Some("attachments") => &places.attachments_dir,
            Some("reports") => &places.reports_dir,
            _ => return Err(BackupError::Manifest(format!("unexpected file {}", f.path))),
        };
        let target = dir.join(parts.as_path());
        if target.exists() {
            let same = hash_file(&target).is_ok_and(|(size, sha)| size == f.size && sha.eq_ignore_ascii_case(&f.sha256));
            if !same {
                return Err(BackupError::TargetNotEmpty(format!("{} exists with other content", target.display())));
            }
        }
        targets.push((f.path.clone(), target));
    }
    Ok(targets)
}

/// Restores the backup in `from` into the empty installation at `database_url` and `places`:
/// verifies the backup first, refuses a non-empty target, then restores the database, copies
/// the files and checks the rows per table (and SQLite's integrity) against the manifest.
pub async fn restore(database_url: &str, places: &Places, from: &Path) -> Result<Restored, BackupError> {
    let dir = from.to_path_buf();
    let manifest = blocking(move || verify(&dir)).await?;
    let target_backend = if database_url.starts_with("sqlite:") { "sqlite" } else { "postgres" };
    if manifest.backend != target_backend {
        return Err(BackupError::BackendMismatch { backup: manifest.backend.clone(), target: target_backend });
    }
    let known = storage::known_migrations();
    if let Some(version) = manifest.schema_version.as_ref().filter(|v| !known.contains(v)) {
        return Err(BackupError::NewerSchema { backup: version.clone(), latest: known.last().cloned().unwrap_or_default() });
    }
    let db_file = from.join(&manifest.database_file);
    let targets = file_targets(&manifest, places)?;
    // Every emptiness check first; then the files, then the database, so that a failure at any
    // step can remove what this run wrote (the files it created, the SQLite file) and leave the
    // target as empty as it was — ready for another try.
    let sqlite_target = if target_backend == "sqlite" {
        let path = storage::backup::sqlite_path(database_url)
            .ok_or_else(|| BackupError::TargetNotEmpty(format!("{database_url} is not a SQLite file")))?;
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let p = PathBuf::from(format!("{}{suffix}", path.display()));
            if p.exists() {
                return Err(BackupError::TargetNotEmpty(format!("{} exists", p.display())));
            }
        }
        Some(path)
    } else {
        let target = PgTarget::parse(database_url)?;
        let db = Database::connect(database_url, 2).await?;
        let tables = db.table_names().await.map_err(storage::backup::BackupError::from)?;
        if !tables.is_empty() {
            return Err(BackupError::TargetNotEmpty(format!("database {} has {} tables", target.dbname(), tables.len())));
        }
        None
    };
    let created: std::sync::Arc<std::sync::Mutex<Vec<PathBuf>>> = std::sync::Arc::default();
    let outcome = restore_into(database_url, from, &manifest, &db_file, &targets, sqlite_target.as_deref(), &created).await;
    if outcome.is_err() {
        let mut written = created.lock().map(|c| c.clone()).unwrap_or_default();
        if let Some(path) = &sqlite_target {
            written.extend(["", "-wal", "-shm"].iter().map(|suffix| PathBuf::from(format!("{}{suffix}", path.display()))));
        }
        for path in written {
            let _ = std::fs::remove_file(path);
        }
    }
    let integrity = outcome?;
    Ok(Restored { manifest, files_copied: created.lock().map(|c| c.len()).unwrap_or_default(), integrity })
}

/// The writing part of [`restore`]: the files (each one it creates is recorded in `created`),
/// then the database, then the checks against the manifest. Returns SQLite's integrity check.
async fn restore_into(
    database_url: &str,
    from: &Path,
    manifest: &Manifest,
    db_file: &Path,
    targets: &[(String, PathBuf)],
    sqlite_target: Option<&Path>,
    created: &std::sync::Arc<std::sync::Mutex<Vec<PathBuf>>>,
) -> Result<Option<String>, BackupError> {
    let src = from.to_path_buf();
    let copies = targets.to_vec();
    let record = created.clone();
    blocking(move || {
        for (rel, target) in &copies {
            if !target.exists() {
                copy_file(&src.join(safe_relative(rel)?), target)?;
                if let Ok(mut list) = record.lock() {
                    list.push(target.clone());
                }
            }
        }
        Ok(())
    })
    .await?;
    let db = if let Some(path) = sqlite_target {
        let (src, dst) = (db_file.to_path_buf(), path.to_path_buf());
        blocking(move || copy_file(&src, &dst).map(|_| ())).await?;
        Database::connect(database_url, 2).await?
    } else {
        let target = PgTarget::parse(database_url)?;
        let dump = db_file.to_path_buf();
        // One transaction: a failed restore leaves the database empty.
        blocking(move || storage::backup::pg_restore(&target, &dump).map_err(BackupError::from)).await?;
        Database::connect(database_url, 2).await?
    };
    let contents = db.contents().await.map_err(storage::backup::BackupError::from)?;
    if contents.tables != manifest.tables {
        let differ: Vec<String> = manifest
            .tables
            .iter()
            .filter(|(t, n)| contents.tables.get(*t) != Some(n))
            .map(|(t, n)| format!("{t}: {n} in the manifest, {:?} restored", contents.tables.get(t)))
            .collect();
        return Err(BackupError::Mismatch(differ.join("; ")));
    }
    let integrity = db.integrity_check().await.map_err(storage::backup::BackupError::from)?;
    if let Some(check) = integrity.as_ref().filter(|c| c.as_str() != "ok") {
        return Err(BackupError::Integrity(check.clone()));
    }
    Ok(integrity)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn names_from_rows_and_manifests_stay_inside_their_directory() {
        assert_eq!(safe_relative("ab/0192-uuid").unwrap(), PathBuf::from("ab/0192-uuid"));
        for bad in ["", "../etc/passwd", "/etc/passwd", "ab/../../x", "a\\b", "./x"] {
            assert!(matches!(safe_relative(bad), Err(BackupError::UnsafeName(_))), "{bad:?}");
        }
    }

    #[test]
    fn a_backup_directory_is_verified_file_by_file() {
        let dir = std::env::temp_dir().join(format!("handbook-verify-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(dir.join("attachments/ab")).unwrap();
        std::fs::write(dir.join(SQLITE_FILE), b"database").unwrap();
        std::fs::write(dir.join("attachments/ab/one"), b"attachment").unwrap();
        let entry = |path: &str| {
            let (size, sha256) = hash_file(&dir.join(path)).unwrap();
            FileEntry { path: path.to_string(), size, sha256 }
        };
        let manifest = Manifest {
            format: FORMAT,
            created_at: DateTime::parse_from_rfc3339("2026-12-05T01:00:00Z").unwrap().with_timezone(&Utc),
            backend: "sqlite".into(),
            schema_version: Some("m1".into()),
            database_file: SQLITE_FILE.into(),
            tables: BTreeMap::from([("members".to_string(), 3)]),
            files: vec![entry(SQLITE_FILE), entry("attachments/ab/one")],
            reports_skipped: Vec::new(),
        };
        assert_eq!(
            manifest.files[0].sha256, "3549b0028b75d981cdda2e573e9cb49dedc200185876df299f912b79f69dabd8",
            "SHA-256 of the bytes, in hex"
        );
        std::fs::write(dir.join(MANIFEST), serde_json::to_vec(&manifest).unwrap()).unwrap();
        assert_eq!(verify(&dir).unwrap(), manifest);
        std::fs::write(dir.join("attachments/ab/one"), b"attachmenT").unwrap();
        match verify(&dir) {
            Err(BackupError::Damaged { path, .. }) => assert_eq!(path, "attachments/ab/one"),
            other => panic!("{other:?}"),
        }
        std::fs::remove_file(dir.join("attachments/ab/one")).unwrap();
        assert!(matches!(verify(&dir), Err(BackupError::Damaged { .. })));
        std::fs::write(dir.join(MANIFEST), b"{").unwrap();
        assert!(matches!(verify(&dir), Err(BackupError::Manifest(_))));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
