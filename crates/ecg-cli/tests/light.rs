//! The light `ecg` links no libtorch, lists the network commands, and when `ecg-torch` is
//! not beside it says so, naming the path it looked for.
use std::path::Path;
use std::process::{Command, Output};

const ECG: &str = env!("CARGO_BIN_EXE_ecg");

fn run(exe: &Path, args: &[&str]) -> Output {
    Command::new(exe).args(args).output().expect("run ecg")
}

#[cfg(target_os = "linux")]
#[test]
fn the_light_binary_does_not_link_libtorch() {
    let out = Command::new("ldd").arg(ECG).output().expect("run ldd");
    assert!(out.status.success(), "ldd {ECG} failed");
    let libs = String::from_utf8_lossy(&out.stdout);
    assert!(libs.contains("libc.so"), "unexpected ldd output: {libs}");
    for forbidden in ["libtorch", "libc10", "libgomp", "libcuda"] {
        assert!(
            !libs.contains(forbidden),
            "{ECG} links {forbidden}; the light `ecg` must not load libtorch:\n{libs}"
        );
    }
}

#[test]
fn help_lists_the_network_commands_as_running_in_ecg_torch() {
    let out = run(Path::new(ECG), &["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for cmd in ["train", "distill", "pretrain", "eval", "predict", "model"] {
        let line = help
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{cmd} ")))
            .unwrap_or_else(|| panic!("`{cmd}` not listed in ecg --help:\n{help}"));
        assert!(line.contains("runs in ecg-torch"), "{line}");
    }
    for cmd in ["read", "pack", "labels", "metrics", "report", "doctor"] {
        assert!(
            help.lines()
                .any(|l| l.trim_start().starts_with(&format!("{cmd} "))),
            "`{cmd}` not listed:\n{help}"
        );
    }
}

#[test]
fn a_missing_ecg_torch_is_a_clear_error_naming_its_path() {
    let dir = tempfile::tempdir().expect("tmp");
    let alone = dir.path().join("ecg");
    std::fs::copy(ECG, &alone).expect("copy ecg");
    let expected = dir.path().join("ecg-torch");

    let out = run(&alone, &["train", "--config", "x.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&expected.display().to_string()) && err.contains("does not exist"),
        "{err}"
    );

    // --version and doctor still answer, and say what they cannot know.
    for args in [&["--version"][..], &["doctor"][..]] {
        let out = run(&alone, args);
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("ecg 0.") || text.contains("ecg            0."),
            "{text}"
        );
        assert!(
            text.contains("libtorch, CUDA: unknown")
                && text.contains(&expected.display().to_string()),
            "{args:?}: {text}"
        );
    }
    let out = run(&alone, &["doctor", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(v["ecg_torch_error"].is_string(), "{v}");
    assert!(v.get("libtorch_version").is_none(), "{v}");
}
