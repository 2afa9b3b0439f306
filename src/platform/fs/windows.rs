//! Windows: what Unix says with modes 0600/0700, Windows says with ACLs.
//!
//! A private file or directory is created with a protected DACL (nothing
//! inherited from its parent) that grants access to the current user alone,
//! in the same call that creates it, so no other account ever holds a
//! handle to it. A file or directory is trusted when its owner is the user
//! (or the owner the user's token gives new files: Administrators, when
//! elevated) and its DACL grants nobody else access; the SYSTEM account and
//! the Administrators group, Windows' counterparts of root, may always have
//! access. Links are opened as links (`FILE_FLAG_OPEN_REPARSE_POINT`), so a
//! link planted in place of a file is seen as what it is.

use std::ffi::c_void;
use std::fs::{File, Metadata, OpenOptions};
use std::os::windows::ffi::OsStrExt;
use std::os::windows::fs::OpenOptionsExt;
use std::os::windows::io::FromRawHandle;
use std::path::Path;
use std::sync::OnceLock;

use windows_sys::Win32::Foundation::{
    CloseHandle, GENERIC_ALL, GENERIC_EXECUTE, GENERIC_READ, GENERIC_WRITE, HANDLE, INVALID_HANDLE_VALUE,
    LocalFree,
};
use windows_sys::Win32::Security::Authorization::{
    ConvertSidToStringSidW, ConvertStringSecurityDescriptorToSecurityDescriptorW, GetNamedSecurityInfoW,
    SE_FILE_OBJECT,
};
use windows_sys::Win32::Security::{
    ACE_HEADER, ACL, ACL_SIZE_INFORMATION, AclSizeInformation, CopySid, CreateWellKnownSid,
    DACL_SECURITY_INFORMATION, EqualSid, GetAce, GetAclInformation, GetLengthSid, GetTokenInformation,
    INHERIT_ONLY_ACE, OWNER_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, PSID, SECURITY_ATTRIBUTES,
    TOKEN_OWNER, TOKEN_QUERY, TOKEN_USER, TokenOwner, TokenUser, WinBuiltinAdministratorsSid,
    WinLocalSystemSid,
};
use windows_sys::Win32::Storage::FileSystem::{
    CREATE_NEW, CreateDirectoryW, CreateFileW, DELETE, FILE_APPEND_DATA, FILE_ATTRIBUTE_NORMAL,
    FILE_DELETE_CHILD, FILE_EXECUTE, FILE_FLAG_OPEN_REPARSE_POINT, FILE_READ_ATTRIBUTES, FILE_READ_DATA,
    FILE_READ_EA, FILE_SHARE_DELETE, FILE_SHARE_READ, FILE_SHARE_WRITE, FILE_WRITE_ATTRIBUTES,
    FILE_WRITE_DATA, FILE_WRITE_EA, OPEN_ALWAYS, READ_CONTROL, SYNCHRONIZE, WRITE_DAC, WRITE_OWNER,
};
use windows_sys::Win32::System::Threading::{
    GetCurrentProcess, OpenProcess, OpenProcessToken, PROCESS_QUERY_LIMITED_INFORMATION,
};

use super::TrustError;

pub const FILE_FIX: &str = "remove it (wktui makes a new one)";

/// Rights that change a file or what a directory holds (and its ACL or owner).
const WRITE_RIGHTS: u32 = FILE_WRITE_DATA
    | FILE_APPEND_DATA
    | FILE_WRITE_EA
    | FILE_DELETE_CHILD
    | DELETE
    | WRITE_DAC
    | WRITE_OWNER
    | GENERIC_WRITE
    | GENERIC_ALL;
/// Rights that read a file's contents or list a directory.
const READ_RIGHTS: u32 = FILE_READ_DATA | FILE_READ_EA | FILE_EXECUTE | GENERIC_READ | GENERIC_EXECUTE;
/// The ACE types that grant access (plain, object, callback, callback object).
const ALLOWED_ACE_TYPES: [u8; 4] = [0x0, 0x5, 0x9, 0xB];
/// The plain and callback allowed ACEs: header, mask, then the SID.
const SIMPLE_ALLOWED_ACE_TYPES: [u8; 2] = [0x0, 0x9];

fn wide(path: &Path) -> Vec<u16> {
    path.as_os_str().encode_wide().chain(Some(0)).collect()
}

/// A security identifier, copied out of whatever buffer held it.
struct Sid(Vec<u8>);

impl Sid {
    fn ptr(&self) -> PSID {
        self.0.as_ptr() as PSID
    }

    /// # Safety
    /// `sid` points to a valid SID.
    unsafe fn copy(sid: PSID) -> Option<Sid> {
        // SAFETY: the caller vouches for `sid`; the buffer is as long as it says.
        unsafe {
            let len = GetLengthSid(sid);
            let mut buf = vec![0u8; len as usize];
            (CopySid(len, buf.as_mut_ptr() as PSID, sid) != 0).then_some(Sid(buf))
        }
    }

    fn well_known(kind: i32) -> Option<Sid> {
        let mut buf = vec![0u8; 68]; // SECURITY_MAX_SID_SIZE
        let mut len = buf.len() as u32;
        // SAFETY: the buffer is `len` bytes long.
        let ok =
            unsafe { CreateWellKnownSid(kind, std::ptr::null_mut(), buf.as_mut_ptr() as PSID, &mut len) };
        buf.truncate(len as usize);
        (ok != 0).then_some(Sid(buf))
    }

    /// `S-1-5-21-...`, for SDDL and for messages.
    fn text(&self) -> String {
        let mut text: *mut u16 = std::ptr::null_mut();
        // SAFETY: the SID is valid; the string is freed with LocalFree below.
        unsafe {
            if ConvertSidToStringSidW(self.ptr(), &mut text) == 0 || text.is_null() {
                return "an unknown account".into();
            }
            let len = (0..).take_while(|&i| *text.add(i) != 0).count();
            let out = String::from_utf16_lossy(std::slice::from_raw_parts(text, len));
            LocalFree(text as *mut c_void);
            out
        }
    }

    fn equals(&self, other: PSID) -> bool {
        // SAFETY: both are valid SIDs (ours, and one from a security descriptor).
        unsafe { EqualSid(self.ptr(), other) != 0 }
    }
}

/// Who wktui runs as: the user, the owner its token gives new objects, and
/// the accounts that may always have access (SYSTEM, Administrators).
struct Identity {
    user: Sid,
    default_owner: Option<Sid>,
    system: Option<Sid>,
    administrators: Option<Sid>,
}

impl Identity {
    fn is_me(&self, sid: PSID) -> bool {
        self.user.equals(sid) || self.default_owner.as_ref().is_some_and(|o| o.equals(sid))
    }

    fn is_system_or_admins(&self, sid: PSID) -> bool {
        [&self.system, &self.administrators]
            .into_iter()
            .flatten()
            .any(|s| s.equals(sid))
    }
}

/// Asked once: the token of a process does not change under it.
fn me() -> std::io::Result<&'static Identity> {
    static IDENTITY: OnceLock<Option<Identity>> = OnceLock::new();
    IDENTITY
        .get_or_init(read_identity)
        .as_ref()
        .ok_or_else(|| std::io::Error::other("cannot read this process's user from its access token"))
}

fn read_identity() -> Option<Identity> {
    let mut token: HANDLE = std::ptr::null_mut();
    // SAFETY: the pseudo handle of the current process; the token is closed below.
    if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
        return None;
    }
    let user = token_user(token);
    // SAFETY: the buffer holds a TOKEN_OWNER, aligned, whose SID points inside it.
    let default_owner = token_info(token, TokenOwner)
        .and_then(|b| unsafe { Sid::copy((*(b.as_ptr() as *const TOKEN_OWNER)).Owner) });
    // SAFETY: the token was opened above.
    unsafe { CloseHandle(token) };
    Some(Identity {
        user: user?,
        default_owner,
        system: Sid::well_known(WinLocalSystemSid),
        administrators: Sid::well_known(WinBuiltinAdministratorsSid),
    })
}

/// One class of information about an access token, in an aligned buffer.
fn token_info(token: HANDLE, class: i32) -> Option<Vec<u64>> {
    let mut len = 0u32;
    // SAFETY: the first call asks the size; the second fills a buffer of that size.
    unsafe {
        GetTokenInformation(token, class, std::ptr::null_mut(), 0, &mut len);
        let mut buf = vec![0u64; (len as usize).div_ceil(8)];
        (GetTokenInformation(token, class, buf.as_mut_ptr() as *mut c_void, len, &mut len) != 0)
            .then_some(buf)
    }
}

/// The user an access token stands for.
fn token_user(token: HANDLE) -> Option<Sid> {
    // SAFETY: the buffer holds a TOKEN_USER, aligned, whose SID points inside it.
    token_info(token, TokenUser)
        .and_then(|b| unsafe { Sid::copy((*(b.as_ptr() as *const TOKEN_USER)).User.Sid) })
}

/// Whose a running process is, as far as this user may ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessUser {
    Mine,
    /// Another account's, or one this user may not look into (which a
    /// process of this user's always allows).
    Other,
    /// No process has that id any more.
    Gone,
}

/// The user process `pid` runs as, read from its access token; for `peer`,
/// which finds the process at the other end of a connection. It lives
/// here, with the token and SID code of the ACL checks.
pub fn user_of_process(pid: u32) -> ProcessUser {
    const ERROR_INVALID_PARAMETER: i32 = 87;
    let Ok(me) = me() else {
        return ProcessUser::Other;
    };
    // SAFETY: a plain call; the handle is closed below.
    let process = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
    if process.is_null() {
        return match std::io::Error::last_os_error().raw_os_error() {
            Some(ERROR_INVALID_PARAMETER) => ProcessUser::Gone,
            _ => ProcessUser::Other,
        };
    }
    let mut token: HANDLE = std::ptr::null_mut();
    // SAFETY: `process` is open; the token, when opened, is closed below.
    let opened = unsafe { OpenProcessToken(process, TOKEN_QUERY, &mut token) } != 0;
    // SAFETY: opened above.
    unsafe { CloseHandle(process) };
    if !opened {
        return ProcessUser::Other;
    }
    let user = token_user(token);
    // SAFETY: opened above.
    unsafe { CloseHandle(token) };
    match user {
        Some(sid) if me.user.equals(sid.ptr()) => ProcessUser::Mine,
        _ => ProcessUser::Other,
    }
}

/// A security descriptor that gives the user alone full access, protected
/// from inheritance; for directories, inherited by what is made in them.
struct PrivateDescriptor(PSECURITY_DESCRIPTOR);

impl PrivateDescriptor {
    fn new(for_dir: bool) -> std::io::Result<PrivateDescriptor> {
        let me = me()?.user.text();
        let inherit = if for_dir { "OICI" } else { "" };
        let sddl: Vec<u16> = format!("D:P(A;{inherit};FA;;;{me})")
            .encode_utf16()
            .chain(Some(0))
            .collect();
        let mut sd: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
        // SAFETY: a NUL-terminated string; the descriptor is freed in Drop.
        let ok = unsafe {
            ConvertStringSecurityDescriptorToSecurityDescriptorW(
                sddl.as_ptr(),
                1,
                &mut sd,
                std::ptr::null_mut(),
            )
        };
        if ok == 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(PrivateDescriptor(sd))
    }

    fn attributes(&self) -> SECURITY_ATTRIBUTES {
        SECURITY_ATTRIBUTES {
            nLength: size_of::<SECURITY_ATTRIBUTES>() as u32,
            lpSecurityDescriptor: self.0,
            bInheritHandle: 0,
        }
    }
}

impl Drop for PrivateDescriptor {
    fn drop(&mut self) {
        // SAFETY: allocated by ConvertStringSecurityDescriptorToSecurityDescriptorW.
        unsafe { LocalFree(self.0) };
    }
}

/// `CreateFileW` with the private descriptor (used only when it creates the
/// file), never following a link.
fn create_private_file(path: &Path, access: u32, disposition: u32) -> std::io::Result<File> {
    let descriptor = PrivateDescriptor::new(false)?;
    let attributes = descriptor.attributes();
    let name = wide(path);
    // SAFETY: a NUL-terminated path and attributes that outlive the call.
    let handle = unsafe {
        CreateFileW(
            name.as_ptr(),
            access | FILE_READ_ATTRIBUTES | READ_CONTROL | SYNCHRONIZE,
            FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
            &attributes,
            disposition,
            FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT,
            std::ptr::null_mut(),
        )
    };
    if handle == INVALID_HANDLE_VALUE {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a handle we own from here on.
    let file = unsafe { File::from_raw_handle(handle) };
    // Opened as a link, a link is not a regular file: never written through.
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other(
            "not a regular file (a link or a directory)",
        ));
    }
    Ok(file)
}

pub fn open_no_follow(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
        .open(path)
}

pub fn create_no_follow(path: &Path) -> std::io::Result<File> {
    create_private_file(path, GENERIC_READ | GENERIC_WRITE, OPEN_ALWAYS)
}

pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let descriptor = PrivateDescriptor::new(true)?;
    let attributes = descriptor.attributes();
    let name = wide(dir);
    // SAFETY: a NUL-terminated path and attributes that outlive the call.
    if unsafe { CreateDirectoryW(name.as_ptr(), &attributes) } == 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

pub fn create_new_private(path: &Path) -> std::io::Result<File> {
    create_private_file(path, GENERIC_WRITE, CREATE_NEW)
}

pub fn open_append_no_follow(path: &Path) -> std::io::Result<File> {
    create_private_file(path, FILE_APPEND_DATA | FILE_WRITE_ATTRIBUTES, OPEN_ALWAYS)
}

pub fn ownership(_: &Metadata) -> Option<super::Ownership> {
    None
}

pub fn identity(_: &Metadata) -> (u64, u64, i128) {
    (0, 0, 0)
}

pub fn each_file_name(dir: &Path, mut keep: impl FnMut(&[u8])) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            keep(entry.file_name().as_encoded_bytes());
        }
    }
}

pub fn each_entry_stamp(
    _: &Path,
    _: impl Fn(&[u8]) -> bool,
    _: impl FnMut(&[u8], Option<super::EntryStamp>),
) {
}

/// Who owns a file and what its DACL lets other accounts do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub owner_is_me: bool,
    pub owner_is_system_or_admins: bool,
    /// The owner, as `S-1-5-21-...`, for messages.
    pub owner: String,
    /// Another account may read it (or list it, for a directory).
    pub others_read: Option<String>,
    /// Another account may change it (or add and remove entries).
    pub others_write: Option<String>,
}

/// Reads the owner and the DACL of `path` (the file a link leads to).
pub fn access_of(path: &Path) -> std::io::Result<Access> {
    let me = me()?;
    let name = wide(path);
    let mut owner: PSID = std::ptr::null_mut();
    let mut dacl: *mut ACL = std::ptr::null_mut();
    let mut sd: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
    // SAFETY: out-pointers to locals; `sd` owns what `owner` and `dacl` point into.
    let status = unsafe {
        GetNamedSecurityInfoW(
            name.as_ptr(),
            SE_FILE_OBJECT,
            OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
            &mut owner,
            std::ptr::null_mut(),
            &mut dacl,
            std::ptr::null_mut(),
            &mut sd,
        )
    };
    if status != 0 {
        return Err(std::io::Error::from_raw_os_error(status as i32));
    }
    struct Free(PSECURITY_DESCRIPTOR);
    impl Drop for Free {
        fn drop(&mut self) {
            // SAFETY: allocated by GetNamedSecurityInfoW.
            unsafe { LocalFree(self.0) };
        }
    }
    let _free = Free(sd);
    if owner.is_null() {
        return Err(std::io::Error::other("it has no owner"));
    }
    // SAFETY: `owner` points into `sd`, alive until `_free` drops.
    let owner_sid = unsafe { Sid::copy(owner) }.ok_or_else(|| std::io::Error::other("unreadable owner"))?;
    let mut access = Access {
        owner_is_me: me.is_me(owner),
        owner_is_system_or_admins: me.is_system_or_admins(owner),
        owner: owner_sid.text(),
        others_read: None,
        others_write: None,
    };
    if dacl.is_null() {
        // No DACL at all: everyone may do everything.
        access.others_read = Some("Everyone (no DACL)".into());
        access.others_write = access.others_read.clone();
        return Ok(access);
    }
    // SAFETY: `dacl` points into `sd`; each ACE is read within the ACL's bounds as the API hands it out.
    unsafe {
        let mut info = ACL_SIZE_INFORMATION::default();
        if GetAclInformation(
            dacl,
            &mut info as *mut _ as *mut c_void,
            size_of::<ACL_SIZE_INFORMATION>() as u32,
            AclSizeInformation,
        ) == 0
        {
            return Err(std::io::Error::last_os_error());
        }
        for index in 0..info.AceCount {
            let mut ace: *mut c_void = std::ptr::null_mut();
            if GetAce(dacl, index, &mut ace) == 0 {
                return Err(std::io::Error::last_os_error());
            }
            let header = &*(ace as *const ACE_HEADER);
            if !ALLOWED_ACE_TYPES.contains(&header.AceType)
                || u32::from(header.AceFlags) & INHERIT_ONLY_ACE != 0
            {
                continue;
            }
            let mask = *((ace as *const u8).add(size_of::<ACE_HEADER>()) as *const u32);
            // Object ACEs carry GUIDs before the SID: counted as granted to someone else.
            let who = if SIMPLE_ALLOWED_ACE_TYPES.contains(&header.AceType) {
                let sid = (ace as *mut u8).add(size_of::<ACE_HEADER>() + 4) as PSID;
                if me.is_me(sid) || me.is_system_or_admins(sid) {
                    continue;
                }
                Sid::copy(sid).map_or_else(|| "another account".into(), |s| s.text())
            } else {
                "another account (object ACE)".into()
            };
            if mask & WRITE_RIGHTS != 0 && access.others_write.is_none() {
                access.others_write = Some(who.clone());
            }
            if mask & READ_RIGHTS != 0 && access.others_read.is_none() {
                access.others_read = Some(who);
            }
        }
    }
    Ok(access)
}

/// The fix for a directory that is not private, as a PowerShell line.
fn private_dir_fix(dir: &Path) -> String {
    format!(
        "make it private: icacls '{}' /inheritance:r /grant:r \"${{env:USERNAME}}:(OI)(CI)F\"",
        dir.display()
    )
}

fn refused(path: &Path, why: String) -> TrustError {
    TrustError::Refused {
        path: path.to_path_buf(),
        why,
    }
}

/// Owner and ACL: the user's own, and nobody else may read or change it.
fn check_private(path: &Path, owner_fix: &str, open_fix: &str) -> Result<(), TrustError> {
    let access = access_of(path).map_err(|e| TrustError::io(path, e))?;
    if !access.owner_is_me {
        return Err(refused(
            path,
            format!(
                "belongs to another account ({}); wktui only trusts its own files: {owner_fix}",
                access.owner
            ),
        ));
    }
    if let Some(who) = access.others_write.as_ref().or(access.others_read.as_ref()) {
        return Err(refused(
            path,
            format!("is open to other accounts ({who} has access); {open_fix}"),
        ));
    }
    Ok(())
}

pub fn check_owner_and_mode(path: &Path, _: &Metadata, fix: &'static str) -> Result<(), TrustError> {
    check_private(path, fix, fix)
}

pub fn check_private_dir(dir: &Path) -> Result<(), TrustError> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => check_private(
            dir,
            "use a directory of your own (set WKTUI_CACHE_DIR)",
            &private_dir_fix(dir),
        ),
        Ok(_) => Err(TrustError::WrongKind {
            path: dir.to_path_buf(),
            expected: "directory",
        }),
        Err(e) => Err(TrustError::io(dir, e)),
    }
}

/// The user's (or SYSTEM's and the administrators', as root's on Unix), and
/// no other account may change it or replace it in its folder: a config or
/// a CA file, which decide what runs and which servers are believed. (A
/// config that others can change could hand wktui a `secret_command` to
/// run; reading it is fine.)
fn check_unchangeable_by_others(path: &Path, kind: super::Kind) -> Result<(), TrustError> {
    let access = access_of(path).map_err(|e| TrustError::io(path, e))?;
    if !access.owner_is_me && !access.owner_is_system_or_admins {
        return Err(refused(
            path,
            format!(
                "belongs to another account ({}); wktui only trusts its own files: {}",
                access.owner,
                kind.not_ours_fix()
            ),
        ));
    }
    let fix = |p: &Path| {
        format!(
            "remove the others' access with: icacls '{}' /inheritance:r /grant:r \"${{env:USERNAME}}:F\"",
            p.display()
        )
    };
    if let Some(who) = access.others_write {
        return Err(refused(
            path,
            format!("can be changed by other accounts ({who}); {}", fix(path)),
        ));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(daccess) = access_of(dir)
        && let Some(who) = daccess.others_write
    {
        return Err(refused(
            dir,
            format!(
                "other accounts ({who}) could replace the file in it; {}",
                fix(dir)
            ),
        ));
    }
    Ok(())
}

/// Opens `path` as a file of `kind`: a config or CA file through links (the
/// file opened is the one checked), a log or credentials file as a link
/// never; then a regular file, checked on its owner and ACL. Folders above
/// are not walked: Windows has no world-writable folder like Unix's `/tmp`
/// (profiles and `%LOCALAPPDATA%` are the user's by their ACLs).
pub fn open_trusted(path: &Path, kind: super::Kind, create: bool) -> Result<File, TrustError> {
    use super::Kind;
    let file = match (kind, create) {
        (Kind::Lock, true) => create_no_follow(path),
        (_, true) => open_append_no_follow(path),
        (Kind::Config | Kind::CaFile, false) => File::open(path),
        (Kind::Log | Kind::Credentials | Kind::Lock, false) => open_no_follow(path),
    }
    .map_err(|e| TrustError::io(path, e))?;
    let meta = file.metadata().map_err(|e| TrustError::io(path, e))?;
    if !meta.is_file() {
        return Err(TrustError::WrongKind {
            path: path.to_path_buf(),
            expected: "regular file",
        });
    }
    match kind {
        // A lock made by an older wktui has the folder's ACL: not private, but the user's.
        Kind::Config | Kind::CaFile | Kind::Lock => check_unchangeable_by_others(path, kind)?,
        Kind::Log | Kind::Credentials => check_private(path, kind.not_ours_fix(), &private_file_fix(path))?,
    }
    Ok(file)
}

/// [`open_trusted`], and the file it opened: where a link led.
pub fn open_trusted_at(
    path: &Path,
    kind: super::Kind,
    create: bool,
) -> Result<(File, std::path::PathBuf), TrustError> {
    let file = open_trusted(path, kind, create)?;
    Ok((
        file,
        std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
    ))
}

/// See [`open_trusted`]: no folder walk on Windows.
pub fn check_parent_dirs(_: &Path, _: super::Kind) -> Result<(), TrustError> {
    Ok(())
}

pub fn open_regular(path: &Path) -> Result<File, TrustError> {
    let file = File::open(path).map_err(|e| TrustError::io(path, e))?;
    let meta = file.metadata().map_err(|e| TrustError::io(path, e))?;
    if !meta.is_file() {
        return Err(TrustError::WrongKind {
            path: path.to_path_buf(),
            expected: "regular file",
        });
    }
    Ok(file)
}

fn private_file_fix(path: &Path) -> String {
    format!(
        "remove the others' access with: icacls '{}' /inheritance:r /grant:r \"${{env:USERNAME}}:F\"",
        path.display()
    )
}

#[cfg(test)]
mod tests {
    use windows_sys::Win32::Security::Authorization::SetNamedSecurityInfoW;

    use super::*;

    /// Replaces the DACL of `path` by the one in `sddl` (`%ME%` is the user).
    fn set_dacl(path: &Path, sddl: &str) {
        let sddl = sddl.replace("%ME%", &me().expect("identity").user.text());
        let text: Vec<u16> = sddl.encode_utf16().chain(Some(0)).collect();
        let mut sd: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
        let mut present = 0;
        let mut defaulted = 0;
        let mut dacl: *mut ACL = std::ptr::null_mut();
        let name = wide(path);
        // SAFETY: test-only calls with valid, NUL-terminated inputs.
        unsafe {
            assert_ne!(
                ConvertStringSecurityDescriptorToSecurityDescriptorW(
                    text.as_ptr(),
                    1,
                    &mut sd,
                    std::ptr::null_mut()
                ),
                0
            );
            assert_ne!(
                windows_sys::Win32::Security::GetSecurityDescriptorDacl(
                    sd,
                    &mut present,
                    &mut dacl,
                    &mut defaulted
                ),
                0
            );
            let status = SetNamedSecurityInfoW(
                name.as_ptr(),
                SE_FILE_OBJECT,
                DACL_SECURITY_INFORMATION | windows_sys::Win32::Security::PROTECTED_DACL_SECURITY_INFORMATION,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                dacl,
                std::ptr::null(),
            );
            LocalFree(sd);
            assert_eq!(status, 0, "SetNamedSecurityInfoW");
        }
    }

    #[test]
    fn what_wktui_makes_is_the_users_alone() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("cache");
        create_private_dir(&dir).expect("create dir");
        let access = access_of(&dir).expect("read dir");
        assert!(access.owner_is_me, "{access:?}");
        assert_eq!((access.others_read, access.others_write), (None, None));
        check_private_dir(&dir).expect("private dir");

        let file = dir.join("token");
        drop(create_new_private(&file).expect("create file"));
        let access = access_of(&file).expect("read file");
        assert!(access.owner_is_me, "{access:?}");
        assert_eq!((access.others_read, access.others_write), (None, None));
        assert!(create_new_private(&file).is_err(), "never opens what is there");
        drop(open_append_no_follow(&dir.join("log")).expect("log"));
        assert_eq!(access_of(&dir.join("log")).expect("log").others_read, None);
    }

    #[test]
    fn what_others_may_read_or_change_is_refused_with_a_fix() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("d");
        create_private_dir(&dir).expect("create dir");
        let file = dir.join("config.toml");
        drop(create_new_private(&file).expect("create"));
        check_unchangeable_by_others(&file, super::super::Kind::Config).expect("ours alone");

        // Everyone may read: fine for a config, not for a private file.
        set_dacl(&file, "D:P(A;;FA;;;%ME%)(A;;FR;;;WD)");
        check_unchangeable_by_others(&file, super::super::Kind::Config).expect("readable by others is fine");
        let meta = std::fs::metadata(&file).expect("meta");
        let err = check_owner_and_mode(&file, &meta, FILE_FIX).expect_err("not private");
        assert!(err.to_string().contains("open to other accounts"), "{err}");

        // Everyone may change it: refused, with the PowerShell fix.
        set_dacl(&file, "D:P(A;;FA;;;%ME%)(A;;FA;;;WD)");
        let err = check_unchangeable_by_others(&file, super::super::Kind::Config)
            .expect_err("writable by others")
            .to_string();
        assert!(
            err.contains("can be changed by other accounts") && err.contains("icacls"),
            "{err}"
        );

        set_dacl(&dir, "D:P(A;OICI;FA;;;%ME%)(A;OICI;FA;;;WD)");
        let err = check_private_dir(&dir).expect_err("open dir").to_string();
        assert!(err.contains("icacls") && !err.contains("chmod"), "{err}");
    }

    /// A CA file decides which servers are believed: others may read it,
    /// not change it, nor replace it in its folder.
    #[test]
    fn a_ca_file_others_may_change_or_replace_is_refused() {
        use super::super::Kind;
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("certs");
        create_private_dir(&dir).expect("create dir");
        let ca = dir.join("ca.pem");
        drop(create_new_private(&ca).expect("create"));
        open_trusted(&ca, Kind::CaFile, false).expect("ours alone");

        set_dacl(&ca, "D:P(A;;FA;;;%ME%)(A;;FR;;;WD)");
        open_trusted(&ca, Kind::CaFile, false).expect("readable by others is fine");

        set_dacl(&ca, "D:P(A;;FA;;;%ME%)(A;;FA;;;WD)");
        let err = open_trusted(&ca, Kind::CaFile, false).expect_err("changeable by others");
        let text = err.to_string();
        assert!(text.contains("can be changed by other accounts"), "{text}");
        assert!(err.fix().contains("icacls") && !text.contains("chmod"), "{text}");

        set_dacl(&ca, "D:P(A;;FA;;;%ME%)");
        set_dacl(&dir, "D:P(A;OICI;FA;;;%ME%)(A;;FA;;;WD)");
        let text = open_trusted(&ca, Kind::CaFile, false)
            .expect_err("replaceable in its folder")
            .to_string();
        assert!(text.contains("could replace the file"), "{text}");
    }

    /// A log is the user's alone: one others may read or change is refused
    /// before a line is written to it.
    #[test]
    fn a_log_others_may_read_or_change_is_refused_unwritten() {
        use super::super::Kind;
        let tmp = tempfile::tempdir().expect("tempdir");
        let log = tmp.path().join("wktui.log");
        drop(open_trusted(&log, Kind::Log, true).expect("made"));
        assert_eq!(access_of(&log).expect("read").others_read, None);

        for (sddl, words) in [
            ("D:P(A;;FA;;;%ME%)(A;;FR;;;WD)", "open to other accounts"),
            ("D:P(A;;FA;;;%ME%)(A;;FA;;;WD)", "open to other accounts"),
        ] {
            set_dacl(&log, sddl);
            let err = open_trusted(&log, Kind::Log, true).expect_err(sddl);
            let text = err.to_string();
            assert!(text.contains(words), "{sddl}: {text}");
            assert!(err.fix().contains("icacls"), "{sddl}: {}", err.fix());
            assert_eq!(std::fs::metadata(&log).expect("meta").len(), 0, "nothing written");
        }
    }
}
