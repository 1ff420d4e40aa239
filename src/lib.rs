//! kundenpuls: pulse surveys that measure, from the inside, how customer-centric a company is.
//!
//! Three doors open onto the same services: the web server (`web`), the command line (`cli`)
//! and, in later features, the scheduler. Rules (who may do what, what is valid, what stays
//! anonymous) live below the doors, in the domain modules.

pub mod action;
pub mod agenda;
pub mod answer;
pub mod app;
pub mod auth;
pub mod brand;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod email;
pub mod embedded;
pub mod entities;
pub mod error;
pub mod i18n;
pub mod invite;
pub mod lifecycle;
pub mod local_time;
pub mod mail;
pub mod org;
pub mod problem;
pub mod report;
pub mod scheduler;
pub mod secrets;
pub mod survey;
pub mod telemetry;
pub mod templates;
pub mod vocab;
pub mod web;
pub mod whole_number;
pub mod working_time;
