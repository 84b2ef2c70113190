//! Stages of a pipeline run, each skipped when its outputs exist and its stamp matches.
//!
//! A stage's *fingerprint* hashes everything its result depends on: the command line it
//! runs, the contents of its small inputs (configs), the fingerprints of the stages it
//! reads from (so a changed upstream result invalidates everything downstream), and the
//! `ecg` binary's identity. After a stage succeeds its stamp `<run>/.stamps/<name>.json`
//! is written atomically (temp file + rename) with that fingerprint; a stage whose stamp is
//! missing, different, or whose outputs are gone is run again. A killed stage never wrote
//! its stamp, so it is redone, never half-trusted.
use anyhow::{bail, Context, Result};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// 64-bit FNV-1a, enough to tell inputs apart (not a security hash).
#[derive(Clone, Copy)]
pub struct Fnv(u64);
impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf29ce484222325)
    }
}
impl Fnv {
    pub fn write(&mut self, bytes: &[u8]) -> &mut Self {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x100000001b3);
        }
        // separator so ["ab","c"] != ["a","bc"]
        self.0 ^= 0xff;
        self.0 = self.0.wrapping_mul(0x100000001b3);
        self
    }
    pub fn hex(&self) -> String {
        format!("{:016x}", self.0)
    }
}

/// One step of the pipeline.
#[derive(Debug, Clone)]
pub struct Stage {
    pub name: String,
    pub program: PathBuf,
    pub args: Vec<String>,
    /// Files whose *contents* are part of the fingerprint (configs, small inputs).
    pub content_inputs: Vec<PathBuf>,
    /// Names of stages whose results this one reads.
    pub after: Vec<String>,
    /// Files or folders that must exist after the stage for it to count as done.
    pub outputs: Vec<PathBuf>,
    /// Where the stage's stdout goes (also part of its outputs when set).
    pub stdout_to: Option<PathBuf>,
}

impl Stage {
    pub fn new(name: impl Into<String>, program: &Path) -> Self {
        Stage {
            name: name.into(),
            program: program.to_path_buf(),
            args: vec![],
            content_inputs: vec![],
            after: vec![],
            outputs: vec![],
            stdout_to: None,
        }
    }
    pub fn args<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, a: I) -> Self {
        self.args
            .extend(a.into_iter().map(|s| s.as_ref().to_string()));
        self
    }
    pub fn arg_path(mut self, p: &Path) -> Self {
        self.args.push(p.display().to_string());
        self
    }
    pub fn content(mut self, p: &Path) -> Self {
        self.content_inputs.push(p.to_path_buf());
        self
    }
    pub fn after(mut self, s: &str) -> Self {
        self.after.push(s.to_string());
        self
    }
    pub fn output(mut self, p: &Path) -> Self {
        self.outputs.push(p.to_path_buf());
        self
    }
    pub fn stdout(mut self, p: &Path) -> Self {
        self.stdout_to = Some(p.to_path_buf());
        self.outputs.push(p.to_path_buf());
        self
    }
}

/// Runs stages in order, keeping the fingerprints of those done.
pub struct Runner {
    pub run_dir: PathBuf,
    pub binary_id: String,
    pub force: Vec<String>,
    pub fingerprints: BTreeMap<String, String>,
    pub log: Vec<serde_json::Value>,
}

impl Runner {
    pub fn new(run_dir: &Path, binary_id: String, force: Vec<String>) -> Self {
        Runner {
            run_dir: run_dir.to_path_buf(),
            binary_id,
            force,
            fingerprints: BTreeMap::new(),
            log: vec![],
        }
    }

    fn stamp_path(&self, name: &str) -> PathBuf {
        self.run_dir
            .join(".stamps")
            .join(format!("{}.json", name.replace('/', "__")))
    }

    pub fn fingerprint(&self, st: &Stage) -> Result<String> {
        let mut h = Fnv::default();
        h.write(st.name.as_bytes()).write(self.binary_id.as_bytes());
        h.write(st.program.display().to_string().as_bytes());
        for a in &st.args {
            h.write(a.as_bytes());
        }
        for p in &st.content_inputs {
            let bytes = std::fs::read(p)
                .with_context(|| format!("stage {}: reading input {}", st.name, p.display()))?;
            h.write(&bytes);
        }
        for dep in &st.after {
            let Some(fp) = self.fingerprints.get(dep) else {
                bail!("stage {} runs after {dep}, which has not run", st.name);
            };
            h.write(dep.as_bytes()).write(fp.as_bytes());
        }
        Ok(h.hex())
    }

    /// Whether the stage's stamp matches and its outputs exist.
    pub fn is_fresh(&self, st: &Stage, fp: &str) -> bool {
        let Ok(text) = std::fs::read_to_string(self.stamp_path(&st.name)) else {
            return false;
        };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
            return false;
        };
        v["fingerprint"].as_str() == Some(fp) && st.outputs.iter().all(|o| o.exists())
    }

    /// Whether `--force` names this stage (or a prefix of its name, or `all`).
    pub fn is_forced(&self, st: &Stage) -> bool {
        self.force
            .iter()
            .any(|f| f == &st.name || st.name.starts_with(&format!("{f}/")) || f == "all")
    }

    fn stamp_run_id(&self, name: &str) -> String {
        std::fs::read_to_string(self.stamp_path(name))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v["run_id"].as_str().map(String::from))
            .unwrap_or_default()
    }

    pub fn run(&mut self, st: &Stage) -> Result<()> {
        let fp = self.fingerprint(st)?;
        let forced = self.is_forced(st);
        if !forced && self.is_fresh(st, &fp) {
            eprintln!("xtask: [{}] up to date, skipped", st.name);
            let run_id = self.stamp_run_id(&st.name);
            self.fingerprints
                .insert(st.name.clone(), format!("{fp}@{run_id}"));
            self.log.push(json!({"stage": st.name, "skipped": true}));
            return Ok(());
        }
        // Invalidate before running: a stage killed half way must not look done.
        let stamp = self.stamp_path(&st.name);
        let _ = std::fs::remove_file(&stamp);
        for o in &st.outputs {
            if let Some(parent) = o.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("stage {}: creating {}", st.name, parent.display()))?;
            }
        }
        eprintln!(
            "xtask: [{}] {} {}",
            st.name,
            st.program.display(),
            st.args.join(" ")
        );
        let start = Instant::now();
        let mut cmd = Command::new(&st.program);
        cmd.args(&st.args);
        let tmp_out = match &st.stdout_to {
            Some(out) => {
                let tmp = out.with_extension("part");
                let f = std::fs::File::create(&tmp)
                    .with_context(|| format!("creating {}", tmp.display()))?;
                cmd.stdout(f);
                Some((tmp, out))
            }
            None => None,
        };
        let status = cmd
            .status()
            .with_context(|| format!("stage {}: starting {}", st.name, st.program.display()))?;
        if !status.success() {
            bail!(
                "stage {} failed ({status}): {} {}",
                st.name,
                st.program.display(),
                st.args.join(" ")
            );
        }
        if let Some((tmp, out)) = tmp_out {
            std::fs::rename(&tmp, out)
                .with_context(|| format!("renaming {} to {}", tmp.display(), out.display()))?;
        }
        for o in &st.outputs {
            if !o.exists() {
                bail!(
                    "stage {} finished but did not write {}",
                    st.name,
                    o.display()
                );
            }
        }
        let secs = start.elapsed().as_secs_f64();
        // Identifies this execution: dependants fingerprint against it, so a stage that
        // ran again (forced, or redone) makes them run again too.
        let run_id = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
            .to_string();
        write_atomic(&stamp, serde_json::to_string_pretty(&json!({
            "stage": st.name, "fingerprint": fp, "run_id": run_id, "seconds": secs,
            "command": std::iter::once(st.program.display().to_string()).chain(st.args.iter().cloned()).collect::<Vec<_>>(),
        }))?.as_bytes())?;
        eprintln!("xtask: [{}] done in {secs:.1} s", st.name);
        self.fingerprints
            .insert(st.name.clone(), format!("{fp}@{run_id}"));
        self.log
            .push(json!({"stage": st.name, "skipped": false, "seconds": secs}));
        Ok(())
    }
}

/// Write a file through a temporary name and a rename, so readers never see half of it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(dir: &Path, name: &str, script: &str, out: &Path) -> Stage {
        Stage::new(name, Path::new("/bin/sh"))
            .args(["-c", script])
            .output(out)
            .content(&dir.join("cfg"))
    }

    #[test]
    fn skips_fresh_stage_and_reruns_when_input_changes() {
        let dir = std::env::temp_dir().join(format!("xtask-stage-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("cfg"), "a").unwrap();
        let out = dir.join("out.txt");
        let counter = dir.join("count");
        let script = format!(
            "echo x >> {}; echo ok > {}",
            counter.display(),
            out.display()
        );
        let st = sh(&dir, "s1", &script, &out);
        let down = Stage::new("s2", Path::new("/bin/sh"))
            .args(["-c", &format!("echo y >> {}", counter.display())])
            .after("s1");

        let mut r = Runner::new(&dir, "bin".into(), vec![]);
        r.run(&st).unwrap();
        r.run(&down).unwrap();
        let mut r = Runner::new(&dir, "bin".into(), vec![]);
        r.run(&st).unwrap();
        r.run(&down).unwrap();
        assert_eq!(
            std::fs::read_to_string(&counter).unwrap(),
            "x\ny\n",
            "second run skipped both"
        );

        std::fs::write(dir.join("cfg"), "b").unwrap();
        let mut r = Runner::new(&dir, "bin".into(), vec![]);
        r.run(&st).unwrap();
        r.run(&down).unwrap();
        assert_eq!(
            std::fs::read_to_string(&counter).unwrap(),
            "x\ny\nx\ny\n",
            "changed input reruns it and its dependants"
        );

        std::fs::remove_file(&out).unwrap();
        let mut r = Runner::new(&dir, "bin".into(), vec![]);
        r.run(&st).unwrap();
        assert_eq!(
            std::fs::read_to_string(&counter).unwrap(),
            "x\ny\nx\ny\nx\n",
            "missing output reruns it"
        );

        let mut r = Runner::new(&dir, "bin".into(), vec!["s1".into()]);
        r.run(&st).unwrap();
        r.run(&down).unwrap();
        assert_eq!(
            std::fs::read_to_string(&counter).unwrap(),
            "x\ny\nx\ny\nx\nx\ny\n",
            "--force reruns it and what depends on it"
        );
        let mut r = Runner::new(&dir, "bin".into(), vec![]);
        r.run(&st).unwrap();
        r.run(&down).unwrap();
        assert_eq!(
            std::fs::read_to_string(&counter).unwrap(),
            "x\ny\nx\ny\nx\nx\ny\n",
            "then both are fresh"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn failed_stage_leaves_no_stamp() {
        let dir = std::env::temp_dir().join(format!("xtask-stage-fail-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("cfg"), "a").unwrap();
        let out = dir.join("out.txt");
        let st = sh(
            &dir,
            "bad",
            &format!("echo half > {}; exit 3", out.display()),
            &out,
        );
        let mut r = Runner::new(&dir, "bin".into(), vec![]);
        let err = r.run(&st).unwrap_err().to_string();
        assert!(err.contains("stage bad failed"), "{err}");
        let fp = r.fingerprint(&st).unwrap();
        assert!(
            !r.is_fresh(&st, &fp),
            "a failed stage is never fresh, even with its output present"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
