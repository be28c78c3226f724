"""Generation: model loading, prompting, decoding and program extraction. Imports torch lazily."""
