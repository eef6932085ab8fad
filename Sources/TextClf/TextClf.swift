/// textclf: text-classification pipelines, from labelled text to a measured classifier.
///
/// `import TextClf` brings in every stage: ``TextClfText`` (normalisers, tokenizers,
/// stemmers, analyzers) and ``TextClfData`` (corpus readers).
@_exported import TextClfData
@_exported import TextClfText
