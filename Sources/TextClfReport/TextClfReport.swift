/// Text, JSON and HTML reports of scored predictions and training runs.
@_exported import TextClfMetrics
