//! A tiny HTTP/1.1 file server on 127.0.0.1 for download tests: GET with `Range:
//! bytes=N-` (206 / 416), 404 for unknown paths, one request per connection, a request log,
//! and fault injection (a connection closed mid-body once, files replaced at run time).
//! Shared by ecg-io's and ecg-cli's fetch tests (`#[path = ...] mod http_server;`).
#![allow(dead_code)]
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// One logged request: path (without the leading `/`) and the Range header, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Logged {
    pub path: String,
    pub range: Option<String>,
}

#[derive(Default)]
struct State {
    files: Mutex<HashMap<String, Vec<u8>>>,
    /// path → close the connection after this many body bytes (next request only).
    cut_once: Mutex<HashMap<String, usize>>,
    log: Mutex<Vec<Logged>>,
    stop: AtomicBool,
}

pub struct Server {
    pub base_url: String,
    addr: std::net::SocketAddr,
    state: Arc<State>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    /// Serve `files` (relative path → bytes) on a free port.
    pub fn start(files: HashMap<String, Vec<u8>>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(State {
            files: Mutex::new(files),
            ..State::default()
        });
        let st = Arc::clone(&state);
        let accept = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = conn else { continue };
                let st = Arc::clone(&st);
                std::thread::spawn(move || {
                    let _ = handle(stream, &st);
                });
            }
        });
        Server {
            base_url: format!("http://{addr}/"),
            addr,
            state,
            accept: Some(accept),
        }
    }

    /// Replace (or add) a served file.
    pub fn set_file(&self, path: &str, bytes: Vec<u8>) {
        self.state
            .files
            .lock()
            .expect("lock")
            .insert(path.to_string(), bytes);
    }

    /// The next request for `path` gets the full Content-Length but only `at` body bytes,
    /// then the connection is closed.
    pub fn cut_once(&self, path: &str, at: usize) {
        self.state
            .cut_once
            .lock()
            .expect("lock")
            .insert(path.to_string(), at);
    }

    /// Requests so far, in arrival order.
    pub fn log(&self) -> Vec<Logged> {
        self.state.log.lock().expect("lock").clone()
    }

    pub fn clear_log(&self) {
        self.state.log.lock().expect("lock").clear();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr); // wake the accept loop
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

fn handle(stream: TcpStream, st: &State) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut range = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.trim().eq_ignore_ascii_case("range") {
                range = Some(v.trim().to_string());
            }
        }
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("");
    let path = parts
        .next()
        .unwrap_or("/")
        .trim_start_matches('/')
        .to_string();
    st.log.lock().expect("lock").push(Logged {
        path: path.clone(),
        range: range.clone(),
    });
    let mut out = stream;
    let body = st.files.lock().expect("lock").get(&path).cloned();
    let Some(body) = body.filter(|_| method == "GET") else {
        out.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
        return Ok(());
    };
    let start = range
        .as_deref()
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse::<usize>().ok());
    let (status, slice, extra) = match start {
        Some(s) if s >= body.len() => {
            let h = format!(
                "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                body.len()
            );
            out.write_all(h.as_bytes())?;
            return Ok(());
        }
        Some(s) => (
            "206 Partial Content",
            &body[s..],
            format!(
                "Content-Range: bytes {s}-{}/{}\r\n",
                body.len() - 1,
                body.len()
            ),
        ),
        None => ("200 OK", &body[..], String::new()),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nAccept-Ranges: bytes\r\n{extra}Connection: close\r\n\r\n",
        slice.len()
    );
    out.write_all(head.as_bytes())?;
    let cut = st.cut_once.lock().expect("lock").remove(&path);
    match cut {
        Some(at) if at < slice.len() => {
            out.write_all(&slice[..at])?;
            out.flush()?;
            out.shutdown(Shutdown::Both)?;
        }
        _ => out.write_all(slice)?,
    }
    out.flush()
}
