//! The push gateway webhook.
