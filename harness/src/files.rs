//! Files: every folder fletsim walks, every input it reads and every output
//! it writes goes through this module, so each rule holds everywhere.
//!
//! - **Walking** ([`find`]): files given by name are taken whatever their
//!   ending; folders are searched recursively (walkdir) for the endings a
//!   command reads. Symbolic links are followed, but a link back to a folder
//!   already walked (`ln -s . loop`) is not walked again, so loops end at
//!   once; each file is taken once, by its canonical path, however many
//!   spellings or links reach it. Only regular files are read: a FIFO,
//!   socket or device named like an input is an error that names it (a FIFO
//!   would block the reader forever).
//! - **Reading** ([`read_bytes`], [`read_text`]): one bounded reader. The
//!   size limit of each [`InputKind`] is checked on the file's metadata
//!   before a byte is read, and again by the reader (`take`), so a 3 GB
//!   sparse file or a growing file is refused without being loaded.
//! - **Writing** ([`Outputs`], [`write_file`]): every output path is checked
//!   before the first run starts (a folder where a file is wanted, a missing
//!   or unwritable folder, an existing file without `--force`, an input of
//!   the same run). Files are written to a temporary file in the same folder
//!   and renamed into place, so an interrupted write leaves the old file
//!   whole and no half-written one; the rename replaces a symbolic link
//!   itself and never writes through it. Temporary files still open when
//!   the process is interrupted are removed by [`remove_unfinished`].

use std::collections::BTreeSet;
use std::fmt;
use std::fs::{self, File, Metadata};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use walkdir::WalkDir;

use crate::terminal;

// ---- errors -------------------------------------------------------------------

/// A file that cannot be used, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileError {
    pub path: PathBuf,
    pub message: String,
}

impl FileError {
    fn new(path: &Path, message: impl Into<String>) -> FileError {
        FileError {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", terminal::path(&self.path), self.message)
    }
}

impl std::error::Error for FileError {}

/// What a file system entry is, for messages: `a FIFO (named pipe)`, `a folder`, ...
pub fn describe_type(meta: &Metadata) -> &'static str {
    let ft = meta.file_type();
    if ft.is_dir() {
        return "a folder";
    }
    if ft.is_file() {
        return "a regular file";
    }
    if ft.is_symlink() {
        return "a symbolic link";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if ft.is_socket() {
            return "a socket";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_char_device() {
            return "a character device";
        }
    }
    "not a regular file"
}

/// `4 MiB`, `3.00 GiB`: a size for messages.
pub fn format_size(bytes: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, size) in UNITS {
        if bytes >= size {
            return if bytes.is_multiple_of(size) {
                format!("{} {unit}", bytes / size)
            } else {
                format!("{:.2} {unit}", bytes as f64 / size as f64)
            };
        }
    }
    format!("{bytes} bytes")
}

/// Why a path given by the user cannot be found: missing, or a link to something missing.
fn not_found(path: &Path) -> FileError {
    match fs::read_link(path) {
        Ok(target) => FileError::new(
            path,
            format!(
                "a symbolic link to {}, which does not exist",
                terminal::path(&target)
            ),
        ),
        Err(_) => FileError::new(path, "no such file or folder"),
    }
}

fn io_error(path: &Path, doing: &str, e: &io::Error) -> FileError {
    let why = if e.kind() == io::ErrorKind::NotFound {
        not_found(path).message
    } else {
        e.to_string()
    };
    FileError::new(path, format!("cannot {doing}: {why}"))
}

// ---- reading ------------------------------------------------------------------

/// What an input file is, which sets the most it may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// A scenario (YAML).
    Scenario,
    /// An HGW log (`log analyze`, `hypotheses --evidence`).
    Log,
    /// Results as JSON Lines (`merge`, `diff`).
    Results,
    /// An insta `.snap` file.
    Snapshot,
}

impl InputKind {
    /// The largest file of this kind fletsim reads, in bytes.
    pub const fn limit(self) -> u64 {
        match self {
            InputKind::Scenario => 4 << 20,
            // An HGW keeps 1000 entries (~70 KiB); copies with pages of headers stay far below.
            InputKind::Log => 16 << 20,
            // About 300,000 runs in one file; larger sweeps come as several shard files.
            InputKind::Results => 1 << 30,
            InputKind::Snapshot => 16 << 20,
        }
    }

    /// The kind as messages name it, with its article.
    pub const fn noun(self) -> &'static str {
        match self {
            InputKind::Scenario => "a scenario file",
            InputKind::Log => "an HGW log",
            InputKind::Results => "a results file",
            InputKind::Snapshot => "a snapshot",
        }
    }
}

/// Checks that `meta` is a regular file within the limit of `kind`.
fn check_readable(path: &Path, meta: &Metadata, kind: InputKind) -> Result<(), FileError> {
    if !meta.is_file() {
        return Err(FileError::new(
            path,
            format!(
                "{}, not a regular file: fletsim reads {} only from a regular file",
                describe_type(meta),
                kind.noun()
            ),
        ));
    }
    if meta.len() > kind.limit() {
        return Err(too_large(path, meta.len(), kind));
    }
    Ok(())
}

fn too_large(path: &Path, size: u64, kind: InputKind) -> FileError {
    FileError::new(
        path,
        format!(
            "{} ({size} bytes): larger than the {} that {} may be",
            format_size(size),
            format_size(kind.limit()),
            kind.noun()
        ),
    )
}

/// Reads a whole input file: a regular file of at most `kind`'s limit, checked before reading.
pub fn read_bytes(path: &Path, kind: InputKind) -> Result<Vec<u8>, FileError> {
    // `metadata` does not open the file, so a FIFO is refused before it could block.
    let meta = fs::metadata(path).map_err(|e| io_error(path, "read", &e))?;
    check_readable(path, &meta, kind)?;
    let file = File::open(path).map_err(|e| io_error(path, "read", &e))?;
    // The file opened may not be the one looked at (replaced in between): look again.
    let meta = file.metadata().map_err(|e| io_error(path, "read", &e))?;
    check_readable(path, &meta, kind)?;
    let limit = kind.limit();
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(path, "read", &e))?;
    if bytes.len() as u64 > limit {
        return Err(FileError::new(
            path,
            format!(
                "grew past {} while being read: larger than {} may be",
                format_size(limit),
                kind.noun()
            ),
        ));
    }
    Ok(bytes)
}

/// Reads a whole input file as UTF-8 text (see [`read_bytes`]).
pub fn read_text(path: &Path, kind: InputKind) -> Result<String, FileError> {
    let bytes = read_bytes(path, kind)?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = 1 + valid.iter().filter(|&&b| b == b'\n').count();
        FileError::new(
            path,
            format!("not UTF-8 text (an invalid byte on line {line}); save it as UTF-8"),
        )
    })
}

// ---- walking ------------------------------------------------------------------

/// The files a command reads from folders: their endings, and how to name them.
#[derive(Clone, Copy, Debug)]
pub struct Selection {
    /// File endings without the dot: `yaml`, `json`.
    pub extensions: &'static [&'static str],
    /// How messages name them: `scenario files (*.yaml, *.yml)`.
    pub what: &'static str,
}

impl Selection {
    fn matches(&self, path: &Path) -> bool {
        path.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| self.extensions.contains(&e))
    }
}

/// One input file found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// As given, or as reached from the folder given.
    pub path: PathBuf,
    /// The canonical path (links resolved): the file's identity.
    pub canonical: PathBuf,
}

/// Every file of `selection` under `paths`: files as given, folders searched recursively
/// (sorted by name), each file once by its canonical path, in the order first reached.
pub fn find(paths: &[PathBuf], selection: &Selection) -> Result<Vec<Found>, FileError> {
    let mut seen = BTreeSet::new();
    let mut found = Vec::new();
    for path in paths {
        let meta = fs::metadata(path).map_err(|e| io_error(path, "read", &e))?;
        if meta.is_dir() {
            // Files reached again (seen from an earlier path) count: the folder is not empty.
            if walk(path, selection, &mut seen, &mut found)? == 0 {
                return Err(FileError::new(
                    path,
                    format!("no {} in this folder", selection.what),
                ));
            }
        } else if meta.is_file() {
            let canonical = fs::canonicalize(path).map_err(|e| io_error(path, "read", &e))?;
            if seen.insert(canonical.clone()) {
                found.push(Found {
                    path: path.clone(),
                    canonical,
                });
            }
        } else {
            return Err(FileError::new(
                path,
                format!(
                    "{}, not a regular file or a folder: fletsim reads only regular files",
                    describe_type(&meta)
                ),
            ));
        }
    }
    Ok(found)
}

/// Walks one folder; returns how many matching files it reached (those seen before included).
fn walk(
    root: &Path,
    selection: &Selection,
    seen: &mut BTreeSet<PathBuf>,
    found: &mut Vec<Found>,
) -> Result<usize, FileError> {
    // Folders already walked, by canonical path: a link to one of them adds nothing.
    let mut folders: BTreeSet<PathBuf> = BTreeSet::new();
    let mut reached = 0;
    let mut entries = WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = entries.next() {
        let entry = match entry {
            Ok(entry) => entry,
            // A link back to a folder being walked: its files are reached the direct way.
            Err(e) if e.loop_ancestor().is_some() => continue,
            Err(e) => {
                let path = e.path().unwrap_or(root).to_path_buf();
                let io = e.io_error().map_or_else(
                    || io::Error::other(e.to_string()),
                    |io| io::Error::new(io.kind(), io.to_string()),
                );
                if io.kind() == io::ErrorKind::NotFound {
                    // A dangling link: an error only when it is named like an input.
                    if selection.matches(&path) {
                        return Err(not_found(&path));
                    }
                    continue;
                }
                return Err(io_error(&path, "read", &io));
            }
        };
        let path = entry.path();
        let file_type = entry.file_type();
        if file_type.is_dir() {
            let canonical = fs::canonicalize(path).map_err(|e| io_error(path, "read", &e))?;
            if !folders.insert(canonical) {
                entries.skip_current_dir();
            }
            continue;
        }
        if !selection.matches(path) {
            continue;
        }
        reached += 1;
        if !file_type.is_file() {
            let meta = fs::metadata(path).map_err(|e| io_error(path, "read", &e))?;
            return Err(FileError::new(
                path,
                format!(
                    "{}, not a regular file: fletsim reads only regular files (move it out of the folder)",
                    describe_type(&meta)
                ),
            ));
        }
        let canonical = fs::canonicalize(path).map_err(|e| io_error(path, "read", &e))?;
        if seen.insert(canonical.clone()) {
            found.push(Found {
                path: path.to_path_buf(),
                canonical,
            });
        }
    }
    Ok(reached)
}

// ---- writing ------------------------------------------------------------------

/// The canonical form of a path that may not exist yet: its folder's canonical path and its name.
fn canonical_target(path: &Path) -> Option<PathBuf> {
    if let Ok(c) = fs::canonicalize(path) {
        return Some(c);
    }
    let parent = parent_of(path);
    let name = path.file_name()?;
    fs::canonicalize(parent).ok().map(|p| p.join(name))
}

/// The folder a file goes in (`.` for a bare name).
fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Checks that fletsim may create files in `folder`, by creating and removing one.
fn probe_writable(folder: &Path) -> Result<(), String> {
    tempfile::Builder::new()
        .prefix(".fletsim-probe-")
        .tempfile_in(folder)
        .map(drop)
        .map_err(|e| format!("cannot create files in {}: {e}", terminal::path(folder)))
}

/// The output files and folders of one command, checked before the first run starts.
#[derive(Debug)]
pub struct Outputs {
    /// The canonical paths of every input of the run: never written.
    inputs: BTreeSet<PathBuf>,
    /// Whether existing files may be replaced (`--force`).
    pub force: bool,
    /// The canonical paths of output files claimed so far, with their flags.
    claimed: Vec<(PathBuf, String)>,
}

impl Outputs {
    /// `inputs` are canonical paths (as [`Found::canonical`]).
    pub fn new(inputs: impl IntoIterator<Item = PathBuf>, force: bool) -> Outputs {
        Outputs {
            inputs: inputs.into_iter().collect(),
            force,
            claimed: Vec::new(),
        }
    }

    /// Whether `path` (existing or not) is an input of this run.
    pub fn is_input(&self, path: &Path) -> bool {
        canonical_target(path).is_some_and(|c| self.inputs.contains(&c))
    }

    /// Checks an output file (`--json FILE`): its folder exists and takes new files, and it is
    /// not a folder, an input, another output's file, or (without `--force`) an existing file.
    pub fn file(&mut self, flag: &str, path: &Path) -> Result<(), String> {
        let shown = terminal::path(path);
        if path.file_name().is_none() {
            return Err(format!("{flag} {shown}: give a file name, not a folder"));
        }
        self.existing_file(flag, path)?;
        let parent = parent_of(path);
        match fs::metadata(parent) {
            Ok(m) if m.is_dir() => {}
            Ok(m) => {
                return Err(format!(
                    "{flag} {shown}: {} is {}, not a folder",
                    terminal::path(parent),
                    describe_type(&m)
                ));
            }
            Err(_) => {
                return Err(format!(
                    "{flag} {shown}: the folder {} does not exist",
                    terminal::path(parent)
                ));
            }
        }
        probe_writable(parent).map_err(|e| format!("{flag} {shown}: {e}"))?;
        if let Some(target) = canonical_target(path) {
            if let Some((_, other)) = self.claimed.iter().find(|(c, _)| *c == target) {
                return Err(format!("{other} and {flag} both write to {shown}"));
            }
            self.claimed.push((target, flag.to_string()));
        }
        Ok(())
    }

    /// Checks a file that is appended to (`--markdown "$GITHUB_STEP_SUMMARY"`): as
    /// [`Outputs::file`], except that it may exist (appending replaces nothing).
    pub fn appended_file(&mut self, flag: &str, path: &Path) -> Result<(), String> {
        let force = std::mem::replace(&mut self.force, true);
        let checked = self.file(flag, path);
        self.force = force;
        checked
    }

    /// Checks one file inside an output folder already checked with [`Outputs::folder`]
    /// (a capture, a device log, a snapshot): not a folder, not an input, and (unless
    /// `replace` or `--force`) not there yet.
    pub fn file_in_folder(&self, flag: &str, path: &Path, replace: bool) -> Result<(), String> {
        if replace || self.force {
            self.not_input(flag, path)?;
            return match fs::symlink_metadata(path) {
                Ok(m) if m.is_dir() => Err(format!(
                    "{flag}: {} is a folder; refusing to replace it with a file",
                    terminal::path(path)
                )),
                _ => Ok(()),
            };
        }
        self.existing_file(flag, path)
    }

    fn not_input(&self, flag: &str, path: &Path) -> Result<(), String> {
        if self.is_input(path) {
            return Err(format!(
                "{flag} {}: that is an input file of this run; refusing to overwrite it",
                terminal::path(path)
            ));
        }
        Ok(())
    }

    fn existing_file(&self, flag: &str, path: &Path) -> Result<(), String> {
        self.not_input(flag, path)?;
        let shown = terminal::path(path);
        let Ok(entry) = fs::symlink_metadata(path) else {
            return Ok(());
        };
        if entry.is_dir() {
            return Err(format!("{flag} {shown}: is a folder; give a file name"));
        }
        // What the entry leads to: never a device, FIFO or folder, not even through a link
        // (`--json /dev/stdout --force` must not replace /dev/stdout).
        if let Ok(target) = fs::metadata(path)
            && !target.is_file()
        {
            return Err(format!(
                "{flag} {shown}: leads to {}; fletsim writes only regular files (`-` writes to stdout)",
                describe_type(&target)
            ));
        }
        if !entry.is_file() && !entry.file_type().is_symlink() {
            return Err(format!(
                "{flag} {shown}: is {}; fletsim writes only regular files (`-` writes to stdout)",
                describe_type(&entry)
            ));
        }
        if self.force {
            return Ok(());
        }
        if entry.file_type().is_symlink() {
            return Err(format!(
                "{flag} {shown}: exists (a symbolic link); pass --force to replace the link (its target is never written)"
            ));
        }
        Err(format!("{flag} {shown}: exists (pass --force to overwrite)"))
    }

    /// Checks an output folder (`--pcap DIR`): not a file, and fletsim can create files in it.
    /// A folder that does not exist yet is created now (it is an output).
    pub fn folder(&self, flag: &str, dir: &Path) -> Result<(), String> {
        let shown = terminal::path(dir);
        match fs::metadata(dir) {
            Ok(m) if m.is_dir() => {}
            Ok(m) => {
                return Err(format!(
                    "{flag} {shown}: is {}; {flag} takes a folder",
                    describe_type(&m)
                ));
            }
            Err(_) => {
                if fs::symlink_metadata(dir).is_ok() {
                    return Err(format!(
                        "{flag} {shown}: a symbolic link to something that does not exist"
                    ));
                }
                fs::create_dir_all(dir)
                    .map_err(|e| format!("{flag} {shown}: cannot create the folder: {e}"))?;
            }
        }
        probe_writable(dir).map_err(|e| format!("{flag} {shown}: {e}"))
    }
}

/// Whether [`write_file`] may replace a file that is already there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replace {
    /// Never: an existing file (or link) is an error, even one that appeared after the checks.
    Never,
    /// Yes (`--force`, `--accept`, fletsim's own pending files): the entry is replaced, a
    /// symbolic link included; its target is never written.
    Allowed,
}

/// Temporary files being written, removed if the process is interrupted.
static UNFINISHED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn unfinished() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    UNFINISHED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Removes the temporary files of writes still under way (for an interrupt handler).
pub fn remove_unfinished() {
    for path in unfinished().drain(..) {
        let _ = fs::remove_file(path);
    }
}

/// Writes a file atomically: `render` fills a temporary file in the same folder, which is
/// then renamed to `path`. An error or an interrupt leaves any earlier file as it was.
pub fn write_file(
    path: &Path,
    replace: Replace,
    render: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), String> {
    let shown = terminal::path(path);
    let name = path
        .file_name()
        .ok_or_else(|| format!("{shown}: not a file name"))?;
    let parent = parent_of(path);
    if fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
        return Err(format!(
            "{shown}: is a folder; refusing to replace it with a file"
        ));
    }
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(name);
    prefix.push(".");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // As a plain create would make it (the umask applies), not tempfile's private 0600.
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let temp = builder
        .tempfile_in(parent)
        .map_err(|e| format!("cannot write {shown}: {e}"))?;
    unfinished().push(temp.path().to_path_buf());
    let written = {
        let mut w = BufWriter::new(temp.as_file());
        render(&mut w).and_then(|()| w.flush())
    };
    let temp_path = temp.path().to_path_buf();
    let result = match written {
        Err(e) => Err(format!("cannot write {shown}: {e}")),
        Ok(()) => match replace {
            Replace::Allowed => temp.persist(path).map(drop).map_err(|e| e.error),
            Replace::Never => temp.persist_noclobber(path).map(drop).map_err(|e| e.error),
        }
        .map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists => format!("{shown}: exists (pass --force to overwrite)"),
            _ => format!("cannot write {shown}: {e}"),
        }),
    };
    unfinished().retain(|p| *p != temp_path);
    result
}

/// Removes a file if it is there (a symbolic link is removed itself, never its target).
pub fn remove_if_present(path: &Path) -> Result<(), String> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("cannot remove {}: {e}", terminal::path(path))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("fletsim-files-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(format_size(4 << 20), "4 MiB");
        assert_eq!(format_size(3 << 30), "3 GiB");
        assert_eq!(format_size(1536), "1.50 KiB");
        assert_eq!(format_size(12), "12 bytes");
    }

    #[test]
    fn a_large_sparse_file_is_refused_before_reading() {
        let dir = temp("sparse");
        let path = dir.join("big.yaml");
        let f = File::create(&path).expect("create");
        f.set_len(3 << 30).expect("sparse");
        let e = read_bytes(&path, InputKind::Scenario).expect_err("too large");
        assert!(
            e.to_string().contains("3 GiB") && e.to_string().contains("4 MiB"),
            "{e}"
        );
        let _ = fs::remove_dir_all(dir);
    }

    #[cfg(unix)]
    #[test]
    fn devices_are_refused_by_kind() {
        let e = read_bytes(Path::new("/dev/zero"), InputKind::Log).expect_err("a device");
        assert!(e.to_string().contains("a character device"), "{e}");
    }

    #[test]
    fn writes_replace_links_never_their_targets() {
        let dir = temp("links");
        let victim = dir.join("victim.txt");
        fs::write(&victim, "precious").expect("write");
        let link = dir.join("out.json");
        #[cfg(unix)]
        std::os::unix::fs::symlink(&victim, &link).expect("link");
        let e = write_file(&link, Replace::Never, |w| w.write_all(b"new")).expect_err("exists");
        assert!(e.contains("exists"), "{e}");
        write_file(&link, Replace::Allowed, |w| w.write_all(b"new")).expect("replaced");
        assert_eq!(fs::read_to_string(&victim).expect("read"), "precious");
        assert_eq!(fs::read_to_string(&link).expect("read"), "new");
        assert!(
            !fs::symlink_metadata(&link)
                .expect("meta")
                .file_type()
                .is_symlink()
        );
        // A failed render leaves the old file and no temporary file.
        let e = write_file(&link, Replace::Allowed, |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("disk full"))
        })
        .expect_err("fails");
        assert!(e.contains("disk full"), "{e}");
        assert_eq!(fs::read_to_string(&link).expect("read"), "new");
        let names: Vec<_> = fs::read_dir(&dir)
            .expect("dir")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        let _ = fs::remove_dir_all(dir);
    }
}
