/// textclf: text-classification pipelines, from labelled text to a measured classifier.
///
/// `import TextClf` brings in every stage: ``TextClfText`` (normalisers, tokenizers,
/// stemmers, analyzers), ``TextClfData`` (corpus readers), ``TextClfTensor`` (tensors and
/// CSR matrices), ``TextClfIO`` (their file formats) and ``TextClfFeatures`` (vectorizers).
@_exported import TextClfData
@_exported import TextClfDataset
@_exported import TextClfFeatures
@_exported import TextClfIO
@_exported import TextClfMetrics
@_exported import TextClfNN
@_exported import TextClfTensor
@_exported import TextClfText
@_exported import TextClfTraining
@_exported import TextClfReport
@_exported import TextClfRunLog
@_exported import TextClfSQLite
