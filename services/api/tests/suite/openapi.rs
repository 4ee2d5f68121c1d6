//! The OpenAPI document is a contract client teams generate code from: this snapshot makes every
//! change to it a reviewed diff (update with `INSTA_UPDATE=always cargo test -p api --test suite openapi`
//! and record breaking changes in docs/API-CHANGES.md).

#[test]
fn the_openapi_document_changes_only_by_review() {
    insta::assert_json_snapshot!("openapi", api::openapi());
}
