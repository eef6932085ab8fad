/// textclf: text-classification pipelines, from labelled text to a measured classifier.
///
/// `import TextClf` brings in every stage: ``TextClfText`` (normalisers, tokenizers,
/// stemmers, analyzers), ``TextClfData`` (corpus readers), ``TextClfTensor`` (tensors and
/// CSR matrices), ``TextClfIO`` (their file formats), ``TextClfFeatures`` (vectorizers),
/// ``TextClfDataset`` (datasets, batches, splits, label encoding), ``TextClfNN`` (layers,
/// losses, optimizers), ``TextClfTraining`` (classifiers, the trainer, model folders),
/// ``TextClfRunLog`` (the log of runs), ``TextClfMetrics`` and ``TextClfReport`` (scores and
/// their reports), and ``TextClfSQLite`` (the SQLite wrapper, for use inside the package).
@_exported import TextClfData
@_exported import TextClfDataset
@_exported import TextClfFeatures
@_exported import TextClfIO
@_exported import TextClfMetrics
@_exported import TextClfNN
@_exported import TextClfReport
@_exported import TextClfRunLog
@_exported import TextClfSQLite
@_exported import TextClfTensor
@_exported import TextClfText
@_exported import TextClfTraining
