//! `ecg <network command>` hands everything to the `ecg-torch` beside it: arguments, exit
//! code, stdout and stderr; `ecg --help` lists exactly ecg-torch's commands; `--version`
//! and `doctor` report what ecg-torch reports.
mod support;
use std::path::Path;
use std::process::{Command, Output};

fn run(exe: &Path, args: &[&str]) -> Output {
    Command::new(exe).args(args).output().expect("run")
}

/// Command names of a clap `--help` text (the `Commands:` section, without `help`).
fn commands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(String::from))
        .filter(|c| c != "help")
        .collect()
}

#[test]
fn ecg_help_lists_every_ecg_torch_command() {
    let torch = run(&support::ecg_torch(), &["--help"]);
    let light = run(&support::ecg(), &["--help"]);
    let (torch, light) = (
        String::from_utf8_lossy(&torch.stdout),
        String::from_utf8_lossy(&light.stdout),
    );
    let torch_cmds = commands(&torch);
    assert!(torch_cmds.contains(&"train".to_string()), "{torch}");
    let light_cmds = commands(&light);
    for c in &torch_cmds {
        if c == "doctor" {
            continue; // both have one; ecg's asks ecg-torch's
        }
        assert!(light_cmds.contains(c), "`ecg --help` lacks `{c}`:\n{light}");
    }
}

#[test]
fn arguments_exit_code_and_streams_pass_through() {
    let ecg = support::ecg();
    // stdout: the same JSON as ecg-torch prints.
    let args = ["model", "summary", "--preset", "student", "--json"];
    let (a, b) = (run(&ecg, &args), run(&support::ecg_torch(), &args));
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert_eq!(a.stdout, b.stdout);

    // A failure: exit code 1, ecg-torch's message on stderr.
    let out = run(
        &ecg,
        &["eval", "--checkpoint", "/nonexistent/ck.safetensors"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--checkpoint /nonexistent/ck.safetensors: no such file"),
        "{err}"
    );

    // clap's usage error (exit code 2) and --help, named as the user typed them.
    let out = run(&ecg, &["train", "--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&ecg, &["train", "--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("Usage: ecg train") && help.contains("--resume"),
        "{help}"
    );
}

#[test]
fn version_and_doctor_report_what_ecg_torch_reports() {
    let ecg = support::ecg();
    let torch_json = run(&support::ecg_torch(), &["doctor", "--json"]);
    let light_json = run(&ecg, &["doctor", "--json"]);
    let t: serde_json::Value = serde_json::from_slice(&torch_json.stdout).expect("json");
    let l: serde_json::Value = serde_json::from_slice(&light_json.stdout).expect("json");
    for k in [
        "libtorch_version",
        "libtorch_lib",
        "cuda_available",
        "torch_threads",
        "distributed",
    ] {
        assert_eq!(l[k], t[k], "{k}");
    }
    // `cargo xtask setup` provides the gloo headers: CPU data-parallel runs are always in.
    let backends = t["distributed_backends"].as_array().expect("backends");
    assert!(
        backends.iter().any(|b| b == "gloo"),
        "no Gloo backend: {}",
        t["distributed"]
    );
    let doctor = String::from_utf8_lossy(&run(&ecg, &["doctor"]).stdout).to_string();
    assert!(doctor.contains("distributed    gloo"), "{doctor}");
    assert_eq!(
        l["ecg_torch"].as_str(),
        Some(support::ecg_torch().display().to_string().as_str())
    );

    let v = String::from_utf8_lossy(&run(&ecg, &["--version"]).stdout).to_string();
    let tv =
        String::from_utf8_lossy(&run(&support::ecg_torch(), &["--version"]).stdout).to_string();
    let libtorch = format!(
        "libtorch {}",
        t["libtorch_version"].as_str().expect("version")
    );
    assert!(v.starts_with("ecg 0.") && v.contains(&libtorch), "{v}");
    let cuda_line = |s: &str| s.lines().find(|l| l.contains("CUDA")).map(String::from);
    assert_eq!(cuda_line(&v), cuda_line(&tv), "{v}\n{tv}");
}
