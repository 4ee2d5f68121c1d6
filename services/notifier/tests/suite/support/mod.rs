//! Shared by the notifier's test binaries: a real SMTP server (`tests/smtp_sink.py`, aiosmtpd) and
//! a free port.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // each test binary uses part of it

use std::net::{TcpListener as StdListener, TcpStream as StdStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A port nothing listens on (at the time of asking).
pub fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The aiosmtpd sink, killed when dropped.
pub struct SmtpSink {
    child: Child,
    dir: tempfile::TempDir,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl SmtpSink {
    /// Starts the sink with `smtp_sink.py`'s extra arguments (`--reject A`, `--tempfail A`).
    pub fn start(args: &[&str]) -> Self {
        Self::start_on(free_port(), args)
    }

    /// Starts the sink on `port`.
    pub fn start_on(port: u16, args: &[&str]) -> Self {
        let check = Command::new("python3").args(["-c", "import aiosmtpd"]).output();
        match check {
            Ok(out) if out.status.success() => {}
            Ok(out) => panic!(
                "these tests need a real SMTP server, aiosmtpd, which `python3 -c 'import aiosmtpd'` cannot import \
                 ({}). Install it with `pip install aiosmtpd==1.4.6` (.ci/run does).",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
            Err(e) => panic!("these tests need python3 with aiosmtpd==1.4.6 (pip install aiosmtpd==1.4.6): {e}"),
        }
        let dir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_sink.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(["--port", &port.to_string(), "--dir"])
            .arg(dir.path())
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                let mut stderr = String::new();
                if let Some(mut pipe) = child.stderr.take() {
                    std::io::Read::read_to_string(&mut pipe, &mut stderr).ok();
                }
                panic!("smtp_sink.py exited ({status}) before listening: {stderr}");
            }
            if StdStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            assert!(Instant::now() < deadline, "smtp_sink.py did not listen on port {port} within 20 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, dir, port }
    }

    /// The messages received so far, in order.
    pub fn received(&self) -> Vec<Value> {
        let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter_map(|e| {
                let path = e.unwrap().path();
                let n = path.file_name()?.to_str()?.strip_suffix(".json")?.parse().ok()?;
                Some((n, path))
            })
            .collect();
        found.sort();
        found.into_iter().map(|(_, path)| serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()).collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
