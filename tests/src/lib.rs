//! Helpers for the end-to-end tests: where the shared sample data is.
use std::path::PathBuf;

/// `../shared/data` relative to the workspace root, if present. When it is absent the
/// tests say so loudly on stderr and skip (they never pass silently without it).
pub fn shared_data() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = root.join("..").join("shared").join("data");
    if dir.is_dir() {
        Some(dir.canonicalize().unwrap_or(dir))
    } else {
        {
            // Straight to stderr: libtest captures eprintln! of passing tests.
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(),
            "\n!!!!!!!!\n!!! SKIPPING: {} is absent; end-to-end tests over the real sample data did not run\n!!!!!!!!\n",
            dir.display()
        );
        };
        None
    }
}
