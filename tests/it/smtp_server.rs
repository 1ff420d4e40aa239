//! A real SMTP server inside the test process (mailin-embedded), recording what it received and
//! refusing the recipients a test names.

use std::collections::HashSet;
use std::net::{IpAddr, TcpListener};
use std::sync::{Arc, Mutex};

use mailin_embedded::{Handler, Response, Server, response};

#[derive(Debug, Clone)]
pub struct Received {
    pub to: Vec<String>,
    pub data: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}:", name.to_lowercase());
        self.data
            .lines()
            .take_while(|line| !line.is_empty())
            .find(|line| line.to_lowercase().starts_with(&prefix))
            .map(|line| line[prefix.len()..].trim().to_owned())
    }

    /// The first `/s/<token>` link of the plain-text part.
    pub fn link(&self) -> Option<String> {
        let start = self.data.find("http://")?;
        let link: String = self.data[start..]
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '<')
            .collect();
        Some(link)
    }
}

#[derive(Clone, Default)]
struct Recorder {
    received: Arc<Mutex<Vec<Received>>>,
    refused: Arc<Mutex<HashSet<String>>>,
    current_to: Vec<String>,
    current_data: Vec<u8>,
}

impl Handler for Recorder {
    fn helo(&mut self, _ip: IpAddr, _domain: &str) -> Response {
        response::OK
    }

    fn mail(&mut self, _ip: IpAddr, _domain: &str, _from: &str) -> Response {
        self.current_to.clear();
        self.current_data.clear();
        response::OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        if self.refused.lock().unwrap().contains(to) {
            return response::NO_MAILBOX;
        }
        response::OK
    }

    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current_to = to.to_vec();
        self.current_data.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current_data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        self.received.lock().unwrap().push(Received {
            to: std::mem::take(&mut self.current_to),
            data: String::from_utf8_lossy(&std::mem::take(&mut self.current_data)).into_owned(),
        });
        response::OK
    }
}

pub struct SmtpServer {
    pub port: u16,
    recorder: Recorder,
}

impl SmtpServer {
    /// A port that nothing listens on yet: mail to it fails until `start_on` serves it.
    pub fn free_port() -> u16 {
        TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    pub fn start() -> SmtpServer {
        Self::start_on(Self::free_port())
    }

    pub fn start_on(port: u16) -> SmtpServer {
        let recorder = Recorder::default();
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("the SMTP port is free");
        let mut server = Server::new(recorder.clone());
        server
            .with_name("test.smtp.local")
            .with_tcp_listener(listener);
        // serve() never returns: the thread ends with the test process.
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        SmtpServer { port, recorder }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn refuse(&self, address: &str) {
        self.recorder
            .refused
            .lock()
            .unwrap()
            .insert(address.to_owned());
    }

    pub fn received(&self) -> Vec<Received> {
        self.recorder.received.lock().unwrap().clone()
    }
}
