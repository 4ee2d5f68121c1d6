//! E-mail over SMTP.
