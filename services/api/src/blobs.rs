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
        tokio::fs::write(&tmp, bytes).await?;
        tokio::fs::rename(&tmp, &path).await
    }

    async fn open(&self, key: &str) -> std::io::Result<tokio::fs::File> {
        tokio::fs::File::open(self.path(key)?).await
    }

    async fn remove(&self, key: &str) -> std::io::Result<()> {
        tokio::fs::remove_file(self.path(key)?).await
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
