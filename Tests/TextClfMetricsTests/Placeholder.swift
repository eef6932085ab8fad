import Testing
import TextClfMetrics
