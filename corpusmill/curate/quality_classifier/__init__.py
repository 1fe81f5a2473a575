"""Model-based quality scoring, trained offline on the user's own reference data (issue 18).

`train.train_classifier` trains a binary classifier (fastText through Debian's `fasttext`
binary, or the numpy hashed linear model where that is missing); `model.load_classifier`
loads either kind and scores texts (P(high quality)); `stage.QualityClassifier` is the
`quality_classifier` pipeline stage; `select.classifier_select` is the selector for benches.
"""
