//! Black-box tests: the real application over HTTP against a real PostgreSQL and SMTP server.

mod auth;
mod caching;
mod cli;
mod errors;
mod health;
mod helpers;
mod learning;
mod mail;
mod migrations;
mod openapi;
mod reflection;
mod webinars;
