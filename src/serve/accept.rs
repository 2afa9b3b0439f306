//! Takes connections off the listener on threads of their own, and closes
//! those from other users' processes right there: under a flood of
//! connections from another user (issue 15), each refusal costs a few system
//! calls (accept, the sock_diag lookup, close) and nothing of the async
//! runtime, so the listen queue keeps moving and the user's own connection
//! attempts are not dropped. Only connections that may be served are passed
//! on to the runtime.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::platform::peer::{self, Owner, PeerCheck};

/// Connections accepted and not yet taken by the runtime: the accept threads
/// wait when this many of the user's own are queued.
const QUEUED: usize = 64;
/// Accept threads: one a core, so that a flood's refusals get the CPU time
/// the attacker's processes get (the scheduler shares it out by thread).
const MOST_THREADS: usize = 4;

/// A connection that may be served.
pub struct Accepted {
    pub stream: TcpStream,
    pub peer: SocketAddr,
    pub owner: Owner,
}

/// The accept threads; they stop, and the port closes, when this is dropped.
pub struct Acceptor {
    incoming: mpsc::Receiver<Accepted>,
    stop: Arc<AtomicBool>,
    /// A handle on the listener to wake the threads with.
    listener: TcpListener,
    addr: SocketAddr,
    threads: Vec<JoinHandle<()>>,
}

impl Acceptor {
    /// Starts accepting on `listener`; `refused` counts each connection
    /// closed unanswered.
    pub fn start(
        listener: TcpListener,
        refused: impl Fn(peer::Owner) + Send + Sync + 'static,
    ) -> io::Result<Acceptor> {
        listener.set_nonblocking(false)?;
        let addr = listener.local_addr()?;
        let handle = listener.try_clone()?;
        let stop = Arc::new(AtomicBool::new(false));
        let (sender, incoming) = mpsc::channel(QUEUED);
        let refused = Arc::new(refused);
        let count = std::thread::available_parallelism().map_or(1, |n| n.get().min(MOST_THREADS));
        let mut acceptor = Acceptor {
            incoming,
            stop,
            listener: handle,
            addr,
            threads: Vec::with_capacity(count),
        };
        for _ in 0..count {
            let listener = listener.try_clone()?;
            let (stop, sender, refused) = (Arc::clone(&acceptor.stop), sender.clone(), Arc::clone(&refused));
            let thread = std::thread::Builder::new()
                .name("wktui-accept".into())
                .spawn(move || accept_until_stopped(&listener, addr, &stop, &sender, &*refused))?;
            acceptor.threads.push(thread);
        }
        Ok(acceptor)
    }

    /// The next connection that may be served; `None` once the thread has stopped.
    pub async fn next(&mut self) -> Option<Accepted> {
        self.incoming.recv().await
    }
}

impl Drop for Acceptor {
    fn drop(&mut self) {
        // A thread waiting for room in the queue gives up; those in accept are woken.
        self.incoming.close();
        self.stop.store(true, Ordering::SeqCst);
        if !peer::stop_accepting(&self.listener) {
            for _ in &self.threads {
                let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
            }
        }
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

fn accept_until_stopped(
    listener: &TcpListener,
    local: SocketAddr,
    stop: &AtomicBool,
    sender: &mpsc::Sender<Accepted>,
    refused: &impl Fn(peer::Owner),
) {
    let mut check = PeerCheck::new();
    while !stop.load(Ordering::SeqCst) {
        let (stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(_) if stop.load(Ordering::SeqCst) => return,
            // Out of file descriptors: back off rather than spin.
            Err(_) => {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        // Its own address is the listener's: it is bound to one loopback address.
        let owner = check.owner(local, peer);
        if !owner.may_connect() {
            refused(owner);
            // A reset, so that a flood leaves no TIME_WAIT sockets behind.
            peer::reset_on_close(&stream);
            continue;
        }
        if sender.blocking_send(Accepted { stream, peer, owner }).is_err() {
            return;
        }
    }
}
