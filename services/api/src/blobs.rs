//! Where attachment bytes live: a small trait so that an object store can replace the default
//! local directory.

use std::path::PathBuf;

/// A store of immutable blobs addressed by key.
pub trait BlobStore: Send + Sync + std::fmt::Debug {
    /// Stores bytes under `key` (written to a temporary name, then renamed: never half-written).
    fn put(&self, key: &str, bytes: &[u8]) -> impl std::future::Future<Output = std::io::Result<()>> + Send;
    /// Opens a blob for streaming.
    fn open(&self, key: &str) -> impl std::future::Future<Output = std::io::Result<tokio::fs::File>> + Send;
    /// Removes a blob (used to undo a write whose database transaction failed).
    fn remove(&self, key: &str) -> impl std::future::Future<Output = std::io::Result<()>> + Send;
}

/// Blobs as files under a directory.
#[derive(Debug, Clone)]
pub struct LocalDir {
    root: PathBuf,
}

impl LocalDir {
    /// A store rooted at `root` (created on first write).
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    fn path(&self, key: &str) -> std::io::Result<PathBuf> {
        if key.is_empty() || key.contains("..") || key.starts_with('/') || key.contains('\\') {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "bad blob key"));
        }
        Ok(self.root.join(key))
    }
}

impl BlobStore for LocalDir {
    async fn put(&self, key: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.path(key)?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        let tmp = path.with_extension("part");
        let bytes = bytes.to_vec();
        // Plain blocking I/O on the blocking pool: every error of the write itself (a full disk)
        // is seen here, before the rename.
        tokio::task::spawn_blocking(move || {
            let written = (|| {
                let mut file = std::fs::File::create(&tmp)?;
                std::io::Write::write_all(&mut file, &bytes)?;
                file.sync_all()?;
                std::fs::rename(&tmp, &path)
            })();
            if written.is_err() {
                // Disk full, read-only, …: no partial file stays behind.
                let _ = std::fs::remove_file(&tmp);
            }
            written
        })
        .await
        .map_err(std::io::Error::other)?
    }

    async fn open(&self, key: &str) -> std::io::Result<tokio::fs::File> {
        tokio::fs::File::open(self.path(key)?).await
    }

    async fn remove(&self, key: &str) -> std::io::Result<()> {
        tokio::fs::remove_file(self.path(key)?).await
    }
}

impl LocalDir {
    /// Whether a file can be written (and removed) under the root now: the readiness check.
    pub async fn probe(&self) -> std::io::Result<()> {
        tokio::fs::create_dir_all(&self.root).await?;
        let path = self.root.join(format!(".ready-{}", uuid::Uuid::now_v7().simple()));
        let written = tokio::fs::write(&path, b"ready").await;
        let removed = tokio::fs::remove_file(&path).await;
        written.and(removed)
    }
}

/// How an attachment write failed, as the API answers it: no room (disk full, quota) is 507, any
/// other failure of the store (read-only, gone) is 503.
pub fn write_error(e: &std::io::Error) -> crate::error::ApiError {
    use std::io::ErrorKind;
    tracing::error!(error = %e, "attachment store write failed");
    match e.kind() {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded | ErrorKind::FileTooLarge => crate::error::ApiError::InsufficientStorage,
        _ => crate::error::ApiError::Unavailable,
    }
}

/// The document use cases store attachment bytes here.
impl app::documents::Blobs for LocalDir {
    async fn put(&self, key: &str, bytes: &[u8]) -> std::io::Result<()> {
        BlobStore::put(self, key, bytes).await
    }

    async fn remove(&self, key: &str) -> std::io::Result<()> {
        BlobStore::remove(self, key).await
    }
}
