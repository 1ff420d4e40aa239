//! sea-orm entities, one file per table and nothing else: rules live in the domain modules.

pub mod action;
pub mod action_event;
pub mod answer;
pub mod api_token;
pub mod department;
pub mod employee;
pub mod invitation;
pub mod mail_pacing;
pub mod outbox_mail;
pub mod pending_import;
pub mod question;
pub mod response;
pub mod result_group;
pub mod result_item;
pub mod result_pillar;
pub mod round;
pub mod round_department;
pub mod round_question;
pub mod round_reminder;
pub mod round_tree;
pub mod schedule;
pub mod schedule_department;
pub mod setting;
pub mod staff_user;
