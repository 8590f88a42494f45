//! A TCP proxy between a Herald node and PostgreSQL that a test can cut
//! (connections closed, new ones refused), stall (connections held open,
//! nothing forwarded: a database that stopped answering) and restore
//! (stalled connections closed, new ones forwarded again).

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Forward,
    Stall,
    Cut,
}

pub struct Proxy {
    port: u16,
    /// Connections subscribe to the sender current when they arrive; a
    /// restore closes them all and starts a new one.
    mode: Arc<Mutex<watch::Sender<Mode>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free loopback port, forwarding to `upstream`.
    pub async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let mode = Arc::new(Mutex::new(watch::channel(Mode::Forward).0));
        let shared = mode.clone();
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let rx = shared.lock().unwrap().subscribe();
                tokio::spawn(serve(client, upstream.clone(), rx));
            }
        });
        Proxy { port, mode, accept }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Closes every connection and refuses new ones.
    pub fn cut(&self) {
        self.mode.lock().unwrap().send_replace(Mode::Cut);
    }

    /// Stops forwarding, holding every connection open.
    pub fn stall(&self) {
        self.mode.lock().unwrap().send_replace(Mode::Stall);
    }

    /// Closes the connections of the outage and forwards new ones.
    pub fn restore(&self) {
        let mut mode = self.mode.lock().unwrap();
        mode.send_replace(Mode::Cut);
        *mode = watch::channel(Mode::Forward).0;
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}

async fn serve(client: TcpStream, upstream: String, mut mode: watch::Receiver<Mode>) {
    if !wait_for_forward(&mut mode).await {
        return;
    }
    let Ok(server) = TcpStream::connect(&upstream).await else {
        return;
    };
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    tokio::join!(
        pump(client_read, server_write, mode.clone()),
        pump(server_read, client_write, mode),
    );
}

/// Waits while stalled; `false` once the connection is to be closed.
async fn wait_for_forward(mode: &mut watch::Receiver<Mode>) -> bool {
    loop {
        match *mode.borrow_and_update() {
            Mode::Forward => return true,
            Mode::Cut => return false,
            Mode::Stall => {}
        }
        if mode.changed().await.is_err() {
            return false;
        }
    }
}

async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, mut mode: watch::Receiver<Mode>) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        if !wait_for_forward(&mut mode).await {
            return;
        }
        tokio::select! {
            read = from.read(&mut buffer) => {
                let n = match read {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                if to.write_all(&buffer[..n]).await.is_err() {
                    return;
                }
            }
            changed = mode.changed() => {
                if changed.is_err() {
                    return;
                }
            }
        }
    }
}
