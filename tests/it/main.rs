//! Integration tests by user flow. They run on SQLite, and a second time on PostgreSQL when
//! `KUNDENPULS_TEST_DATABASE_URL` points at a server (each test in a fresh database there).
//! One binary, so the service links once.

mod helpers;

mod action_fixture;
mod actions;
mod actions_api;
mod actions_mail;
mod actions_trend;
mod admin_pages;
mod admin_start;
mod admin_workflows;
mod anonymity;
mod api;
mod architecture;
mod brand;
mod cli;
mod dashboard;
mod date_style;
mod demo;
mod digest;
mod fuzz;
mod import;
mod import_doors;
mod logs;
mod mail;
mod mail_pace;
mod mail_tls;
mod mime;
mod reports;
mod reports_api;
mod results_fixture;
mod rounds;
mod schedules;
mod schema;
mod smtp_server;
mod staff;
mod staff_accounts;
mod survey;
mod tcp;
