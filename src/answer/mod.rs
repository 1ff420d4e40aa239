//! Employees answering through their personal link: what a link leads to (`link`), what a
//! filled-in form means (`form`), how fast links may be used (`limits`), the one task that
//! stores submissions, exactly once per token and in batches (`writer`), and the service that
//! puts these together for the employees' door (`intake`). On PostgreSQL the writer's rows
//! travel as arrays in statements of one shape (`arrays`).
//!
//! Anonymity: a stored response keeps its round, the department of the invitation as it was at
//! opening and the answers, no time of any kind; the invitation only learns that it was
//! answered. Responses are stored in groups that no query links back to an invitation
//! (`unlink`), and nothing here logs tokens or answers.

pub mod arrays;
pub mod form;
pub mod intake;
pub mod limits;
pub mod link;
pub mod statement;
pub mod unlink;
pub mod writer;
