//! Windows: the peer's process from the TCP table (`GetExtendedTcpTable`,
//! which gives each connection's owning process id), and that process's
//! user from its access token. Another user's process cannot be opened for
//! its token at all (`Other`), which is the answer that matters.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use windows_sys::Win32::NetworkManagement::IpHelper::{
    GetExtendedTcpTable, MIB_TCP6ROW_OWNER_PID, MIB_TCPROW_OWNER_PID, TCP_TABLE_OWNER_PID_ALL,
};
use windows_sys::Win32::Networking::WinSock::{AF_INET, AF_INET6};

use super::Owner;
use crate::platform::fs::{ProcessUser, user_of_process};

const NO_ERROR: u32 = 0;
/// `MIB_TCP_STATE_ESTAB`: a connection both ends still hold.
const ESTABLISHED: u32 = 5;
const ERROR_INSUFFICIENT_BUFFER: u32 = 122;

pub struct Lookup {
    /// Whether the table could be read when the check started.
    works: bool,
    /// Kept between lookups: the table is read whole each time.
    buffer: Vec<u64>,
}

impl Lookup {
    pub fn new() -> Lookup {
        let mut lookup = Lookup {
            works: false,
            buffer: Vec::new(),
        };
        lookup.works = lookup.read_table(AF_INET as u32).is_some();
        lookup
    }

    pub fn owner(&mut self, local: SocketAddr, peer: SocketAddr) -> Owner {
        if !self.works {
            return Owner::Unknown;
        }
        match self.owning_pid(local, peer) {
            None => Owner::Unchecked,
            Some(None) => Owner::Gone,
            // No process on a connection still open: under Wine, a program
            // Wine does not run (a native client), whose user it cannot tell.
            Some(Some(Row {
                pid: 0,
                state: ESTABLISHED,
            })) => Owner::Unknown,
            // No process on one the client has closed: a remnant, nobody's.
            Some(Some(Row { pid: 0, .. })) => Owner::Gone,
            Some(Some(Row { pid, .. })) if pid == std::process::id() => Owner::Us,
            Some(Some(Row { pid, .. })) => match user_of_process(pid) {
                ProcessUser::Mine => Owner::Us,
                ProcessUser::Other => Owner::Other,
                ProcessUser::Gone => Owner::Gone,
            },
        }
    }

    /// The process holding the socket whose own address is `peer` and whose
    /// remote address is `local`: `Some(None)` when there is no such socket,
    /// `None` when the table cannot be read.
    fn owning_pid(&mut self, local: SocketAddr, peer: SocketAddr) -> Option<Option<Row>> {
        let wanted = |row_local: SocketAddr, row_remote: SocketAddr| row_local == peer && row_remote == local;
        match (local, peer) {
            (SocketAddr::V4(_), SocketAddr::V4(_)) => {
                let rows = self.read_table(AF_INET as u32)?;
                Some(rows_of::<MIB_TCPROW_OWNER_PID>(rows).find_map(|row| {
                    let row_local = v4(row.dwLocalAddr, row.dwLocalPort);
                    let row_remote = v4(row.dwRemoteAddr, row.dwRemotePort);
                    wanted(row_local, row_remote).then_some(Row {
                        pid: row.dwOwningPid,
                        state: row.dwState,
                    })
                }))
            }
            (SocketAddr::V6(_), SocketAddr::V6(_)) => {
                let rows = self.read_table(AF_INET6 as u32)?;
                Some(rows_of::<MIB_TCP6ROW_OWNER_PID>(rows).find_map(|row| {
                    let row_local = v6(row.ucLocalAddr, row.dwLocalPort);
                    let row_remote = v6(row.ucRemoteAddr, row.dwRemotePort);
                    wanted(row_local, row_remote).then_some(Row {
                        pid: row.dwOwningPid,
                        state: row.dwState,
                    })
                }))
            }
            _ => None,
        }
    }

    /// The TCP table of one address family, as bytes: its row count, then
    /// the rows. Grown and asked again while the table outgrows the buffer.
    fn read_table(&mut self, family: u32) -> Option<&[u8]> {
        for _ in 0..4 {
            let mut size = u32::try_from(self.buffer.len() * 8).ok()?;
            // SAFETY: the buffer is `size` bytes long (or the call only says
            // how long it must be).
            let status = unsafe {
                GetExtendedTcpTable(
                    self.buffer.as_mut_ptr().cast(),
                    &mut size,
                    0,
                    family,
                    TCP_TABLE_OWNER_PID_ALL,
                    0,
                )
            };
            match status {
                NO_ERROR => {
                    let len = (size as usize).min(self.buffer.len() * 8);
                    // SAFETY: the table was written into the first `len` bytes of the buffer.
                    let bytes = unsafe { std::slice::from_raw_parts(self.buffer.as_ptr().cast::<u8>(), len) };
                    return Some(bytes);
                }
                ERROR_INSUFFICIENT_BUFFER => {
                    // Room for the connections that open while we ask.
                    let words = (size as usize).div_ceil(8) + 512;
                    self.buffer.resize(words, 0);
                }
                _ => return None,
            }
        }
        None
    }
}

/// What the TCP table says of one connection: its process and state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Row {
    pid: u32,
    state: u32,
}

/// The rows of a table read by `read_table`: a `u32` count, then the rows,
/// aligned as the C struct lays them out; never past the bytes there are.
fn rows_of<Row: Copy>(table: &[u8]) -> impl Iterator<Item = Row> + '_ {
    let count = table
        .get(..4)
        .map_or(0, |b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]) as usize);
    let first = 4usize.next_multiple_of(std::mem::align_of::<Row>());
    let size = std::mem::size_of::<Row>();
    (0..count).map_while(move |i| {
        let start = first + i * size;
        let bytes = table.get(start..start + size)?;
        // SAFETY: `bytes` holds `size_of::<Row>()` bytes of a row the system wrote.
        Some(unsafe { std::ptr::read_unaligned(bytes.as_ptr().cast::<Row>()) })
    })
}

/// The table's ports are in network byte order in the low 16 bits.
fn port(raw: u32) -> u16 {
    u16::from_be(raw as u16)
}

fn v4(addr: u32, raw_port: u32) -> SocketAddr {
    // The address is in network byte order: its bytes in memory are the octets.
    SocketAddr::new(IpAddr::V4(Ipv4Addr::from(addr.to_ne_bytes())), port(raw_port))
}

fn v6(addr: [u8; 16], raw_port: u32) -> SocketAddr {
    SocketAddr::new(IpAddr::V6(Ipv6Addr::from(addr)), port(raw_port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::peer::PeerCheck;

    /// Run under Wine by `.ci/wine-tests` (`platform::`): a connection
    /// this process made is found in the table, and is ours. Wine 8 fills
    /// in no owning process (0, which is `Unknown`), so there the user of a
    /// process is tested on its own below; Windows gives this process's id.
    #[test]
    fn our_own_connection_is_found_in_the_table_and_is_ours() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let _client = std::net::TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let (server_side, peer) = listener.accept().expect("accept");
        let local = server_side.local_addr().expect("local");
        let mut lookup = Lookup::new();
        assert!(lookup.works, "the TCP table can be read");
        let row = lookup
            .owning_pid(local, peer)
            .expect("the table is read")
            .expect("the peer's row is found");
        assert_eq!(row.state, ESTABLISHED);
        assert!(row.pid == 0 || row.pid == std::process::id(), "{row:?}");
        let expected = if row.pid == 0 { Owner::Unknown } else { Owner::Us };
        let mut check = PeerCheck::new();
        assert_eq!(check.owner(local, peer), expected);
        // The row is the peer's own (its address first), not the server side's.
        assert_eq!(
            lookup.owning_pid(peer, local),
            Some(Some(row)),
            "the server side has a row too"
        );
        let nobody = SocketAddr::new(peer.ip(), 1);
        assert_eq!(check.owner(local, nobody), Owner::Gone);
    }

    #[test]
    fn a_process_is_known_by_its_token_and_a_gone_one_as_gone() {
        assert_eq!(user_of_process(std::process::id()), ProcessUser::Mine);
        let mut child = std::process::Command::new("cmd")
            .args(["/c", "ping -n 30 127.0.0.1 >NUL"])
            .spawn()
            .expect("start cmd");
        assert_eq!(user_of_process(child.id()), ProcessUser::Mine, "a child of ours");
        let _ = child.kill();
        let _ = child.wait();
        // Process ids are multiples of 4: this one is never given out.
        assert_eq!(user_of_process(0xFFFF_FFF1), ProcessUser::Gone);
    }

    #[test]
    fn ports_and_addresses_are_read_in_network_order() {
        // 127.0.0.1:8080 as the table holds it.
        let addr = u32::from_ne_bytes([127, 0, 0, 1]);
        let raw_port = u32::from(8080u16.to_be());
        assert_eq!(v4(addr, raw_port), SocketAddr::from(([127, 0, 0, 1], 8080)));
    }
}
