//! Who is on the other end of a loopback TCP connection: this user's own
//! process or another user's. `serve` and `exec` answer only their user.
//!
//! - Linux: the kernel is asked for the peer socket's owner (sock_diag
//!   netlink, an exact lookup by address: a few microseconds, whatever the
//!   number of sockets on the machine). A `PeerCheck` keeps its netlink
//!   socket for every lookup: under a flood of connections from another
//!   user, opening one per connection tripled what each refusal cost.
//! - Windows: the TCP table names the peer socket's process
//!   (`GetExtendedTcpTable`) and that process's access token its user
//!   (`peer/windows.rs`); another user's process cannot even be opened.
//! - Elsewhere (macOS): not known (`Owner::Unknown`); the endpoint relies
//!   on its other defences (see SECURITY.md).

use std::net::SocketAddr;

/// The owner of a connection's other end, as far as the platform can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A process of the user this process runs as.
    Us,
    /// Another user's process.
    Other,
    /// The other end is gone already (the client closed it; the kernel may
    /// still hold a remnant of it, which no process owns).
    Gone,
    /// The platform can tell, but this lookup failed: nobody unchecked is answered.
    Unchecked,
    /// This platform (or this sandbox) cannot say.
    Unknown,
}

impl Owner {
    /// Whether the connection may be served: ours, or not knowable here.
    pub fn may_connect(self) -> bool {
        matches!(self, Owner::Us | Owner::Unknown)
    }
}

/// Looks up the owners of one listener's connections, one after another.
pub struct PeerCheck {
    inner: imp::Lookup,
}

impl PeerCheck {
    /// Tries the lookup once: where it works here, a later failure refuses
    /// the connection (`Unchecked`) instead of answering it as `Unknown`.
    pub fn new() -> PeerCheck {
        PeerCheck {
            inner: imp::Lookup::new(),
        }
    }

    /// The owner of the socket at `peer` that is connected to our `local`.
    pub fn owner(&mut self, local: SocketAddr, peer: SocketAddr) -> Owner {
        self.inner.owner(local, peer)
    }
}

/// Makes closing `stream` send a reset: a refused connection leaves no
/// TIME_WAIT socket behind, however many a flood brings.
pub fn reset_on_close(stream: &std::net::TcpStream) {
    #[cfg(unix)]
    let _ = rustix::net::sockopt::set_socket_linger(stream, Some(std::time::Duration::ZERO));
    #[cfg(windows)]
    {
        use std::os::windows::io::AsRawSocket;
        use windows_sys::Win32::Networking::WinSock::{LINGER, SO_LINGER, SOL_SOCKET, setsockopt};
        let linger = LINGER {
            l_onoff: 1,
            l_linger: 0,
        };
        // SAFETY: the socket is open for as long as `stream` is; the option
        // value is a LINGER of the size given.
        let _ = unsafe {
            setsockopt(
                stream.as_raw_socket() as usize,
                SOL_SOCKET,
                SO_LINGER,
                (&raw const linger).cast(),
                std::mem::size_of::<LINGER>() as i32,
            )
        };
    }
    #[cfg(not(any(unix, windows)))]
    let _ = stream;
}

/// Stops `listener` taking connections and wakes a thread blocked in its
/// `accept`, where the platform does that (Linux); `false` elsewhere.
pub fn stop_accepting(listener: &std::net::TcpListener) -> bool {
    #[cfg(target_os = "linux")]
    return rustix::net::shutdown(listener, rustix::net::Shutdown::Read).is_ok();
    #[cfg(not(target_os = "linux"))]
    {
        let _ = listener;
        false
    }
}

impl Default for PeerCheck {
    fn default() -> Self {
        PeerCheck::new()
    }
}

#[cfg(target_os = "linux")]
mod imp {
    use std::io;
    use std::net::{IpAddr, SocketAddr};
    use std::os::fd::OwnedFd;
    use std::time::Duration;

    use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType};

    use super::Owner;

    const SOCK_DIAG_BY_FAMILY: u16 = 20;
    const NLMSG_ERROR: u16 = 2;
    const NLM_F_REQUEST: u16 = 1;
    const IPPROTO_TCP: u8 = 6;
    const AF_INET: u8 = 2;
    const AF_INET6: u8 = 10;
    const NLMSG_HEADER: usize = 16;
    /// `struct inet_diag_req_v2`.
    const REQUEST_LEN: usize = 56;
    /// `struct inet_diag_msg`; the owner's uid is at byte 64 of it.
    const MESSAGE_LEN: usize = 72;
    const UID_AT: usize = NLMSG_HEADER + 64;
    /// The socket's inode: 0 once no process holds it (closed, or a
    /// TIME_WAIT remnant, whose uid the kernel gives as 0, root's).
    const INODE_AT: usize = NLMSG_HEADER + 68;
    /// The socket id (ports and addresses) in a request and in the reply.
    const ID_IN_REQUEST: usize = NLMSG_HEADER + 8;
    const ID_IN_MESSAGE: usize = NLMSG_HEADER + 4;
    const ID_LEN: usize = 36;

    /// One netlink socket, opened again after a failure.
    pub struct Lookup {
        socket: Option<OwnedFd>,
        /// Numbers each request, so that a late answer to an earlier one is not taken for this one's.
        sequence: u32,
        /// Whether sock_diag answered the probe when the check started.
        works: bool,
        uid: u32,
    }

    impl Lookup {
        pub fn new() -> Lookup {
            let mut lookup = Lookup {
                socket: None,
                sequence: 0,
                works: false,
                uid: rustix::process::geteuid().as_raw(),
            };
            lookup.works = lookup.finds_a_connection_of_ours();
            lookup
        }

        /// Whether sock_diag names this process's user as the owner of a
        /// connection it just made. "No such socket" is not enough: a
        /// kernel without tcp_diag answers that for every socket, and
        /// believing it would refuse every connection, the user's own.
        fn finds_a_connection_of_ours(&mut self) -> bool {
            let Ok(listener) = std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)) else {
                return false;
            };
            let Ok(server) = listener.local_addr() else {
                return false;
            };
            // The kernel completes the handshake before any accept.
            let Ok(client) = std::net::TcpStream::connect(server) else {
                return false;
            };
            let Ok(client_side) = client.local_addr() else {
                return false;
            };
            matches!(self.peer_uid(server, client_side), Ok(Some(uid)) if uid == self.uid)
        }

        pub fn owner(&mut self, local: SocketAddr, peer: SocketAddr) -> Owner {
            if !self.works {
                return Owner::Unknown;
            }
            // Once more on a new socket: the old one may hold a broken state.
            let answer = self.peer_uid(local, peer).or_else(|_| self.peer_uid(local, peer));
            match answer {
                Ok(Some(uid)) if uid == self.uid => Owner::Us,
                Ok(Some(_)) => Owner::Other,
                Ok(None) => Owner::Gone,
                Err(_) => Owner::Unchecked,
            }
        }

        /// The uid owning the socket whose own address is `peer` and whose
        /// remote address is `local`; `None` when there is no such socket
        /// or no process holds it any more.
        fn peer_uid(&mut self, local: SocketAddr, peer: SocketAddr) -> io::Result<Option<u32>> {
            self.sequence = self.sequence.wrapping_add(1);
            let request = request(local, peer, self.sequence)
                .ok_or_else(|| io::Error::other("not one address family"))?;
            let answer = self.ask(&request);
            if answer.is_err() {
                self.socket = None;
            }
            answer
        }

        fn ask(&mut self, request: &[u8]) -> io::Result<Option<u32>> {
            let socket = match self.socket.take() {
                Some(socket) => socket,
                None => open()?,
            };
            let socket = self.socket.insert(socket);
            rustix::net::send(&*socket, request, SendFlags::empty())?;
            let mut reply = [0u8; 1024];
            // Answers to earlier requests that timed out are skipped.
            for _ in 0..8 {
                let (len, _) = rustix::net::recv(&*socket, &mut reply[..], RecvFlags::empty())?;
                let reply = &reply[..len.min(reply.len())];
                if reply.get(8..12) == request.get(8..12) {
                    return read_reply(reply, request);
                }
            }
            Err(io::Error::other("sock_diag did not answer this request"))
        }
    }

    fn open() -> io::Result<OwnedFd> {
        let fd = rustix::net::socket_with(
            AddressFamily::NETLINK,
            SocketType::DGRAM,
            SocketFlags::CLOEXEC,
            Some(rustix::net::netlink::SOCK_DIAG),
        )?;
        // The kernel answers while the request is sent; the limit is for a kernel that does not.
        rustix::net::sockopt::set_socket_timeout(
            &fd,
            rustix::net::sockopt::Timeout::Recv,
            Some(Duration::from_secs(1)),
        )?;
        Ok(fd)
    }

    /// A `SOCK_DIAG_BY_FAMILY` request for exactly one TCP socket.
    fn request(
        local: SocketAddr,
        peer: SocketAddr,
        sequence: u32,
    ) -> Option<[u8; NLMSG_HEADER + REQUEST_LEN]> {
        let family = match (peer.ip(), local.ip()) {
            (IpAddr::V4(_), IpAddr::V4(_)) => AF_INET,
            (IpAddr::V6(_), IpAddr::V6(_)) => AF_INET6,
            _ => return None,
        };
        let mut out = [0u8; NLMSG_HEADER + REQUEST_LEN];
        out[0..4].copy_from_slice(&((NLMSG_HEADER + REQUEST_LEN) as u32).to_ne_bytes());
        out[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
        out[6..8].copy_from_slice(&NLM_F_REQUEST.to_ne_bytes());
        out[8..12].copy_from_slice(&sequence.to_ne_bytes());
        let body = NLMSG_HEADER;
        out[body] = family;
        out[body + 1] = IPPROTO_TCP;
        // Every state: the peer may be closing while we look.
        out[body + 4..body + 8].copy_from_slice(&u32::MAX.to_ne_bytes());
        let id = ID_IN_REQUEST;
        out[id..id + 2].copy_from_slice(&peer.port().to_be_bytes());
        out[id + 2..id + 4].copy_from_slice(&local.port().to_be_bytes());
        write_ip(&mut out[id + 4..id + 20], peer.ip());
        write_ip(&mut out[id + 20..id + 36], local.ip());
        // No interface; no cookie (INET_DIAG_NOCOOKIE).
        out[id + 40..id + 48].copy_from_slice(&[0xff; 8]);
        Some(out)
    }

    fn write_ip(out: &mut [u8], ip: IpAddr) {
        match ip {
            IpAddr::V4(v4) => out[..4].copy_from_slice(&v4.octets()),
            IpAddr::V6(v6) => out.copy_from_slice(&v6.octets()),
        }
    }

    /// The uid in the kernel's answer, checked to be about the socket asked for.
    fn read_reply(reply: &[u8], request: &[u8]) -> io::Result<Option<u32>> {
        let u16_at = |at: usize| reply.get(at..at + 2).map(|b| u16::from_ne_bytes([b[0], b[1]]));
        let u32_at = |at: usize| {
            reply
                .get(at..at + 4)
                .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
        };
        let malformed = || io::Error::other("a sock_diag answer of an unexpected shape");
        match u16_at(4).ok_or_else(malformed)? {
            NLMSG_ERROR => {
                let errno = u32_at(NLMSG_HEADER).ok_or_else(malformed)? as i32;
                if errno == -(rustix::io::Errno::NOENT.raw_os_error()) {
                    Ok(None)
                } else {
                    Err(io::Error::from_raw_os_error(-errno))
                }
            }
            SOCK_DIAG_BY_FAMILY if reply.len() >= NLMSG_HEADER + MESSAGE_LEN => {
                let asked = &request[ID_IN_REQUEST..ID_IN_REQUEST + ID_LEN];
                let answered = &reply[ID_IN_MESSAGE..ID_IN_MESSAGE + ID_LEN];
                if asked != answered {
                    return Err(io::Error::other("sock_diag answered for another socket"));
                }
                // Closed by its process: nobody there to answer, whatever uid it shows.
                if u32_at(INODE_AT) == Some(0) {
                    return Ok(None);
                }
                Ok(u32_at(UID_AT))
            }
            _ => Err(malformed()),
        }
    }
}

#[cfg(windows)]
#[path = "peer/windows.rs"]
mod imp;

#[cfg(not(any(target_os = "linux", windows)))]
mod imp {
    use std::net::SocketAddr;

    use super::Owner;

    pub struct Lookup;

    impl Lookup {
        pub fn new() -> Lookup {
            Lookup
        }

        pub fn owner(&mut self, _: SocketAddr, _: SocketAddr) -> Owner {
            Owner::Unknown
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn our_own_connections_are_ours_and_closed_ones_are_gone() {
        for bind in ["127.0.0.1:0", "[::1]:0"] {
            let Ok(listener) = std::net::TcpListener::bind(bind) else {
                continue; // no IPv6 loopback here
            };
            let client = std::net::TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
            let (server_side, peer) = listener.accept().expect("accept");
            let local = server_side.local_addr().expect("local");
            let mut check = PeerCheck::new();
            assert_eq!(check.owner(local, peer), Owner::Us, "{bind}");
            // A port nobody uses: no such socket.
            let nobody = SocketAddr::new(peer.ip(), 1);
            assert_eq!(check.owner(local, nobody), Owner::Gone, "{bind}");
            // The same socket, again and again.
            for _ in 0..100 {
                assert_eq!(check.owner(local, peer), Owner::Us, "{bind}");
            }
            // Closed by its process: what is left of it (the kernel gives a
            // TIME_WAIT remnant's uid as 0, root's) is nobody's.
            drop(client);
            let gone = (0..100).any(|_| {
                std::thread::sleep(std::time::Duration::from_millis(10));
                check.owner(local, peer) == Owner::Gone
            });
            assert!(gone, "{bind}: a closed peer is gone");
        }
    }
}
