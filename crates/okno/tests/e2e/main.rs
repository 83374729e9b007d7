//! The end-to-end tests, one binary: each module drives the release binary (`okno`) over HTTP, the
//! command line and headless Chromium, on SQLite and on PostgreSQL (`okno_testkit::engines`).
//! One binary rather than one per file: the workspace is linked once, and the tests of every file
//! share the test threads instead of waiting for each other file by file.

mod appeals;
mod audit;
mod browser;
mod browser_appeals;
mod browser_desk;
mod browser_identity;
mod browser_passkeys;
mod browser_services;
mod conformance;
mod demo_console;
mod desk;
mod identity;
mod offices;
mod organisations;
mod outbox;
mod ownership;
mod platform;
mod polls_pages;
mod sensitive;
mod services;
