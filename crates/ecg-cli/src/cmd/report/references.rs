//! The papers the report compares against, named the way people cite them (method, first
//! author(s), year), and their full citations for the References section. Citations carry
//! what the copies the project works from state; where a copy names no venue, none is given.

/// A cited paper.
#[derive(Debug)]
pub struct Paper {
    /// The method's name or what the paper contributes: "label-correlation network".
    pub method: &'static str,
    /// Authors and year: "Zhang & Sun 2024".
    pub authors: &'static str,
    /// The full citation.
    pub citation: &'static str,
}

impl Paper {
    /// "label-correlation network, Zhang & Sun 2024": how tables and captions name it.
    pub fn cite(&self) -> String {
        format!("{}, {}", self.method, self.authors)
    }
}

pub const ZHANG_SUN_2024: Paper = Paper {
    method: "label-correlation network",
    authors: "Zhang & Sun 2024",
    citation: "Zhang, S. and Sun, Z. (2024). ECG Signals Classification by Analyzing Label \
               Correlation Based on Deep Learning (基于深度学习可分析标签相关性的心电信号分类). \
               Hans Publishers, published 7 May 2024 (open access, CC BY 4.0).",
};

pub const ZHOU_2024: Paper = Paper {
    method: "KD + label relevance",
    authors: "Zhou et al. 2024",
    citation: "Zhou, J., Wang, X., Zhang, S., Zhao, L., Li, J. and Liu, C. (2024). Multi-label \
               ECG Classification Based on Knowledge Distillation and Label Relevance. State Key \
               Laboratory of Digital Medical Engineering, Southeast University, Nanjing \
               (received 27 February 2024).",
};

pub const QIN_2023: Paper = Paper {
    method: "MVKT-ECG",
    authors: "Qin et al. 2023",
    citation: "Qin et al. (2023). MVKT-ECG: inter-lead Multi-View Knowledge Transferring of \
               ECG for single-lead multi-label disease diagnosis, with disease-aware \
               Contrastive Lead-information Transferring (CLT) and multi-label Knowledge \
               Distillation (MKD). (Title as the abstract gives it; our copy names neither \
               the full author list nor the venue.)",
};

pub const LIU_2025: Paper = Paper {
    method: "LCD",
    authors: "Liu et al. 2025",
    citation: "Liu, W., Pan, S., Chang, S., Huang, Q. and Jiang, N. (2025). Self-supervised \
               learning for Electrocardiogram classification using Lead Correlation and \
               Decorrelation. Applied Soft Computing, 172, Article 112871. \
               https://doi.org/10.1016/j.asoc.2025.112871",
};

pub const STRODTHOFF_2021: Paper = Paper {
    method: "PTB-XL benchmark",
    authors: "Strodthoff et al. 2021",
    citation: "Strodthoff, N., Wagner, P., Schaeffter, T. and Samek, W. (2021). Deep Learning \
               for ECG Analysis: Benchmarks and Insights from PTB-XL. IEEE Journal of \
               Biomedical and Health Informatics, 25(5), 1519–1528. \
               https://doi.org/10.1109/JBHI.2020.3022989",
};

pub const WAGNER_2020: Paper = Paper {
    method: "PTB-XL dataset",
    authors: "Wagner et al. 2020",
    citation: "Wagner, P., Strodthoff, N., Bousseljot, R.-D., et al. (2020). PTB-XL, a Large \
               Publicly Available Electrocardiography Dataset. Scientific Data, 7, Article 154. \
               https://doi.org/10.1038/s41597-020-0495-6",
};

/// Every paper, in the order the References section lists them.
pub const ALL: &[&Paper] = &[
    &ZHANG_SUN_2024,
    &ZHOU_2024,
    &QIN_2023,
    &LIU_2025,
    &STRODTHOFF_2021,
    &WAGNER_2020,
];

/// The References section: one line per paper, its short name first.
pub fn section() -> String {
    let mut md = String::from("## References\n\n");
    for p in ALL {
        md.push_str(&format!("- **{}** — {}\n", p.cite(), p.citation));
    }
    md.push('\n');
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_as_people_cite_them() {
        assert_eq!(
            ZHANG_SUN_2024.cite(),
            "label-correlation network, Zhang & Sun 2024"
        );
        assert_eq!(ZHOU_2024.cite(), "KD + label relevance, Zhou et al. 2024");
        assert_eq!(QIN_2023.cite(), "MVKT-ECG, Qin et al. 2023");
        assert_eq!(LIU_2025.cite(), "LCD, Liu et al. 2025");
        assert_eq!(
            STRODTHOFF_2021.cite(),
            "PTB-XL benchmark, Strodthoff et al. 2021"
        );
        let refs = section();
        for p in ALL {
            assert!(refs.contains(p.citation));
        }
        assert!(!refs.to_lowercase().contains("seed"));
    }
}
