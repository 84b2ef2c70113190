//! Stratified folds by patient: the algorithm lives in [`ecg_io::folds`] (the packers
//! assign folds with it too); re-exported here where the generator's plan uses it.
pub use ecg_io::folds::*;
