/// Vectorizers: text to sparse feature matrices.
