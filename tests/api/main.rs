//! Black-box tests: the real application over HTTP against a real PostgreSQL and SMTP server.

mod auth;
mod browser;
mod browser_journey;
mod browser_links;
mod browser_stages;
mod browser_webinars;
mod caching;
mod cli;
mod encryption;
mod errors;
mod health;
mod helpers;
mod hostile;
mod image;
mod learning;
mod mail;
mod media;
mod migrations;
mod openapi;
mod orgs;
mod privacy;
mod quickstart;
mod reflection;
mod security;
mod webinars;
