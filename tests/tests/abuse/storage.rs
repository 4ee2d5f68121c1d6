//! Abuse cases: the attachment store runs out of room or turns read-only. The upload must answer
//! a problem (507, 503), leave no partial file behind and keep nothing in the database, and
//! `/ready` must report the server as not ready. The store is a tiny tmpfs mounted for the test
//! (CI runs as root; elsewhere the test says why it did not run).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

use crate::support::*;

struct Mount(PathBuf);

impl Mount {
    fn tmpfs(size: &str) -> Option<Self> {
        let dir = std::env::temp_dir().join(format!("handbook-full-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        let ok = Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"]).arg(&dir).status().ok()?.success();
        ok.then_some(Mount(dir))
    }
    fn remount(&self, options: &str) {
        let ok = Command::new("mount").args(["-o", &format!("remount,{options}")]).arg(&self.0).status().expect("mount").success();
        assert!(ok, "remount {options}");
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
        let _ = std::fs::remove_dir(&self.0);
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn png(bytes: usize) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    v.resize(bytes, 7);
    v
}

fn multipart(file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "handbook-boundary-7d1";
    let mut body =
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"anh.png\"\r\nContent-Type: image/png\r\n\r\n")
            .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn a_full_or_read_only_attachment_store_answers_a_problem_and_keeps_nothing() {
    let Some(mount) = Mount::tmpfs("256k") else {
        eprintln!("SKIPPED: mounting a tmpfs needs root (CI runs as root)");
        return;
    };
    let dir = mount.0.clone();
    let s = start_with(|c| c.attachments_dir = dir.clone()).await;
    api::demo::seed(&s.state.db, api::demo::DEFAULT_SEED, app::clock::Clock::now(s.state.clock.as_ref())).await.expect("demo");
    let admin = token(s.addr, "quantri.tinh", api::demo::DEMO_PASSWORD).await;
    let (_, _, top) = http(s.addr, "GET", "/api/v1/org-units", Some(&admin), None).await;
    let province = top[0]["id"].as_str().expect("province").to_string();
    let (status, _, doc) = http(
        s.addr,
        "POST",
        &format!("/api/v1/org-units/{province}/documents"),
        Some(&admin),
        Some(json!({"kind": "directive", "number": "77-CT/TU", "title": "Chỉ thị", "summary": "Tóm tắt", "body": "Nội dung"})),
    )
    .await;
    assert_eq!(status, 201, "{doc}");
    let doc = doc["id"].as_str().expect("doc").to_string();
    assert_eq!(http(s.addr, "GET", "/ready", None, None).await.0, 200);

    // Larger than the room left: 507, and no `*.part` file stays.
    let (content_type, body) = multipart(&png(600 * 1024));
    let r = Request::new("POST", &format!("/api/v1/documents/{doc}/attachments")).token(&admin).raw(&content_type, body).send(s.addr).await;
    assert_eq!((r.status, r.code()), (507, "insufficient_storage"), "{}", r.raw_body);
    assert_eq!(r.header("content-type").as_deref(), Some("application/problem+json"));
    assert!(files_under(&dir).is_empty(), "nothing left behind: {:?}", files_under(&dir));
    let (_, _, d) = http(s.addr, "GET", &format!("/api/v1/documents/{doc}"), Some(&admin), None).await;
    assert_eq!(d["attachments"].as_array().map(Vec::len), Some(0), "{d}");

    // The store filled up by something else: not ready.
    let filler = dir.join("filler");
    let _ = std::fs::write(&filler, vec![0u8; 300 * 1024]);
    let r = Request::new("GET", "/ready").send(s.addr).await;
    assert_eq!((r.status, r.code()), (503, "service_unavailable"), "{}", r.raw_body);
    std::fs::remove_file(&filler).expect("remove filler");
    assert_eq!(http(s.addr, "GET", "/ready", None, None).await.0, 200, "ready again once there is room");

    // Read-only: 503, nothing kept, not ready.
    mount.remount("ro");
    let (content_type, body) = multipart(&png(4 * 1024));
    let r = Request::new("POST", &format!("/api/v1/documents/{doc}/attachments")).token(&admin).raw(&content_type, body).send(s.addr).await;
    assert_eq!((r.status, r.code()), (503, "service_unavailable"), "{}", r.raw_body);
    assert_eq!(http(s.addr, "GET", "/ready", None, None).await.0, 503);
    mount.remount("rw");
    assert!(files_under(&dir).is_empty(), "{:?}", files_under(&dir));
    let (content_type, body) = multipart(&png(4 * 1024));
    let r = Request::new("POST", &format!("/api/v1/documents/{doc}/attachments")).token(&admin).raw(&content_type, body).send(s.addr).await;
    assert_eq!(r.status, 201, "writable again: {}", r.raw_body);
}
