//! The crate's modules must not depend on each other in a circle.
//!
//! Modules in a cycle can only be understood, tested, changed and moved together, and a cycle
//! only grows once it is there. The compiler accepts cycles, so this test reads `src/` itself:
//! every `use` and every path in code that names one of the crate's modules (`crate::…`,
//! `super::…`, `self::…`, a child module, a module imported by `use`) is an edge from the file
//! that writes it to the module file that defines what it names. Test code (`#[cfg(test)]`) is
//! left out: a test may reach anywhere.
//!
//! A small tokenizer rather than a real parser keeps this std-only: paths are all it needs, and
//! it only has to get comments, string and char literals right so that no path is read there.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

#[test]
fn top_level_modules_form_no_cycle() {
    let graph = crate_graph();
    let top_level = graph.collapse(|module| module.split("::").next().unwrap_or(module));
    assert_acyclic(&top_level, "top-level modules");
}

#[test]
fn files_form_no_cycle() {
    assert_acyclic(&crate_graph(), "module files");
}

/// A module by its path below the crate root; the root itself is the empty path.
type ModPath = Vec<String>;

fn module_name(module: &[String]) -> String {
    if module.is_empty() {
        "crate".to_owned()
    } else {
        module.join("::")
    }
}

/// One place in the sources where a module names another.
#[derive(Clone, Debug)]
struct Reference {
    from: String,
    to: String,
    file: String,
    line: usize,
}

#[derive(Default)]
struct Graph {
    nodes: BTreeSet<String>,
    /// Each edge with the places in the sources that make it: what a reader has to change.
    edges: BTreeMap<(String, String), Vec<Reference>>,
}

impl Graph {
    fn add(&mut self, from: String, to: String, reference: Reference) {
        self.nodes.insert(from.clone());
        self.nodes.insert(to.clone());
        // A module using itself, or two files of one top-level module using each other once
        // collapsed, is no dependency between modules.
        if from != to {
            self.edges.entry((from, to)).or_default().push(reference);
        }
    }

    /// The graph with each node replaced by `group(node)`; the references keep the files.
    fn collapse<'a>(&'a self, group: impl Fn(&'a str) -> &'a str) -> Graph {
        let mut collapsed = Graph::default();
        for node in &self.nodes {
            collapsed.nodes.insert(group(node).to_owned());
        }
        for ((from, to), references) in &self.edges {
            for reference in references {
                let (from, to) = (group(from).to_owned(), group(to).to_owned());
                collapsed.add(from, to, reference.clone());
            }
        }
        collapsed
    }

    /// The strongly connected components with more than one node (Tarjan's algorithm, with an
    /// explicit stack so that a deep module chain cannot overflow the test thread's stack).
    fn cycles(&self) -> Vec<Vec<&str>> {
        const UNSEEN: usize = usize::MAX;
        let names: Vec<&str> = self.nodes.iter().map(String::as_str).collect();
        let number: BTreeMap<&str, usize> =
            names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        let mut successors = vec![Vec::new(); names.len()];
        for (from, to) in self.edges.keys() {
            successors[number[from.as_str()]].push(number[to.as_str()]);
        }

        let mut index = vec![UNSEEN; names.len()];
        let mut low = vec![0; names.len()];
        let mut on_stack = vec![false; names.len()];
        let mut stack = Vec::new();
        let mut next_index = 0;
        let mut components = Vec::new();
        for root in 0..names.len() {
            if index[root] != UNSEEN {
                continue;
            }
            // Each entry: a node being visited and how many of its successors were tried.
            let mut visiting = vec![(root, 0)];
            index[root] = next_index;
            low[root] = next_index;
            next_index += 1;
            stack.push(root);
            on_stack[root] = true;
            while let Some(&mut (node, ref mut tried)) = visiting.last_mut() {
                if let Some(&next) = successors[node].get(*tried) {
                    *tried += 1;
                    if index[next] == UNSEEN {
                        index[next] = next_index;
                        low[next] = next_index;
                        next_index += 1;
                        stack.push(next);
                        on_stack[next] = true;
                        visiting.push((next, 0));
                    } else if on_stack[next] {
                        low[node] = low[node].min(index[next]);
                    }
                    continue;
                }
                visiting.pop();
                if let Some(&(parent, _)) = visiting.last() {
                    low[parent] = low[parent].min(low[node]);
                }
                if low[node] == index[node] {
                    let mut component = Vec::new();
                    while let Some(member) = stack.pop() {
                        on_stack[member] = false;
                        component.push(names[member]);
                        if member == node {
                            break;
                        }
                    }
                    if component.len() > 1 {
                        component.sort_unstable();
                        components.push(component);
                    }
                }
            }
        }
        components.sort();
        components
    }
}

/// Fails with every cycle of `graph` and, for each edge inside it, the lines that make it.
fn assert_acyclic(graph: &Graph, level: &str) {
    let cycles = graph.cycles();
    if cycles.is_empty() {
        return;
    }
    let mut report = vec![format!(
        "{} dependency cycle(s) between {level}. The modules of each group below all reach each \
         other; to break a group, remove one of its edges (move what it needs into a module \
         both sides may use, or turn the dependency around).",
        cycles.len()
    )];
    for (number, members) in cycles.iter().enumerate() {
        report.push(format!("\ncycle {}: {}", number + 1, members.join(", ")));
        let inside = |node: &String| members.contains(&node.as_str());
        for ((from, to), references) in &graph.edges {
            if !(inside(from) && inside(to)) {
                continue;
            }
            // The lines of each file edge behind this edge (one file edge at file level).
            let mut sites: BTreeMap<(&str, &str, &str), Vec<String>> = BTreeMap::new();
            for reference in references {
                let key = (&*reference.from, &*reference.to, &*reference.file);
                sites
                    .entry(key)
                    .or_default()
                    .push(reference.line.to_string());
            }
            let line = |(from, to, file): (&str, &str, &str), lines: &[String]| {
                format!("{from} -> {to} ({file}:{})", lines.join(", "))
            };
            match sites.first_key_value() {
                Some((&site, lines)) if sites.len() == 1 && (site.0, site.1) == (from, to) => {
                    report.push(format!("  {}", line(site, lines)));
                }
                _ => {
                    report.push(format!("  {from} -> {to}"));
                    for (&site, lines) in &sites {
                        report.push(format!("      {}", line(site, lines)));
                    }
                }
            }
        }
    }
    panic!("{}", report.join("\n"));
}

/// The file-level graph of `src/`, checked to be big enough that a scan which silently found
/// nothing (moved sources, a tokenizer bug) cannot pass as "no cycles".
fn crate_graph() -> Graph {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = module_files(root);
    let modules: BTreeSet<ModPath> = files.keys().cloned().collect();
    let mut graph = Graph::default();
    for (module, file) in &files {
        let path = root.join(file);
        let source = fs::read_to_string(&path)
            .unwrap_or_else(|err| panic!("reading {}: {err}", path.display()));
        let from = module_name(module);
        graph.nodes.insert(from.clone());
        for (target, line) in dependencies(&source, module, &modules) {
            let to = module_name(&target);
            let file = file.clone();
            let reference = Reference {
                from: from.clone(),
                to: to.clone(),
                file,
                line,
            };
            graph.add(from.clone(), to, reference);
        }
    }
    assert!(
        graph.nodes.len() > 50 && graph.edges.len() > 100,
        "only {} module files and {} dependencies found under {}/src: is the scan broken?",
        graph.nodes.len(),
        graph.edges.len(),
        root.display()
    );
    graph
}

/// Every module file under `src/` (`src/main.rs`, the binary, excepted), with its path
/// relative to `root` written with `/`.
fn module_files(root: &Path) -> BTreeMap<ModPath, String> {
    let mut files = BTreeMap::new();
    let mut directories = vec![Vec::<String>::new()];
    while let Some(directory) = directories.pop() {
        let path = directory
            .iter()
            .fold(root.join("src"), |path, part| path.join(part));
        let entries =
            fs::read_dir(&path).unwrap_or_else(|err| panic!("listing {}: {err}", path.display()));
        for entry in entries {
            let entry = entry.unwrap_or_else(|err| panic!("listing {}: {err}", path.display()));
            let name = entry.file_name().to_string_lossy().into_owned();
            let mut parts = directory.clone();
            if entry.path().is_dir() {
                parts.push(name);
                directories.push(parts);
                continue;
            }
            let Some(stem) = name.strip_suffix(".rs") else {
                continue;
            };
            let file = directory
                .iter()
                .chain([&name])
                .fold("src".to_owned(), |f, p| f + "/" + p);
            match (directory.is_empty(), stem) {
                (true, "main") => continue,
                (true, "lib") | (_, "mod") => {}
                _ => parts.push(stem.to_owned()),
            }
            files.insert(parts, file);
        }
    }
    files
}

/// The modules that `source`, the file of `module`, names outside its test code, each with the
/// line of the mention. Mentions of the file itself are no dependency, and those of the crate
/// root are left out because lib.rs only declares the modules: every path starts there.
fn dependencies(
    source: &str,
    module: &[String],
    modules: &BTreeSet<ModPath>,
) -> Vec<(ModPath, usize)> {
    let tokens = tokenize(source);
    let scanner = Scanner {
        tokens: &tokens,
        pos: 0,
        module,
        braces: Vec::new(),
        found: Vec::new(),
    };
    let mentions = scanner.run();

    // Imports first and in order: code may go through a module imported by a `use` below it,
    // and an import may go through a module imported by one above it (`use crate::mail;
    // use mail::outbox;`).
    let (imports, code): (Vec<_>, Vec<_>) = mentions
        .iter()
        .partition(|mention| matches!(mention.kind, Kind::Import { .. }));
    let mut imported = BTreeMap::new();
    let mut found = Vec::new();
    for mention in imports.into_iter().chain(code) {
        let Some(path) = absolute(mention, &imported, modules) else {
            continue;
        };
        if let Kind::Import { binds: Some(name) } = &mention.kind
            && modules.contains(&path)
        {
            imported.insert(name.clone(), path.clone());
        }
        // What a path names lives in the deepest module file along it:
        // `crate::mail::outbox::MailState` in mail::outbox, `crate::mail::Thing` in mail.
        let owner = (0..=path.len())
            .rev()
            .map(|len| &path[..len])
            .find(|p| modules.contains(*p));
        if let Some(owner) = owner
            && !owner.is_empty()
            && owner != module
        {
            found.push((owner.to_vec(), mention.line));
        }
    }
    // `use a::{B, C};` names module a twice on one line.
    found.sort();
    found.dedup();
    found
}

/// The path `mention` names, from the crate root, if it names something of this crate.
fn absolute(
    mention: &Mention,
    imported: &BTreeMap<String, ModPath>,
    modules: &BTreeSet<ModPath>,
) -> Option<ModPath> {
    let mut segments = mention.segments.iter().peekable();
    let mut path = match segments.peek()?.as_str() {
        "crate" => {
            segments.next();
            Vec::new()
        }
        "self" | "super" => mention.scope.clone(),
        // Anything else is an extern crate, std, a type or a variable, unless it is a module
        // imported by `use` or a child module of the scope (`pub use child::Thing;` in a
        // mod.rs): in Rust 2018 and later both are in scope without `self::`.
        first => {
            let child = [&mention.scope[..], &[first.to_owned()]].concat();
            let base = match imported.get(first) {
                Some(module) => module.clone(),
                None if modules.contains(&child) => child,
                None => return None,
            };
            segments.next();
            base
        }
    };
    while let Some(segment) = segments.next_if(|s| *s == "self" || *s == "super") {
        if segment == "super" {
            path.pop()?;
        }
    }
    path.extend(segments.cloned());
    Some(path)
}

/// A token of Rust source, as far as finding paths needs. Comments vanish; literals and
/// lifetimes are opaque, as nothing in them names a module.
#[derive(Debug, PartialEq)]
enum Token {
    Ident(String),
    /// `::`
    PathSep,
    Punct(char),
    Opaque,
}

struct Lexed {
    token: Token,
    line: usize,
}

fn tokenize(source: &str) -> Vec<Lexed> {
    let mut lexer = Lexer {
        chars: source.chars().collect(),
        pos: 0,
        line: 1,
    };
    let mut tokens = Vec::new();
    while let Some(c) = lexer.peek(0) {
        let line = lexer.line;
        let token = match c {
            _ if c.is_whitespace() => {
                lexer.bump();
                continue;
            }
            '/' if lexer.peek(1) == Some('/') => {
                lexer.bump_while(|c| c != '\n');
                continue;
            }
            '/' if lexer.peek(1) == Some('*') => {
                lexer.skip_block_comment();
                continue;
            }
            '"' => {
                lexer.skip_string();
                Token::Opaque
            }
            '\'' => {
                lexer.skip_char_or_lifetime();
                Token::Opaque
            }
            ':' if lexer.peek(1) == Some(':') => {
                lexer.bump();
                lexer.bump();
                Token::PathSep
            }
            _ if c.is_ascii_digit() => {
                lexer.bump_while(is_ident_char);
                Token::Opaque
            }
            _ if is_ident_char(c) => lexer.word(),
            _ => {
                lexer.bump();
                Token::Punct(c)
            }
        };
        tokens.push(Lexed { token, line });
    }
    tokens
}

fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
    line: usize,
}

impl Lexer {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek(0)?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn bump_while(&mut self, keep: impl Fn(char) -> bool) {
        while self.peek(0).is_some_and(&keep) {
            self.bump();
        }
    }

    /// Block comments nest in Rust: `/* a /* b */ still a comment */`.
    fn skip_block_comment(&mut self) {
        let mut depth = 0;
        while let Some(c) = self.bump() {
            match (c, self.peek(0)) {
                ('/', Some('*')) => {
                    self.bump();
                    depth += 1;
                }
                ('*', Some('/')) => {
                    self.bump();
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                }
                _ => {}
            }
        }
    }

    /// From the opening quote of a string with escapes to past its closing quote.
    fn skip_string(&mut self) {
        self.bump();
        while let Some(c) = self.bump() {
            match c {
                '\\' => {
                    self.bump();
                }
                '"' => return,
                _ => {}
            }
        }
    }

    /// `'{'` and `'\''` are chars, `'a` and `'static` lifetimes (or loop labels): a quote two
    /// places on, or a backslash, makes a char.
    fn skip_char_or_lifetime(&mut self) {
        self.bump();
        match (self.peek(0), self.peek(1)) {
            (Some('\\'), _) => {
                self.bump();
                self.bump();
                self.bump_while(|c| c != '\'');
                self.bump();
            }
            (Some(_), Some('\'')) => {
                self.bump();
                self.bump();
            }
            _ => self.bump_while(is_ident_char),
        }
    }

    /// An identifier or keyword, or the literal it prefixes: `b"…"`, `c"…"`, `b'…'`, `r"…"`,
    /// `r#"…"#`, `br"…"`, `cr"…"`, and the raw identifier `r#name`.
    fn word(&mut self) -> Token {
        let start = self.pos;
        self.bump_while(is_ident_char);
        let word: String = self.chars[start..self.pos].iter().collect();
        match (word.as_str(), self.peek(0)) {
            ("b" | "c", Some('"')) => self.skip_string(),
            ("b", Some('\'')) => self.skip_char_or_lifetime(),
            ("r" | "br" | "cr", Some('"' | '#')) => {
                let hashes = (0..).take_while(|&n| self.peek(n) == Some('#')).count();
                if self.peek(hashes) != Some('"') {
                    if word != "r" || hashes != 1 {
                        return Token::Ident(word);
                    }
                    // `r#use` is no keyword: the `r#` it keeps stops it being taken for one.
                    self.bump();
                    let start = self.pos;
                    self.bump_while(is_ident_char);
                    let name: String = self.chars[start..self.pos].iter().collect();
                    return Token::Ident(format!("r#{name}"));
                }
                for _ in 0..=hashes {
                    self.bump();
                }
                // The string ends at the first quote followed by as many hashes as it opened with.
                while let Some(c) = self.bump() {
                    if c == '"' && (0..hashes).all(|n| self.peek(n) == Some('#')) {
                        for _ in 0..hashes {
                            self.bump();
                        }
                        break;
                    }
                }
            }
            _ => return Token::Ident(word),
        }
        Token::Opaque
    }
}

/// A path written in the source, before it is resolved against the crate's module files.
#[derive(Debug)]
struct Mention {
    /// The module the path is written in: the file's module and any inline `mod x { … }`
    /// around the path, which is what `self` and `super` start from.
    scope: ModPath,
    segments: Vec<String>,
    line: usize,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// A path of a `use`, with the name it brings into scope (none for `*` and `as _`).
    Import {
        binds: Option<String>,
    },
    Code,
}

/// Finds the paths in a file's tokens: `use` trees and paths in code, outside test code.
struct Scanner<'a> {
    tokens: &'a [Lexed],
    pos: usize,
    module: &'a [String],
    /// One entry per open brace: the name of the inline module it opens, if it opens one.
    braces: Vec<Option<String>>,
    found: Vec<Mention>,
}

impl<'a> Scanner<'a> {
    fn token(&self, ahead: usize) -> Option<&'a Token> {
        self.tokens.get(self.pos + ahead).map(|lexed| &lexed.token)
    }

    fn ident(&self, ahead: usize) -> Option<&'a str> {
        match self.token(ahead)? {
            Token::Ident(word) => Some(word),
            _ => None,
        }
    }

    fn line(&self) -> usize {
        self.tokens.get(self.pos).map_or(0, |lexed| lexed.line)
    }

    fn scope(&self) -> ModPath {
        let inline = self.braces.iter().flatten();
        self.module.iter().chain(inline).cloned().collect()
    }

    fn run(mut self) -> Vec<Mention> {
        while let Some(token) = self.token(0) {
            if let Some((length, inner)) = self.cfg_test_attribute() {
                self.pos += length;
                self.skip_test_code(inner);
                continue;
            }
            match token {
                Token::Punct('{') => {
                    self.braces.push(None);
                    self.pos += 1;
                }
                Token::Punct('}') => {
                    self.braces.pop();
                    self.pos += 1;
                }
                Token::Ident(word)
                    if word == "mod" && self.token(2) == Some(&Token::Punct('{')) =>
                {
                    self.braces.push(self.ident(1).map(str::to_owned));
                    self.pos += 3;
                }
                Token::Ident(word) if word == "use" => {
                    self.pos += 1;
                    self.use_tree(Vec::new());
                }
                Token::Ident(first) if self.starts_path() => {
                    let (scope, line) = (self.scope(), self.line());
                    let mut segments = vec![first.clone()];
                    self.pos += 1;
                    while self.token(0) == Some(&Token::PathSep)
                        && let Some(segment) = self.ident(1)
                    {
                        segments.push(segment.to_owned());
                        self.pos += 2;
                    }
                    self.found.push(Mention {
                        scope,
                        segments,
                        line,
                        kind: Kind::Code,
                    });
                }
                _ => self.pos += 1,
            }
        }
        self.found
    }

    /// An identifier followed by `::name` starts a path, unless it is inside one already (as
    /// after `<T as Trait>::` or the leading `::` of an extern crate path).
    fn starts_path(&self) -> bool {
        let previous = self.pos.checked_sub(1).and_then(|pos| self.tokens.get(pos));
        previous.is_none_or(|lexed| lexed.token != Token::PathSep)
            && self.token(1) == Some(&Token::PathSep)
            && self.ident(2).is_some()
    }

    fn import(&mut self, segments: Vec<String>, binds: Option<String>, line: usize) {
        let (scope, kind) = (self.scope(), Kind::Import { binds });
        self.found.push(Mention {
            scope,
            segments,
            line,
            kind,
        });
    }

    /// `#[cfg(test)]` or `#![cfg(test)]` here: its length in tokens and whether it is inner.
    fn cfg_test_attribute(&self) -> Option<(usize, bool)> {
        if self.token(0) != Some(&Token::Punct('#')) {
            return None;
        }
        let inner = self.token(1) == Some(&Token::Punct('!'));
        let start = 1 + usize::from(inner);
        let ident = |word: &str| Token::Ident(word.to_owned());
        let attribute = [
            Token::Punct('['),
            ident("cfg"),
            Token::Punct('('),
            ident("test"),
            Token::Punct(')'),
            Token::Punct(']'),
        ];
        let matches = (0..attribute.len()).all(|n| self.token(start + n) == Some(&attribute[n]));
        matches.then_some((start + attribute.len(), inner))
    }

    /// Past the test code an attribute applies to: for an outer one the item after it (up to
    /// its `;` or the end of its first `{ … }`), for an inner one the rest of its block. Never
    /// past the end of the enclosing block, so the brace bookkeeping stays right.
    fn skip_test_code(&mut self, inner: bool) {
        let mut depth = 0usize;
        while let Some(token) = self.token(0) {
            match token {
                Token::Punct('{' | '(' | '[') => depth += 1,
                Token::Punct(close @ ('}' | ')' | ']')) => {
                    let Some(inside) = depth.checked_sub(1) else {
                        return;
                    };
                    depth = inside;
                    if depth == 0 && *close == '}' && !inner {
                        self.pos += 1;
                        return;
                    }
                }
                Token::Punct(';') if depth == 0 && !inner => {
                    self.pos += 1;
                    return;
                }
                _ => {}
            }
            self.pos += 1;
        }
    }

    /// One tree of a `use` after the prefix `path`: `a::b`, `a::b as c`, `a::*` or `a::{…}`.
    /// Each path it imports is found at the line of its last segment: the line to change in a
    /// group spread over lines.
    fn use_tree(&mut self, mut path: Vec<String>) {
        let prefix_length = path.len();
        loop {
            let line = self.line();
            match self.token(0) {
                Some(Token::Punct('{')) => {
                    self.pos += 1;
                    while let Some(token) = self.token(0) {
                        match token {
                            Token::Punct('}') => {
                                self.pos += 1;
                                return;
                            }
                            Token::Punct(',') => self.pos += 1,
                            _ => {
                                let before = self.pos;
                                self.use_tree(path.clone());
                                // Something this scanner does not understand: step over it.
                                if self.pos == before {
                                    self.pos += 1;
                                }
                            }
                        }
                    }
                    return;
                }
                Some(Token::Punct('*')) => {
                    self.pos += 1;
                    self.import(path, None, line);
                    return;
                }
                Some(Token::Ident(segment)) => {
                    self.pos += 1;
                    // `self` first in a group (`a::{self, b}`) imports the group's prefix.
                    if segment != "self" || prefix_length == 0 || path.len() > prefix_length {
                        path.push(segment.clone());
                    }
                    if self.token(0) == Some(&Token::PathSep) {
                        self.pos += 1;
                        continue;
                    }
                    let mut binds = path.last().cloned();
                    if self.ident(0) == Some("as") {
                        binds = self.ident(1).filter(|name| *name != "_").map(str::to_owned);
                        self.pos += 2;
                    }
                    self.import(path, binds, line);
                    return;
                }
                // `use ::name` (an extern crate), or `use<'a>` in a bound: nothing of ours.
                _ => return,
            }
        }
    }
}

/// The scanner on a file that has every construct it must get right, so that it cannot
/// silently stop seeing paths (the crate-wide tests could still find "no cycle" then).
#[test]
fn scanner_finds_exactly_the_paths_outside_comments_strings_and_tests() {
    const SOURCE: &str = r##"//! Mentions crate::g in a doc comment.
use std::collections::BTreeMap;
pub(crate) use crate::{
    d::{self, e::{Thing, Other as Renamed}},
    mail::outbox::Mail,
};
pub use c::Child;
use super::*;
use crate::mail;

/* a block /* nested crate::g */ still a comment crate::g */
fn run<'a>(text: &'a str) -> &'a str {
    let _ = "crate::g::in_string { \" crate::g";
    let _ = r#"crate::g " { "#;
    let _ = ('{', b'"', '\'', b"{", '\u{7d}');
    crate::f::
        called_across_lines();
    mail::pace::through_the_import();
    self::c::helper();
    super::super::g::from_the_grandparent();
    crate::a::b::itself();
    crate::at_the_root();
    std::mem::take(&mut Vec::<u8>::new());
    text
}

mod inline {
    fn f() {
        super::c::from_an_inline_module();
    }
}

#[cfg(test)]
mod tests {
    use crate::g;
    fn f() {
        // A brace miscounted here would hide the rest of the file: {
        let _ = ('{', "{ \" {", r#" " { "#, b'{', '\'');
        crate::g::in_a_test();
    }
}

#[cfg(test)]
fn test_helper() -> &'static str {
    crate::g::in_a_test_helper()
}

fn after_the_tests() {
    crate::f::still_seen();
}
"##;
    let path = |text: &str| -> ModPath {
        text.split("::")
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let modules: BTreeSet<ModPath> = [
        "",
        "a",
        "a::b",
        "a::b::c",
        "d",
        "d::e",
        "f",
        "g",
        "mail",
        "mail::outbox",
        "mail::pace",
    ]
    .into_iter()
    .map(path)
    .collect();
    let line_of = |needle: &str| {
        let found = SOURCE.lines().position(|line| line.contains(needle));
        1 + found.unwrap_or_else(|| panic!("{needle:?} is not in the source"))
    };
    let mut found: Vec<(String, usize)> = dependencies(SOURCE, &path("a::b"), &modules)
        .into_iter()
        .map(|(module, line)| (module_name(&module), line))
        .collect();
    found.sort();
    let mut expected: Vec<(String, usize)> = [
        ("d", "d::{self"),
        ("d::e", "e::{Thing"),
        ("mail::outbox", "mail::outbox::Mail"),
        ("a::b::c", "pub use c::Child"),
        ("a", "use super::*"),
        ("mail", "use crate::mail"),
        // A path spread over lines is found on the line it starts on.
        ("f", "crate::f::"),
        ("mail::pace", "through_the_import"),
        ("a::b::c", "self::c::helper"),
        ("g", "from_the_grandparent"),
        ("a::b::c", "from_an_inline_module"),
        ("f", "still_seen"),
    ]
    .into_iter()
    .map(|(module, needle)| (module.to_owned(), line_of(needle)))
    .collect();
    expected.sort();
    assert_eq!(found, expected);
}
