"""Vietnamese citizen-feedback classifier: pure text in, predictions out.

Modules: `labels` (the label set), `normalize` (text normalisation), `features`, `training`,
`model` (Classifier, Prediction), `dataset` (seed data), `evaluation`, `registry` (model
versions), `retrain`, `cli` (commands for `pakn`). Nothing here touches the database, HTTP or
the network. Importing the package itself is cheap: `classifier.labels` pulls in no
scikit-learn.
"""
