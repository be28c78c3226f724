"""Reporting: metrics, uncertainty, significance, tables, plots, run comparison and validity."""
