//! The files under `templates/` (pages, mails, texts, stylesheets), built into the binary by
//! `build.rs` so that a deployment is one file. A leaf: templates and texts both read from here.

mod files {
    include!(concat!(env!("OUT_DIR"), "/templates.rs"));
}

/// The source of an embedded file under `templates/`, by its relative path.
pub fn file(name: &str) -> Option<&'static str> {
    files::FILES
        .iter()
        .find(|(file, _)| *file == name)
        .map(|(_, source)| *source)
}

/// Every embedded file as (path under `templates/`, source).
pub fn all() -> impl Iterator<Item = (&'static str, &'static str)> {
    files::FILES.iter().copied()
}
