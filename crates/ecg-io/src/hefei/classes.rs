//! The Hefei-Tianchi classes: the challenge's Chinese class names mapped to stable English
//! identifiers — the one table of the mapping.
//!
//! Source: the 2019 "Hefei Hi-tech Cup" ECG human–machine intelligence competition
//! (Tianchi, https://tianchi.aliyun.com/competition/entrance/231754), whose releases list
//! their classes in `hf_round1_arrythmia.txt` (round 1: 55 classes) and
//! `hf_round2_arrythmia.txt` (round 2: 34 classes, a subset of round 1's). The organisers'
//! page is not reachable from here; the lists were checked against public solution
//! repositories that reproduce them: round 2's file verbatim (JagerLee/ECG-Classification,
//! README), a 34-class configuration and a 34-key label dictionary of two other solutions
//! (the same 34 names), and round 1's per-class counts over `hf_round1_label.txt` (55 names).
//! Round 1's counts give 左束支传导阻滞 18 + 完全性左束支传导阻滞 20 = 38 records, the
//! "38 left bundle branch block" records Zhou et al. 2024 report for the dataset.
//!
//! Identifiers follow PTB-XL's SCP codes where the statement is the same (SR, STACH, SBRAD,
//! SARRH, AFIB, PAC, PVC, CRBBB, IRBBB, CLBBB, 1AVB, PACE, LAFB, LVH, RVH, RAE, BIGU) and are
//! short upper-case abbreviations of the English name otherwise. They never change: packs
//! store them as the records' codes.

/// One class of the challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HefeiClass {
    /// The name in the challenge's files.
    pub zh: &'static str,
    /// Stable English identifier (stored in packs).
    pub id: &'static str,
    /// English name.
    pub en: &'static str,
    /// Listed in round 2's `hf_round2_arrythmia.txt` (all 55 are in round 1's list).
    pub round2: bool,
}

const fn c(zh: &'static str, id: &'static str, en: &'static str, round2: bool) -> HefeiClass {
    HefeiClass { zh, id, en, round2 }
}

/// Every class: round 2's 34 in the order of `hf_round2_arrythmia.txt`, then the 21
/// classes only round 1 lists.
pub const CLASSES: [HefeiClass; 55] = [
    c("QRS低电压", "LQRSV", "low QRS voltage", true),
    c("电轴右偏", "RAD", "right axis deviation", true),
    c("起搏心律", "PACE", "pacing rhythm", true),
    c("T波改变", "TCHG", "T-wave change", true),
    c("电轴左偏", "LAD", "left axis deviation", true),
    c("心房颤动", "AFIB", "atrial fibrillation", true),
    c(
        "非特异性ST段异常",
        "NSST",
        "non-specific ST-segment abnormality",
        true,
    ),
    c("下壁异常Q波", "IQW", "abnormal inferior Q waves", true),
    c(
        "前间壁R波递增不良",
        "PRWP",
        "poor anteroseptal R-wave progression",
        true,
    ),
    c("ST段改变", "STCHG", "ST-segment change", true),
    c(
        "一度房室传导阻滞",
        "1AVB",
        "first-degree atrioventricular block",
        true,
    ),
    c("左束支传导阻滞", "LBBB", "left bundle branch block", true),
    c("右束支传导阻滞", "RBBB", "right bundle branch block", true),
    c(
        "完全性左束支传导阻滞",
        "CLBBB",
        "complete left bundle branch block",
        true,
    ),
    c(
        "左前分支传导阻滞",
        "LAFB",
        "left anterior fascicular block",
        true,
    ),
    c("右心房扩大", "RAE", "right atrial enlargement", true),
    c("短PR间期", "SPR", "short PR interval", true),
    c(
        "左心室高电压",
        "LVHV",
        "left ventricular high voltage",
        true,
    ),
    c("窦性心动过缓", "SBRAD", "sinus bradycardia", true),
    c("早期复极化", "ER", "early repolarisation", true),
    c("窦性心律", "SR", "sinus rhythm", true),
    c("融合波", "FUSION", "fusion beats", true),
    c("ST-T改变", "STTCHG", "ST-T change", true),
    c(
        "非特异性ST段与T波异常",
        "NSSTT",
        "non-specific ST-segment and T-wave abnormality",
        true,
    ),
    c("快心室率", "FVR", "fast ventricular rate", true),
    c(
        "非特异性T波异常",
        "NST",
        "non-specific T-wave abnormality",
        true,
    ),
    c("室性早搏", "PVC", "premature ventricular contraction", true),
    c("房性早搏", "PAC", "premature atrial contraction", true),
    c("窦性心律不齐", "SARRH", "sinus arrhythmia", true),
    c(
        "完全性右束支传导阻滞",
        "CRBBB",
        "complete right bundle branch block",
        true,
    ),
    c("窦性心动过速", "STACH", "sinus tachycardia", true),
    c(
        "不完全性右束支传导阻滞",
        "IRBBB",
        "incomplete right bundle branch block",
        true,
    ),
    c("顺钟向转位", "CWROT", "clockwise rotation", true),
    c("逆钟向转位", "CCWROT", "counterclockwise rotation", true),
    c("正常ECG", "NORMECG", "normal ECG", false),
    c("临界ECG", "BORDECG", "borderline ECG", false),
    c("异常ECG", "ABNECG", "abnormal ECG", false),
    c("左心室肥大", "LVH", "left ventricular hypertrophy", false),
    c("右心室肥大", "RVH", "right ventricular hypertrophy", false),
    c("QT间期延长", "LQT", "prolonged QT interval", false),
    c("差异性传导", "ABERR", "aberrant conduction", false),
    c(
        "室内差异性传导",
        "IVABERR",
        "intraventricular aberrant conduction",
        false,
    ),
    c(
        "快室率心房颤动",
        "AFRVR",
        "atrial fibrillation with rapid ventricular rate",
        false,
    ),
    c("二联律", "BIGU", "bigeminy", false),
    c(
        "室上性早搏",
        "SVPB",
        "supraventricular premature beats",
        false,
    ),
    c("复极化异常", "REPOL", "repolarisation abnormality", false),
    c(
        "未下传的房性早搏",
        "BLKPAC",
        "non-conducted premature atrial contraction",
        false,
    ),
    c("肺心病型", "CORPUL", "cor pulmonale pattern", false),
    c("慢心室率", "SVR", "slow ventricular rate", false),
    c(
        "短串房性心动过速",
        "SRAT",
        "short run of atrial tachycardia",
        false,
    ),
    c(
        "非特异性室内传导延迟",
        "NSIVCD",
        "non-specific intraventricular conduction delay",
        false,
    ),
    c(
        "非特异性室内传导阻滞",
        "NSIVCB",
        "non-specific intraventricular conduction block",
        false,
    ),
    c(
        "房室传导延缓",
        "AVDELAY",
        "delayed atrioventricular conduction",
        false,
    ),
    c("双分支传导阻滞", "BIFB", "bifascicular block", false),
    c("肺型P波", "PPUL", "P pulmonale", false),
];

/// The class with this Chinese name (as written in the label file, trimmed).
pub fn by_zh(zh: &str) -> Option<&'static HefeiClass> {
    CLASSES.iter().find(|c| c.zh == zh)
}

/// The class with this English identifier.
pub fn by_id(id: &str) -> Option<&'static HefeiClass> {
    CLASSES.iter().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_and_identifiers_are_unique_and_round2_has_34() {
        let zh: HashSet<_> = CLASSES.iter().map(|c| c.zh).collect();
        let id: HashSet<_> = CLASSES.iter().map(|c| c.id).collect();
        assert_eq!((zh.len(), id.len()), (55, 55));
        assert_eq!(CLASSES.iter().filter(|c| c.round2).count(), 34);
        assert!(CLASSES
            .iter()
            .all(|c| c.id.is_ascii() && !c.id.contains(char::is_whitespace)));
        assert_eq!(by_zh("窦性心律").map(|c| c.id), Some("SR"));
        assert_eq!(by_id("PACE").map(|c| c.zh), Some("起搏心律"));
        assert!(by_zh("心房扑动").is_none());
    }
}
